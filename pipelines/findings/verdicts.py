"""Officers' verdicts on findings: one at a time, or a whole exported sheet (CSV or XLSX) at once.

A verdict is `acknowledged`, `false_positive` or `actioned`, with a note, who gave it and when. Verdicts
are appended, never rewritten, so a finding's full history is kept; its current verdict is the latest
(the view `monitoring.finding_label`). A current `false_positive` keeps the finding, and the later
episodes of the same rule on the same entity, out of the reports; the price model reads the same view
as labels.

An officer names a finding by its id, or by the short code the report shows (`1234-5678`, Latin or
Persian digits).
"""

from __future__ import annotations

import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, select

from pipelines.errors import UserError
from pipelines.findings import tables as findings_tables
from pipelines.findings.short_code import finding_short_code
from pipelines.i18n.messages import MESSAGES
from pipelines.i18n.persian import DIGITS_TO_LATIN
from pipelines.store.engine import insert_frame
from pipelines.store.sql_files import read_frame
from pipelines.vocabulary import PAST, VERDICTS

_SHORT_CODE = re.compile(r"^\d{4}-?\d{4}$")
# column names an exported sheet may use (English, or the Persian headers of an export)
_COLUMN_ALIASES = {
    "finding_id": "finding", "finding": "finding", "id": "finding", "code": "finding", "کد": "finding",
    "کد یافته": "finding", "شناسه": "finding",
    "verdict": "verdict", "نظر": "verdict", "نظر کارشناس": "verdict",
    "note": "note", "یادداشت": "note", "توضیح": "note",
    "by": "by", "given_by": "by", "ثبت‌کننده": "by",
}


class VerdictError(UserError, ValueError):
    """A verdict cannot be recorded; the message says which finding or which lines, and why."""


@dataclass(frozen=True)
class VerdictResult:
    """What recording verdicts did."""

    recorded: int
    unchanged: int  # the same verdict and note were already current: not recorded twice


def normalise_verdict(value: str) -> str | None:
    """A verdict key from English or its Persian label ('هشدار نادرست'), or None if not one."""
    text = str(value).strip()
    key = text.lower().replace(" ", "_").replace("-", "_")
    if key in VERDICTS:
        return key
    for verdict in VERDICTS:
        if MESSAGES.get(f"verdict.{verdict}") == text:
            return verdict
    return None


def resolve_findings(conn: Connection, refs: pd.Series) -> pd.Series:
    """Finding ids for references (full ids or report short codes); None where none or several match."""
    refs = refs.astype(str).str.strip().str.translate(DIGITS_TO_LATIN)
    ids = pd.Series(conn.execute(select(findings_tables.finding.c.finding_id)).scalars().all(), dtype=object)
    out = refs.where(refs.isin(set(ids)), None)
    codes = refs[out.isna() & refs.str.match(_SHORT_CODE)]
    if not codes.empty and not ids.empty:
        by_code = pd.DataFrame({"finding_id": ids, "code": ids.map(finding_short_code)})
        unique = by_code.drop_duplicates("code", keep=False).set_index("code")["finding_id"]
        normalised = codes.str.replace("-", "").map(lambda c: f"{c[:4]}-{c[4:]}")
        out.loc[codes.index] = normalised.map(unique)
    return out.astype(object).where(out.notna(), None)


def current_verdicts(conn: Connection) -> pd.DataFrame:
    """The current (latest) verdict of every finding that has one, with what the finding is about."""
    return read_frame(conn, "findings/select_finding_labels")


def record_verdicts(conn: Connection, rows: pd.DataFrame, given_at: datetime | None = None) -> VerdictResult:
    """Append verdicts (columns finding_id, verdict, note, given_by); skip those already current."""
    given_at = given_at or datetime.now(UTC)
    current = current_verdicts(conn)[["finding_id", "verdict", "note"]]
    rows = rows.assign(note=rows["note"].fillna("").astype(str))
    merged = rows.merge(current.assign(note=current["note"].fillna("")), on=["finding_id", "verdict", "note"],
                        how="left", indicator=True)
    fresh = rows[(merged["_merge"] == "left_only").to_numpy()]
    if not fresh.empty:
        insert_frame(conn, findings_tables.finding_verdict, fresh.assign(
            verdict_id=[uuid.uuid4().hex for _ in range(len(fresh))],
            note=fresh["note"].where(fresh["note"] != "", None),
            given_at=pd.Series([given_at] * len(fresh), index=fresh.index),
        ))
    return VerdictResult(recorded=len(fresh), unchanged=len(rows) - len(fresh))


def give_verdict(conn: Connection, ref: str, verdict: str, note: str | None, given_by: str,
                 given_at: datetime | None = None) -> tuple[str, VerdictResult]:
    """Record one officer's verdict on the finding `ref` (id or short code); return its id and the result."""
    key = normalise_verdict(verdict)
    if key is None:
        raise VerdictError(f"{verdict!r} is not a verdict: use one of {', '.join(VERDICTS)}")
    if not given_by.strip():
        raise VerdictError("say who gives the verdict: --by NAME")
    finding_id = resolve_findings(conn, pd.Series([ref])).iloc[0]
    if finding_id is None:
        raise VerdictError(f"no single finding has the id or code {ref!r}")
    rows = pd.DataFrame({"finding_id": [finding_id], "verdict": [key], "note": [note], "given_by": [given_by]})
    return finding_id, record_verdicts(conn, rows, given_at)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def read_verdict_sheet(path: Path) -> pd.DataFrame:
    """The rows of an officer's sheet (CSV or XLSX), as text, with `line` = the line/row number in the file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise VerdictError(f"{path}: no such file")
    if not path.is_file():
        raise VerdictError(f"{path}: not a file (a directory?): give the sheet itself")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise VerdictError(f"{path}: give a .csv or .xlsx file")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except UnicodeDecodeError:
        raise VerdictError(f"{path}: not UTF-8 text: save the sheet as CSV UTF-8 (or as .xlsx)") from None
    except pd.errors.EmptyDataError:
        raise VerdictError(f"{path}: empty: the sheet needs at least its header line") from None
    except pd.errors.ParserError as exc:
        raise VerdictError(f"{path}: not a well-formed CSV ({_one_line(exc)})") from None
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:  # openpyxl on a file that is no workbook
        raise VerdictError(f"{path}: cannot be read as a sheet ({type(exc).__name__}: {_one_line(exc)})") from None
    frame.columns = [_COLUMN_ALIASES.get(str(c).strip().lower(), _COLUMN_ALIASES.get(str(c).strip(), str(c)))
                     for c in frame.columns]
    missing = {"finding", "verdict"} - set(frame.columns)
    if missing:
        raise VerdictError(f"{path}: the header lacks the column(s) {', '.join(sorted(missing))} "
                           "(expected finding_id or code, verdict, and optionally note, by)")
    frame = frame.loc[:, ~frame.columns.duplicated()].astype(str)
    frame.insert(0, "line", range(2, len(frame) + 2))  # line 1 is the header
    return frame


def verdicts_from_sheet(conn: Connection, path: Path, given_by: str, given_at: datetime | None = None
                        ) -> VerdictResult:
    """Record every verdict of a sheet, all or nothing; rows with an empty verdict are skipped.

    A bad row (unknown finding, unknown verdict, a finding twice) fails the whole sheet, with every bad
    line named, so the officer fixes the file and gives it again.
    """
    sheet = read_verdict_sheet(path)
    sheet = sheet[sheet["verdict"].str.strip() != ""]
    if sheet.empty:
        return VerdictResult(0, 0)
    verdict = sheet["verdict"].map(normalise_verdict)
    finding_id = resolve_findings(conn, sheet["finding"])
    by = sheet["by"].str.strip() if "by" in sheet.columns else pd.Series("", index=sheet.index)
    by = by.where(by != "", given_by.strip())
    problems = pd.Series("", index=sheet.index, dtype=object)
    problems[finding_id.isna()] = "no single finding has this id or code: " + sheet["finding"]
    problems[verdict.isna() & (problems == "")] = (
        "unknown verdict " + sheet["verdict"] + f" (use one of {', '.join(VERDICTS)})")
    problems[(by == "") & (problems == "")] = "no one named as giving the verdict (column by, or --by)"
    twice = finding_id.notna() & finding_id.duplicated(keep=False)
    problems[twice & (problems == "")] = "the same finding appears on more than one line"
    bad = problems != ""
    if bad.any():
        lines = [f"line {n}: {why}" for n, why in zip(sheet["line"][bad], problems[bad], strict=True)]
        raise VerdictError(f"{path}: {int(bad.sum())} bad row(s), nothing recorded\n" + "\n".join(lines))
    note = sheet["note"] if "note" in sheet.columns else pd.Series("", index=sheet.index)
    rows = pd.DataFrame({"finding_id": finding_id, "verdict": verdict, "note": note.str.strip(), "given_by": by})
    return record_verdicts(conn, rows, given_at)


def finding_history(conn: Connection, ref: str) -> tuple[dict, pd.DataFrame]:
    """A finding (as stored) and its verdict history, oldest first."""
    finding_id = resolve_findings(conn, pd.Series([ref])).iloc[0]
    if finding_id is None:
        raise VerdictError(f"no single finding has the id or code {ref!r}")
    f = findings_tables.finding
    row = conn.execute(select(f).where(f.c.finding_id == finding_id)).mappings().one()
    v = findings_tables.finding_verdict
    history = pd.read_sql(
        select(v.c.verdict, v.c.note, v.c.given_by, v.c.given_at).where(v.c.finding_id == finding_id)
        .order_by(v.c.given_at, v.c.verdict_id), conn)
    return dict(row), history


def finding_status(episode_start_day: date, last_observed_day: date, resolved_day: date | None, kind: str,
                   day: date) -> str:
    """The lifecycle status of an episode as of `day`: new, ongoing or resolved (events: new, then past)."""
    if resolved_day is not None and resolved_day <= day:
        return "resolved"
    if episode_start_day == day:
        return "new"
    if kind == "state" and last_observed_day >= day:
        return "ongoing"
    return PAST if kind == "event" else "resolved"
