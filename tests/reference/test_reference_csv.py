"""Reference CSV files with one structural break each are refused, naming the file, the line and the problem.

Pure reading and validation: no store is touched (test_reference_load_and_rules.py shows nothing changes).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
from break_helpers import _set

from pipelines.reference.csv_load import ReferenceLoadError, read_reference_dir, write_reference_csv
from pipelines.simulator import SimScale, build_world

pytestmark = pytest.mark.unit

DAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    world = build_world(seed=5, days=3, end_day=DAY + timedelta(days=1),
                        scale=SimScale(sellers_per_province=2, units_per_province=6, members=400))
    directory = tmp_path_factory.mktemp("ref-csv")
    write_reference_csv(world.reference_tables(), directory)
    return directory


def _broken(clean_dir, tmp_path, name, change):
    target = tmp_path / "ref"
    shutil.copytree(clean_dir, target)
    path = target / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)
    return target


def test_the_clean_files_are_read_back_with_their_types(clean_dir):
    frames = read_reference_dir(clean_dir)
    unit = frames["unit"]
    assert unit["valid_from"].map(type).eq(date).all()
    assert unit["in_capital"].map(type).eq(bool).all()
    assert str(unit["headcount"].dtype) == "Int64"


STRUCTURAL_BREAKS = [
    ("unit", _set("valid_from", "1403/09/01"), "unit.csv line 2: valid_from is not a day"),
    ("unit", _set("kind", "factory"), "unit.csv line 2: kind must be one of"),
    ("unit", _set("region_id", "c-99999"), "unit.csv line 2: region_id names no row of region.csv"),
    ("kanoon", _set("entrepreneurship_type", "", lambda f: f["kind"] == "entrepreneurship"),
     "needs its entrepreneurship_type"),
    ("membership", _set("system", "mirat"), "membership.csv line 2: give either kanoon_id or system"),
    ("member", _set("national_id", "12345"), "member.csv line 2: national_id must be 10 digits"),
    ("member", lambda f: pd.concat([f, f.head(1)], ignore_index=True), "member_id repeats an earlier line"),
    ("rahyari_team", _set("region_id", "", lambda f: f["kind"] == "social"), "a social rahyari needs its region_id"),
    ("province", _set("name_fa", "آذربايجان غربي", lambda f: f["province_id"] == "1"),
     "is the same name as"),
    ("unit", _set("headcount", "many"), "unit.csv line 2: headcount must be a whole number"),
    ("person", lambda f: f.drop(columns="full_name"), "person.csv line 1: missing required column(s) full_name"),
    ("unit", lambda f: f.assign(colour="red"), "unit.csv line 1: unknown column(s) colour"),
]


@pytest.mark.parametrize("name, change, message", STRUCTURAL_BREAKS, ids=[m[:30] for _, _, m in STRUCTURAL_BREAKS])
def test_a_structural_break_is_refused_naming_file_line_and_problem(clean_dir, tmp_path, name, change, message):
    with pytest.raises(ReferenceLoadError) as refused:
        read_reference_dir(_broken(clean_dir, tmp_path, name, change))
    text = str(refused.value)
    assert text.startswith("reference data refused, nothing changed") and message in text, text


def test_a_missing_file_is_named(clean_dir, tmp_path):
    target = tmp_path / "ref"
    shutil.copytree(clean_dir, target)
    (target / "kanoon.csv").unlink()
    with pytest.raises(ReferenceLoadError, match=r"kanoon.csv: is missing"):
        read_reference_dir(target)
