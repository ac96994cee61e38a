"""`rasad import olist` on a slice of the real Olist files (tests/data/olist_slice), and a few days of the pipeline
over it: the import summary and Rasad's findings against counts recomputed here from the raw CSVs, with plain
pandas and none of the converter's code."""

from __future__ import annotations

import codecs
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from pipelines.olist.convert import SUMMARY_FILE, import_olist
from pipelines.olist.files import OlistFilesError

SLICE = Path(__file__).resolve().parents[1] / "data" / "olist_slice"
# a few days of the slice with late deliveries and low reviews in them (Tehran days)
FIRST_DAY, LAST_DAY = date(2018, 6, 5), date(2018, 6, 7)


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(SLICE / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def tehran_day(local_text: pd.Series) -> pd.Series:
    """Olist's local Brazilian time as the Tehran calendar day."""
    t = pd.to_datetime(local_text.replace("", None), format="%Y-%m-%d %H:%M:%S")
    return (t.dt.tz_localize("America/Sao_Paulo", ambiguous="NaT", nonexistent="shift_forward")
            .dt.tz_convert("Asia/Tehran").dt.date)


def deliveries_per_order() -> pd.Series:
    """Ombazar deliveries per Olist order: one per product, seller and price in the order."""
    items = raw("olist_order_items_dataset.csv")
    return items.drop_duplicates(["order_id", "seller_id", "product_id", "price"]).groupby("order_id").size()


@pytest.mark.unit
def test_the_import_summary_counts_what_the_raw_files_hold(tmp_path):
    summary = import_olist(SLICE, tmp_path / "out")
    written = json.loads((tmp_path / "out" / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert written["quirks"] == summary.quirks
    quirks = {name: q["count"] for name, q in written["quirks"].items()}
    orders, items, reviews = raw("olist_orders_dataset.csv"), raw("olist_order_items_dataset.csv"), \
        raw("olist_order_reviews_dataset.csv")
    products, payments = raw("olist_products_dataset.csv"), raw("olist_order_payments_dataset.csv")

    boms = sum(p.read_bytes().startswith(codecs.BOM_UTF8) for p in SLICE.glob("*.csv"))
    assert quirks["byte_order_marks"] == boms == 1
    with_items = orders["order_id"].isin(items["order_id"])
    assert quirks["orders_without_items"] == int((~with_items).sum())
    assert quirks["orders_without_delivery_date"] == int((orders["order_delivered_customer_date"] == "").sum()) > 0
    imported_reviews = reviews[reviews["order_id"].isin(items["order_id"])]
    assert quirks["duplicate_review_ids"] == int(imported_reviews["review_id"].duplicated().sum()) > 0
    several = imported_reviews.groupby("order_id").size()
    assert quirks["orders_with_several_reviews"] == int((several > 1).sum()) > 0
    no_category = set(products.loc[products["product_category_name"] == "", "product_id"])
    assert quirks["items_without_category"] == int(items["product_id"].isin(no_category).sum()) > 0
    assert quirks["prices_with_fewer_than_two_decimals"] == int((~items["price"].str.contains(r"\.\d\d$")).sum()) > 0
    by_float = items["price"].map(lambda p: int(float(p) * 100))
    exact = items["price"].map(lambda p: int(Decimal(p) * 100))
    assert quirks["prices_a_float_would_get_wrong"] == int((by_float != exact).sum()) > 0

    per_order = deliveries_per_order()
    assert written["written"]["orders"] == written["written"]["deliveries"] == int(per_order.sum())
    instalments = payments.assign(n=pd.to_numeric(payments["payment_installments"])).groupby("order_id")["n"].max()
    assert quirks["nesieh_orders"] == int(per_order[per_order.index.map(instalments).fillna(1) > 1].sum()) > 0

    # money: whole rials, no float error (1 centavo = 100 rials)
    import sqlite3

    with sqlite3.connect(tmp_path / "out" / "ombazar.db") as conn:
        prices = pd.read_sql("SELECT order_id, unit_price_rial FROM orders", conn)
    first_items = items.assign(order_id=items["order_id"] + "-" + items["order_item_id"])
    merged = prices.merge(first_items, on="order_id")
    assert len(merged) == len(prices)
    assert (merged["unit_price_rial"] == merged["price"].map(lambda p: int(Decimal(p) * 10_000))).all()


@pytest.mark.unit
def test_a_directory_without_the_files_is_one_clear_error(tmp_path):
    (tmp_path / "olist_orders_dataset.csv").write_text("order_id\n", encoding="utf-8")
    with pytest.raises(OlistFilesError, match="olist_order_items_dataset.csv is missing"):
        import_olist(tmp_path, tmp_path / "out")


@pytest.mark.db
def test_a_few_days_of_the_pipeline_over_the_slice_finds_what_the_raw_files_say(tmp_path, settings_for):
    from pipelines.findings import tables as findings_tables
    from pipelines.orchestration.daily_steps import run_range
    from pipelines.reference.csv_load import load_reference_dir
    from pipelines.reference.rules import check_reference
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    out = tmp_path / "out"
    summary = import_olist(SLICE, out)
    settings = settings_for(source_url=f"sqlite:///{out / 'ombazar.db'}", late_grace_hours=0)
    store = store_engine(settings)
    upgrade_store(store)
    load_reference_dir(store, out / "reference", date.fromisoformat(summary.days["reference_as_of"]))
    assert check_reference(store, settings, FIRST_DAY).total == 0  # the organisation keeps the seed's rules
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    run_range(settings, days)
    with store.connect() as conn:
        found = pd.DataFrame(conn.execute(select(findings_tables.finding)).mappings().all())
    found = found[found["episode_start_day"].between(FIRST_DAY, LAST_DAY)]

    per_order = deliveries_per_order()
    orders = raw("olist_orders_dataset.csv")
    # the data: delivered after the estimated day, on a day of the week
    delivered = orders[(orders["order_status"] == "delivered") & (orders["order_delivered_customer_date"] != "")]
    late = delivered[delivered["order_delivered_customer_date"].str[:10]
                     > delivered["order_estimated_delivery_date"].str[:10]]
    late = late[tehran_day(late["order_delivered_customer_date"]).between(FIRST_DAY, LAST_DAY).to_numpy()]
    raw_late = int(late["order_id"].map(per_order).sum())
    assert raw_late > 0
    assert (found["rule"] == "late_delivery").sum() == raw_late

    # the data: a 1-2 star review, the latest of its order, on a delivery last changed during the week
    reviews = raw("olist_order_reviews_dataset.csv")
    reviews = reviews[reviews["order_id"].isin(per_order.index)].sort_values(
        ["order_id", "review_answer_timestamp", "review_id"]).drop_duplicates("order_id", keep="last")
    o = orders.set_index("order_id").loc[reviews["order_id"]]
    carrier = o["order_delivered_carrier_date"].where(o["order_status"].isin(["shipped", "delivered"]), "")
    customer = o["order_delivered_customer_date"].where(o["order_status"] == "delivered", "")
    answered = pd.Series(reviews["review_answer_timestamp"].to_numpy(), index=o.index)
    last_change = pd.concat([o["order_purchase_timestamp"], o["order_approved_at"], carrier, customer, answered],
                            axis=1).max(axis=1)
    low = reviews[(pd.to_numeric(reviews["review_score"]) <= 2).to_numpy()
                  & tehran_day(last_change).between(FIRST_DAY, LAST_DAY).to_numpy()]
    raw_low = int(low["order_id"].map(per_order).sum())
    assert raw_low > 0
    quality = found[found["rule"] == "quality_defect"]
    low_rating = quality["evidence"].map(lambda e: "low_rating" in json.loads(e)["signals"])
    assert int(low_rating.sum()) == raw_low
    # every other quality finding is a complaint read from an unhappy (3-star) review's words
    assert quality.loc[~low_rating, "evidence"].map(lambda e: json.loads(e)["signals"] == ["complaint"]).all()
