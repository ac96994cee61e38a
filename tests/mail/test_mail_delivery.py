"""Report emails through a real SMTP server on loopback (aiosmtpd): who gets what, the MIME, the outbox
across an outage, no double sending, and no member's personal data in any message."""

from __future__ import annotations

import json
import re
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from email import message_from_bytes, policy
from io import BytesIO

import jdatetime
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from pipelines.findings import tables as findings_tables
from pipelines.findings.short_code import finding_short_code
from pipelines.i18n.messages import t
from pipelines.i18n.persian import jalali_date, to_persian_digits
from pipelines.mail.daily import screen, send_day
from pipelines.mail.outbox import OutgoingMessage, backoff_seconds, deliver_pending
from pipelines.mail.tables import outbox, sent_message
from pipelines.monitored_day import MonitoredDay
from pipelines.orchestration.daily_steps import run_day
from pipelines.reference import tables as ref_tables
from pipelines.reports.daily import findings_of_day
from pipelines.settings import Settings
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from pipelines.store import base as store_base
from pipelines.store import metadata as store_metadata
from pipelines.store.engine import store_engine
from tests.conftest import free_port
from tests.mail.smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e

DAY = date(2026, 11, 13)  # a Friday: the specialized rahyaris' weekly digests go out too
SCALE = SimScale(sellers_per_province=4, offers_per_seller=3, orders_per_day=150, members=300)
STOP_AFTER = 20
PERSIAN_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def _issue3_routing(units: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """Hand-worked coverage, in the shape issue 3 writes into finding.routing (rahyari and cc lists)."""
    social = teams[teams["kind"] == "social"].set_index("region_id")
    special = teams[teams["kind"] == "specialized"].set_index(["province_id", "sector_code"])

    def team(row) -> dict:
        return {"team_id": row["team_id"], "kind": row["kind"], "name": row["name_fa"], "email": row["email"]}

    out = {}
    for u in units.itertuples(index=False):
        affair = {"team_id": f"affair-se-{u.province_id}", "kind": "social_entrepreneurship_affair",
                  "name": "امور کارآفرینی اجتماعی", "email": f"affair.se.{u.province_id}@rasad.example"}
        spec = special.loc[(u.province_id, u.sector_code)] if (u.province_id, u.sector_code) in special.index \
            else None
        soc = social.loc[u.region_id] if u.region_id in social.index else None
        if u.kind != "supplier":
            rahyari, cc = ([team(soc)] if soc is not None else []), []
        elif u.in_capital:
            rahyari, cc = ([team(spec)] if spec is not None else []), ([] if spec is not None else [affair])
        else:
            rahyari = [team(soc)] if soc is not None else []
            cc = ([team(spec)] if spec is not None else []) + [affair]
        out[u.unit_id] = {"rahyari": rahyari, "cc": cc}
    return out


@dataclass
class World:
    settings: Settings
    sink: SmtpSink
    no_officer_province: str
    expected_rahyari: dict  # recipient email -> finding ids
    listed: pd.DataFrame  # findings listed on DAY


def _busiest_province(settings, conn) -> str:
    """The province whose sellers took the most orders: the one surest to have findings on the day."""
    import sqlite3

    from pipelines.store.engine import sqlite_path

    with sqlite3.connect(sqlite_path(settings.resolved_source_url)) as src:
        per_unit = pd.read_sql(
            "SELECT s.unit_id, COUNT(*) AS orders FROM orders o JOIN offers f ON f.offer_id = o.offer_id "
            "JOIN sellers s ON s.seller_id = f.seller_id GROUP BY s.unit_id", src)
    units = pd.read_sql(select(ref_tables.unit.c.unit_id, ref_tables.unit.c.province_id), conn)
    per_province = per_unit.merge(units, on="unit_id").groupby("province_id")["orders"].sum()
    return str(per_province.sort_values(ascending=False, kind="stable").index[0])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One simulated Friday, monitored; one province without an officer; routing with rahyari copies."""
    port = free_port()
    settings = Settings(var_dir=tmp_path_factory.mktemp("var"), smtp_host="127.0.0.1", smtp_port=port,
                        smtp_timeout_seconds=5, smtp_retry_attempts=4, smtp_retry_base_seconds=0.05,
                        smtp_retry_max_seconds=1.0)
    simulate_into(settings, 11, 10, DAY + timedelta(days=1), MonitoredDay(DAY).end, SCALE)
    store = store_engine(settings)
    with store.begin() as conn:
        province = _busiest_province(settings, conn)
        conn.execute(update(ref_tables.monitoring_officer_assignment)
                     .where(ref_tables.monitoring_officer_assignment.c.province_id == province).values(valid_to=DAY))
        # specialized rahyaris in three provinces only, to keep the test's mail (and its time) small
        team = ref_tables.rahyari_team
        kept = conn.execute(select(ref_tables.province.c.province_id).order_by(ref_tables.province.c.province_id)
                            .limit(3)).scalars().all()
        conn.execute(update(team).where(team.c.kind == "specialized", team.c.province_id.not_in(kept))
                     .values(valid_to=DAY))
    run_day(settings, DAY)
    with store.begin() as conn:
        units = pd.read_sql(select(ref_tables.unit), conn)
        teams = pd.read_sql(select(ref_tables.rahyari_team).where(ref_tables.rahyari_team.c.valid_to.is_(None)), conn)
        findings = pd.read_sql(select(findings_tables.finding.c.finding_id, findings_tables.finding.c.unit_id,
                                      findings_tables.finding.c.routing), conn)
        coverage = _issue3_routing(units, teams)
        rows = []
        for f in findings.itertuples(index=False):
            routing = json.loads(f.routing) | coverage.get(f.unit_id, {"rahyari": [], "cc": []})
            rows.append({"fid": f.finding_id, "routing": json.dumps(routing, ensure_ascii=False)})
        from sqlalchemy import bindparam

        conn.execute(update(findings_tables.finding).where(findings_tables.finding.c.finding_id == bindparam("fid"))
                     .values(routing=bindparam("routing")), rows)
        listed = findings_of_day(conn, DAY)
    expected: dict[str, set] = {}
    for f in listed.itertuples(index=False):
        r = json.loads(f.routing)
        for e in r["rahyari"] + r["cc"]:
            expected.setdefault(e["email"], set()).add(f.finding_id)
    sink = SmtpSink(port)
    yield World(settings, sink, province, expected, listed)
    sink.stop()


@pytest.fixture(scope="module")
def delivered(world):
    """Send the day; the server goes down after STOP_AFTER messages and comes back; send what waits."""
    store = store_engine(world.settings)
    world.sink.stop_after = STOP_AFTER
    world.sink.start()
    first = send_day(store, world.settings, DAY)
    world.sink.wait_down()
    during = deliver_pending(store, world.settings, rounds=1)  # still down: nothing goes, nothing is lost
    world.sink.start()
    time.sleep(world.settings.smtp_retry_max_seconds)
    after = deliver_pending(store, world.settings)
    return first, during, after


def _xlsx_codes(message) -> set[str]:
    parts = [p for p in message.iter_attachments() if p.get_filename().endswith(".xlsx")]
    assert len(parts) == 1
    ws = load_workbook(BytesIO(parts[0].get_content())).active
    return {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}


def _codes(finding_ids) -> set[str]:
    return {to_persian_digits(finding_short_code(fid)) for fid in finding_ids}


def test_outage_loses_nothing_and_sends_nothing_twice(world, delivered):
    first, during, after = delivered
    assert first.composed > 31 + 1 and first.queued == first.composed
    assert first.delivery.sent == STOP_AFTER and first.delivery.pending == first.composed - STOP_AFTER
    assert during.sent == 0 and during.pending == first.delivery.pending
    assert after.sent == first.delivery.pending and after.pending == 0 and after.failed == 0
    ids = [m["Message-ID"] for _, m in world.sink.messages()]
    assert len(ids) == len(set(ids)) == first.composed
    store = store_engine(world.settings)
    with store.connect() as conn:
        rows = pd.read_sql(select(outbox.c.message_key, outbox.c.status, outbox.c.message_id, outbox.c.attempts),
                           conn)
        archived = pd.read_sql(select(sent_message.c.message_id, sent_message.c.to_addrs, sent_message.c.eml), conn)
    assert (rows["status"] == "sent").all() and len(rows) == first.composed
    assert set(archived["message_id"]) == set(rows["message_id"]) == set(ids)
    assert (rows["attempts"] > 1).sum() == first.delivery.pending  # the ones that waited were retried
    assert all(json.loads(a) for a in archived["to_addrs"])
    received = {m["Message-ID"]: raw for (_, raw), (_, m) in zip(world.sink.received, world.sink.messages(),
                                                                  strict=True)}
    for row in archived.itertuples(index=False):  # the archive keeps the bytes that went out
        assert row.eml.replace(b"\r\n", b"\n") == received[row.message_id].replace(b"\r\n", b"\n")


def test_each_province_recipient_gets_its_report_and_only_its_findings(world, delivered):
    officer = world.sink.messages("officer")
    assert len(officer) == 31
    store = store_engine(world.settings)
    with store.connect() as conn:
        people = pd.read_sql(select(ref_tables.person.c.person_id,
                                    ref_tables.person.c.email), conn).set_index("person_id")
    by_email = {rcpt[0]: m for rcpt, m in officer}
    for pid in sorted(world.listed["province_id"].dropna().unique()):
        address = people.loc[f"p-fdp-{pid}" if pid == world.no_officer_province else f"p-off-{pid}", "email"]
        message = by_email[address]
        expected = world.listed[world.listed["province_id"] == pid]["finding_id"]
        assert _xlsx_codes(message) == _codes(expected)
    assert world.no_officer_province in set(world.listed["province_id"])


def test_each_rahyari_gets_the_findings_of_the_units_it_covers_and_nothing_else(world, delivered):
    rahyari = world.sink.messages("rahyari")
    assert rahyari, "no rahyari mail"
    got = {rcpt[0]: _xlsx_codes(m) for rcpt, m in rahyari}
    assert set(got) == set(world.expected_rahyari)
    for email, finding_ids in world.expected_rahyari.items():
        assert got[email] == _codes(finding_ids), email
    # the county triangle: a county supplier's finding reaches its social rahyari, specialist and affair
    assert any(e.startswith("affair.se.") for e in got)


def test_headers_mime_and_rtl_body(world, delivered):
    rcpt, message = world.sink.messages("officer")[0]
    raw_subject = re.search(rb"^Subject: (.+?)\r?\n(?! )", dict(
        (m["Message-ID"], raw) for (_, raw), (_, m) in zip(world.sink.received, world.sink.messages(), strict=True)
    )[message["Message-ID"]], re.M | re.S).group(1)
    assert raw_subject.startswith(b"=?utf-8?"), "the Persian subject is RFC 2047 encoded"
    j = jdatetime.date.fromgregorian(date=DAY)
    jalali = f"{j.day} {jdatetime.date.j_months_fa[j.month - 1]} {j.year}".translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert jalali == jalali_date(DAY)
    assert message["Subject"].endswith(jalali) and message["Subject"].startswith("گزارش روزانه رصد امبازار")
    assert message["Content-Language"] == "fa" and message["Auto-Submitted"] == "auto-generated"
    assert message["From"].addresses[0].display_name == t("email.from_name")
    assert message.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in message.walk()][:4] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fa" dir="rtl"' in html and re.search(r"font-family: ?'Vazirmatn'", html)
    assert "گزارش روزانه رصد و پایش امبازار" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(BytesIO(attachment.get_content())).active
    assert ws.sheet_view.rightToLeft is True
    assert [c.value for c in ws[1]][:3] == [t("finding.rank"), t("finding.code"), t("xlsx.province")]


def test_fardap_digest_and_weekly_sector_digests(world, delivered):
    (rcpt, fardap), = world.sink.messages("fardap")
    assert rcpt == ["fardap.central@rasad.example"]
    html = fardap.get_body(preferencelist=("html",)).get_content()
    assert html.count('class="province-row') == 31
    assert html.count('class="province-row escalated"') == 1
    no_officer = html.split('id="no-officer"')[1].split("</section>")[0]
    store = store_engine(world.settings)
    with store.connect() as conn:
        provinces = pd.read_sql(select(ref_tables.province), conn).set_index("province_id")["name_fa"]
        teams = pd.read_sql(select(ref_tables.rahyari_team).where(ref_tables.rahyari_team.c.kind == "specialized",
                                                              ref_tables.rahyari_team.c.valid_to.is_(None)), conn)
    assert to_persian_digits(provinces[world.no_officer_province]) in no_officer
    weekly = world.sink.messages("sector_weekly")
    assert sorted(r[0] for r, _ in weekly) == sorted(teams["email"])


def test_no_member_personal_data_in_any_email(world, delivered):
    store = store_engine(world.settings)
    personal = set()
    with store.connect() as conn:
        for table in store_metadata.metadata.tables.values():
            for column in ("national_id", "mobile"):
                if table.schema == store_base.REF and column in table.c:
                    personal |= set(conn.execute(select(table.c[column])).scalars()) - {None}
    assert len(personal) > 100
    for _, raw in world.sink.received:
        message = message_from_bytes(raw, policy=policy.default)
        texts = [raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")]  # the top-level headers
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if part.get_content_maintype() == "text":
                texts.append(payload.decode("utf-8"))
            else:
                with zipfile.ZipFile(BytesIO(payload)) as z:
                    texts.extend(z.read(n).decode("utf-8") for n in z.namelist())
        text = "\n".join(texts).translate(PERSIAN_TO_ASCII)
        text = re.sub(r"data:font/woff2;base64,[A-Za-z0-9+/=]+", "", text)
        runs = re.findall(r"[0-9]{7,}", text)
        leaked = {p for p in personal for run in runs if p in run}
        assert not leaked, f"{message['Subject']}: {sorted(leaked)[:3]}"


def test_a_rerun_sends_nothing_and_resend_sends_nothing_delivered(world, delivered, monkeypatch, capsys):
    from pipelines.cli import main
    from pipelines.settings import get_settings

    store = store_engine(world.settings)
    before = len(world.sink.received)
    again = send_day(store, world.settings, DAY)
    assert again.composed == 0 and again.delivery.sent == 0 and len(world.sink.received) == before

    monkeypatch.setenv("RASAD_VAR_DIR", str(world.settings.var_dir))
    monkeypatch.setenv("RASAD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RASAD_SMTP_PORT", str(world.sink.port))
    get_settings.cache_clear()
    try:  # every message was delivered: --resend (what did not go) sends none of them again
        assert main(["report", "send", "--date", DAY.isoformat(), "--resend"]) == 0
    finally:
        get_settings.cache_clear()
    assert "sent 0" in capsys.readouterr().out
    assert len(world.sink.received) == before
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sent_message)).scalar() == before


def test_a_deferred_message_is_retried_with_backoff(world, delivered):
    from pipelines.mail.compose import build_message
    from pipelines.mail.outbox import enqueue

    store = store_engine(world.settings)
    world.sink.defer_first_attempt = True
    try:
        items = []
        for n in range(2):
            msg, texts = build_message(settings=world.settings, kind="test", day=DAY, subject=f"آزمایش {n}",
                                       to=[("آزمون", "test@rasad.example")], text="متن", html="<p>متن</p>")
            items.append(OutgoingMessage(key=f"test:{DAY}:{n}", day=DAY, kind="test", recipient_id=str(n),
                                         message=msg, to=["test@rasad.example"], texts=texts))
        assert enqueue(store, items, world.settings).queued == 2
        result = deliver_pending(store, world.settings)
    finally:
        world.sink.defer_first_attempt = False
    assert result.sent == 2 and result.pending == 0
    with store.connect() as conn:
        attempts = conn.execute(select(sent_message.c.attempts).where(sent_message.c.kind == "test")).scalars()
        assert sorted(attempts) == [2, 2]


def test_a_message_carrying_a_members_mobile_is_withheld(world):
    from pipelines.mail.compose import build_message

    store = store_engine(world.settings)
    with store.connect() as conn:
        mobile = conn.execute(select(ref_tables.person.c.mobile)
                              .where(ref_tables.person.c.mobile.is_not(None))).scalar()
    msg, texts = build_message(settings=world.settings, kind="test", day=DAY, subject="آزمایش",
                               to=[(None, "x@rasad.example")], text=f"تماس: {to_persian_digits(mobile)}",
                               html="<p>—</p>")
    clean, withheld = screen(store, [OutgoingMessage(key="leak", day=DAY, kind="test", recipient_id="x",
                                                     message=msg, to=["x@rasad.example"], texts=texts)])
    assert clean == [] and withheld == ["leak"]


@pytest.mark.unit
def test_backoff_doubles_and_is_capped():
    s = Settings(smtp_retry_base_seconds=2, smtp_retry_max_seconds=10)
    assert [backoff_seconds(n, s) for n in range(1, 6)] == [2, 4, 8, 10, 10]


@pytest.mark.db
def test_mail_of_a_day_on_postgresql(pg_database, settings_for):
    """The mail queries, the outbox and the archive (bytea) on PostgreSQL; no SMTP host: .eml files."""
    day = DAY + timedelta(days=1)
    weekday = jdatetime.date.fromgregorian(date=day).weekday()
    settings = settings_for(store_url=pg_database, source_url=pg_database, weekly_digest_jalali_weekday=weekday)
    simulate_into(settings, 11, 10, day + timedelta(days=1), MonitoredDay(day).end, SCALE)
    run_day(settings, day)
    store = store_engine(settings)
    from pipelines.store.migrate import upgrade_store

    upgrade_store(store)
    first = send_day(store, settings, day)
    assert first.delivery.transport == "file" and first.delivery.pending == 0
    assert first.delivery.sent == first.composed > 31 + 1
    files = sorted((settings.outbox_dir / day.isoformat()).glob("*.eml"))
    assert len(files) == first.composed
    assert any(f.name.startswith("sector_weekly_") for f in files)
    again = send_day(store, settings, day)
    assert again.composed == 0 and again.delivery.sent == 0
    with store.connect() as conn:
        eml = conn.execute(select(sent_message.c.eml).where(sent_message.c.kind == "fardap")).scalar_one()
    assert message_from_bytes(eml, policy=policy.default)["X-Rasad-Kind"] == "fardap"
    store.dispose()
