"""Olist's orders, items, reviews and payments as the four entities of the Ombazar source contract.

Whole-column pandas throughout. The mapping (docs/olist.md):

- an **order** of Ombazar is one product of one seller in one Olist order, at one price: Olist's item rows of
  the same product bought twice in one order become one order of quantity 2 (`order_id` = Olist order id and
  its first item number);
- an **offer** is a product at a seller; its price is the latest the data shows, recorded (`updated_at`) when
  that price was first asked; the title carries the category, weight and size that Olist gives instead of a name;
- a **delivery** is the one shipment of an order, with Olist's order status, carrier and customer dates, and the
  order's review: its score is the buyer's rating, and an unhappy review's words give the complaint;
- the estimated delivery date is the promise: `promised_at` is the end of that local day;
- an order paid in instalments (`payment_installments` > 1) is bought on **nesieh**; the offer's nesieh price
  is its cash price times what instalment buyers paid over the items' value (mostly 1: Brazil's interest-free
  "parcelado sem juros").

Olist's times are local to Brazil (America/Sao_Paulo, with daylight saving in 2016-2018); the contract wants
UTC, so each is placed in that zone and converted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.olist.files import OlistFiles
from pipelines.olist.mapping import CATEGORIES, MISSING_TRANSLATIONS, STATE_TO_PROVINCE, UNCATEGORISED
from pipelines.olist.money import RIALS_PER_CENTAVO, centavos, fewer_than_two_decimals, float_truncation_errors
from pipelines.olist.summary import ImportSummary

OLIST_ZONE = "America/Sao_Paulo"
LOW_REVIEW_MAX = 2
# an unhappy review (score <= 3) names its complaint by its words (Portuguese, accents removed, lower case);
# the first kind that matches wins, in this order
COMPLAINT_WORDS: tuple[tuple[str, str], ...] = (
    ("damaged", r"quebrad|danificad|defeit|avariad|amassad|estragad|rasgad|vazad|trincad"),
    ("wrong_item", r"errad|trocad|outro produto|produto diferente do (?:que )?(?:pedi|compre|solicit)"),
    ("short_quantity", r"faltando|faltou|falta (?:um|uma|o|a|de)|incomplet|so veio|veio apenas|apenas (?:um|uma) "),
    ("not_as_described", r"diferente|nao corresponde|falsificad|falso|qualidade (?:ruim|pessima|baixa)|"
                         r"pessima qualidade|nao e original|nao era original|menor que|maior que"),
    ("late", r"atras|nao (?:chegou|recebi|foi entregue)|ainda nao|prazo|demor"),
)
STATUS = {
    "delivered": "delivered", "shipped": "shipped", "canceled": "cancelled_by_buyer",
    "unavailable": "cancelled_by_seller", "invoiced": "pending", "processing": "pending",
    "approved": "pending", "created": "pending",
}


@dataclass(frozen=True)
class Marketplace:
    frames: dict[str, pd.DataFrame]  # sellers, offers, orders, deliveries, as the contract has them
    sellers: pd.DataFrame  # seller_id, unit_id, display_name, province_id, in_capital, category, joined_day
    categories: pd.DataFrame  # category, name_en, sector_code, name_fa: the categories the offers use


def _ascii_lower(text: pd.Series) -> pd.Series:
    return (text.fillna("").str.normalize("NFKD").str.encode("ascii", errors="ignore").str.decode("ascii")
            .str.lower().str.strip())


def local_instants(text: pd.Series, summary: ImportSummary, counter: dict[str, int]) -> pd.Series:
    """Naive local Brazilian times as UTC instants. Times that the clock skipped (the night daylight saving
    starts, when midnight does not exist) move forward by the gap; times it repeated take the later one."""
    naive = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    counter["unreadable"] += int((naive.isna() & text.notna()).sum())
    ambiguous_later = np.zeros(len(naive), dtype=bool)
    strict = naive.dt.tz_localize(OLIST_ZONE, ambiguous=ambiguous_later, nonexistent="NaT")
    counter["nonexistent"] += int((strict.isna() & naive.notna()).sum())
    probe = naive.dt.tz_localize(OLIST_ZONE, ambiguous="NaT", nonexistent="shift_forward")
    counter["ambiguous"] += int((probe.isna() & naive.notna()).sum())
    shifted = naive.dt.tz_localize(OLIST_ZONE, ambiguous=ambiguous_later, nonexistent="shift_forward")
    return shifted.dt.tz_convert("UTC")


def _complaints(reviews: pd.DataFrame) -> pd.Series:
    words = _ascii_lower(reviews["review_comment_title"].fillna("") + " "
                         + reviews["review_comment_message"].fillna(""))
    unhappy = pd.to_numeric(reviews["review_score"], errors="coerce") <= 3
    out = pd.Series(None, index=reviews.index, dtype=object)
    for kind, pattern in reversed(COMPLAINT_WORDS):  # the first kind listed wins: it is written last
        out = out.mask(unhappy & words.str.contains(pattern, regex=True), kind)
    has_words = words.str.strip() != ""
    return out.mask(unhappy & has_words & out.isna(), "other")


def build_marketplace(files: OlistFiles, summary: ImportSummary) -> Marketplace:
    """The four contract entities from the Olist files, counting each quirk as it is handled."""
    tz_counter = {"unreadable": 0, "nonexistent": 0, "ambiguous": 0}
    orders = files["orders"].drop_duplicates("order_id")
    summary.quirk("duplicate_order_rows", len(files["orders"]) - len(orders), "dropped (same order_id again)")
    items = files["items"]
    products = files["products"].drop_duplicates("product_id").set_index("product_id")
    sellers_file = files["sellers"].drop_duplicates("seller_id").set_index("seller_id")

    # ---- items: price in whole rials, known parents only
    cents = centavos(items["price"])
    summary.quirk("prices_with_fewer_than_two_decimals", fewer_than_two_decimals(items["price"].dropna()),
                  "like 58.9: read as text, 58.9 -> 5890 centavos -> 589,000 rials")
    summary.quirk("prices_a_float_would_get_wrong", float_truncation_errors(items["price"]),
                  "int(float(p)*100) is off by one centavo for these; the text is split at the point instead")
    orphan = ~items["order_id"].isin(orders["order_id"])
    unknown = ~items["seller_id"].isin(sellers_file.index) | ~items["product_id"].isin(products.index)
    bad_price = cents.isna() | (cents <= 0)
    summary.quirk("items_of_unknown_order_seller_or_product", int((orphan | unknown).sum()), "not imported")
    summary.quirk("items_with_unreadable_or_zero_price", int((bad_price & ~orphan & ~unknown).sum()), "not imported")
    kept = ~(orphan | unknown | bad_price)
    items = items.loc[kept.to_numpy()].assign(centavos=cents[kept])
    items = items.assign(item_no=pd.to_numeric(items["order_item_id"], errors="coerce").fillna(1).astype(int))

    # ---- one Ombazar order per (order, seller, product, price)
    key = ["order_id", "seller_id", "product_id", "centavos"]
    groups = (items.groupby(key, sort=False)
              .agg(quantity=("item_no", "size"), item_no=("item_no", "min")).reset_index())
    summary.quirk("repeated_items_merged", int((groups["quantity"] > 1).sum()),
                  "the same product bought several times in one order: one order with that quantity")
    no_items = ~orders["order_id"].isin(groups["order_id"])
    summary.quirk("orders_without_items", int(no_items.sum()),
                  "not imported: an Ombazar order needs an offer (Olist lists none for these; mostly unavailable)")
    o = orders.loc[~no_items.to_numpy()].set_index("order_id")
    g = groups.join(o, on="order_id")
    g["ombazar_order_id"] = g["order_id"] + "-" + g["item_no"].astype(str)

    ordered_at = local_instants(g["order_purchase_timestamp"], summary, tz_counter)
    approved_at = local_instants(g["order_approved_at"], summary, tz_counter)
    carrier_at = local_instants(g["order_delivered_carrier_date"], summary, tz_counter)
    customer_at = local_instants(g["order_delivered_customer_date"], summary, tz_counter)
    estimated_day = pd.to_datetime(g["order_estimated_delivery_date"].str[:10], format="%Y-%m-%d", errors="coerce")
    # the promise is the end of the estimated local day: delivered on that day is on time
    promised_at = local_instants((estimated_day + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d %H:%M:%S"),
                                 summary, tz_counter)
    before = promised_at < ordered_at
    summary.quirk("estimated_before_purchase", int(before.sum()), "promised_at set to ordered_at")
    promised_at = promised_at.mask(before, ordered_at)

    # ---- payments: instalments stand for nesieh
    pay = files["payments"]
    installments = pd.to_numeric(pay["payment_installments"], errors="coerce")
    summary.quirk("payments_with_zero_installments", int((installments == 0).sum()), "read as one instalment (cash)")
    pay = pay.assign(installments=installments.fillna(1).clip(lower=1).astype(int),
                     cents=centavos(pay["payment_value"]))
    per_order = pay.groupby("order_id").agg(installments=("installments", "max"), paid=("cents", "sum"))
    item_value = (items.assign(v=items["centavos"] + centavos(items["freight_value"]).fillna(0))
                  .groupby("order_id")["v"].sum())
    per_order = per_order.join(item_value.rename("value"))
    summary.quirk("orders_without_payments", int((~g["order_id"].isin(per_order.index)).groupby(g["order_id"]).any()
                                              .sum()), "paid in cash")
    g = g.join(per_order, on="order_id")
    g["installments"] = g["installments"].fillna(1).astype(int)
    g["payment"] = np.where(g["installments"] > 1, "nesieh", "cash")
    # what instalment buyers paid over the value of the items and freight (1.0 = interest free)
    g["nesieh_ratio"] = (g["paid"] / g["value"]).where((g["installments"] > 1) & (g["value"] > 0))

    # ---- reviews: the latest per order; a review id shared by several orders rates each of them
    rv = files["reviews"]
    rv = rv[rv["order_id"].isin(o.index)]
    summary.quirk("reviews_of_orders_not_imported", len(files["reviews"]) - len(rv), "dropped")
    dup_ids = rv["review_id"].duplicated(keep=False)
    summary.quirk("duplicate_review_ids", int(rv["review_id"].duplicated().sum()),
                  f"one review id on several orders ({int(dup_ids.sum())} rows): it rates each of its orders")
    rv = rv.assign(
        rated_at=local_instants(rv["review_answer_timestamp"], summary, tz_counter).fillna(
            local_instants(rv["review_creation_date"], summary, tz_counter)),
        complaint=_complaints(rv),
    )
    summary.quirk("review_dates_at_1am", int(rv["review_creation_date"].str.endswith(" 01:00:00").sum()),
                  "review days written as 01:00 on the night daylight saving starts (midnight skipped): kept")
    rv = rv.sort_values(["order_id", "rated_at", "review_id"], kind="stable")
    several = rv["order_id"].duplicated(keep="last")
    summary.quirk("orders_with_several_reviews", int(rv.loc[several, "order_id"].nunique()),
                  f"the latest answered review is the rating ({int(several.sum())} earlier reviews set aside)")
    latest = rv[~several].set_index("order_id")
    g = g.join(latest[["review_score", "rated_at", "complaint"]], on="order_id")
    has_review = g["review_score"].notna()
    summary.quirk("orders_without_review", int((~o.index.isin(latest.index)).sum()), "no rating")

    # ---- deliveries
    status = g["order_status"].map(STATUS)
    summary.quirk("unknown_order_statuses", int(status.isna().sum()), "read as pending")
    status = status.fillna("pending")
    delivered_no_date = (status == "delivered") & customer_at.isna()
    summary.quirk("delivered_without_delivery_date", int(delivered_no_date.sum()),
                  "status delivered but no customer date: shipped (if it has a carrier date) or pending")
    status = status.mask(delivered_no_date, np.where(carrier_at.notna(), "shipped", "pending"))
    undelivered_with_date = (status != "delivered") & customer_at.notna()
    summary.quirk("customer_date_on_undelivered_orders", int(undelivered_with_date.sum()),
                  "a customer date on an order not delivered (e.g. canceled): the date is dropped")
    customer_at = customer_at.mask(undelivered_with_date)
    summary.quirk("orders_without_delivery_date",
                  int(orders["order_delivered_customer_date"].isna().sum()),
                  "not delivered by the end of the data: shipped, pending or cancelled; overdue once past the promise")
    carrier_late = customer_at.notna() & carrier_at.notna() & (carrier_at > customer_at)
    summary.quirk("carrier_date_after_customer_date", int(carrier_late.sum()), "shipped_at set to delivered_at")
    carrier_early = carrier_at.notna() & (carrier_at < ordered_at)
    summary.quirk("carrier_date_before_purchase", int(carrier_early.sum()), "shipped_at set to ordered_at")
    shipped_at = carrier_at.mask(carrier_late, customer_at).mask(carrier_early, ordered_at)
    shipped_at = shipped_at.where(status.isin(["shipped", "delivered"]))
    delivered_before = customer_at.notna() & (customer_at < ordered_at)
    summary.quirk("delivered_before_purchase", int(delivered_before.sum()), "delivered_at set to ordered_at")
    customer_at = customer_at.mask(delivered_before, ordered_at)
    rating = pd.to_numeric(g["review_score"], errors="coerce").astype("Int64")
    bad_rating = has_review & ~rating.between(1, 5).fillna(False)
    summary.quirk("ratings_outside_1_to_5", int(bad_rating.sum()), "no rating")
    rating = rating.mask(bad_rating)
    updated = pd.concat([ordered_at, approved_at, shipped_at, customer_at, g["rated_at"]], axis=1).max(axis=1)
    qty = g["quantity"].astype(float)
    deliveries = pd.DataFrame({
        "delivery_id": "d-" + g["ombazar_order_id"],
        "order_id": g["ombazar_order_id"],
        "status": status,
        "shipped_at": shipped_at,
        "delivered_at": customer_at,
        "delivered_qty": qty.where(status == "delivered"),
        "received_quality": None,
        "buyer_rating": rating,
        "complaint": g["complaint"].where(rating.notna()),
        "returned_qty": None,
        "updated_at": updated,
    })

    # ---- products and categories
    cat = g["product_id"].map(products["product_category_name"])
    no_category = items["product_id"].map(products["product_category_name"]).isna()
    summary.quirk("items_without_category", int(no_category.sum()),
                  f"products with no category ({int(products['product_category_name'].isna().sum())} in the "
                  "products file): one sub-branch of their own, «بدون دسته در منبع»")
    cat = cat.fillna(UNCATEGORISED)
    unknown_cat = ~cat.isin(CATEGORIES)
    summary.quirk("categories_unknown_to_the_mapping", int(cat[unknown_cat].nunique()),
                  "filed with the uncategorised products")
    cat = cat.mask(unknown_cat, UNCATEGORISED)
    translation = files["categories"].set_index("product_category_name")["product_category_name_english"]
    used = sorted(cat.unique())
    missing_translation = [c for c in used if c != UNCATEGORISED and c not in translation.index]
    summary.quirk("categories_missing_from_translation", len(missing_translation),
                  "named in English by the import: " + ", ".join(missing_translation))
    name_en = pd.Series({c: translation.get(c, MISSING_TRANSLATIONS.get(c, c)) for c in used})
    name_en[UNCATEGORISED] = "uncategorised"
    categories = pd.DataFrame({"category": used, "name_en": name_en.reindex(used).to_numpy(),
                               "sector_code": [CATEGORIES[c][0] for c in used],
                               "name_fa": [CATEGORIES[c][1] for c in used]})
    # numbered in the fixed order of the mapping, so a category keeps its code whatever slice is imported
    number = {c: n for n, c in enumerate(CATEGORIES, start=1)}
    categories["code"] = (categories["sector_code"] + ".OL.F.B.C"
                          + categories["category"].map(number).astype(str).str.zfill(2))
    g["category"] = cat
    g["category_code"] = cat.map(dict(zip(categories["category"], categories["code"], strict=True)))

    # ---- offers: a product at a seller
    g["offer_id"] = g["product_id"] + "-" + g["seller_id"].str[:8]
    clash = g.drop_duplicates(["product_id", "seller_id"])["offer_id"].duplicated().sum()
    if clash:
        raise ValueError(f"{clash} offer ids clash: lengthen the seller part of the offer id")
    g["ordered_at"] = ordered_at
    g = g.sort_values(["offer_id", "ordered_at", "ombazar_order_id"], kind="stable")  # keeps the index
    changed = g["centavos"].ne(g.groupby("offer_id")["centavos"].shift()).fillna(True).astype(bool)
    run = changed.astype(int).groupby(g["offer_id"]).cumsum()
    last_run = run == run.groupby(g["offer_id"]).transform("max")
    summary.quirk("offers_whose_price_changed", int((run.groupby(g["offer_id"]).max() > 1).sum()),
                  "the offer holds its latest price, recorded when first asked; each order keeps its own price")
    g["promised_at"] = promised_at
    g["lead_days"] = (g["promised_at"] - g["ordered_at"]).dt.total_seconds() / 86400.0
    by_offer = g.groupby("offer_id", sort=False)
    latest_price = g[last_run].groupby("offer_id", sort=False)
    offers = pd.DataFrame({
        "seller_id": by_offer["seller_id"].first(),
        "product_id": by_offer["product_id"].first(),
        "category": by_offer["category"].first(),
        "category_code": by_offer["category_code"].first(),
        "created_at": by_offer["ordered_at"].min(),
        "updated_at": latest_price["ordered_at"].min(),
        "centavos": latest_price["centavos"].last(),
        "lead_days": by_offer["lead_days"].median().round().clip(lower=0).astype(int),
        "nesieh_months": g[g["payment"] == "nesieh"].groupby("offer_id")["installments"].max(),
        "nesieh_ratio": g[g["payment"] == "nesieh"].groupby("offer_id")["nesieh_ratio"].last(),
    })
    offers.index.name = "offer_id"
    offers = offers.reset_index()
    unit_rial = offers["centavos"].astype("int64") * RIALS_PER_CENTAVO
    on_nesieh = offers["nesieh_months"].notna()
    ratio = offers["nesieh_ratio"].fillna(1.0).clip(lower=1.0)
    weight = offers["product_id"].map(products["product_weight_g"])
    dims = (offers["product_id"].map(products["product_length_cm"]) + "x"
            + offers["product_id"].map(products["product_height_cm"]) + "x"
            + offers["product_id"].map(products["product_width_cm"]) + "cm")
    summary.quirk("products_without_weight_or_size", int((weight.isna() | dims.isna()).sum()),
                  "offers whose title leaves the missing weight or size out")
    cat_en = offers["category"].map(dict(zip(categories["category"], categories["name_en"], strict=True)))
    title = (cat_en.str.replace("_", " ") + (" " + weight + "g").fillna("") + (" " + dims).fillna("")
             + " #" + offers["product_id"].str[:8])
    offer_frame = pd.DataFrame({
        "offer_id": offers["offer_id"],
        "seller_id": offers["seller_id"],
        "title": title,
        "category_code": offers["category_code"],
        "unit": "piece",
        "unit_price_rial": unit_rial,
        "nesieh_months": offers["nesieh_months"].astype("Int64"),
        "nesieh_unit_price_rial": (unit_rial * ratio).round().astype("Int64").where(on_nesieh),
        "promised_quality": "A",
        "promised_lead_days": offers["lead_days"],
        "stock_qty": None,
        "status": "active",
        "created_at": offers["created_at"],
        "updated_at": offers["updated_at"],
    })

    # ---- orders
    customers = files["customers"].drop_duplicates("customer_id").set_index("customer_id")
    unique_buyer = g["customer_id"].map(customers["customer_unique_id"])
    summary.quirk("orders_of_unknown_customers", int(unique_buyer.isna().sum()),
                  "the buyer is the Olist customer id itself")
    order_frame = pd.DataFrame({
        "order_id": g["ombazar_order_id"],
        "offer_id": g["offer_id"],
        "buyer_member_id": "m-" + unique_buyer.fillna(g["customer_id"]),
        "quantity": g["quantity"].astype(float),
        "unit_price_rial": g["centavos"].astype("int64") * RIALS_PER_CENTAVO,
        "payment": g["payment"],
        "ordered_at": g["ordered_at"],
        "promised_at": g["promised_at"],
        "updated_at": g["ordered_at"],
    }).sort_values("order_id", kind="stable")
    summary.quirk("nesieh_orders", int((order_frame["payment"] == "nesieh").sum()),
                  "paid in more than one instalment: payment nesieh, and the offer carries nesieh months")

    # ---- sellers: the ones that sold in the data
    sold = offers.groupby("seller_id").agg(joined_at=("created_at", "min"))
    top_category = (g.groupby(["seller_id", "category"]).size().rename("n").reset_index()
                    .sort_values(["seller_id", "n", "category"], ascending=[True, False, True])
                    .drop_duplicates("seller_id").set_index("seller_id")["category"])
    s = sellers_file.loc[sold.index]
    summary.quirk("sellers_without_orders", len(sellers_file) - len(s),
                  "sellers of the file that sold nothing in these orders: not imported")
    state = s["seller_state"].str.strip().str.upper()
    unknown_state = ~state.isin(STATE_TO_PROVINCE)
    summary.quirk("sellers_of_unknown_state", int(unknown_state.sum()), "placed in Tehran (São Paulo's province)")
    state = state.mask(unknown_state, "SP")
    raw_city = s["seller_city"].fillna("")
    city = _ascii_lower(raw_city.str.split(r"\s*[/,(]|\s+-\s*|-(?=[a-z]{2}$)", n=1, regex=True).str[0])
    summary.quirk("seller_cities_written_oddly", int((city != raw_city.str.strip()).sum()),
                  "accents, a state after the city ('sao paulo - sp', 'pinhais/pr'): read as the city alone")
    not_a_place = city.str.contains(r"[@\d]", regex=True) | (city.str.len() < 3)
    summary.quirk("seller_cities_not_a_place", int(not_a_place.sum()),
                  "an e-mail address or a bare state code as the city: the seller is placed outside the capital")
    zip_short = s["seller_zip_code_prefix"].fillna("").str.len() < 5
    summary.quirk("zip_prefixes_without_leading_zero", int(zip_short.sum()),
                  "the 2019 file lost leading zeros; zips are not used by the import")
    capital = state.map({k: v[1] for k, v in STATE_TO_PROVINCE.items()})
    seller_info = pd.DataFrame({
        "seller_id": s.index,
        "unit_id": "u-ol-" + s.index.str[:16],
        "display_name": "فروشگاه " + s.index.str[:6] + " (" + city.str.title() + ")",
        "state": state.to_numpy(),
        "city": city.to_numpy(),
        "province_id": state.map({k: v[0] for k, v in STATE_TO_PROVINCE.items()}).to_numpy(),
        "in_capital": ((city == capital) & ~not_a_place).to_numpy(),
        "category": top_category.reindex(s.index).to_numpy(),
        "joined_at": sold["joined_at"].to_numpy(),
    }).reset_index(drop=True)
    if seller_info["unit_id"].duplicated().any():
        raise ValueError("unit ids clash: lengthen the seller part of the unit id")
    seller_frame = pd.DataFrame({
        "seller_id": seller_info["seller_id"], "unit_id": seller_info["unit_id"],
        "display_name": seller_info["display_name"], "joined_at": seller_info["joined_at"],
        "updated_at": seller_info["joined_at"],
    })
    summary.quirk("times_skipped_by_daylight_saving", tz_counter["nonexistent"],
                  "local midnights that did not exist (the clock jumped to 01:00): moved forward by the gap")
    summary.quirk("times_repeated_by_daylight_saving", tz_counter["ambiguous"],
                  "local times that happened twice when daylight saving ended: the later one")
    summary.quirk("unreadable_times", tz_counter["unreadable"], "treated as missing")
    frames = {"sellers": seller_frame, "offers": offer_frame, "orders": order_frame,
              "deliveries": deliveries.loc[order_frame.index].reset_index(drop=True)}
    frames["orders"] = frames["orders"].reset_index(drop=True)
    return Marketplace(frames=frames, sellers=seller_info, categories=categories)
