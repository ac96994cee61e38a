"""The coordinators' page of the organisation's own rule breaks: the seed's rules that the reference data breaks
(`rasad ref check`, `monitoring.reference_violation`), what each rule means, and which units or provinces
break it since when.

`summary_rows` and `entity_rows` are pure (tested without a browser); `rule_breaks_page` draws the page.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.dashboard import access, present
from pipelines.dashboard.access import Viewer
from pipelines.i18n.messages import label, t
from pipelines.i18n.persian import format_number, to_persian_digits
from pipelines.reports.rule_breaks import provinces_text, rule_meaning, rule_name, rule_order, summarize

ENTITIES_SHOWN = 200


def summary_rows(breaks: pd.DataFrame, core_max_headcount: int = 15) -> list[list[str]]:
    """One row per broken rule, in the catalogue's order: name, meaning, severity, count, provinces, since."""
    return [[rule_name(s.rule), rule_meaning(s.rule, core_max_headcount), label("severity", s.severity),
             format_number(s.count), provinces_text(s.provinces), present.day_label(s.since, with_weekday=False)]
            for s in summarize(breaks)]


def summary_headers() -> list[str]:
    """Headers of the rules' summary."""
    return [t("rulebreaks.col.rule"), t("rulebreaks.col.meaning"), t("rulebreaks.col.severity"),
            t("rulebreaks.col.count"), t("rulebreaks.col.provinces"), t("rulebreaks.col.since")]


def entity_rows(breaks: pd.DataFrame, day: date) -> list[list[str]]:
    """The breaks of one rule: province, kind of entity, the entity, since when, for how many days."""
    rows = []
    for r in breaks.itertuples(index=False):
        name = r.entity_name_fa if isinstance(r.entity_name_fa, str) and r.entity_name_fa else r.entity_id
        province = r.province_name_fa if isinstance(r.province_name_fa, str) else t("rulebreaks.no_province")
        rows.append([to_persian_digits(province), label("refentity", r.entity_type), to_persian_digits(name),
                     present.day_label(r.episode_start_day, with_weekday=False),
                     t("rulebreaks.days", days=format_number((day - r.episode_start_day).days + 1))])
    return rows


def entity_headers() -> list[str]:
    """Headers of one rule's breaks."""
    return [t("rulebreaks.col.province"), t("rulebreaks.col.kind"), t("rulebreaks.col.entity"),
            t("rulebreaks.col.since"), t("rulebreaks.col.days")]


def rule_breaks_page(viewer: Viewer, day: date, engine, core_max_headcount: int = 15) -> None:
    """Draw the page: every broken rule with its meaning, then the breaks of the rule the coordinator picks."""
    import streamlit as st

    st.subheader(t("rulebreaks.heading", date=present.day_label(day)), anchor=False)
    st.caption(t("rulebreaks.intro"))
    with engine.connect() as conn:
        breaks = access.rule_breaks(conn, viewer, day)
    if breaks.empty:
        st.info(t("rulebreaks.none"))
        return
    st.markdown(present.html_table(summary_headers(), summary_rows(breaks, core_max_headcount), numeric=(3,),
                                   table_id="rule-breaks-table"), unsafe_allow_html=True)
    rules = rule_order(breaks["rule"].unique().tolist())
    rule = st.selectbox(t("rulebreaks.pick"), rules, key="rule_breaks_rule", format_func=rule_name)
    mine = breaks[breaks["rule"] == rule]
    st.markdown(f"#### {t('rulebreaks.detail_heading', rule=rule_name(rule))}")
    st.caption(rule_meaning(rule, core_max_headcount))
    st.markdown(present.html_table(entity_headers(), entity_rows(mine.head(ENTITIES_SHOWN), day),
                                   table_id="rule-break-entities"), unsafe_allow_html=True)
    if len(mine) > ENTITIES_SHOWN:
        st.caption(t("rulebreaks.more", count=len(mine) - ENTITIES_SHOWN))
