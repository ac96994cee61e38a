"""Rebuild this slice from the Olist sample (run from the repository root; needs the shared data directory).

    python tests/data/olist_slice/make_slice.py /path/to/shared/data/olist

The slice: the orders of the sample bought from 2018-04-25 to 2018-05-08, plus every order that shares a review
id with another (the duplicate review ids) and every order with several reviews, with all their items,
reviews, payments and customers, and the products, sellers and category translations they name. The sample's
files (written by pandas) are filtered with pandas and written back the same way; the official files (a
quoted header and ids, a byte-order mark) are filtered line by line so their bytes stay as they were.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

FIRST, LAST = "2018-04-25", "2018-05-09"


def main(shared: Path) -> None:
    here = Path(__file__).resolve().parent
    sample, full = shared / "sample_15k_orders", shared / "official_full"

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(sample / name, dtype=str, keep_default_na=False)

    orders, items, reviews = read("olist_orders_dataset.csv"), read("olist_order_items_dataset.csv"), \
        read("olist_order_reviews_dataset.csv")
    in_window = orders["order_purchase_timestamp"].between(FIRST, LAST)
    shared_review = reviews.loc[reviews["review_id"].duplicated(keep=False), "order_id"]
    several = reviews.loc[reviews["order_id"].duplicated(keep=False), "order_id"]
    keep = set(orders.loc[in_window, "order_id"]) | set(shared_review) | set(several)
    # a review id shared with an order outside the slice keeps that order too, so the duplicate stays whole
    keep |= set(reviews.loc[reviews["review_id"].isin(reviews.loc[reviews["order_id"].isin(keep), "review_id"]),
                            "order_id"])
    for name, column in (("olist_orders_dataset.csv", "order_id"), ("olist_order_items_dataset.csv", "order_id"),
                         ("olist_order_reviews_dataset.csv", "order_id"),
                         ("olist_order_payments_dataset.csv", "order_id")):
        frame = read(name)
        frame[frame[column].isin(keep)].to_csv(here / name, index=False)
    customers = read("olist_customers_dataset.csv")
    wanted_customers = set(orders.loc[orders["order_id"].isin(keep), "customer_id"])
    customers[customers["customer_id"].isin(wanted_customers)].to_csv(here / "olist_customers_dataset.csv",
                                                                        index=False)
    kept_items = items[items["order_id"].isin(keep)]
    for name, ids in (("olist_products_dataset.csv", set(kept_items["product_id"])),
                      ("olist_sellers_dataset.csv", set(kept_items["seller_id"])),
                      ("product_category_name_translation.csv", None)):
        lines = (full / name).read_bytes().splitlines(keepends=True)
        out = [lines[0]] + [line for line in lines[1:]
                            if ids is None or line.split(b",")[0].strip(b'"').decode() in ids]
        (here / name).write_bytes(b"".join(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
