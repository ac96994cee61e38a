"""The organisation's own rule breaks (the seed's rules, `rasad ref check`) as Fardap reads them: per rule, what
it means, how many units or provinces break it, where, and since when.

The breaks are the violation episodes of `monitoring.reference_violation` open on a day; an episode's
`episode_start_day` is the first day the rule was seen broken, so "since when" needs no table of its own.
The national digest shows the summary; the dashboard's coordinators' page shows it and every break.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from pipelines.i18n.messages import has, label, t
from pipelines.i18n.persian import to_persian_digits
from pipelines.reference.rules import RULES
from pipelines.store.sql_files import read_frame

PROVINCES_NAMED = 4
_ORDER = {r.name: i for i, r in enumerate(RULES)}


@dataclass(frozen=True)
class RuleBreakSummary:
    """One broken rule on a day."""

    rule: str
    severity: str
    count: int  # entities breaking it
    provinces: Sequence[str]  # Persian names of the provinces where it is broken, sorted
    since: date  # the first day of its oldest open break


def open_rule_breaks(conn: Connection, day: date) -> pd.DataFrame:
    """The violation episodes open on `day` (rule, severity, entity, province and its name, since when)."""
    frame = read_frame(conn, "reference/select_violations_open_on_day", day=day)
    for column in ("episode_start_day", "last_observed_day"):
        frame[column] = pd.to_datetime(frame[column]).dt.date if not frame.empty else frame[column]
    return frame


def rule_order(rules: Sequence[str]) -> list[str]:
    """Rules in the order of the seed's catalogue (unknown ones last)."""
    return sorted(rules, key=lambda r: (_ORDER.get(r, len(_ORDER)), r))


def summarize(breaks: pd.DataFrame) -> list[RuleBreakSummary]:
    """One summary per broken rule, in the catalogue's order."""
    if breaks.empty:
        return []
    g = breaks.groupby("rule")
    counts, since, severity = g.size(), g["episode_start_day"].min(), g["severity"].first()
    names = g["province_name_fa"].agg(lambda s: sorted({str(n) for n in s.dropna()}))
    return [RuleBreakSummary(rule=r, severity=str(severity[r]), count=int(counts[r]), provinces=names[r],
                             since=since[r]) for r in rule_order(list(counts.index))]


def rule_name(rule: str) -> str:
    """A rule's Persian name (the raw key for a rule the catalogue does not know)."""
    return label("refrule", rule)


def rule_meaning(rule: str, core_max_headcount: int = 15) -> str:
    """What the rule asks of the organisation, in Persian."""
    key = f"refrule.{rule}.meaning"
    return t(key, max=core_max_headcount) if has(key) else "—"


def provinces_text(names: Sequence[str]) -> str:
    """The first few province names, and how many more."""
    if not names:
        return t("rulebreaks.no_province")
    shown = t("punct.list_separator").join(to_persian_digits(n) for n in names[:PROVINCES_NAMED])
    if len(names) > PROVINCES_NAMED:
        return t("rulebreaks.provinces_more", names=shown, count=len(names) - PROVINCES_NAMED)
    return shown
