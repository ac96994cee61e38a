"""Find and read the public Olist CSV files, noting the quirks of the files themselves.

The files may sit flat in one directory (as Kaggle ships them) or in sub-directories (as in the project's
shared copy: `official_full/` and `sample_15k_orders/`): each is found by its name anywhere under DIR. Every
value is read as text, so that ids, zip prefixes and prices keep exactly what the file says.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.errors import UserError
from pipelines.olist.summary import ImportSummary

FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": ("olist_orders_dataset.csv", (
        "order_id", "customer_id", "order_status", "order_purchase_timestamp", "order_approved_at",
        "order_delivered_carrier_date", "order_delivered_customer_date", "order_estimated_delivery_date")),
    "items": ("olist_order_items_dataset.csv", (
        "order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price", "freight_value")),
    "reviews": ("olist_order_reviews_dataset.csv", (
        "review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
        "review_creation_date", "review_answer_timestamp")),
    "payments": ("olist_order_payments_dataset.csv", (
        "order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value")),
    "customers": ("olist_customers_dataset.csv", (
        "customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state")),
    "products": ("olist_products_dataset.csv", ("product_id", "product_category_name", "product_weight_g",
                                                "product_length_cm", "product_height_cm", "product_width_cm")),
    "sellers": ("olist_sellers_dataset.csv", ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state")),
    "categories": ("product_category_name_translation.csv",
                   ("product_category_name", "product_category_name_english")),
}


class OlistFilesError(UserError, ValueError):
    """The directory does not hold the Olist files the import needs."""


@dataclass(frozen=True)
class OlistFiles:
    frames: dict[str, pd.DataFrame]
    paths: dict[str, Path]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def find_files(directory: Path) -> dict[str, Path]:
    """The path of each Olist file under `directory`; one clear error naming every file missing or found twice."""
    directory = Path(directory)
    if not directory.is_dir():
        raise OlistFilesError(f"{directory} is not a directory")
    found: dict[str, Path] = {}
    problems = []
    for name, (filename, _) in FILES.items():
        hits = sorted(directory.rglob(filename))
        if not hits:
            problems.append(f"{filename} is missing")
        elif len(hits) > 1:
            problems.append(f"{filename} is found {len(hits)} times ({', '.join(str(h) for h in hits)})")
        else:
            found[name] = hits[0]
    if problems:
        raise OlistFilesError(f"{directory}: " + "; ".join(problems))
    return found


def read_files(directory: Path, summary: ImportSummary) -> OlistFiles:
    """Read every file as text; count byte-order marks and quoted headers; refuse a file missing a column."""
    paths = find_files(directory)
    frames: dict[str, pd.DataFrame] = {}
    boms = quoted = 0
    for name, path in paths.items():
        with path.open("rb") as raw:
            head = raw.read(4096)
        boms += head.startswith(codecs.BOM_UTF8)
        quoted += head.lstrip(codecs.BOM_UTF8).startswith(b'"')
        try:
            # utf-8-sig drops a byte-order mark, which would otherwise stick to the first column's name
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise OlistFilesError(f"{path}: not a readable UTF-8 CSV ({exc})") from exc
        frame.columns = [c.strip() for c in frame.columns]
        missing = [c for c in FILES[name][1] if c not in frame.columns]
        if missing:
            raise OlistFilesError(f"{path}: missing column(s) {', '.join(missing)}")
        frames[name] = frame
        summary.read[name] = len(frame)
    summary.quirk("byte_order_marks", boms,
                  "files starting with a UTF-8 byte-order mark, read as utf-8-sig so the first column keeps its name")
    summary.quirk("quoted_headers", quoted, "files whose header and ids are double-quoted; the quotes are dropped")
    return OlistFiles(frames=frames, paths=paths)
