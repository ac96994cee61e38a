"""The rates of a province or a seller on the dashboard: each with its denominator, beside the country's.

The same figures and wording as the officer's report (`pipelines.reports.rates`, `render.rates_view`), as a
right-to-left HTML table.
"""

from __future__ import annotations

import html

from pipelines.i18n.messages import t
from pipelines.reports.model import EntityRates
from pipelines.reports.render import rates_view


def rates_table_html(entity: EntityRates, table_id: str) -> str:
    """One entity's rates: a row per measure, a column per window; each cell the rate and the country's."""
    windows, views = rates_view([entity])
    view = views[0]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [t("rates.col.measure"), *windows])
    body = "".join(
        "<tr><th>" + html.escape(row["label"]) + "</th>" + "".join(
            f'<td class="num rate-cell"><b>{html.escape(c["value"])}</b><br>'
            f'<span class="rate-vs rate-{html.escape(c["trend"])}">{html.escape(c["vs"])}</span></td>'
            for c in row["cells"]) + "</tr>"
        for row in view["rows"]
    )
    return (f'<table class="rasad rates" dir="rtl" id="{html.escape(table_id)}" '
            f'data-entity="{html.escape(entity.entity_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


RATES_CSS = """
table.rasad.rates td.rate-cell { white-space: normal; }
table.rasad.rates .rate-vs { font-size: 0.8rem; color: #5b6478; }
table.rasad.rates .rate-worse { color: #b42318; }
table.rasad.rates .rate-better { color: #067647; }
"""
