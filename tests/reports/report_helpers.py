"""Helpers shared by the report tests (a uniquely named module, imported by the tests)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

LATIN_DIGIT = re.compile(r"[0-9]")
ARABIC_INDIC_DIGIT = re.compile(r"[\u0660-\u0669]")
PERSIAN_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
ASCII_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class _VisibleText(HTMLParser):
    """Collects the text a reader sees: no tags, attributes, <style>, <script>, <head>."""

    _HIDDEN = {"style", "script", "head", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def element_text(html: str, element_id: str) -> str:
    """The text of the first element with this id (no nesting of the same tag inside it)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert m, f"no element with id={element_id!r}"
    return visible_text(m.group(2))
