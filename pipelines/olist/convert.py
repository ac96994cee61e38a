"""`rasad import olist`: write the Olist sample as an Ombazar source, its reference data, and the summary.

Out directory (default `var/olist`):

- `ombazar.db`: the source, a SQLite file of the contract's four tables (attach it as `RASAD_SOURCE_URL`);
- `reference/`: one CSV per `ref` table, which `rasad ref load` accepts;
- `import_summary.json`: rows read and written, each quirk with its count and handling, the days covered.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from pipelines.monitored_day import tehran_day_of
from pipelines.olist.files import read_files
from pipelines.olist.marketplace import build_marketplace
from pipelines.olist.money import RIALS_PER_CENTAVO
from pipelines.olist.organisation import build_reference
from pipelines.olist.summary import ImportSummary
from pipelines.progress import Progress
from pipelines.reference.csv_load import write_reference_csv
from pipelines.simulator.writer import SOURCE_TABLES, write_source_sqlite

SOURCE_FILE = "ombazar.db"
REFERENCE_DIR = "reference"
SUMMARY_FILE = "import_summary.json"


def import_olist(directory: Path, out: Path) -> ImportSummary:
    """Convert the Olist files under `directory` into `out`; return the summary (also written as JSON)."""
    out = Path(out)
    summary = ImportSummary(source_dir=str(Path(directory).resolve()))
    with Progress("import olist", total=4, unit="steps") as progress:
        files = read_files(Path(directory), summary)
        progress.advance(1, "files read")
        market = build_marketplace(files, summary)
        progress.advance(1, "marketplace built")
        frames = market.frames
        instants = pd.concat([frames["orders"]["ordered_at"], frames["deliveries"]["updated_at"]]).dropna()
        first_day, last_day = tehran_day_of(instants.min()), tehran_day_of(instants.max())
        reference = build_reference(market, valid_from=first_day - timedelta(days=1))
        progress.advance(1, "reference built")
        write_source_sqlite(frames, out / SOURCE_FILE)
        written_ref = write_reference_csv(reference, out / REFERENCE_DIR)
        progress.advance(1, "written")
    summary.written = {name: len(frames[name]) for name in SOURCE_TABLES}
    summary.written.update({f"reference/{k}": v for k, v in written_ref.items() if v})
    summary.money = {"unit": f"1 centavo = {RIALS_PER_CENTAVO} rials (1 real = {RIALS_PER_CENTAVO * 100:,} rials)"}
    summary.days = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
                    "reference_as_of": last_day.isoformat()}
    summary.write_json(out / SUMMARY_FILE)
    return summary


def next_commands(out: Path, summary: ImportSummary) -> list[str]:
    """The commands that monitor the imported source (docs/olist.md), for the import to print."""
    out = Path(out)
    return [
        f"export RASAD_VAR_DIR={out} RASAD_STORE_URL=sqlite:///{out}/rasad.db "
        f"RASAD_SOURCE_URL=sqlite:///{out}/{SOURCE_FILE} RASAD_LATE_GRACE_HOURS=0",
        f"rasad ref load {out}/{REFERENCE_DIR} --as-of {summary.days['reference_as_of']}",
        f"rasad run --from {summary.days['first_day']} --to {summary.days['last_day']}",
    ]
