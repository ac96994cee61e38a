"""`rasad finding ...`: officers' verdicts from the command line, before any dashboard exists.

    rasad finding verdict 1234-5678 --as false_positive --note "..." --by "NAME"
    rasad finding verdicts sheet.xlsx --by "NAME"      # the officer's export with a verdict column
    rasad finding export --date 2026-11-19 --province P07 --out findings.xlsx
    rasad finding show 1234-5678
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.cli import day_arg
from pipelines.settings import get_settings


def _store():
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    engine = store_engine(get_settings())
    upgrade_store(engine)
    return engine


def _fail(exc: Exception) -> int:
    print(f"rasad: {exc}", file=sys.stderr)
    return 2


def cmd_verdict(args) -> int:
    """Record one verdict."""
    from pipelines.findings.verdicts import VerdictError, give_verdict

    try:
        with _store().begin() as conn:
            finding_id, result = give_verdict(conn, args.finding, args.verdict, args.note, args.by)
    except VerdictError as exc:
        return _fail(exc)
    said = "recorded" if result.recorded else "already the current verdict, not recorded twice"
    print(f"finding {finding_id}: {args.verdict} {said}")
    return 0


def cmd_verdicts(args) -> int:
    """Record the verdicts of a sheet, all or nothing."""
    from pipelines.findings.verdicts import VerdictError, verdicts_from_sheet

    try:
        with _store().begin() as conn:
            result = verdicts_from_sheet(conn, Path(args.file), args.by or "")
    except VerdictError as exc:
        return _fail(exc)
    print(f"{args.file}: {result.recorded} verdict(s) recorded, {result.unchanged} already current")
    return 0


def cmd_export(args) -> int:
    """Write a day's findings (ranked, all of them) with empty verdict and note columns."""
    from pipelines.findings.short_code import finding_short_code
    from pipelines.reports.daily import findings_of_day
    from pipelines.spreadsheet import neutral_frame

    with _store().connect() as conn:
        frame = findings_of_day(conn, args.date)
    if args.province and not frame.empty:
        frame = frame[frame["province_id"] == args.province]
    columns = ["code", "finding_id", "rule", "check_name", "severity", "status", "province_id", "seller_id",
               "entity_type", "entity_id", "impact_rial", "evidence", "verdict", "note"]
    out = frame.reindex(columns=columns)
    out["code"] = frame["finding_id"].map(finding_short_code) if not frame.empty else []
    out["verdict"], out["note"] = "", ""
    out = neutral_frame(out)  # seller text is data: no live formula in the officer's spreadsheet
    path = Path(args.out)
    if path.suffix.lower() == ".xlsx":
        out.to_excel(path, index=False, engine="openpyxl")
    elif path.suffix.lower() == ".csv":
        out.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        return _fail(ValueError(f"{path}: give a .csv or .xlsx file name"))
    print(f"{len(out)} findings of Tehran day {args.date} written to {path}")
    return 0


def cmd_show(args) -> int:
    """Print a finding and its verdict history."""
    from pipelines.findings.verdicts import VerdictError, finding_history

    try:
        with _store().connect() as conn:
            row, history = finding_history(conn, args.finding)
    except VerdictError as exc:
        return _fail(exc)
    for key in ("finding_id", "rule", "kind", "entity_type", "entity_id", "seller_id", "episode_start_day",
                "last_observed_day", "resolved_day", "severity", "impact_rial", "evidence"):
        print(f"{key}: {row[key]}")
    print("verdicts:" if not history.empty else "verdicts: none")
    for v in history.itertuples(index=False):
        print(f"  {v.given_at} {v.verdict} by {v.given_by}: {v.note or ''}")
    return 0



def register(subparsers) -> None:
    """Add `rasad finding ...` to the CLI."""
    finding = subparsers.add_parser("finding", help="officers' verdicts on findings")
    sub = finding.add_subparsers(dest="finding_command", required=True)
    one = sub.add_parser("verdict", help="record a verdict on one finding (id or report code)")
    one.add_argument("finding", help="the finding id, or the code the report shows (1234-5678)")
    one.add_argument("--as", dest="verdict", required=True, help="acknowledged | false_positive | actioned")
    one.add_argument("--note", default=None)
    one.add_argument("--by", required=True, help="who gives the verdict")
    one.set_defaults(func=cmd_verdict)
    bulk = sub.add_parser("verdicts", help="record the verdicts of an exported sheet (CSV or XLSX)")
    bulk.add_argument("file")
    bulk.add_argument("--by", default=None, help="who gives them, where the sheet has no 'by' column")
    bulk.set_defaults(func=cmd_verdicts)
    export = sub.add_parser("export", help="write a day's findings to CSV or XLSX, with a verdict column")
    export.add_argument("--date", type=day_arg, required=True)
    export.add_argument("--province", default=None)
    export.add_argument("--out", required=True)
    export.set_defaults(func=cmd_export)
    show = sub.add_parser("show", help="a finding and its verdict history")
    show.add_argument("finding")
    show.set_defaults(func=cmd_show)
