"""Source text for the dashboard's HTML blocks and Markdown elements: shown literally, never read as markup."""

from __future__ import annotations

import html
import re

import pytest

from pipelines.dashboard.present import html_block, html_table, inert, md_literal

pytestmark = pytest.mark.unit

HOSTILE = ("![x](http://leak.example/a.png) [click](http://evil.example) <img src=x onerror=alert(1)> "
           ":red[r] $x$ `c` *b* _i_ ~s~ | # \\ {} = + ^ @ % & ' \"")


def test_inert_text_has_no_markup_characters_and_decodes_to_itself():
    out = inert(HOSTILE)
    assert not re.search(r"[<>\[\]()!*_`$:|#\\{}=+^@%'\"]", out.replace("&", "").replace(";", "")
                         .translate(str.maketrans("", "", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")))
    assert html.unescape(out) == HOSTILE  # the browser shows the very characters
    assert not re.search(r"[0-9]", inert("x:y"))  # named entities: no Latin digits in the page source


def test_line_breaks_cannot_end_the_html_block():
    table = html_table(["h"], [["a\n\n![x](http://leak.example/a.png)\r\nb\u2028c"]])
    assert "\n" not in table and "\r" not in table and "\u2028" not in table
    block = html_block("h4", "seller\n\n# heading")
    assert block.startswith("<h4>") and "\n" not in block


def test_md_literal_escapes_every_ascii_punctuation():
    out = md_literal("[a](http://evil.example) **b**\nline")
    assert out == "\\[a\\]\\(http\\:\\/\\/evil\\.example\\) \\*\\*b\\*\\* line"
