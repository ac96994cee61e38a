"""Parse, normalise and validate a batch of source rows; split it into valid and quarantined rows.

The step between "raw rows read from the source" and "rows staged":

1. the batch must carry every column of the contract (`ContractError` otherwise); extra columns are
   tolerated and reported;
2. exact duplicate rows (same key, same `updated_at`, same payload) are collapsed: `updated_since` is
   inclusive, so a re-read row is not an error;
3. every column is normalised as a whole column: Persian and Arabic-Indic digits become Latin,
   thousands separators go, Arabic ي/ك become Persian ی/ک in free text, spaces are trimmed;
4. the entity's Great Expectations suite, loaded from `expectations/ombazar_<entity>.json`, runs on
   the normalised frame. For each number and timestamp column the frame carries the normalised text
   beside the parsed value (`<column>__text`), so a type error is the failure of a real expectation
   (`expect_column_values_to_match_regex:unit_price_rial__text`) rather than a silent null; a column
   the source hands typed (int, float, zone-aware timestamp) has no text to check, and its `__text`
   holds only the values whose text would fail (an infinite number, a fraction in an integer). A related
   column (`order_ordered_at`, from `related`) carries the referenced row's timestamp, so an ordering
   across entities (a delivery not before its order) is a column-pair expectation like the others;
5. references to known ids (`known`) are checked with pandas `isin` (the sets can be millions);
6. every row that failed anything is quarantined with the names of what it failed and a sentence.

Invariant: `rows_in == len(valid) + len(quarantined) + duplicates_dropped`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from pipelines.i18n.persian import DIGITS_TO_LATIN
from pipelines.ingest import data_docs
from pipelines.resources import shipped_dir
from pipelines.source.contract import (
    CONTROL_CHARACTERS,
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    ContractError,
    EntityContract,
    Field,
    Kind,
    entity_contract,
)

# nothing here may phone home; must be set before great_expectations is imported (lazily, below)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

EXPECTATIONS_DIR = shipped_dir("expectations")
TEXT_SUFFIX = "__text"
FUTURE_TOLERANCE = timedelta(minutes=5)  # DECISIONS.md: later than extraction time + 5 minutes
LATEST_ALLOWED_PARAMETER = "latest_allowed_at"
# the contract's bounds on every instant (a 1969, a 2099 deadline): parameters too, so the suite holds no dates
EARLIEST_ALLOWED_PARAMETER = "earliest_allowed_at"
LATEST_PLAUSIBLE_PARAMETER = "latest_plausible_at"
TIMESTAMP_DTYPE = "datetime64[us, UTC]"
QUARANTINE_COLUMNS = ("source_id", "source_updated_at", "raw_payload", "failed_expectations", "reason")
_REASON_VALUE_CHARS = 60

# -------------------------------------------------------------------------- normalisation

# inside a number: digits to Latin, Arabic decimal separator to ".", minus sign to "-",
# thousands separators (Arabic ٬, comma, Arabic comma ، , spaces) removed
_NUMBER_CHARS = str.maketrans(
    {
        **cast("dict[str | int, str | int | None]", DIGITS_TO_LATIN),  # ordinal keys beside the character keys
        "٫": ".",
        "−": "-",
        "٬": None,
        ",": None,
        "،": None,
        " ": None,
        "\u00a0": None,
        "\u202f": None,
        "\u2009": None,
    }
)
# Arabic yeh, alef maksura and kaf, as typed on Arabic keyboards, to their Persian letters
_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})

INT_PATTERN = r"^[+-]?\d+$"
NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_ZONE = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
# an ISO-8601 date or date-time, with or without a zone: anything else is not a timestamp at all
TIMESTAMP_PATTERN = rf"^{_DATE}(?:{_TIME}{_ZONE}?)?$"
# a date or date-time without a zone: refused, never guessed
ZONELESS_TIMESTAMP_PATTERN = rf"^{_DATE}(?:{_TIME})?$"
_ZONED_TIMESTAMP = re.compile(rf"^{_DATE}{_TIME}{_ZONE}$")


def _text(series: pd.Series) -> pd.Series:
    """Values as trimmed text; null and blank become NaN."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is np.nan:
        text = series
    else:
        text = series.astype("str")
    text = text.str.strip()
    return text.mask(text == "")


def _translate_where(text: pd.Series, table: dict[int, Any], needed: pd.Series) -> pd.Series:
    """`text.str.translate(table)` on the rows that need it (translate is slow; most rows are plain)."""
    needed = needed.fillna(False).astype(bool)
    if not needed.any():
        return text
    if needed.all():
        return text.str.translate(table)
    return text.mask(needed, text[needed].str.translate(table))


def _free_text(series: pd.Series) -> pd.Series:
    """Text typed by people: trimmed, Arabic letters made Persian."""
    text = _text(series)
    if text.str.contains("[يىك]", regex=True).fillna(False).any():
        # letter for letter, as str.translate would, but a pass over the column per letter rather than
        # a Python call per value: titles typed on an Arabic keyboard are the rule, not the exception
        for arabic, persian in _PERSIAN_LETTERS.items():
            text = text.str.replace(chr(arabic), str(persian), regex=False)
    return text


def _number_text(series: pd.Series, kind: Kind) -> pd.Series:
    """The normalised text of a number column: Latin digits, no separators (NaN where null)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return _text(series)  # "True" is not a number; let the expectation say so
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("str")
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        text = series.astype("str")
        if kind is Kind.INT:
            # a typed source hands ints with nulls as floats: 12000.0 is the integer 12000
            whole = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 2**63)
            if whole.any():
                as_int = pd.Series(values[whole].astype("int64"), index=series.index[whole]).astype("str")
                text = text.where(~whole, as_int.reindex(series.index))
        return text
    text = _text(series)
    needed = ~text.str.isascii() | text.str.contains(",", regex=False) | text.str.contains(" ", regex=False)
    return _translate_where(text, _NUMBER_CHARS, needed).replace("", np.nan)


def _timestamp_text(series: pd.Series) -> pd.Series:
    """The normalised ISO-8601 text of a timestamp column (NaN where null)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        text = pd.Series(np.datetime_as_string(values, unit="us"), index=series.index, dtype="str") + "Z"
        return text.mask(series.isna())
    if pd.api.types.is_datetime64_dtype(dtype):
        # a naive datetime column: formatted without a zone, so the suite refuses it
        values = series.to_numpy(dtype="datetime64[us]")
        text = pd.Series(np.datetime_as_string(values, unit="us"), index=series.index, dtype="str")
        return text.mask(series.isna())
    # strings, or datetime objects (str() gives "2026-01-01 00:00:00+00:00", or no zone if naive)
    text = _text(series)
    return _translate_where(text, DIGITS_TO_LATIN, ~text.str.isascii())


def _parse_timestamps(text: pd.Series) -> pd.Series:
    """Parse zoned ISO-8601 text to UTC; zone-less or unparseable text becomes NaT (never guessed)."""
    zoned = text.str.match(_ZONED_TIMESTAMP).fillna(False).astype(bool).to_numpy()
    parsed = pd.Series(pd.NaT, index=text.index, dtype=TIMESTAMP_DTYPE)
    if zoned.any():  # only the zoned text is parsed: pandas' parser slows on a column full of nulls
        parsed[zoned] = pd.to_datetime(text[zoned], utc=True, format="ISO8601", errors="coerce").astype(
            TIMESTAMP_DTYPE
        )
    return parsed


# the instants a zoned ISO-8601 text of four-digit years can name
_EARLIEST_TEXT = np.datetime64("0000-01-01T00:00:00", "us")
_LATEST_TEXT = np.datetime64("9999-12-31T23:59:59.999999", "us")


def _typed_number(series: pd.Series, kind: Kind) -> tuple[pd.Series, np.ndarray] | None:
    """A typed number column read without text: its values, and where its text would fail the suite's
    pattern (not finite; or, for an integer, a fraction or beyond int64). None: read it as text."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        # the text of an integer is digits: it always matches
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(values, index=series.index), np.zeros(len(series), dtype=bool)
    if dtype in (np.dtype("float64"), pd.Float64Dtype()):
        # shortest round-trip text: parsing it back gives the same float64
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        fails = ~np.isfinite(values)
        if kind is Kind.INT:
            fails |= (np.mod(values, 1) != 0) | (np.abs(values) >= 2**63)
        return pd.Series(values, index=series.index), fails & ~np.isnan(values)
    return None


def _typed_timestamps(series: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """A zone-aware timestamp column read without text: its UTC instants to the microsecond, and where
    its text would fail the suite's pattern (a year beyond four digits). None: read it as text."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        return None
    values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    fails = (values < _EARLIEST_TEXT) | (values > _LATEST_TEXT)  # NaT compares False
    parsed = pd.Series(values, index=series.index).dt.tz_localize("UTC").astype(TIMESTAMP_DTYPE)
    return parsed.mask(fails), fails


def _column_text(series: pd.Series, kind: Kind) -> pd.Series:
    """The normalised text of a number or timestamp column."""
    return _timestamp_text(series) if kind is Kind.TIMESTAMP else _number_text(series, kind)


def _prepare(contract: EntityContract, rows: pd.DataFrame) -> tuple[pd.DataFrame, frozenset[str]]:
    """The frame the suite runs on: each contract column normalised and typed, plus `<col>__text`; and the
    number and timestamp columns the source handed typed.

    A typed column has no text to check: its values are taken as they are, and its `<col>__text` holds
    the text of only the values whose text would fail the suite's pattern (an infinite number, a
    fraction in an integer column), so the same expectation quarantines them; null elsewhere.
    """
    columns: dict[str, pd.Series] = {}
    typed: set[str] = set()
    for f in contract.fields:
        raw = rows[f.name]
        if f.kind is Kind.TEXT:
            columns[f.name] = _free_text(raw)
        elif f.kind in (Kind.ID, Kind.ENUM):
            columns[f.name] = _text(raw)
        else:
            read = _typed_timestamps(raw) if f.kind is Kind.TIMESTAMP else _typed_number(raw, f.kind)
            if read is not None:
                typed.add(f.name)
                columns[f.name], fails = read
                text = pd.Series(np.nan, index=raw.index, dtype="str")
                if fails.any():
                    text[fails] = _column_text(raw[fails], f.kind)
                columns[f.name + TEXT_SUFFIX] = text
                continue
            text = _column_text(raw, f.kind)
            if f.kind is Kind.TIMESTAMP:
                columns[f.name] = _parse_timestamps(text)
            else:
                columns[f.name] = pd.to_numeric(text, errors="coerce").astype("float64")
            columns[f.name + TEXT_SUFFIX] = text
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows))), frozenset(typed)


def _text_at(
    rows: pd.DataFrame, frame: pd.DataFrame, typed: frozenset[str], field: Field, at: np.ndarray
) -> pd.Series:
    """The normalised text of a number or timestamp column at positions `at`, indexed by position."""
    if field.name not in typed:
        return frame[field.name + TEXT_SUFFIX].iloc[at]
    return pd.Series(_column_text(rows[field.name].iloc[at], field.kind).to_numpy(dtype=object), index=at)


def _key_codes(keys: pd.Series, refs: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """One code per distinct text over `keys` and `refs` (-1 for null): the codes of each, and how many."""
    codes, uniques = pd.factorize(pd.concat([keys.astype("str"), refs.astype("str")], ignore_index=True))
    return codes[: len(keys)], codes[len(keys) :], len(uniques)


def _known(refs: pd.Series, known: Iterable[str]) -> np.ndarray:
    """Whether each reference is one of `known` (a null one is not): `Series.isin` in one hashing pass."""
    key_codes, ref_codes, count = _key_codes(pd.Series([k for k in known if isinstance(k, str)]), refs)
    present = np.zeros(count + 1, dtype=bool)  # the extra last slot answers the null code -1
    present[key_codes] = True
    present[-1] = False
    return present[ref_codes]


def _related_values(refs: pd.Series, values: pd.Series | None) -> pd.Series:
    """Beside each reference, the referenced row's timestamp (NaT where unknown or not given); where
    `values` repeats a key, its last value."""
    if values is None or values.empty:
        return pd.Series(pd.NaT, index=refs.index, dtype=TIMESTAMP_DTYPE)
    instants = pd.to_datetime(values, utc=True, errors="coerce").astype(TIMESTAMP_DTYPE)
    key_codes, ref_codes, count = _key_codes(pd.Series(values.index.astype("str")), refs)
    # the last position of each code among the keys: first seen from the end
    codes, first_from_end = np.unique(key_codes[::-1], return_index=True)
    last = np.full(count + 1, -1, dtype=np.int64)  # the extra last slot answers the null code -1
    last[codes] = len(key_codes) - 1 - first_from_end
    last[-1] = -1
    at = last[ref_codes]
    naive = instants.dt.tz_localize(None).to_numpy()
    taken = np.where(at >= 0, naive[np.maximum(at, 0)], np.datetime64("NaT"))
    return pd.Series(taken, index=refs.index).dt.tz_localize("UTC").astype(TIMESTAMP_DTYPE)


# -------------------------------------------------------------------------- suites


def build_suite_dict(contract: EntityContract) -> dict[str, Any]:
    """The suite for `entity` as GX serialises it, derived from the contract."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    expectations: list[Any] = []
    for f in contract.fields:
        if f.required:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=f.name))
        if f.kind is Kind.INT:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(column=f.name + TEXT_SUFFIX, regex=INT_PATTERN)
            )
        elif f.kind is Kind.NUMBER:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(column=f.name + TEXT_SUFFIX, regex=NUMBER_PATTERN)
            )
        elif f.kind is Kind.TIMESTAMP:
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(column=f.name + TEXT_SUFFIX, regex=TIMESTAMP_PATTERN)
            )
            expectations.append(
                gxe.ExpectColumnValuesToNotMatchRegex(
                    column=f.name + TEXT_SUFFIX, regex=ZONELESS_TIMESTAMP_PATTERN
                )
            )
            latest = LATEST_PLAUSIBLE_PARAMETER if f.future_allowed else LATEST_ALLOWED_PARAMETER
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=f.name,
                    min_value={"$PARAMETER": EARLIEST_ALLOWED_PARAMETER},
                    max_value={"$PARAMETER": latest},
                )
            )
        if f.kind is Kind.ENUM:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.allowed)))
        if f.kind in (Kind.ID, Kind.TEXT):
            expectations.append(gxe.ExpectColumnValuesToNotMatchRegex(column=f.name, regex=CONTROL_CHARACTERS))
            if f.max_length is not None:
                expectations.append(gxe.ExpectColumnValueLengthsToBeBetween(column=f.name, max_value=f.max_length))
        if f.kind in (Kind.INT, Kind.NUMBER) and (f.min_value is not None or f.max_value is not None):
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=f.name,
                    min_value=f.min_value,
                    max_value=f.max_value,
                    strict_min=f.min_exclusive,
                )
            )
    for needed, given in contract.required_together:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(column=needed, row_condition=Column(given).is_not_null())
        )
    for later, earlier in contract.not_before:
        expectations.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
            )
        )
    # after exact duplicates are collapsed, a repeated (key, updated_at) means two different payloads
    expectations.append(
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[contract.key, "updated_at"], ignore_row_if="any_value_is_missing"
        )
    )
    suite = gx.ExpectationSuite(
        name=contract.suite_name,
        expectations=expectations,
        meta={
            "great_expectations_version": gx.__version__,
            "rasad": {
                "generated_by": "pipelines.ingest.validation.write_default_suites",
                "contract_version": "1",
                "note": "run on the frame built by pipelines.ingest.validation; <column>__text is the "
                "normalised text of a number or timestamp column (of a typed one, only the values whose text "
                "would fail)"
                + "".join(
                    f"; {r.column} is the {r.field} of the row that {r.via} refers to" for r in contract.related
                ),
            },
        },
    )
    return json.loads(json.dumps(suite.to_json_dict()))


def write_default_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    """(Re)write one suite file per entity from the contract; commit the result."""
    from pipelines.source.contract import CONTRACT

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in CONTRACT.values():
        path = directory / f"{contract.suite_name}.json"
        path.write_text(
            json.dumps(build_suite_dict(contract), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(path)
    return written


class _GxRuntime:
    """One ephemeral GX context per process, with an asset and the loaded suite per entity."""

    def __init__(self, suites_dir: Path) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.datasource = self.context.data_sources.add_pandas("rasad_batches")
        self.suites_dir = suites_dir
        self._suites: dict[str, Any] = {}
        self._plans: dict[str, _SuitePlan] = {}
        self._batch_definitions: dict[str, Any] = {}
        self.lock = threading.Lock()

    def suite(self, contract: EntityContract) -> Any:
        """The entity's suite, read once from its JSON file."""
        if contract.name not in self._suites:
            import great_expectations as gx

            path = self.suites_dir / f"{contract.suite_name}.json"
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ContractError(
                    f"no expectation suite for {contract.name} at {path}; "
                    "run `python -m pipelines.ingest.validation --write-suites`"
                ) from None
            suite = gx.ExpectationSuite(**stored)
            # GX logs, rather than raises, an expectation it cannot load: never run a thinner suite
            if len(suite.expectations) != len(stored.get("expectations", [])):
                raise ContractError(f"{path}: some expectations could not be loaded by GX")
            self._suites[contract.name] = suite
        return self._suites[contract.name]

    def plan(self, contract: EntityContract) -> _SuitePlan:
        """The entity's suite split into groups that read no column in common, and GX's order of it."""
        if contract.name not in self._plans:
            import great_expectations as gx

            suite = self.suite(contract)
            keys = [_expectation_key(e.configuration) for e in suite.expectations]
            if len(set(keys)) != len(keys):
                raise ContractError(f"{contract.suite_name}: two expectations check the same columns alike")
            groups = []
            for columns, expectations in _column_groups(suite.expectations):
                part = gx.ExpectationSuite(name=suite.name, expectations=[e.configuration for e in expectations])
                if len(part.expectations) != len(expectations):
                    raise ContractError(f"{contract.suite_name}: some expectations could not be loaded by GX")
                groups.append((columns, part))
            rank = {_expectation_key(e.configuration): i for i, e in enumerate(_evaluation_order(suite.expectations))}
            self._plans[contract.name] = _SuitePlan(tuple(groups), rank)
        return self._plans[contract.name]

    def batch_definition(self, contract: EntityContract) -> Any:
        """The whole-dataframe batch definition of the entity's dataframe asset."""
        if contract.name not in self._batch_definitions:
            asset = self.datasource.add_dataframe_asset(name=contract.name)
            self._batch_definitions[contract.name] = asset.add_batch_definition_whole_dataframe("batch")
        return self._batch_definitions[contract.name]


_RUNTIMES: dict[Path, _GxRuntime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _runtime(suites_dir: Path = EXPECTATIONS_DIR) -> _GxRuntime:
    with _RUNTIMES_LOCK:
        if suites_dir not in _RUNTIMES:
            _RUNTIMES[suites_dir] = _GxRuntime(suites_dir)
        return _RUNTIMES[suites_dir]


@dataclass(frozen=True)
class _SuitePlan:
    groups: tuple[tuple[list[str], Any], ...]  # (the columns read, the part of the suite reading them)
    rank: dict[tuple[Any, ...], int]  # an expectation's place in GX's order over the whole suite


def _expectation_key(config: Any) -> tuple[Any, ...]:
    """What an expectation checks, whatever its values: its type, columns and the column of its row
    condition (unique within a suite)."""
    kwargs = config.kwargs
    return (
        config.type,
        kwargs.get("column"),
        kwargs.get("column_A"),
        kwargs.get("column_B"),
        tuple(kwargs.get("column_list") or ()),
        _condition_column(kwargs.get("row_condition")),
    )


def _columns_read(config: Any) -> list[str]:
    key = _expectation_key(config)
    return [c for c in (key[1], key[2], key[3], *key[4], key[5]) if c is not None]


def _column_groups(expectations: list[Any]) -> list[tuple[list[str], list[Any]]]:
    """The expectations in groups that read no column in common, each with the columns it reads."""
    group_of: dict[str, int] = {}
    groups: list[tuple[set[str], list[Any]]] = []
    for expectation in expectations:
        columns = set(_columns_read(expectation.configuration))
        joined = sorted({group_of[c] for c in columns if c in group_of})
        if joined:  # merge every group this expectation touches into the first of them
            into = joined[0]
            for other in joined[1:]:
                groups[into][0].update(groups[other][0])
                groups[into][1].extend(groups[other][1])
                groups[other] = (set(), [])
        else:
            into = len(groups)
            groups.append((set(), []))
        groups[into][0].update(columns)
        groups[into][1].append(expectation)
        for column in groups[into][0]:
            group_of[column] = into
    return [(sorted(columns), found) for columns, found in groups if found]


def _evaluation_order(expectations: list[Any]) -> list[Any]:
    """The expectations in the order GX evaluates and reports a whole suite: grouped by the `column`
    each names, the groups in order of first appearance, those naming none (pairs, compound) as one
    group (GX's Validator.process_expectations_for_validation; tests/ingest/test_suites.py holds it)."""
    groups: dict[str | None, list[Any]] = {}
    for expectation in expectations:
        column = expectation.configuration.kwargs.get("column")
        groups.setdefault(column if isinstance(column, str) else None, []).append(expectation)
    return [expectation for group in groups.values() for expectation in group]


# the second pass asks for the failing rows' positions only (not GX's pandas query text, which filters the
# whole frame again to print the same positions)
_FAILING_ROWS_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "return_unexpected_index_query": False,
}


def _config_key(config: Any) -> str:
    """An expectation as its type and kwargs (without the batch), to match a result across two runs."""
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return json.dumps([config.type, kwargs], sort_keys=True, default=str)


def suite_parameters(latest_allowed: datetime) -> dict[str, pd.Timestamp]:
    """The values of the suites' parameters: the latest instant allowed now, and the contract's bounds."""
    return {
        LATEST_ALLOWED_PARAMETER: pd.Timestamp(latest_allowed),
        EARLIEST_ALLOWED_PARAMETER: pd.Timestamp(EARLIEST_INSTANT),
        LATEST_PLAUSIBLE_PARAMETER: pd.Timestamp(LATEST_INSTANT),
    }


def _run_suite(contract: EntityContract, frame: pd.DataFrame, latest_allowed: datetime) -> list[Any]:
    """The suite's results on `frame`, in GX's order of evaluation over the whole suite.

    GX copies the whole frame for every column expectation (it drops the rows where that column is
    null from every column), so the suite runs in parts that read no column in common, each on a frame
    of only its columns. Each part runs twice over one batch: every expectation for its success alone,
    then only those that failed, for the positions of their failing rows. An expectation that every row
    passes (most of them, on most days) costs GX its check and nothing more.
    """
    runtime = _runtime()
    plan = runtime.plan(contract)
    parameters = suite_parameters(latest_allowed)
    results: list[Any] = []
    with runtime.lock, warnings.catch_warnings():
        # GX's column-pair metric reads `Series.values` of tz-aware columns: pandas' deprecation is theirs
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray that drops timezone")
        for columns, part in plan.groups:
            results += _run_part(runtime.batch_definition(contract), frame[columns], part, parameters)
    results.sort(key=lambda r: plan.rank[_expectation_key(r.expectation_config)])
    return results


def _run_part(batch_definition: Any, frame: pd.DataFrame, suite: Any, parameters: dict[str, Any]) -> list[Any]:
    """One part of the suite on `frame`: success first, then failing rows for what failed."""
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    # one Validator, one batch: GX loads (and fingerprints) the frame once for both passes
    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "BOOLEAN_ONLY"},
    )
    first = validator.validate_expectation_suite(suite, expectation_parameters=parameters)
    results: list[Any] = list(first.results)
    failed = [
        r for r in results if not r.success and not (r.exception_info and r.exception_info.get("raised_exception"))
    ]
    if not failed:
        return results
    validator.result_format = _FAILING_ROWS_FORMAT
    again = gx.ExpectationSuite(name=suite.name, expectations=[r.expectation_config.to_domain_obj() for r in failed])
    rows = {
        _config_key(r.expectation_config): r
        for r in validator.validate_expectation_suite(again, expectation_parameters=parameters).results
    }
    failed_at = {id(r) for r in failed}
    for i, result in enumerate(results):
        if id(result) in failed_at:
            detailed = rows.get(_config_key(result.expectation_config))
            if detailed is None or detailed.success:
                raise RuntimeError(f"{suite.name}: {result.expectation_config.type} failed only once")
            results[i] = detailed
    return results


# -------------------------------------------------------------------------- failures and reasons


@dataclass(frozen=True)
class _Failure:
    name: str  # "expect_column_values_to_be_in_set:unit"
    column: str | None  # the contract column it concerns
    rows: np.ndarray  # positions in the de-duplicated batch
    shown: pd.Series | None  # the value to quote in the reason (indexed by position), if any
    text: str | pd.Series  # what is wrong, after the column and value; a Series is per row (by position)
    parse_failure: bool = False  # a type/zone failure: a null or range complaint on it says nothing new


def _column_of(expectation_column: str) -> str:
    return expectation_column.removesuffix(TEXT_SUFFIX)


def _condition_column(condition: Any) -> str | None:
    """The column a `row_condition` (a GX Condition or its serialised dict) tests, if any."""
    if condition is None:
        return None
    if isinstance(condition, Mapping):
        column = condition.get("column")
        return column.get("name") if isinstance(column, Mapping) else column
    column = getattr(condition, "column", None)
    return getattr(column, "name", None)


def _range_text(kwargs: Mapping[str, Any], values: pd.Series) -> pd.Series:
    """Per failing value: which bound it breaks ("is not greater than 0", "is above 5")."""

    def fmt(v: Any) -> str:
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"

    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    below = (
        ("is not greater than " if kwargs.get("strict_min") else "is less than ") + fmt(low)
        if low is not None
        else ""
    )
    above = (
        ("is not less than " if kwargs.get("strict_max") else "is above ") + fmt(high)
        if high is not None
        else ""
    )
    if low is None or high is None:
        return pd.Series(below or above, index=values.index, dtype=object)
    return pd.Series(np.where(values.to_numpy() > high, above, below), index=values.index, dtype=object)


def _failures_from_results(
    contract: EntityContract,
    rows: pd.DataFrame,
    frame: pd.DataFrame,
    typed: frozenset[str],
    results: list[Any],
    latest_allowed: datetime,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> list[_Failure]:
    failures: list[_Failure] = []
    for result in results:
        config = result.expectation_config
        kind, kwargs = config.type, config.kwargs
        if result.exception_info and result.exception_info.get("raised_exception"):
            # a suite that cannot run on our own frame is a bug here, not bad data: never pass rows
            raise RuntimeError(
                f"{contract.suite_name}: {kind} on {kwargs} raised "
                f"{result.exception_info.get('exception_message')}"
            )
        if result.success:
            continue
        failing = np.asarray(result.result.get("unexpected_index_list") or [], dtype="int64")
        if len(failing) != result.result.get("unexpected_count", len(failing)):
            raise RuntimeError(f"{contract.suite_name}: {kind} returned an incomplete index list")
        if kind == "expect_compound_columns_to_be_unique":
            cols = kwargs["column_list"]
            failures.append(
                _Failure(
                    name=f"{kind}:{'+'.join(cols)}",
                    column=None,
                    rows=failing,
                    shown=None,
                    text=f"another row has the same {' and '.join(cols)} but a different payload",
                )
            )
            continue
        if kind == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = kwargs["column_A"], kwargs["column_B"]
            related = contract.related_column(b)
            if related is None:
                text: str | pd.Series = f"is earlier than {b}"
            else:  # "delivered_at '…' is earlier than its order's ordered_at '…'"
                parent = related.via.removesuffix("_id")
                text = f"is earlier than its {parent}'s {related.field} " + _quote(frame[b].iloc[failing])
            failures.append(_Failure(f"{kind}:{a}+{b}", a, failing, frame[a], text))
            continue
        gx_column = kwargs["column"]
        column = _column_of(gx_column)
        field = contract.field(column)
        name = f"{kind}:{gx_column}"
        shown = frame[gx_column]
        if kind == "expect_column_values_to_not_be_null":
            given = _condition_column(kwargs.get("row_condition"))
            text = f"is missing although {given} is given" if given else "is missing"
            failures.append(_Failure(name, column, failing, None, text))
        elif kind == "expect_column_values_to_match_regex":
            what = {Kind.INT: "an integer", Kind.NUMBER: "a number"}.get(field.kind, "an ISO-8601 timestamp")
            failures.append(_Failure(name, column, failing, shown, f"is not {what}", parse_failure=True))
        elif kind == "expect_column_values_to_not_match_regex" and field.kind is not Kind.TIMESTAMP:
            found = frame[gx_column].iloc[failing].astype("str").str.extract(f"({CONTROL_CHARACTERS})")[0]
            text = "contains the control character " + found.map(lambda c: f"U+{ord(c):04X}").astype(object)
            failures.append(_Failure(name, column, failing, shown, text.set_axis(failing)))
        elif kind == "expect_column_value_lengths_to_be_between":
            text = f"is longer than {kwargs['max_value']:,} characters"
            failures.append(_Failure(name, column, failing, shown, text))
        elif kind == "expect_column_values_to_not_match_regex":
            failures.append(
                _Failure(name, column, failing, shown, "has no time zone (never guessed)", parse_failure=True)
            )
        elif kind == "expect_column_values_to_be_in_set":
            failures.append(
                _Failure(name, column, failing, shown, f"is not one of {', '.join(kwargs['value_set'])}")
            )
        elif kind == "expect_column_values_to_be_between" and field.kind is Kind.TIMESTAMP:
            if field.future_allowed:
                late = f"is after {LATEST_INSTANT:%Y-%m-%d}, out of the contract's bounds (an impossible date)"
            else:
                limit = pd.Timestamp(latest_allowed).tz_convert("UTC")
                late = (
                    f"is a future timestamp (later than {limit:%Y-%m-%dT%H:%M:%SZ}, "
                    f"the extraction time plus {future_tolerance.total_seconds() / 60:g} minutes)"
                )
            early = f"is before {EARLIEST_INSTANT:%Y-%m-%d}, out of the contract's bounds (an impossible date)"
            before = (frame[gx_column].iloc[failing] < pd.Timestamp(EARLIEST_INSTANT)).to_numpy()
            text = pd.Series(np.where(before, early, late), index=failing, dtype=object)
            failures.append(_Failure(name, column, failing, _text_at(rows, frame, typed, field, failing), text))
        elif kind == "expect_column_values_to_be_between":
            text = _range_text(kwargs, frame[gx_column].iloc[failing])
            failures.append(_Failure(name, column, failing, _text_at(rows, frame, typed, field, failing), text))
        else:
            failures.append(_Failure(name, column, failing, shown, "fails the check"))
    return failures


def _reference_failures(
    contract: EntityContract, frame: pd.DataFrame, known: Mapping[str, Iterable[str]] | None
) -> list[_Failure]:
    failures = []
    for f in contract.fields:
        if known is None or f.references is None or f.references not in known:
            continue
        values = frame[f.name]
        unknown = values.notna().to_numpy() & ~_known(values, known[f.references])
        if unknown.any():
            failures.append(
                _Failure(
                    f"known_reference:{f.name}",
                    f.name,
                    np.flatnonzero(unknown),
                    values,
                    f"is not a known {f.references}",
                )
            )
    return failures


def _parse_failures(
    contract: EntityContract, frame: pd.DataFrame, typed: frozenset[str], failures: list[_Failure]
) -> list[_Failure]:
    """Text the suite let through that still did not parse (e.g. 2026-02-30): never stage it as null."""
    found = []
    for f in contract.fields:
        if not f.parsed or f.name in typed:  # a typed value needs no parsing
            continue
        text = frame[f.name + TEXT_SUFFIX]
        lost = (text.notna() & frame[f.name].isna()).to_numpy().copy()
        for failure in failures:
            if failure.parse_failure and failure.column == f.name:
                lost[failure.rows] = False
        if lost.any():
            found.append(
                _Failure(
                    f"parse_error:{f.name}",
                    f.name,
                    np.flatnonzero(lost),
                    text,
                    f"could not be read as {'an integer' if f.kind is Kind.INT else 'a ' + f.kind.value}"
                    + (" (an impossible date or time)" if f.kind is Kind.TIMESTAMP else ""),
                    parse_failure=True,
                )
            )
    return found


def escape_controls(values: pd.Series) -> pd.Series:
    """Text with each control character written as `\\uXXXX`: a reason or a key may be stored and shown
    (PostgreSQL refuses a NUL in text; a CR would break a line), the raw payload keeps the value."""
    text = values.astype("str")
    has = text.str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).astype(bool)
    if not has.any():
        return text
    escaped = text[has].str.replace(CONTROL_CHARACTERS, lambda m: f"\\u{ord(m.group(0)):04x}", regex=True)
    return text.mask(has, escaped)


def _quote(values: pd.Series) -> pd.Series:
    text = escape_controls(values.astype("str").fillna("null"))
    long = text.str.len() > _REASON_VALUE_CHARS
    text = text.where(~long, text.str.slice(0, _REASON_VALUE_CHARS) + "…")
    return "'" + text + "'"


# -------------------------------------------------------------------------- the outcome


@dataclass(frozen=True)
class ValidationOutcome:
    """A validated batch: rows to stage, rows to quarantine, and the accounting between them."""

    entity: str
    valid: pd.DataFrame
    quarantined: pd.DataFrame
    extra_columns: tuple[str, ...]
    duplicates_dropped: int
    rows_in: int

    @property
    def failed_expectation_counts(self) -> dict[str, int]:
        """How many quarantined rows failed each expectation (for the run log)."""
        names = self.quarantined["failed_expectations"].str.split(",").explode()
        return {str(k): int(v) for k, v in names.value_counts().items()}


def _empty_valid(contract: EntityContract) -> pd.DataFrame:
    return _typed_valid(contract, _prepare(contract, pd.DataFrame({c: [] for c in contract.columns}))[0])


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in QUARANTINE_COLUMNS})


def _typed_valid(contract: EntityContract, frame: pd.DataFrame) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    for f in contract.fields:
        values = frame[f.name]
        if f.kind is Kind.INT:
            # within RIAL_MAX / INT32_MAX (checked by the suite), a float64 holds the integer exactly
            values = values.astype("Int64")
        elif f.kind in (Kind.ID, Kind.TEXT, Kind.ENUM):
            values = values.astype("str")
        columns[f.name] = values
    return pd.DataFrame(columns).reset_index(drop=True)


def _payload_json(rows: pd.DataFrame) -> list[str]:
    """Each row as JSON text, column order as received (whole-frame, in C)."""
    if rows.empty:
        return []
    text = rows.to_json(
        orient="records",
        lines=True,
        force_ascii=False,
        date_format="iso",
        date_unit="us",
        default_handler=str,
    )
    # pandas escapes every "/" as "\/"; a bare backslash is always "\\", so this undoes only that
    return text.replace("\\/", "/").rstrip("\n").split("\n")


def _raw_text(series: pd.Series) -> np.ndarray:
    """The raw value as text (ISO-8601 for typed timestamps), None where null."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series.dtype):
        text = _timestamp_text(series)
    else:
        text = series.astype("str")
    # three-argument where: an array, though numpy's stubs pick the one-argument overload for an Any value
    return cast(np.ndarray, np.where(series.notna().to_numpy(), text.to_numpy(dtype=object), None))


def _escaped(values: np.ndarray) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    return cast(np.ndarray, np.where(series.notna().to_numpy(), escape_controls(series).to_numpy(dtype=object), None))


def _quarantine_frame(
    rows: pd.DataFrame,
    frame: pd.DataFrame,
    contract: EntityContract,
    positions: np.ndarray,
    failures: list[_Failure],
) -> pd.DataFrame:
    """One quarantine row per failing position, with names and a sentence built column-wise."""
    n = len(positions)
    at = pd.Series(np.arange(n), index=positions)  # position in the batch -> row of the quarantine
    names = np.full(n, "", dtype=object)
    reasons = np.full(n, "", dtype=object)
    for failure in failures:
        idx = at.reindex(failure.rows).to_numpy()
        text = failure.text.to_numpy(dtype=object) if isinstance(failure.text, pd.Series) else failure.text
        if failure.column is None:
            fragment = np.full(len(idx), "", dtype=object) + text
        elif failure.shown is None:
            fragment = np.full(len(idx), f"{failure.column} ", dtype=object) + text
        else:
            quoted = _quote(failure.shown.loc[failure.rows]).to_numpy(dtype=object)
            fragment = failure.column + " " + quoted + " " + text
        first = names[idx] == ""
        names[idx] = np.where(first, failure.name, names[idx] + "," + failure.name)
        reasons[idx] = np.where(first, fragment, reasons[idx] + "; " + fragment)
    reasons = reasons + "."
    source_rows = rows.iloc[positions]
    key_text = frame[contract.key].iloc[positions]
    key_text = escape_controls(key_text).where(key_text.notna())
    return pd.DataFrame(
        {
            "source_id": np.where(key_text.notna().to_numpy(), key_text.to_numpy(dtype=object), None),
            "source_updated_at": _escaped(_raw_text(source_rows["updated_at"])),
            "raw_payload": np.array(_payload_json(source_rows), dtype=object),
            "failed_expectations": names,
            "reason": reasons,
        }
    ).astype(object)


def _drop_implied(failures: list[_Failure]) -> list[_Failure]:
    """Where a value failed to parse, its `not null`/range/future complaints only repeat that."""
    unparsed: dict[str, np.ndarray] = {}
    for f in failures:
        if f.parse_failure and f.column:
            unparsed[f.column] = np.union1d(unparsed.get(f.column, np.array([], "int64")), f.rows)
    kept = []
    for f in failures:
        if (
            not f.parse_failure
            and f.column in unparsed
            and f.name.split(":", 1)[0].startswith("expect_column_values")
        ):
            rows = np.setdiff1d(f.rows, unparsed[f.column], assume_unique=False)
            if len(rows) == 0:
                continue
            text = f.text.loc[rows] if isinstance(f.text, pd.Series) else f.text
            f = _Failure(f.name, f.column, rows, f.shown, text)
        kept.append(f)
    return kept


def _exact_duplicates(rows: pd.DataFrame, key: str) -> np.ndarray:
    """Rows equal in every column to an earlier row. Only rows whose key is repeated can be: whole rows
    are compared among those alone (a few, on most days) rather than across the batch. Unhashable values
    (nested JSON) are compared as text."""
    try:
        candidates = rows[key].duplicated(keep=False).to_numpy()
    except TypeError:
        return rows.astype("str").duplicated(keep="first").to_numpy()
    exact = np.zeros(len(rows), dtype=bool)
    if candidates.any():
        repeated = rows.loc[candidates]
        try:
            exact[candidates] = repeated.duplicated(keep="first").to_numpy()
        except TypeError:
            exact[candidates] = repeated.astype("str").duplicated(keep="first").to_numpy()
    return exact


def entity_suites(entities: Iterable[str]) -> dict[str, Any]:
    """The loaded expectation suite of each entity (for the run's Data Docs)."""
    return {entity: _runtime().suite(entity_contract(entity)) for entity in entities}


def validate_batch(
    entity: str,
    raw: pd.DataFrame,
    *,
    extracted_at: datetime,
    known: Mapping[str, set[str]] | None = None,
    related: Mapping[str, pd.Series] | None = None,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> ValidationOutcome:
    """Normalise `raw` and validate it against the entity's suite; split it into valid and quarantined.

    `known` maps a referenced key (`category_code`, `seller_id`, `offer_id`, `order_id`, `unit_id`)
    to the ids that exist; a reference outside it quarantines the row. Keys absent from `known` are
    not checked. A timestamp later than `extracted_at + future_tolerance` is a future timestamp.
    `related` maps a related column of the contract (deliveries: `order_ordered_at`) to the referenced
    rows' timestamp, indexed by their key (a Series of each order's `ordered_at` by `order_id`); the
    column is set beside each row and its ordering checked by the suite. A row whose referenced row is
    not in it (or a column not given) is not checked for that ordering: an unknown reference is `known`'s.
    """
    contract = entity_contract(entity)
    if extracted_at.tzinfo is None:
        raise ValueError("extracted_at must be timezone-aware")
    rows_in = len(raw)
    if rows_in == 0 and len(raw.columns) == 0:  # an empty page from an API carries no columns
        return ValidationOutcome(entity, _empty_valid(contract), _empty_quarantine(), (), 0, 0)
    missing = [c for c in contract.columns if c not in raw.columns]
    if missing:
        raise ContractError(
            f"{entity}: the source is missing contract column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, raw.columns))}); fix the source or its mapping"
        )
    if raw.columns.duplicated().any():
        raise ContractError(
            f"{entity}: the source repeats column(s) {set(raw.columns[raw.columns.duplicated()])}"
        )
    extra = tuple(str(c) for c in raw.columns if c not in contract.columns)

    rows = raw.reset_index(drop=True)
    exact_duplicate = _exact_duplicates(rows, contract.key)
    if exact_duplicate.any():
        rows = rows.loc[~exact_duplicate].reset_index(drop=True)
    duplicates_dropped = int(exact_duplicate.sum())
    if rows.empty:
        return ValidationOutcome(
            entity, _empty_valid(contract), _empty_quarantine(), extra, duplicates_dropped, rows_in
        )

    frame, typed = _prepare(contract, rows)
    for r in contract.related:
        frame[r.column] = _related_values(frame[r.via], (related or {}).get(r.column))
    latest_allowed = extracted_at + future_tolerance
    results = _run_suite(contract, frame, latest_allowed)
    data_docs.note(entity, contract.suite_name, results, len(frame), _config_key)  # the run's Data Docs
    failures = _failures_from_results(contract, rows, frame, typed, results, latest_allowed, future_tolerance)
    failures += _parse_failures(contract, frame, typed, failures)
    failures += _reference_failures(contract, frame, known)
    failures = _drop_implied(failures)

    failed = np.zeros(len(rows), dtype=bool)
    for failure in failures:
        failed[failure.rows] = True
    positions = np.flatnonzero(failed)
    quarantined = (
        _quarantine_frame(rows, frame, contract, positions, failures)
        if len(positions)
        else _empty_quarantine()
    )
    valid = _typed_valid(contract, frame.loc[~failed])
    return ValidationOutcome(entity, valid, quarantined, extra, duplicates_dropped, rows_in)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-suites"]:
        for written in write_default_suites():
            print(written)
    else:
        print("usage: python -m pipelines.ingest.validation --write-suites")
