"""The Fardap dashboard and the officer's inbox (Streamlit), in Persian, right to left.

`rasad dashboard` serves it (docs/dashboard.md). Pages by role:
- Fardap coordinator: the national view (the map of the provinces, every province ranked, charted, trends,
  drill-down to the province's and its sellers' rates and scorecards and to a finding's evidence), the inbox of
  every province, and the organisation's own rule breaks;
- monitoring officer: the same views of their own province, and their inbox with verdicts, bulk verdicts
  and undo;
- rahyar: the inbox of the units their team covers, read only.
A link `?finding=<id>` (the reports' «مشاهده در داشبورد») opens that finding after login, if the viewer may
see it. Every read and write goes through `pipelines.dashboard.access` with the logged-in Viewer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import cast

import pandas as pd
import streamlit as st

from pipelines.dashboard import access, present
from pipelines.dashboard.access import Viewer
from pipelines.dashboard.rates_table import RATES_CSS, rates_table_html
from pipelines.dashboard.rule_breaks import rule_breaks_page
from pipelines.i18n.messages import label, t
from pipelines.monitored_day import today_in_tehran
from pipelines.reports.model import ReportFinding
from pipelines.reports.render import evidence_lines
from pipelines.settings import get_settings
from pipelines.vocabulary import CHECKS, PAST, SEVERITIES, STATUSES, VERDICTS

# the inbox filters: most severe first; an event finding is past after its day
SEVERITIES_SHOWN = tuple(reversed(SEVERITIES))
STATUSES_SHOWN = (*STATUSES[:2], PAST, STATUSES[2])
INBOX_ROWS_SHOWN = 200


@st.cache_resource
def _engine(url: str):
    from pipelines.store.engine import store_engine

    return store_engine(get_settings())


def engine():
    """The store's engine (one per store URL for the server's life)."""
    return _engine(get_settings().resolved_store_url)


def _html(markup: str) -> None:
    """Markup built here; any source or reference text in it went through `present.inert` (docs/dashboard.md)."""
    st.markdown(markup, unsafe_allow_html=True)


def _plain(tag: str, text: str, css_class: str | None = None) -> None:
    """A heading or line that holds source text (a seller's or a province's name): shown as text, never markup."""
    _html(present.html_block(tag, text, css_class))


def _flash() -> None:
    for kind, message in st.session_state.pop("flash", []):
        getattr(st, kind)(message)


def _say_later(kind: str, message: str) -> None:
    st.session_state.setdefault("flash", []).append((kind, message))


# ------------------------------------------------------------------------------------------------ login


def _session_key() -> bytes:
    from pipelines.dashboard.sessions import session_key

    return session_key(get_settings())


def _client() -> str:
    """The browser's address as the server saw it (or as the trusted proxy says), for rate limiting."""
    from pipelines.dashboard.sessions import client_address

    context = st.context
    try:
        headers = dict(context.headers) if context.headers else None
    except (TypeError, ValueError):  # no browser behind this run (tests)
        headers = None
    return client_address(getattr(context, "ip_address", None), headers, get_settings())


def _forget_session(*, ended: bool) -> None:
    """End this browser session's login; the cookie is cleared and, if it was still sent, not read again."""
    from pipelines.dashboard.sessions import COOKIE_NAME

    st.session_state.clear()
    st.session_state["refused_cookie"] = st.context.cookies.get(COOKIE_NAME)
    st.session_state["clear_cookie"] = True
    if ended:
        st.session_state["session_ended"] = True


def _claim_from_cookie():
    """The session a reloaded page brings in its cookie, if well signed and unexpired."""
    from pipelines.dashboard.sessions import COOKIE_NAME, verify

    token = st.context.cookies.get(COOKIE_NAME)
    if not token or token == st.session_state.get("refused_cookie"):
        return None
    claim = verify(token, _session_key())
    if claim is None:
        st.session_state["refused_cookie"] = token
        st.session_state["clear_cookie"] = True
    return claim


def _local_user() -> dict | None:
    """The user of this browser session, checked against the user table on every run; else the login form."""
    from pipelines.dashboard.users import session_user

    claim = st.session_state.get("session") or _claim_from_cookie()
    if claim is not None:
        with engine().connect() as conn:
            user = None if claim.expired else session_user(conn, claim.user_name, claim.session_version)
        if user is not None:
            st.session_state["session"] = claim
            return user
        _forget_session(ended=True)
    _login_form()
    return None


def _login_form() -> None:
    from pipelines.dashboard.sessions import LOGOUT_ROUTE, attempt_login, new_session, ticket_for

    if st.session_state.pop("clear_cookie", False):
        _html(f'<img hidden alt="" src="{LOGOUT_ROUTE}">')
    st.header(t("dashboard.login_heading"), anchor=False)
    if st.session_state.pop("session_ended", False):
        st.info(t("dashboard.session_ended"))
    with st.form("login"):
        name = st.text_input(t("dashboard.user_name"), key="login_user")
        password = st.text_input(t("dashboard.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("dashboard.login"))
    if not submitted:
        return
    settings = get_settings()
    with engine().begin() as conn:
        result = attempt_login(conn, name, password, _client(), settings)
    if result.user is None:
        if result.lock is not None:
            from datetime import UTC, datetime

            st.error(t("dashboard.login_locked", minutes=result.lock.minutes_left(datetime.now(UTC))))
        else:
            st.error(t("dashboard.login_failed"))
        return
    claim = new_session(result.user, settings)
    refused = st.session_state.get("refused_cookie")
    st.session_state.clear()
    st.session_state["refused_cookie"] = refused
    st.session_state["session"] = claim
    st.session_state["cookie_ticket"] = ticket_for(claim, _session_key())
    st.rerun()


def _oidc_user() -> dict | None:
    """The identity provider's user, matched by e-mail to an enabled dashboard user on every run."""
    import time

    from pipelines.dashboard.users import user_by_email

    if not st.user.is_logged_in:
        st.header(t("dashboard.login_heading"), anchor=False)
        st.button(t("dashboard.login_oidc"), on_click=st.login)
        return None
    expires = st.user.get("exp")
    if isinstance(expires, int | float) and expires <= time.time():
        st.header(t("dashboard.login_heading"), anchor=False)
        st.info(t("dashboard.oidc_expired"))
        st.button(t("dashboard.login_oidc"), on_click=_oidc_login_again)
        return None
    email = str(st.user.get("email") or "")
    with engine().connect() as conn:
        user = user_by_email(conn, email)
    if user is not None:
        return user
    st.error(t("dashboard.oidc_unknown", email=present.md_literal(email)))
    st.button(t("dashboard.logout"), on_click=_logout)
    return None


def _oidc_login_again() -> None:
    st.session_state.clear()
    st.logout()


def current_viewer() -> Viewer | None:
    """The logged-in viewer of this browser session (checked against the user table on every run), logging
    in first when needed."""
    from pipelines.dashboard.users import viewer_for

    user = _oidc_user() if get_settings().dashboard_auth == "oidc" else _local_user()
    if user is None:
        return None
    key = (user["user_name"], int(user["session_version"]))
    if st.session_state.get("viewer_key") != key:
        with engine().connect() as conn:
            st.session_state["viewer"] = viewer_for(conn, user, today_in_tehran())
        st.session_state["viewer_key"] = key
    return cast(Viewer, st.session_state["viewer"])


def _logout() -> None:
    """Log out: every session and cookie of the user ends (a new session version), this browser's cookie goes."""
    from pipelines.dashboard.users import end_sessions

    claim = st.session_state.get("session")
    if claim is not None:
        with engine().begin() as conn:
            end_sessions(conn, claim.user_name)
    _forget_session(ended=False)
    if get_settings().dashboard_auth == "oidc":
        st.logout()


def _header(viewer: Viewer, provinces: pd.DataFrame) -> None:
    left, right = st.columns([5, 1])
    with left:
        st.title(t("dashboard.title"), anchor=False)
        names = provinces.set_index("province_id")["name_fa"] if not provinces.empty else {}
        if viewer.province_id and viewer.province_id in names:
            who = t("dashboard.signed_in_province", name=viewer.display_name, role=label("role", viewer.role),
                    province=names[viewer.province_id])
        else:
            who = t("dashboard.signed_in", name=viewer.display_name, role=label("role", viewer.role))
        _plain("p", who, "rasad-caption")
    with right:
        st.button(t("dashboard.logout"), on_click=_logout, key="logout")


# ------------------------------------------------------------------------------------- national view


def national_page(viewer: Viewer, day: date, provinces: pd.DataFrame) -> None:
    """Provinces ranked and charted, trends, and the drill-down to sellers and findings."""
    settings = get_settings()
    trend_days = settings.dashboard_inbox_days
    with engine().connect() as conn:
        figures = access.province_figures(conn, viewer, day - timedelta(days=trend_days - 1), day)
    if figures.empty:
        st.info(t("dashboard.read_only") if viewer.role == access.RAHYAR else t("dashboard.no_data"))
        return
    figures["day"] = figures["day"].map(present.as_day)
    today = figures[figures["day"] == day]
    if viewer.national:
        st.subheader(t("dashboard.national_heading", date=present.day_label(day)), anchor=False)
    else:
        _plain("h3", t("dashboard.province_heading", province=today["province_name_fa"].iloc[0] if len(today) else "",
                       date=present.day_label(day)))
    if viewer.national:
        _national_map(today, provinces)
    metric = st.selectbox(t("dashboard.rank_by"), list(present.METRICS), key="rank_by",
                          format_func=lambda m: label("dashboard.metric", m))
    ranked = present.rank_provinces(today, metric)
    _html(present.html_table(present.province_headers(), present.province_rows(ranked), numeric=range(2, 8),
                             table_id="province-table"))
    if viewer.national:
        st.markdown(f"#### {t('dashboard.chart_heading', metric=label('dashboard.metric', metric))}")
        st.altair_chart(present.province_bar_chart(ranked, metric), width="stretch")

    trend_metric = metric
    st.markdown(f"#### {t('dashboard.trend_heading', metric=label('dashboard.metric', trend_metric), days=trend_days)}")
    lines = [present.national_trend(figures).assign(series=t("dashboard.trend.country"))] if viewer.national else []
    drill_default = None if viewer.national else viewer.province_id
    chosen_province = _province_picker(provinces, drill_default, viewer)
    if chosen_province:
        own = figures[figures["province_id"] == chosen_province]
        lines.append(own.assign(series=own["province_name_fa"]))
    trend = pd.concat(lines, ignore_index=True) if lines else pd.DataFrame()
    if not trend.empty:
        st.altair_chart(present.trend_chart(trend, present.METRICS[trend_metric][0], "series",
                                            label("dashboard.metric", trend_metric)), width="stretch")
    if chosen_province:
        sellers_section(viewer, day, chosen_province, provinces)


def _province_picker(provinces: pd.DataFrame, default: str | None, viewer: Viewer) -> str | None:
    ids = provinces["province_id"].tolist()
    if not ids:
        return None
    if not viewer.national:
        return default if default in ids else None
    names = provinces.set_index("province_id")["name_fa"]
    options = [None, *ids]
    return st.selectbox(t("dashboard.drill_province"), options, key="drill_province",
                        format_func=lambda p: t("dashboard.choose") if p is None else str(names[p]))


def sellers_section(viewer: Viewer, day: date, province_id: str, provinces: pd.DataFrame) -> None:
    """A province's sellers (scorecards), one seller's trend and findings, and a finding to open."""
    settings = get_settings()
    window = settings.dashboard_scorecard_window_days
    names = provinces.set_index("province_id")["name_fa"]
    st.markdown(f"### {t('dashboard.drill_heading')}")
    with engine().connect() as conn:
        cards = access.seller_scorecards(conn, viewer, day, window, province_id=province_id)
    if cards.empty:
        st.info(t("dashboard.no_sellers"))
        return
    _plain("p", t("dashboard.sellers_intro", window=window, province=names.get(province_id, province_id)),
           "rasad-caption")
    _html(present.html_table(present.seller_headers(), present.seller_rows(cards), numeric=range(1, 5),
                             table_id="seller-table"))
    province_rates = _rates_section(viewer, day, province_id, names.get(province_id, province_id))
    seller_names = cards.set_index("seller_id")["display_name"].fillna(cards.set_index("seller_id").index.to_series())
    seller = st.selectbox(t("dashboard.drill_seller"), [None, *cards["seller_id"].tolist()], key="drill_seller",
                          format_func=lambda s: t("dashboard.choose") if s is None else str(seller_names[s]))
    if not seller:
        return
    with engine().connect() as conn:
        trend = access.seller_trend(conn, viewer, seller, window)
        found = access.findings(conn, viewer, day, days=settings.dashboard_inbox_days, seller_id=seller)
    _seller_rates(province_rates, seller, str(seller_names[seller]), province_id)
    _plain("h4", t("dashboard.seller_trend_heading", seller=seller_names[seller]))
    if not trend.empty:
        long = pd.concat([
            trend.assign(series=label("dashboard.metric", m), value=trend[m])[["day", "series", "value"]]
            for m in ("on_time_rate", "quality_defect_rate", "seller_cancel_rate")
        ], ignore_index=True).rename(columns={"value": "on_time_rate"})
        st.altair_chart(present.trend_chart(long, "on_time_rate", "series", " "), width="stretch")
    st.markdown(f"#### {t('dashboard.seller_findings_heading')}")
    _findings_table_and_opener(found, key="seller_findings")


def _findings_table_and_opener(found: pd.DataFrame, key: str) -> None:
    if found.empty:
        st.info(t("dashboard.inbox_empty"))
        return
    shown = found.head(INBOX_ROWS_SHOWN)
    rows, classes = present.finding_rows(shown)
    _html(present.html_table(present.finding_headers(), rows, numeric=(0, 7), row_classes=classes,
                             table_id=f"{key}-table"))
    if len(found) > INBOX_ROWS_SHOWN:
        st.caption(t("dashboard.inbox_more", count=len(found) - INBOX_ROWS_SHOWN))
    by_id = shown.set_index("finding_id")
    pick = st.selectbox(t("dashboard.open"), [None, *shown["finding_id"].tolist()], key=f"{key}_open",
                        format_func=lambda f: t("dashboard.choose") if f is None
                        else present.finding_option(f, by_id.at[f, "rule"], by_id.at[f, "seller_name"]))
    if pick:
        st.query_params["finding"] = pick
        st.rerun()


# ---------------------------------------------------- issue 16: the national map, and rates with denominators


def _national_map(today: pd.DataFrame, provinces: pd.DataFrame) -> None:
    """The choropleth of the provinces; a click on one opens its drill-down (the `drill_province` picker)."""
    from pipelines.dashboard.national_map import MAP_METRICS, SELECTION, picked_province, province_map_chart

    metric = st.selectbox(t("dashboard.map_measure"), MAP_METRICS, key="map_metric",
                          format_func=lambda m: label("dashboard.metric", m))
    st.markdown(f"#### {t('dashboard.map_heading', metric=label('dashboard.metric', metric))}")
    st.caption(t("dashboard.map_hint"))
    event = st.altair_chart(province_map_chart(today, provinces, metric), width="stretch", on_select="rerun",
                            selection_mode=SELECTION, key="national_map")
    picked = picked_province(event)
    # only a new click moves the picker, so that the picker can still be changed by hand afterwards
    if picked and picked != st.session_state.get("map_picked") and picked in set(provinces["province_id"]):
        st.session_state["drill_province"] = picked
    st.session_state["map_picked"] = picked


def _rates_section(viewer: Viewer, day: date, province_id: str, province_name: str) -> pd.DataFrame:
    """The province's rates beside the country's; returns the rates frame for the sellers' tables."""
    from pipelines.reports.rates import entity_rates

    with engine().connect() as conn:
        rates = access.rates(conn, viewer, day, province_id)
    if rates.empty:
        return rates
    _plain("h4", t("dashboard.rates_heading", province=province_name))
    st.caption(t("rates.intro"))
    _html(rates_table_html(entity_rates(rates, "province", province_id, province_name), "province-rates"))
    return rates


def _seller_rates(rates: pd.DataFrame, seller_id: str, seller_name: str, province_id: str) -> None:
    from pipelines.reports.rates import entity_rates

    if rates.empty:
        return
    _plain("h4", t("dashboard.seller_rates_heading", seller=seller_name))
    _html(rates_table_html(entity_rates(rates, "seller", seller_id, seller_name, province_id), "seller-rates"))


# ------------------------------------------------------------------------------------------- inbox


def inbox_page(viewer: Viewer, day: date, provinces: pd.DataFrame) -> None:
    """The findings of the viewer's scope, filtered, with verdicts one by one or in bulk, and undo."""
    settings = get_settings()
    days = settings.dashboard_inbox_days
    st.subheader(t("dashboard.inbox_heading", days=days, date=present.day_label(day)), anchor=False)
    cols = st.columns(5 if viewer.national else 4)
    checks = cols[0].multiselect(t("dashboard.filter.check"), CHECKS, key="f_check",
                                 format_func=lambda c: label("check", c), placeholder=t("dashboard.all"))
    severities = cols[1].multiselect(t("dashboard.filter.severity"), SEVERITIES_SHOWN, key="f_severity",
                                     format_func=lambda s: label("severity", s), placeholder=t("dashboard.all"))
    statuses = cols[2].multiselect(t("dashboard.filter.status"), STATUSES_SHOWN, key="f_status",
                                   format_func=lambda s: label("status", s), placeholder=t("dashboard.all"))
    verdicts = cols[3].multiselect(t("dashboard.filter.verdict"), ["none", *VERDICTS], key="f_verdict",
                                   format_func=lambda v: label("verdict", v), placeholder=t("dashboard.all"))
    province_id = None
    if viewer.national:
        names = provinces.set_index("province_id")["name_fa"]
        province_id = cols[4].selectbox(t("dashboard.filter.province"), [None, *names.index.tolist()],
                                        key="f_province",
                                        format_func=lambda p: t("dashboard.all") if p is None else str(names[p]))
    with engine().connect() as conn:
        found = access.findings(conn, viewer, day, days=days, province_id=province_id, checks=checks,
                                severities=severities, statuses=statuses, verdicts=verdicts)
        last = access.last_batch(conn, viewer) if viewer.may_give_verdicts else None
    _flash()
    if last is not None:
        undo_label = t("dashboard.undo", count=len(last["finding_ids"]), verdict=label("verdict", last["verdict"]))
        if st.button(undo_label, key="undo"):
            with engine().begin() as conn:
                restored = access.undo_batch(conn, viewer, last["batch_id"])
            _say_later("success", t("dashboard.undone", count=restored))
            st.rerun()
    st.caption(t("dashboard.inbox_count", count=len(found)))
    _findings_table_and_opener(found, key="inbox")
    if found.empty:
        return
    if not viewer.may_give_verdicts:
        st.caption(t("dashboard.read_only"))
        return
    _bulk_form(viewer, found)


def _bulk_form(viewer: Viewer, found: pd.DataFrame) -> None:
    st.markdown(f"#### {t('dashboard.bulk_heading')}")
    by_id = found.set_index("finding_id")
    with st.form("bulk", clear_on_submit=True):
        take_all = st.checkbox(t("dashboard.bulk_all", count=len(found)), key="bulk_all")
        chosen = st.multiselect(t("dashboard.bulk_choose"), found["finding_id"].tolist(), key="bulk_ids",
                                format_func=lambda f: present.finding_option(f, by_id.at[f, "rule"],
                                                                             by_id.at[f, "seller_name"]),
                                placeholder=t("dashboard.choose"))
        verdict = st.radio(t("dashboard.verdict"), VERDICTS, key="bulk_verdict", horizontal=True,
                           format_func=lambda v: label("verdict", v))
        note = st.text_input(t("dashboard.note"), key="bulk_note")
        submitted = st.form_submit_button(t("dashboard.record_bulk"))
    if submitted:
        ids = found["finding_id"].tolist() if take_all else list(chosen)
        _record(viewer, ids, verdict, note)


def _record(viewer: Viewer, ids: list[str], verdict: str, note: str) -> None:
    if not ids:
        st.warning(t("dashboard.nothing_chosen"))
        return
    try:
        with engine().begin() as conn:
            result = access.give_verdicts(conn, viewer, ids, verdict, note)
    except access.AccessDenied:
        st.error(t("dashboard.denied"))
        return
    _say_later("success", t("dashboard.recorded", verdict=label("verdict", verdict), count=result.recorded))
    if result.unchanged:
        _say_later("info", t("dashboard.recorded_unchanged", count=result.unchanged))
    st.rerun()


# ---------------------------------------------------------------------------------- one finding


def _close_finding() -> None:
    st.query_params.pop("finding", None)
    for key in ("inbox_open", "seller_findings_open"):
        st.session_state.pop(key, None)


def finding_page(viewer: Viewer, finding_id: str, day: date) -> None:
    """One finding: what it is, its evidence (offer, orders, deliveries), its history and a verdict form."""
    st.button(t("dashboard.back"), on_click=_close_finding, key="back")
    settings = get_settings()
    with engine().connect() as conn:
        row = access.finding(conn, viewer, finding_id)
        if row is None:
            st.error(t("dashboard.finding_not_found"))
            return
        evidence = access.finding_evidence(conn, viewer, finding_id, settings.dashboard_evidence_max_orders)
        history = access.verdict_history(conn, viewer, finding_id)
        last = access.last_batch(conn, viewer) if viewer.may_give_verdicts else None
    _flash()
    status = _status(row, day)
    st.subheader(t("dashboard.finding_heading", code=present.finding_short_code(finding_id),
                   rule=label("rule", row["rule"])), anchor=False)
    facts = [
        (t("dashboard.field.severity"), label("severity", row["severity"])),
        (t("dashboard.field.status"), label("status", status)),
        (t("dashboard.field.province"), present.text(row["province_name_fa"])),
        (t("dashboard.field.seller"), present.seller_name(row["seller_name"], row["seller_id"])),
        (t("dashboard.field.entity"), f"{label('entity', row['entity_type'])} {present.text(row['entity_id'])}"),
        # NOT NULL columns, and resolved_day only when set: as_day gives a date for each
        (t("dashboard.field.episode_start"), present.day_label(cast(date, present.as_day(row["episode_start_day"])))),
        (t("dashboard.field.last_observed"), present.day_label(cast(date, present.as_day(row["last_observed_day"])))),
        (t("dashboard.field.resolved"), present.day_label(cast(date, present.as_day(row["resolved_day"])))
         if row["resolved_day"] else "—"),
        (t("dashboard.field.impact"), present.toman(row["impact_rial"])),
        (t("dashboard.field.verdict"), present.verdict_label(row["verdict"])),
    ]
    _html(present.html_table(None, facts, table_id="finding-facts"))
    st.markdown(f"#### {t('dashboard.evidence_heading')}")
    lines = evidence_lines(_as_report_finding(row, status), day)
    if lines:
        _html('<ul class="evidence">' + "".join(f"<li>{present.inert(x)}</li>" for x in lines) + "</ul>")
    if evidence is not None:
        if not evidence.offer.empty:
            st.markdown(f"##### {t('dashboard.offer_heading')}")
            with engine().connect() as conn:
                taxa = access.taxon_names(conn, viewer, evidence.offer["category_code"])
            _html(present.html_table(present.offer_headers(), present.offer_rows(evidence.offer, taxa),
                                     table_id="offer"))
        if not evidence.orders.empty:
            st.markdown(f"##### {t('dashboard.orders_heading')}")
            _html(present.html_table(present.order_headers(), present.order_rows(evidence.orders), table_id="orders"))
        if not evidence.deliveries.empty:
            st.markdown(f"##### {t('dashboard.deliveries_heading')}")
            _html(present.html_table(present.delivery_headers(), present.delivery_rows(evidence.deliveries),
                                     table_id="deliveries"))
    st.markdown(f"#### {t('dashboard.history_heading')}")
    if history.empty:
        st.caption(t("dashboard.history_empty"))
    else:
        _html(present.html_table(present.history_headers(), present.history_rows(history), table_id="history"))
    if not viewer.may_give_verdicts:
        st.caption(t("dashboard.read_only"))
        return
    if last is not None and finding_id in last["finding_ids"]:
        undo_label = t("dashboard.undo", count=len(last["finding_ids"]), verdict=label("verdict", last["verdict"]))
        if st.button(undo_label, key="undo_one"):
            with engine().begin() as conn:
                restored = access.undo_batch(conn, viewer, last["batch_id"])
            _say_later("success", t("dashboard.undone", count=restored))
            st.rerun()
    with st.form("verdict_one", clear_on_submit=True):
        verdict = st.radio(t("dashboard.verdict"), VERDICTS, key="one_verdict", horizontal=True,
                           format_func=lambda v: label("verdict", v))
        note = st.text_input(t("dashboard.note"), key="one_note")
        submitted = st.form_submit_button(t("dashboard.record"))
    if submitted:
        _record(viewer, [finding_id], verdict, note)


def _status(row: dict, day: date) -> str:
    from pipelines.findings.verdicts import finding_status

    start, last = present.as_day(row["episode_start_day"]), present.as_day(row["last_observed_day"])
    assert start is not None and last is not None  # NOT NULL columns
    resolved = present.as_day(row["resolved_day"])
    return finding_status(start, last, resolved, row["kind"], max(day, start))


def _as_report_finding(row: dict, status: str) -> ReportFinding:
    try:
        evidence = json.loads(row["evidence"] or "{}")
    except ValueError:
        evidence = {}
    start = present.as_day(row["episode_start_day"])
    assert start is not None  # NOT NULL column
    return ReportFinding(
        finding_id=row["finding_id"], rule=row["rule"], check=row["check_name"], severity=row["severity"],
        status=status, episode_start_day=start, seller_id=row["seller_id"] or "",
        seller_name=row["seller_name"] or row["seller_id"] or "", offer_id=row["offer_id"], offer_title=None,
        entity_type=row["entity_type"], entity_id=row["entity_id"], impact_rial=int(row["impact_rial"]),
        evidence=evidence if isinstance(evidence, dict) else {}, dashboard_url="",
    )


# --------------------------------------------------------------------------------------------- main


def main() -> None:
    """Draw the page for this browser session."""
    st.set_page_config(page_title=t("dashboard.title"), layout="wide", initial_sidebar_state="collapsed")
    _html(f"<style>{present.page_css()}{RATES_CSS}</style>")
    viewer = current_viewer()
    if viewer is None:
        return
    ticket = st.session_state.pop("cookie_ticket", None)
    if ticket:  # the browser trades it for the session cookie, so that a reload keeps the login
        from pipelines.dashboard.sessions import SESSION_ROUTE

        _html(f'<img hidden alt="" src="{SESSION_ROUTE}?ticket={ticket}">')
    with engine().connect() as conn:
        provinces = access.visible_provinces(conn, viewer)
        days = access.checked_days(conn, viewer)
    _header(viewer, provinces)
    if not days:
        st.info(t("dashboard.no_data"))
        return
    day = st.selectbox(t("dashboard.day"), days, key="day", format_func=present.day_label)
    finding_id = st.query_params.get("finding")
    if finding_id:
        finding_page(viewer, str(finding_id), day)
        return
    pages = ["inbox"] if viewer.role == access.RAHYAR else (
        ["national", "inbox", "rule_breaks"] if viewer.national else ["province", "inbox"])
    page = st.radio(t("dashboard.page"), pages, key="page", horizontal=True, label_visibility="collapsed",
                    format_func=lambda p: t(f"dashboard.page.{p}"))
    if page == "inbox":
        inbox_page(viewer, day, provinces)
    elif page == "rule_breaks":
        rule_breaks_page(viewer, day, engine(), get_settings().core_max_headcount)
    else:
        national_page(viewer, day, provinces)


if __name__ == "__main__":
    main()
