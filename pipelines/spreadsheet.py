"""Text that goes into a spreadsheet cell (XLSX or CSV) is data, never a formula, and never an illegal character.

- A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be read by Excel or
  LibreOffice as a formula (`=HYPERLINK("http://…?leak="&A1, …)`, DDE `@SUM(…)`). Such text gets a leading
  apostrophe, the spreadsheet convention for "this is text" (OWASP's CSV-injection advice); numbers stay numbers.
- XML 1.0 cannot hold the C0 control characters other than tab, line feed and carriage return (openpyxl refuses
  them with `IllegalCharacterError`). They are removed from XLSX text; one seller's NUL byte never stops a
  workbook (and with it a day's mail).

`rasad ref load` drops that apostrophe again (before one of those characters), so an exported directory reads
back as it was.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl's ILLEGAL_CHARACTERS_RE refuses
QUOTE = "'"


def neutral_text(value: Any) -> Any:
    """One cell's value: text without XML-illegal characters, quoted when it would start a formula."""
    if not isinstance(value, str):
        return value
    value = XML_ILLEGAL.sub("", value)
    return QUOTE + value if FORMULA_START.match(value) else value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of `frame` made safe the same way (whole columns; number columns are left alone)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        try:
            clean = values.str.replace(XML_ILLEGAL, "", regex=True)  # NaN where a value is not text
        except AttributeError:  # no text in the column (dates, say)
            continue
        is_text = clean.notna()
        if not is_text.any():
            continue
        quoted = clean.mask(clean.str.match(FORMULA_START).fillna(False).astype(bool), QUOTE + clean)
        out[column] = values.astype(object).where(~is_text, quoted.astype(object))
    return out


def unquote_series(values: pd.Series) -> pd.Series:
    """Undo `neutral_text`'s apostrophe on text read back (a `ref export` directory loaded again)."""
    return values.str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
