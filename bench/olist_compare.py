"""What the Olist data itself says, side by side with what Rasad found over it (docs/olist.md).

Run after `rasad import olist` and the backfill (docs/olist.md, "How to run it"), with the same RASAD_* settings:

    python bench/olist_compare.py ../shared/data/olist [--through 2018-10-15] [--sample 10]

The data's side is recomputed here from the raw CSVs with plain pandas (not with the converter); Rasad's side is
read from the store's findings (or, with `--observations`, from the checks' observations, which the backfill's
first pass writes for every day before the second writes findings and reports). `--through` limits both sides
to the Tehran days the backfill has done.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _raw(directory: Path, name: str) -> pd.DataFrame:
    [path] = sorted(directory.rglob(name))
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def tehran_day(local_text: pd.Series) -> pd.Series:
    t = pd.to_datetime(local_text.replace("", None), format="%Y-%m-%d %H:%M:%S")
    return (t.dt.tz_localize("America/Sao_Paulo", ambiguous=False, nonexistent="shift_forward")
            .dt.tz_convert("Asia/Tehran").dt.date)


def _similar_weight(peers: pd.DataFrame, own: pd.DataFrame) -> dict | None:
    if own.empty or pd.isna(own["weight"].iloc[0]):
        return None
    w = own["weight"].iloc[0]
    near = peers[peers["weight"].between(0.7 * w, 1.4 * w) & (peers["product_id"] != own["product_id"].iloc[0])]
    return {"items": len(near), "median": round(float(near["reais"].median()), 2) if len(near) else None}


def compare(olist: Path, through: date | None, sample: int, observations: bool = False) -> dict:
    from pipelines.findings import tables as findings_tables
    from pipelines.settings import get_settings
    from pipelines.store.engine import source_engine, store_engine

    settings = get_settings()
    table = findings_tables.finding_observation if observations else findings_tables.finding
    with store_engine(settings).connect() as conn:
        found = pd.DataFrame(conn.execute(select(table)).mappings().all())
    if observations:
        # one row per rule, entity and day: the first day each entity was observed stands for its episode
        found = (found.sort_values("day").drop_duplicates(["rule", "entity_id"])
                 .rename(columns={"day": "episode_start_day"}))
    through = through or found["episode_start_day"].max()
    found = found[found["episode_start_day"] <= through]

    orders, items = _raw(olist, "olist_orders_dataset.csv"), _raw(olist, "olist_order_items_dataset.csv")
    reviews = _raw(olist, "olist_order_reviews_dataset.csv")
    per_order = items.drop_duplicates(["order_id", "seller_id", "product_id", "price"]).groupby("order_id").size()
    out: dict = {"through": str(through), "read": "observations" if observations else "findings"}

    # ---- late deliveries against delivered after the estimated day
    delivered = orders[(orders["order_status"] == "delivered") & (orders["order_delivered_customer_date"] != "")]
    delivered = delivered[(tehran_day(delivered["order_delivered_customer_date"]) <= through).to_numpy()]
    late = delivered[delivered["order_delivered_customer_date"].str[:10]
                     > delivered["order_estimated_delivery_date"].str[:10]]
    rasad_late = found[found["rule"] == "late_delivery"]
    out["late"] = {"delivered_orders": len(delivered), "late_orders": len(late),
                   "late_share": round(len(late) / max(len(delivered), 1), 4),
                   "late_deliveries": int(late["order_id"].map(per_order).sum()),
                   "rasad_late_delivery_findings": len(rasad_late),
                   "rasad_late_orders": int(rasad_late["entity_id"].str[2:34].nunique()),
                   "rasad_overdue_order_findings": int((found["rule"] == "overdue_order").sum()),
                   "rasad_seller_cancellation_findings": int((found["rule"] == "seller_cancellation").sum())}

    # ---- quality findings against 1-2 star reviews (the latest review of each imported order)
    rv = reviews[reviews["order_id"].isin(per_order.index)].sort_values(
        ["order_id", "review_answer_timestamp", "review_id"]).drop_duplicates("order_id", keep="last")
    rv = rv[(tehran_day(rv["review_answer_timestamp"]) <= through).to_numpy()]
    low = rv[pd.to_numeric(rv["review_score"]) <= 2]
    quality = found[found["rule"] == "quality_defect"]
    signals = quality["evidence"].map(lambda e: json.loads(e)["signals"])
    complaints = quality["evidence"].map(lambda e: json.loads(e).get("complaint"))
    out["quality"] = {"reviewed_orders": len(rv), "low_review_orders": len(low),
                      "low_share": round(len(low) / max(len(rv), 1), 4),
                      "low_review_deliveries": int(low["order_id"].map(per_order).sum()),
                      "rasad_quality_findings": len(quality),
                      "rasad_with_low_rating": int(signals.map(lambda s: "low_rating" in s).sum()),
                      "rasad_complaint_only": int(signals.map(lambda s: s == ["complaint"]).sum()),
                      "rasad_complaints": complaints.value_counts().to_dict()}

    # ---- flagged sellers against their share of low reviews
    seller_of = items.drop_duplicates("order_id").set_index("order_id")["seller_id"]
    scored = rv.assign(seller_id=rv["order_id"].map(seller_of), low=pd.to_numeric(rv["review_score"]) <= 2)
    per_seller = scored.groupby("seller_id").agg(reviews=("low", "size"), low=("low", "sum"))
    flagged_rules = ("scorecard_quality", "scorecard_on_time", "scorecard_seller_cancel")
    rows = []
    for rule in flagged_rules:
        sellers = set(found.loc[found["rule"] == rule, "seller_id"].dropna())
        mine = per_seller[per_seller.index.isin(sellers)]
        rest = per_seller[~per_seller.index.isin(sellers)]
        rows.append({"rule": rule, "sellers": len(sellers), "their_reviews": int(mine["reviews"].sum()),
                     "their_low_share": round(mine["low"].sum() / max(mine["reviews"].sum(), 1), 4),
                     "others_low_share": round(rest["low"].sum() / max(rest["reviews"].sum(), 1), 4)})
    out["flagged_sellers"] = rows

    # ---- price findings: a sample to judge one by one, with what the raw data says about each offer
    price = found[found["rule"].str.startswith("price_")]
    out["price_findings"] = price["rule"].value_counts().to_dict()
    out["price_offers_flagged"] = int(price["offer_id"].nunique())
    picked = price.drop_duplicates("offer_id").sample(min(sample, len(price)), random_state=15) if len(price) else price
    with source_engine(settings).connect() as conn:
        offers = pd.read_sql("SELECT offer_id, title, category_code, unit_price_rial, nesieh_months, "
                             "nesieh_unit_price_rial FROM ombazar.offers", conn)
    offers = offers.set_index("offer_id")
    items = items.assign(reais=pd.to_numeric(items["price"]))
    products = _raw(olist, "olist_products_dataset.csv").set_index("product_id")
    items["category"] = items["product_id"].map(products["product_category_name"])
    items["weight"] = pd.to_numeric(items["product_id"].map(products["product_weight_g"]), errors="coerce")
    judged = []
    for row in picked.itertuples():
        product = row.offer_id.split("-")[0]
        offer = offers.loc[row.offer_id]
        own = items[(items["product_id"] == product) & items["seller_id"].str.startswith(row.offer_id[-8:])]
        same = items[(items["product_id"] == product) & ~items["seller_id"].str.startswith(row.offer_id[-8:])]
        peers = items[items["category"] == own["category"].iloc[0]] if len(own) else items.iloc[:0]
        judged.append({
            "rule": row.rule, "offer_id": row.offer_id, "title": offer["title"],
            "price_reais": int(offer["unit_price_rial"]) / 10_000,
            "nesieh": None if pd.isna(offer["nesieh_months"]) else
            f"{int(offer['nesieh_months'])} months at {int(offer['nesieh_unit_price_rial']) / 10_000:.2f}",
            "own_prices_reais": sorted(own["reais"].unique().tolist())[:6],
            "same_product_other_sellers_reais": sorted(same["reais"].unique().tolist())[:6],
            "category_median_reais": round(float(peers["reais"].median()), 2) if len(peers) else None,
            "category_p10_p90_reais": [round(float(peers["reais"].quantile(q)), 2) for q in (0.1, 0.9)]
            if len(peers) else None,
            # what goods of the category within 0.7-1.4 times its weight sell for
            "similar_weight_median_reais": _similar_weight(peers, own),
            "evidence": json.loads(row.evidence),
        })
    out["price_sample"] = judged
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("olist", type=Path)
    parser.add_argument("--through", type=date.fromisoformat, default=None)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--observations", action="store_true",
                        help="read the checks' observations (the backfill's first pass) instead of the findings")
    args = parser.parse_args(argv)
    result = compare(args.olist, args.through, args.sample, args.observations)
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
