"""Replace the organisation's reference data in the store atomically, and record the load.

`rasad ref load` (from CSV) and the simulator both write through here, so a load is always whole: every
`ref` table is emptied and refilled in one transaction, parents first, and `reference_load` records when
and from where, for the freshness check of the daily run.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Engine, delete

from pipelines.reference import tables as ref_tables
from pipelines.store import metadata as store_metadata
from pipelines.store.engine import insert_frame

TAXON_LEVELS = ("sector", "domain", "field", "branch", "sub_branch")
# parents last on delete, first on insert
REFERENCE_TABLES = (
    "province",
    "region",
    "taxon",
    "person",
    "secretariat",
    "affair",
    "fardap_office",
    "fardap_coordinator",
    "monitoring_officer_assignment",
    "rahyari_team",
    "rahyari_role",
    "kanoon",
    "member",
    "membership",
    "unit",
)


def write_reference(frames: dict[str, pd.DataFrame], store: Engine, as_of_day: date, source: str) -> None:
    """Replace the reference data atomically and record the load for freshness checks."""
    with store.begin() as conn:
        for name in reversed(REFERENCE_TABLES):
            conn.execute(delete(store_metadata.metadata.tables[f"ref.{name}"]))
        for name in REFERENCE_TABLES:
            table = store_metadata.metadata.tables[f"ref.{name}"]
            frame = frames[name]
            if name == "taxon":
                # parents before children, for the self-reference
                depth = frame["level"].map({lvl: n for n, lvl in enumerate(TAXON_LEVELS)}).fillna(len(TAXON_LEVELS))
                frame = frame.assign(_depth=depth).sort_values("_depth", kind="stable").drop(columns="_depth")
            insert_frame(conn, table, frame[[c.name for c in table.columns if c.name in frame.columns]])
        load_id = hashlib.sha1(f"{source}|{as_of_day.isoformat()}".encode()).hexdigest()
        conn.execute(delete(ref_tables.reference_load).where(ref_tables.reference_load.c.load_id == load_id))
        conn.execute(
            ref_tables.reference_load.insert().values(
                load_id=load_id, loaded_at=datetime.now(UTC), source=source, as_of_day=as_of_day
            )
        )
