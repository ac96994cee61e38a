"""Load the organisation's reference data from CSV files, and export it back (docs/reference-data.md).

`load_reference_dir` reads one `<table>.csv` per `ref` table, validates all of them (types, required values,
kinds, periods, keys, references between files, the kind-specific constraints), and only then replaces the
reference data in one transaction. A bad directory changes nothing; the error names the file, the line and
the problem. Checks are whole-column; the CSV is read with pandas.

Persian text is compared normalised (Arabic ي/ك, ZWNJ, spaces, Persian and Arabic digits): identifiers and
numbers typed with Persian digits are read as Latin digits, a province may be named instead of given by id,
and two names that differ only in such ways are taken as the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Engine, Integer, Table, select
from sqlalchemy.exc import IntegrityError

from pipelines.errors import UserError
from pipelines.i18n.persian import DIGITS_TO_LATIN, normalize_persian
from pipelines.progress import Progress
from pipelines.reference.tables import (
    AFFAIR_KINDS,
    ENTREPRENEURSHIP_TYPES,
    KANOON_KINDS,
    MEMBER_KINDS,
    RAHYARI_ROLES,
    SYSTEMS,
)
from pipelines.reference.writer import REFERENCE_TABLES, write_reference
from pipelines.spreadsheet import neutral_frame, unquote_series
from pipelines.store import metadata as store_metadata
from pipelines.store.types import DayType

TRUE_WORDS = {"true", "1", "yes", "t", "y"}
FALSE_WORDS = {"false", "0", "no", "f", "n"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# C0 controls other than tab (a stray tab is stripped or refused by type), DEL, and the C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("region", "kind"): ("county", "capital_zone"),
    ("taxon", "level"): ("sector", "domain", "field", "branch", "sub_branch"),
    ("unit", "kind"): ("work_and_life_core", "work_and_business_core", "supplier"),
    ("rahyari_team", "kind"): ("social", "exclusive", "specialized"),
    ("affair", "kind"): AFFAIR_KINDS,
    ("rahyari_role", "role"): RAHYARI_ROLES,
    ("kanoon", "kind"): KANOON_KINDS,
    ("kanoon", "entrepreneurship_type"): ENTREPRENEURSHIP_TYPES,
    ("member", "kind"): MEMBER_KINDS,
    ("membership", "system"): SYSTEMS,
}
# identifiers typed by people: digits normalised, spaces around them dropped
_DIGIT_COLUMNS = {"national_id", "mobile", "amar_code"}


class ReferenceLoadError(UserError, ValueError):
    """The reference files were refused; nothing was changed. The message lists each problem."""

    def __init__(self, problems: list[str], more: int = 0):
        self.problems = problems
        if len(problems) == 1 and not more:  # one problem, one line
            super().__init__(f"reference data refused, nothing changed: {problems[0]}")
            return
        head = f"reference data refused, nothing changed: {len(problems) + more} problem(s)"
        lines = [head, *(f"  {p}" for p in problems)]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


def name_key(values: pd.Series) -> pd.Series:
    """A comparison key for Persian names: normalised, with every space and ZWNJ removed.

    «سیستان وبلوچستان» and «سيستان و بلوچستان» get the same key.
    """
    return values.fillna("").astype(str).map(normalize_persian).str.replace(" ", "", regex=False)


@dataclass
class _Problems:
    limit: int
    items: list[str]
    more: int = 0

    def add(self, file: str, lines: pd.Index | list, message: str) -> None:
        """One problem per offending line (a few lines per kind of problem, then a count)."""
        lines = list(lines)
        for line in lines[:5]:
            self._push(f"{file} line {line}: {message}")
        if len(lines) > 5:
            self._push(f"{file}: the same problem on {len(lines) - 5} more line(s)")

    def whole(self, file: str, message: str) -> None:
        self._push(f"{file}: {message}")

    def _push(self, text: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(text)
        else:
            self.more += 1


def _table(name: str) -> Table:
    return store_metadata.metadata.tables[f"ref.{name}"]


def _lines(frame: pd.DataFrame, mask) -> pd.Index:
    return frame.loc[np.asarray(mask, dtype=bool), "_line"].astype(int).tolist()


def _read(path: Path, problems: _Problems) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.whole(path.name, "is not UTF-8 text: save it as CSV UTF-8")
        return None
    except pd.errors.ParserError as exc:
        problems.whole(path.name, f"is not a well-formed CSV: {exc}".strip())
        return None
    except pd.errors.EmptyDataError:
        problems.whole(path.name, "is empty: it needs at least the header line")
        return None
    except OSError as exc:  # a directory named like the file, a file the user may not read
        problems.whole(path.name, f"cannot be read ({exc.strerror or type(exc).__name__}): it must be a CSV file")
        return None
    frame.columns = [c.strip() for c in frame.columns]
    frame["_line"] = np.arange(2, len(frame) + 2)
    return frame


def _convert(name: str, frame: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Typed columns for one table; problems for values that are not of the column's type or kind."""
    file = f"{name}.csv"
    table = _table(name)
    out = pd.DataFrame(index=frame.index)
    out["_line"] = frame["_line"]
    for column in table.columns:
        raw = frame[column.name] if column.name in frame else pd.Series("", index=frame.index)
        if raw.str.contains("\n", regex=False).any():
            problems.add(file, _lines(frame, raw.str.contains("\n", regex=False)),
                         f"{column.name} holds a line break; values must be on one line")
        control = raw.str.contains(_CONTROL) & ~raw.str.contains("\n", regex=False)
        if control.any():  # a NUL or a CR in a name would break the day's mail and spreadsheets
            problems.add(file, _lines(frame, control),
                         f"{column.name} holds a control character (NUL, CR, ESC...); remove it")
        text = unquote_series(raw.str.strip())  # an exported cell's "'=..." is read back as "=..."
        empty = text == ""
        if not column.nullable and empty.any():
            problems.add(file, _lines(frame, empty), f"{column.name} is required but empty")
        if isinstance(column.type, DayType):
            text = text.str.translate(DIGITS_TO_LATIN)
            shaped = text.str.match(_DAY)
            parsed = pd.to_datetime(text.where(shaped & ~empty), format="%Y-%m-%d", errors="coerce")
            bad = ~empty & parsed.isna()
            if bad.any():
                problems.add(file, _lines(frame, bad), f"{column.name} is not a day: use YYYY-MM-DD")
            values = parsed.dt.date.astype(object).where(parsed.notna(), None)
        elif isinstance(column.type, Boolean):
            lowered = text.str.lower()
            bad = ~empty & ~lowered.isin(TRUE_WORDS | FALSE_WORDS)
            if bad.any():
                problems.add(file, _lines(frame, bad), f"{column.name} must be true or false")
            values = lowered.map({**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)})
            values = values.astype(object).where(values.notna(), None)
        elif isinstance(column.type, Integer):
            text = text.str.translate(DIGITS_TO_LATIN)
            bad = ~empty & ~text.str.fullmatch(r"-?\d+")
            if bad.any():
                problems.add(file, _lines(frame, bad), f"{column.name} must be a whole number")
            values = pd.to_numeric(text.where(~empty & ~bad), errors="coerce").astype("Int64")
        else:
            if column.name in _DIGIT_COLUMNS or column.name.endswith("_id") or column.name.endswith("code"):
                text = text.str.translate(DIGITS_TO_LATIN)
            if column.name in _DIGIT_COLUMNS:
                text = text.str.replace(r"[\s\-]", "", regex=True)
            values = text.astype(object).where(~empty, None)
            allowed = ENUMS.get((name, column.name))
            if allowed:
                bad = ~empty & ~text.isin(allowed)
                if bad.any():
                    problems.add(file, _lines(frame, bad),
                                 f"{column.name} must be one of {', '.join(allowed)}")
        out[column.name] = values
    return out


def _row_rules(name: str, f: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    """The kind-specific constraints of each table (the CHECK constraints), as masks of bad rows."""
    rules: list[tuple[pd.Series, str]] = []
    if "valid_to" in f and "valid_from" in f:
        ends = f["valid_to"].notna() & f["valid_from"].notna()
        bad = pd.Series(False, index=f.index)
        bad[ends] = f.loc[ends, "valid_to"] <= f.loc[ends, "valid_from"]
        rules.append((bad, "valid_to must be after valid_from (valid_to is the first day it no longer holds)"))
    if name == "rahyari_team":
        rules += [
            ((f["kind"] == "social") & f["region_id"].isna(), "a social rahyari needs its region_id"),
            ((f["kind"] == "specialized") & f["sector_code"].isna(),
             "a specialized rahyari needs the sector or domain it holds (sector_code)"),
            ((f["kind"] == "exclusive") & f["social_group"].isna(), "an exclusive rahyari needs its social_group"),
        ]
    if name == "kanoon":
        ent = f["kind"] == "entrepreneurship"
        rules += [
            (ent & f["entrepreneurship_type"].isna(), "an entrepreneurship kanoon needs its entrepreneurship_type"),
            (~ent & f["entrepreneurship_type"].notna(), "only an entrepreneurship kanoon has an entrepreneurship_type"),
            (ent & f["taxon_code"].isna(), "an entrepreneurship kanoon needs its taxon_code (its field)"),
            ((f["kind"] == "exclusive") & f["social_group"].isna(), "an exclusive kanoon needs its social_group"),
        ]
    if name == "membership":
        rules.append((f["kanoon_id"].isna() == f["system"].isna(), "give either kanoon_id or system, not both"))
    if name == "member":
        digits = f["national_id"].fillna("")
        rules.append((f["national_id"].notna() & ~digits.str.fullmatch(r"\d{10,11}"),
                      "national_id must be 10 digits (11 for a company)"))
    if name in ("member", "person") and "mobile" in f:
        rules.append((f["mobile"].notna() & ~f["mobile"].fillna("").str.fullmatch(r"09\d{9}"),
                      "mobile must be 11 digits starting 09"))
    if name == "person":
        rules.append((f["national_id"].notna() & ~f["national_id"].fillna("").str.fullmatch(r"\d{10}"),
                      "national_id must be 10 digits"))
    return rules


def _resolve_province_names(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    """Where a province_id is not an id but a province's name (in any spelling), put the id in."""
    provinces = frames.get("province")
    if provinces is None:
        return
    by_key = dict(zip(name_key(provinces["name_fa"]), provinces["province_id"], strict=True))
    ids = set(provinces["province_id"].dropna())
    for name, frame in frames.items():
        if name == "province" or "province_id" not in frame:
            continue
        values = frame["province_id"]
        unknown = values.notna() & ~values.isin(ids)
        if unknown.any():
            resolved = name_key(values[unknown]).map(by_key)
            frame.loc[unknown, "province_id"] = resolved.where(resolved.notna(), values[unknown])


def _duplicate_names(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    """Two provinces, or two regions of one province, whose names differ only in spelling."""
    for name, scope in (("province", []), ("region", ["province_id"])):
        frame = frames.get(name)
        if frame is None or frame.empty:
            continue
        keyed = frame.assign(name_key_=name_key(frame["name_fa"]), line_=frame["_line"])
        dup = keyed.duplicated([*scope, "name_key_"], keep="first")
        for row in keyed[dup].head(5).itertuples():
            first = keyed[(keyed["name_key_"] == row.name_key_) & ~dup]
            if scope:
                first = first[first["province_id"] == row.province_id]
            problems.add(f"{name}.csv", [row.line_],
                         f"name «{row.name_fa}» is the same name as «{first['name_fa'].iloc[0]}» on line "
                         f"{int(first['_line'].iloc[0])} (compared after Persian normalisation)")


def _keys_and_references(frames: dict[str, pd.DataFrame], problems: _Problems) -> None:
    for name in REFERENCE_TABLES:
        frame, table = frames.get(name), _table(name)
        if frame is None:
            continue
        file = f"{name}.csv"
        pk = [c.name for c in table.primary_key.columns]
        dup = frame.duplicated(pk, keep="first") & frame[pk].notna().all(axis=1)
        if dup.any():
            problems.add(file, _lines(frame, dup), f"{', '.join(pk)} repeats an earlier line")
        for constraint in table.constraints:
            cols = [c.name for c in getattr(constraint, "columns", [])]
            if type(constraint).__name__ == "UniqueConstraint" and cols:
                dup = frame.duplicated(cols, keep="first") & frame[cols].notna().all(axis=1)
                if dup.any():
                    problems.add(file, _lines(frame, dup), f"{', '.join(cols)} must be unique; it repeats")
        for fk in table.foreign_keys:
            target_table = fk.column.table.name
            target = frames.get(target_table)
            if target is None:
                continue
            values = frame[fk.parent.name]
            bad = values.notna() & ~values.isin(set(target[fk.column.name].dropna()))
            if bad.any():
                problems.add(file, _lines(frame, bad),
                             f"{fk.parent.name} names no row of {target_table}.csv ({fk.column.name})")


def read_reference_dir(directory: Path, *, max_errors: int = 50,
                       progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Read and validate every `<table>.csv` of `directory`; raise `ReferenceLoadError` listing the problems."""
    directory = Path(directory)
    problems = _Problems(limit=max_errors, items=[])
    if not directory.is_dir():
        raise ReferenceLoadError([f"{directory}: not a directory"])
    frames: dict[str, pd.DataFrame] = {}
    for name in REFERENCE_TABLES:
        if progress is not None:
            progress.advance(1, name)
        path = directory / f"{name}.csv"
        if not path.exists():
            problems.whole(path.name, "is missing (a file with only the header line is fine)")
            continue
        raw = _read(path, problems)
        if raw is None:
            continue
        table = _table(name)
        known = {c.name for c in table.columns}
        unknown = [c for c in raw.columns if c not in known and c != "_line"]
        if unknown:
            problems.add(path.name, [1], f"unknown column(s) {', '.join(unknown)}; see docs/reference-data.md")
        missing = [c.name for c in table.columns if not c.nullable and c.name not in raw.columns]
        if missing:
            problems.add(path.name, [1], f"missing required column(s) {', '.join(missing)}")
            continue
        frames[name] = _convert(name, raw, problems)
    _resolve_province_names(frames, problems)
    for name, frame in frames.items():
        for mask, message in _row_rules(name, frame):
            if mask.any():
                problems.add(f"{name}.csv", _lines(frame, mask), message)
    _duplicate_names(frames, problems)
    _keys_and_references(frames, problems)
    if problems.items:
        raise ReferenceLoadError(problems.items, problems.more)
    return {name: frame.drop(columns="_line") for name, frame in frames.items()}


def load_reference_dir(store: Engine, directory: Path, as_of_day: date, *, max_errors: int = 50) -> dict[str, int]:
    """Validate `directory`, then replace the reference data with it in one transaction; rows per table."""
    with Progress("ref load", total=len(REFERENCE_TABLES) + 1, unit="tables") as progress:
        frames = read_reference_dir(directory, max_errors=max_errors, progress=progress)
        try:
            write_reference(frames, store, as_of_day, source=f"csv:{Path(directory).resolve()}")
        except IntegrityError as exc:  # a constraint the validation does not know: still nothing changed
            raise ReferenceLoadError([f"the store refused the data: {exc.orig}"]) from exc
        progress.advance(1, f"{sum(len(f) for f in frames.values()):,} rows written")
    return {name: len(frame) for name, frame in frames.items()}


def write_reference_csv(frames: dict[str, pd.DataFrame], directory: Path) -> dict[str, int]:
    """Write reference frames (one per `ref` table) as the documented CSV files; rows per table."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in REFERENCE_TABLES:
        table = _table(name)
        frame = frames[name][[c.name for c in table.columns]].copy()
        for column in table.columns:
            if isinstance(column.type, Boolean):
                frame[column.name] = frame[column.name].map({True: "true", False: "false"})
            elif isinstance(column.type, Integer):
                frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce").astype("Int64")
        # no cell opens as a formula in a spreadsheet (`ref load` drops the apostrophe again)
        neutral_frame(frame).to_csv(directory / f"{name}.csv", index=False, encoding="utf-8")
        counts[name] = len(frame)
    return counts


def export_reference_dir(store: Engine, directory: Path) -> dict[str, int]:
    """Write every `ref` table of the store as `<table>.csv` in the documented format; rows per table."""
    frames = {}
    with store.connect() as conn:
        for name in REFERENCE_TABLES:
            table = _table(name)
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            frames[name] = pd.DataFrame(rows, columns=[c.name for c in table.columns])
    return write_reference_csv(frames, directory)
