"""The report emails of one Tehran day: who gets what, and sending them through the outbox.

- Each province's recipient (its monitoring officer, or whoever the escalation names) gets the province
  report: the RTL HTML report as the body, every finding of the day in an XLSX attachment.
- Each rahyari team (or person) named in a finding's routing, under `rahyari` (covering) or `cc` (the county
  "triangle" copies), gets the findings it is named on, and nothing else. Routing without those keys (the
  officer-only routing of the walking skeleton) sends no rahyari mail.
- Central Fardap gets the national digest.
- On the digest weekday (Friday by default), each specialized rahyari gets its sector's week.

A day is sent only once its monitoring has finished. Each message is composed on its own: one that cannot be
(a broken address, say) is recorded as a `failed` outbox row with its reason, and the others go. Before
anything is queued, every message is screened for the members' national ids and mobile numbers (ref tables,
however spaced and in any digit script); a message that carries one is withheld (a `failed` row) and the step
fails loudly after the others are queued. The bodies are the reports made fit for mail clients
(`reports.email_html`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from pipelines.errors import UserError
from pipelines.i18n.messages import t
from pipelines.i18n.persian import format_number, jalali_date, to_persian_digits
from pipelines.mail.compose import (
    Attachment,
    build_message,
    jalali_compact,
    message_texts,
    personal_data_found,
    plain_text,
)
from pipelines.mail.outbox import (
    ComposeFailure,
    DeliveryResult,
    OutgoingMessage,
    Transport,
    deliver_pending,
    enqueue,
)
from pipelines.mail.tables import outbox
from pipelines.reference.routing import recipients_on
from pipelines.reports.daily import build_reports, findings_of_day
from pipelines.reports.digest_render import render_fardap_digest, render_sector_digest
from pipelines.reports.digests import build_fardap_digest, build_sector_digests, is_weekly_digest_day
from pipelines.reports.email_html import for_email
from pipelines.reports.model import ProvinceReport
from pipelines.reports.render import render_province_report
from pipelines.reports.xlsx import XLSX_MIME, findings_workbook
from pipelines.settings import Settings
from pipelines.store import base as store_base
from pipelines.store import metadata as store_metadata
from pipelines.store.sql_files import read_frame
from pipelines.vocabulary import MARKET_CHECKS

log = logging.getLogger(__name__)

FAN_OUT_KEYS = ("rahyari", "cc")
# findings listed in a message body after the detailed ones (the XLSX and the dashboard hold them all): keeps a
# busy province's message under 100 KB (docs/report-emails.md)
EMAIL_COMPACT_LIMIT = 10
EMAIL_RATE_SELLERS_LIMIT = 5  # flagged sellers whose rates a message body shows (the dashboard has every one)
# a message stays under this many bytes as sent (docs/report-emails.md): a busy day's body lists fewer findings in
# detail, fewer in the compact table and fewer sellers' rates, in this order, until it fits; the XLSX attachment and
# the dashboard hold every finding. Each layout: (findings in detail or None for the attention budget, compact
# rows, sellers' rates).
EMAIL_MAX_BYTES = 100_000
EMAIL_LAYOUTS: tuple[tuple[int | None, int, int], ...] = (
    (None, EMAIL_COMPACT_LIMIT, EMAIL_RATE_SELLERS_LIMIT), (10, 10, 3), (6, 10, 2), (5, 5, 1), (3, 5, 0), (3, 0, 0))
_MIME_OVERHEAD = 6_000  # headers, the plain-text part and MIME boundaries, generously


def _base64_size(n: int) -> int:
    return 4 * ((n + 2) // 3) * 77 // 76  # base64, with its line breaks


def fitted_body(report: ProvinceReport, attachment_bytes: int, **render) -> str:
    """The report's HTML for a message body: the first of EMAIL_LAYOUTS whose message fits EMAIL_MAX_BYTES."""
    html = ""
    for detail, compact, rates in EMAIL_LAYOUTS:
        shown = report if detail is None else replace(report, attention_budget=min(report.attention_budget, detail))
        html = for_email(render_province_report(shown, compact_limit=compact, rate_sellers_limit=rates, **render))
        size = _base64_size(len(html.encode("utf-8"))) + _base64_size(attachment_bytes) + _MIME_OVERHEAD
        if size < EMAIL_MAX_BYTES:
            return html
    log.warning("the message of %s %s stays over %d bytes with its smallest body", report.province_id, report.day,
                EMAIL_MAX_BYTES)
    return html
EMAIL_ESCALATED_LIMIT = 10  # the Fardap digest's escalated findings listed (31 province rows come first)


class PersonalDataWithheldError(UserError, RuntimeError):
    """A composed message carried a member's national id or mobile number; it was not queued."""


class DayNotCheckedError(UserError, RuntimeError):
    """Report mail was asked for a day whose monitoring has not finished: nothing is composed or queued."""


class UnknownMessageError(UserError, ValueError):
    """`--again KEY` named no message of the day."""


class MessagesNotComposedError(UserError, RuntimeError):
    """Some of a day's messages could not be composed; they are `failed` rows with the reason, the rest went."""


@dataclass(frozen=True)
class SendSummary:
    """What sending a day did."""

    day: date
    composed: int
    queued: int
    kept: int
    requeued: int
    withheld: Sequence[str]
    delivery: DeliveryResult
    not_composed: Sequence[str] = ()


def _routing(value: object) -> dict:
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def fan_out(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per (finding, rahyari recipient) from the findings' routing `rahyari` and `cc` lists:
    finding_id, recipient_key (team_id or person_id), name, email, how (rahyari | cc)."""
    columns = ["finding_id", "recipient_key", "name", "email", "how"]
    if findings.empty:
        return pd.DataFrame(columns=columns)
    rows = [
        (fid, str(e.get("team_id") or e.get("person_id")), e.get("name"), e.get("email"), how)
        for fid, routing in zip(findings["finding_id"], findings["routing"].map(_routing), strict=True)
        for how in FAN_OUT_KEYS
        for e in (routing.get(how) or [])
        if isinstance(e, dict) and (e.get("team_id") or e.get("person_id"))
    ]
    frame = pd.DataFrame(rows, columns=columns)
    missing = frame["email"].isna() | (frame["email"] == "")
    if missing.any():
        log.warning("%d rahyari copies have no email address: not sent", int(missing.sum()))
    return frame[~missing].drop_duplicates(["finding_id", "recipient_key"])


def _officer_message(report: ProvinceReport, to: tuple[str | None, str], settings: Settings) -> OutgoingMessage:
    day = report.day
    xlsx = findings_workbook(report.findings, day, report.province_name_fa)
    html = fitted_body(report, len(xlsx))
    province = to_persian_digits(report.province_name_fa)
    text = plain_text(
        t("email.text.officer", province=province, date=jalali_date(day)),
        t("email.text.counts", total=format_number(len(report.findings)), new=format_number(report.new_count),
          ongoing=format_number(report.ongoing_count)),
        t("email.text.html_note"),
        t("email.text.xlsx_note"),
        t("email.text.dashboard", url=settings.dashboard_base_url),
    )
    msg, texts = build_message(
        settings=settings, kind="officer", day=day,
        subject=t("email.subject.officer", province=province, date=jalali_date(day)),
        to=[to], text=text, html=html,
        attachments=[Attachment(xlsx, *XLSX_MIME, f"rasad-{report.province_id}-{jalali_compact(day)}.xlsx")],
    )
    return OutgoingMessage(key=f"officer:{day}:{report.province_id}", day=day, kind="officer",
                           recipient_id=report.province_id, message=msg, to=[to[1]], texts=texts)


def _rahyari_messages(store: Engine, settings: Settings, day: date, reports: Sequence[ProvinceReport],
                      findings: pd.DataFrame) -> list[OutgoingMessage | ComposeFailure]:
    copies = fan_out(findings)
    if copies.empty:
        return []
    with store.connect() as conn:
        resolved = read_frame(conn, "digests/select_findings_resolved_on_day", day=day)
        observed = read_frame(conn, "digests/select_observation_counts_by_seller",
                              first_day=day - timedelta(days=7), day=day)
    resolved_copies = fan_out(resolved)
    observed["day"] = pd.to_datetime(observed["day"]).dt.date
    from pipelines.checks import check_of

    observed["check"] = check_of(observed["rule"])
    by_id = {f.finding_id: (r, f) for r in reports for f in r.findings}
    messages: list[OutgoingMessage | ComposeFailure] = []
    for key, mine in copies.groupby("recipient_key", sort=True):
        listed = [by_id[fid] for fid in mine["finding_id"] if fid in by_id]
        if not listed:
            continue
        name, email = mine["name"].iloc[0], mine["email"].iloc[0]
        messages.append(_composed(
            f"rahyari:{day}:{key}", day, "rahyari", str(key), [email],
            lambda key=key, listed=listed, name=name, email=email: _rahyari_message(
                settings, day, str(key), listed, name, email, observed, resolved_copies),
        ))
    return messages


def _rahyari_message(settings: Settings, day: date, key: str, listed: list, name: str | None, email: str,
                     observed: pd.DataFrame, resolved_copies: pd.DataFrame) -> OutgoingMessage:
    report = listed[0][0]
    items = [f for _, f in listed]  # the fan-out keeps the findings' ranked order
    sellers = {f.seller_id for f in items}
    obs = observed[observed["seller_id"].isin(sellers)]
    today = obs[obs["day"] == day].groupby("check")["observed"].sum()
    before = obs[obs["day"] < day].groupby("check")["observed"].sum() / 7.0
    team_report = replace(
        report,
        findings=items,
        counts_today={c: int(today.get(c, 0)) for c in MARKET_CHECKS},
        counts_prev_7d_avg={c: float(before.get(c, 0.0)) for c in MARKET_CHECKS},
        new_count=sum(f.status == "new" for f in items),
        ongoing_count=sum(f.status == "ongoing" for f in items),
        resolved_count=int((resolved_copies["recipient_key"] == key).sum()),
    )
    team = to_persian_digits(name or key)
    xlsx = findings_workbook(items, day, report.province_name_fa)
    html = fitted_body(team_report, len(xlsx), heading=t("report.rahyari_title"),
                       recipient_line=t("report.to_rahyari", team=team))
    text = plain_text(
        t("email.text.rahyari", team=team, date=jalali_date(day)),
        t("email.text.counts", total=format_number(len(items)), new=format_number(team_report.new_count),
          ongoing=format_number(team_report.ongoing_count)),
        t("email.text.html_note"),
        t("email.text.xlsx_note"),
    )
    msg, texts = build_message(
        settings=settings, kind="rahyari", day=day,
        subject=t("email.subject.rahyari", team=team, date=jalali_date(day)),
        to=[(name, email)], text=text, html=html,
        attachments=[Attachment(xlsx, *XLSX_MIME, f"rasad-rahyari-{jalali_compact(day)}.xlsx")],
    )
    return OutgoingMessage(key=f"rahyari:{day}:{key}", day=day, kind="rahyari",
                           recipient_id=str(key), message=msg, to=[email], texts=texts)


def _composed(key: str, day: date, kind: str, recipient_id: str, to: list, make) -> OutgoingMessage | ComposeFailure:
    """`make()`, or the reason it failed: one bad row (a name, an address) never stops the day's other messages."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - whatever broke this message, the others must still go
        log.exception("message %s could not be composed", key)
        return ComposeFailure(key=key, day=day, kind=kind, recipient_id=recipient_id,
                              to=[str(a) for a in to if isinstance(a, str)],
                              reason=f"not composed: {type(exc).__name__}: {exc}")


def compose_day(store: Engine, settings: Settings, day: date) -> tuple[list[OutgoingMessage], list[ComposeFailure]]:
    """Every message of `day`: officers (or escalation), rahyaris, Fardap, and on the digest day the weeklies;
    and the ones that could not be composed, each with its reason."""
    reports = build_reports(store, settings, day)
    with store.connect() as conn:
        recipients = recipients_on(conn, day)
        findings = findings_of_day(conn, day)
    central = recipients.central or {}
    primary = recipients.primary.set_index("province_id")
    made: list[OutgoingMessage | ComposeFailure] = []
    for report in reports:
        who = primary.loc[report.province_id] if report.province_id in primary.index else None
        email = who["email"] if who is not None and isinstance(who["email"], str) and who["email"] else None
        name = who["full_name"] if email and who is not None else central.get("full_name")
        email = email or central.get("email")
        if not email:
            log.error("province %s: no officer, coordinator or central Fardap address; report not mailed",
                      report.province_id)
            continue
        made.append(_composed(f"officer:{day}:{report.province_id}", day, "officer", report.province_id, [email],
                              lambda report=report, name=name, email=email: _officer_message(
                                  report, (name, email), settings)))
    made.extend(_rahyari_messages(store, settings, day, reports, findings))

    digest = build_fardap_digest(store, settings, day, reports)
    if digest.to_email:
        made.append(_composed(f"fardap:{day}:national", day, "fardap", "fardap_central", [digest.to_email],
                              lambda: _fardap_message(settings, day, digest)))
    else:
        log.error("no central Fardap address on %s: the national digest is not mailed", day)

    if is_weekly_digest_day(day, settings):
        for d in build_sector_digests(store, settings, day, reports):
            if not d.email:
                log.warning("specialized rahyari %s has no email: weekly digest not mailed", d.team_id)
                continue
            made.append(_composed(f"sector_weekly:{day}:{d.team_id}", day, "sector_weekly", d.team_id, [d.email],
                                  lambda d=d: _sector_message(settings, day, d)))
    messages = [m for m in made if isinstance(m, OutgoingMessage)]
    return messages, [m for m in made if isinstance(m, ComposeFailure)]


def _fardap_message(settings: Settings, day: date, digest) -> OutgoingMessage:
    msg, texts = build_message(
        settings=settings, kind="fardap", day=day,
        subject=t("email.subject.fardap", date=jalali_date(day)),
        to=[(digest.to_name, digest.to_email)],
        text=plain_text(t("email.text.fardap", date=jalali_date(day)), t("email.text.html_note"),
                        t("email.text.dashboard", url=settings.dashboard_base_url)),
        # the escalated findings beyond the first few are counted, not listed (the dashboard lists them all)
        html=for_email(render_fardap_digest(replace(digest, escalated=digest.escalated[:EMAIL_ESCALATED_LIMIT]))),
    )
    return OutgoingMessage(key=f"fardap:{day}:national", day=day, kind="fardap", recipient_id="fardap_central",
                           message=msg, to=[digest.to_email], texts=texts)


def _sector_message(settings: Settings, day: date, d) -> OutgoingMessage:
    team = to_persian_digits(d.team_name_fa)
    msg, texts = build_message(
        settings=settings, kind="sector_weekly", day=day,
        subject=t("email.subject.sector_weekly", team=team, date=jalali_date(day)),
        to=[(d.team_name_fa, d.email)],
        text=plain_text(t("email.text.sector_weekly", team=team, date=jalali_date(day)), t("email.text.html_note")),
        html=for_email(render_sector_digest(d)),
    )
    return OutgoingMessage(key=f"sector_weekly:{day}:{d.team_id}", day=day, kind="sector_weekly",
                           recipient_id=d.team_id, message=msg, to=[d.email], texts=texts)


def personal_values(store: Engine) -> set[str]:
    """The national ids and mobile numbers of every ref table that holds them (members, people)."""
    values: set[str] = set()
    with store.connect() as conn:
        for table in store_metadata.metadata.tables.values():
            if table.schema != store_base.REF:
                continue
            for column in ("national_id", "mobile"):
                if column in table.c:
                    values.update(str(v).strip() for v in conn.execute(
                        select(table.c[column]).where(table.c[column].is_not(None))).scalars())
    values |= {v[1:] for v in values if v.startswith("0") and len(v) == 11}  # 0912... also written 912...
    return {v for v in values if len(v) >= 7}


def screen(store: Engine, messages: Sequence[OutgoingMessage]) -> tuple[list[OutgoingMessage], list[str]]:
    """Split messages into the clean and the withheld (those carrying a member's personal data)."""
    personal = personal_values(store)
    clean, withheld = [], []
    for m in messages:
        if personal_data_found(m.texts or message_texts(m.message.as_bytes()), personal):
            log.error("message %s carries personal data: withheld", m.key)
            withheld.append(m.key)
        else:
            clean.append(m)
    return clean, withheld


def day_checked(store: Engine, day: date) -> bool:
    """Whether `day`'s monitoring has finished (its findings step succeeded in some run)."""
    with store.connect() as conn:
        return int(read_frame(conn, "mail/select_day_checked", day=day)["runs"].iloc[0]) > 0


def _delivered_or_waiting(store: Engine, day: date) -> set[str]:
    """The keys of `day`'s messages that went (`sent`) or will go (`pending`): `--resend` leaves them alone."""
    with store.connect() as conn:
        return set(conn.execute(select(outbox.c.message_key).where(
            outbox.c.day == day, outbox.c.status.in_(("sent", "pending")))).scalars())


def day_already_queued(store: Engine, day: date) -> int:
    """How many messages of `day` were queued before (then a re-run composes nothing)."""
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox).where(outbox.c.day == day)).scalar_one())


def send_day(store: Engine, settings: Settings, day: date, *, resend: bool = False, again: Sequence[str] = (),
             transport: Transport | None = None) -> SendSummary:
    """Queue the messages of `day` once, then deliver everything due in the outbox.

    - A day whose monitoring has not finished is refused (`DayNotCheckedError`): nothing is composed or queued,
      so the real report goes out once the day's run is done.
    - `resend`: compose the day again and queue only what did not go (failed, not composed, withheld);
      delivered messages are never sent twice. `again`: queue these message keys again even if delivered.
    - A message that cannot be composed, or carries personal data, is a `failed` row with its reason; the
      others go out, then the step fails naming them.
    """
    if not day_checked(store, day):
        raise DayNotCheckedError(
            f"Tehran day {day} has not been monitored yet (no finished run): run `rasad run --date {day}` first; "
            "no report was sent")
    composed = queued = kept = requeued = 0
    withheld: list[str] = []
    failures: list[ComposeFailure] = []
    resend = resend or bool(again)
    already = 0 if resend else day_already_queued(store, day)
    if already:
        kept = already
    else:
        messages, failures = compose_day(store, settings, day)
        if again:
            unknown = set(again) - {m.key for m in messages} - {f.key for f in failures}
            if unknown:
                raise UnknownMessageError(f"no message of {day} has the key(s) {sorted(unknown)}")
            messages = [m for m in messages if m.key in again]
            failures = [f for f in failures if f.key in again]
        elif resend:  # only what did not go is queued again: screen and report only those
            done = _delivered_or_waiting(store, day)
            messages = [m for m in messages if m.key not in done]
            failures = [f for f in failures if f.key not in done]
        composed = len(messages) + len(failures)
        clean, withheld = screen(store, messages)
        held = {m.key: m for m in messages if m.key in set(withheld)}
        failures = failures + [
            ComposeFailure(key=k, day=day, kind=m.kind, recipient_id=m.recipient_id, to=m.to,
                           subject=str(m.message["Subject"]),
                           reason="withheld: it carries a member's national id or mobile number")
            for k, m in held.items()]
        counts = enqueue(store, clean, settings, resend=resend, again=again, failures=failures)
        queued, kept, requeued = counts.queued, counts.kept, counts.requeued
    delivery = deliver_pending(store, settings, transport)
    not_composed = [f.key for f in failures if f.key not in set(withheld)]
    summary = SendSummary(day=day, composed=composed, queued=queued, kept=kept, requeued=requeued,
                          withheld=withheld, delivery=delivery, not_composed=not_composed)
    if withheld:
        raise PersonalDataWithheldError(
            f"{len(withheld)} messages of {day} carried a member's personal data and were withheld: {withheld}")
    if not_composed:
        reasons = "; ".join(f"{f.key}: {f.reason}" for f in failures if f.key in set(not_composed))
        raise MessagesNotComposedError(
            f"{len(not_composed)} messages of {day} could not be composed (the others went out): {reasons}"[:1000])
    return summary
