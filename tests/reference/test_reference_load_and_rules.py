"""As a new user would: load the simulated organisation from CSV, break one rule of each kind, and see each
break refused with a message naming it, or reported by the rules. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
from break_helpers import (
    _big_core,
    _close_social_team,
    _exclusive_in_a_county,
    _move_system_join_before_social,
    _officer_without_fardap,
    _second_suppliers_kanoon,
    _set,
    _supplier_in_a_core_kanoon,
)
from org_helpers import tiny_org
from sqlalchemy import func, select

from pipelines.cli import main
from pipelines.reference import tables as ref_tables
from pipelines.reference.csv_load import ReferenceLoadError, export_reference_dir, load_reference_dir, name_key
from pipelines.reference.rules import RULE_NAMES, check_reference
from pipelines.reference.tables import reference_violation
from pipelines.reference.writer import write_reference
from pipelines.simulator import SimScale, build_world
from pipelines.store import metadata as store_metadata

pytestmark = pytest.mark.db

DAY = date(2026, 11, 24)
SCALE = SimScale(sellers_per_province=2, units_per_province=6, members=400)


@pytest.fixture(scope="module")
def clean_dir(store, tmp_path_factory):
    """The simulated organisation, loaded into the store and exported as the documented CSV files."""
    settings, engine = store
    world = build_world(seed=5, days=3, end_day=DAY + timedelta(days=1), scale=SCALE)
    write_reference(world.reference_tables(), engine, DAY, source="test:sim")
    directory = tmp_path_factory.mktemp("ref-csv")
    export_reference_dir(engine, directory)
    return directory


def _copy(clean_dir, tmp_path):
    target = tmp_path / "ref"
    shutil.copytree(clean_dir, target)
    return target


def _edit(directory, name: str, change) -> None:
    path = directory / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(select(func.count())
                                .select_from(store_metadata.metadata.tables[f"ref.{t}"])).scalar_one()
                for t in ("unit", "member", "membership", "kanoon")}


def _violated(store) -> dict[str, int]:
    settings, engine = store
    result = check_reference(engine, settings, DAY)
    return {rule: n for rule, n in result.violations.items() if n}


def test_the_simulated_organisation_round_trips_and_keeps_every_rule(store, clean_dir):
    settings, engine = store
    before = _counts(engine)
    counts = load_reference_dir(engine, clean_dir, DAY)
    assert counts["member"] == 400 and counts["unit"] == 31 * 6
    assert _counts(engine) == before
    assert _violated(store) == {}


RULE_BREAKS = [
    ("membership", _move_system_join_before_social, "member_joined_social_cooperation_first"),
    ("kanoon", _second_suppliers_kanoon, "one_suppliers_kanoon_per_province_domain"),
    ("unit", _big_core, "core_size_and_steward"),
    ("unit", _supplier_in_a_core_kanoon, "supplier_is_not_a_core"),
    ("rahyari_team", _exclusive_in_a_county, "exclusive_rahyari_in_capital"),
    ("monitoring_officer_assignment", _officer_without_fardap, "one_officer_per_province_with_fardap"),
]


def test_one_break_of_each_rule_is_reported_once_by_the_rules(store, clean_dir, tmp_path):
    settings, engine = store
    broken = _copy(clean_dir, tmp_path)
    for name, change, _ in RULE_BREAKS:
        _edit(broken, name, change)
    load_reference_dir(engine, broken, DAY)
    assert _violated(store) == {rule: 1 for _, _, rule in RULE_BREAKS}
    with engine.connect() as conn:
        stored = pd.DataFrame(conn.execute(select(reference_violation)).mappings().all())
    assert sorted(stored["rule"]) == sorted(rule for _, _, rule in RULE_BREAKS)
    assert stored["routing"].str.contains('"role": "fardap_provincial"').all()


def test_a_region_without_social_rahyari_and_an_uncovered_unit_are_reported(store, clean_dir, tmp_path):
    settings, engine = store
    broken = _copy(clean_dir, tmp_path)
    units = pd.read_csv(broken / "unit.csv", dtype=str, keep_default_na=False)
    region = units.loc[units["kind"] != "supplier", "region_id"].iloc[0]
    _edit(broken, "rahyari_team", _close_social_team(lambda f: region))
    load_reference_dir(engine, broken, DAY)
    violated = _violated(store)
    assert violated["region_has_one_social_rahyari"] == 1
    assert violated["selling_unit_covered"] >= 1
    assert set(violated) == {"region_has_one_social_rahyari", "selling_unit_covered"}


def test_a_refused_load_changes_nothing(store, clean_dir, tmp_path):
    settings, engine = store
    load_reference_dir(engine, clean_dir, DAY)
    before = _counts(engine)
    broken = _copy(clean_dir, tmp_path)
    _edit(broken, "unit", _set("region_id", "c-99999"))
    _edit(broken, "membership", lambda f: f.iloc[: len(f) // 2])  # a valid change that must not land either
    with pytest.raises(ReferenceLoadError, match="unit.csv line 2: region_id names no row of region.csv"):
        load_reference_dir(engine, broken, DAY)
    assert _counts(engine) == before


def test_persian_variants_are_read_as_the_same_names_and_digits(store, clean_dir, tmp_path):
    settings, engine = store
    variant = _copy(clean_dir, tmp_path)
    provinces = pd.read_csv(variant / "province.csv", dtype=str, keep_default_na=False)
    sistan = provinces.loc[name_key(provinces["name_fa"]) == name_key(pd.Series(["سیستان و بلوچستان"])).iloc[0]]
    assert sistan["name_fa"].iloc[0] == "سیستان وبلوچستان"  # as the county list spells it
    pid = sistan["province_id"].iloc[0]

    def by_name(f):
        f.loc[f["province_id"] == pid, "province_id"] = "سيستان و بلوچستان"  # Arabic yeh, with the space
        return f

    def persian_digits(f):
        f.loc[0, "national_id"] = f.loc[0, "national_id"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        return f

    _edit(variant, "region", by_name)
    _edit(variant, "member", persian_digits)
    load_reference_dir(engine, variant, DAY)
    with engine.connect() as conn:
        regions = conn.execute(select(func.count()).select_from(ref_tables.region)
                               .where(ref_tables.region.c.province_id == pid)).scalar_one()
        nid = conn.execute(select(store_metadata.metadata.tables["ref.member"].c.national_id).limit(1)).scalar_one()
    assert regions > 1 and nid.isascii() and nid.isdigit()


def test_violations_are_episodes_for_fardap_and_rerunning_a_day_changes_nothing(store):
    settings, engine = store
    write_reference(tiny_org(), engine, DAY, source="test:tiny")
    first = check_reference(engine, settings, DAY)
    # tiny org: zone z-3-1 has no social rahyari (so u8 is uncovered); provinces 2 and 3 have no officer
    assert {k: v for k, v in first.violations.items() if v} == {
        "region_has_one_social_rahyari": 1, "one_officer_per_province_with_fardap": 2, "selling_unit_covered": 1,
    }
    assert set(first.violations) == set(RULE_NAMES)

    def snapshot():
        with engine.connect() as conn:
            return pd.DataFrame(conn.execute(select(reference_violation).order_by(
                reference_violation.c.violation_id)).mappings().all())

    rows = snapshot()
    again = check_reference(engine, settings, DAY)
    pd.testing.assert_frame_equal(snapshot(), rows)
    assert again.opened == 0 and again.continued == 4
    routing = rows.set_index("entity_id")["routing"]
    assert '"fardap_provincial"' in routing["2"] and '"fardap_central"' in routing["3"]
    # the next day the org is mended for province 3's zone: that episode resolves, the others go on
    org = tiny_org()
    org["rahyari_team"] = pd.concat([org["rahyari_team"], org["rahyari_team"].tail(1).assign(
        team_id="soc-z-3-1", region_id="z-3-1")], ignore_index=True)
    write_reference(org, engine, DAY + timedelta(days=1), source="test:tiny")
    later = check_reference(engine, settings, DAY + timedelta(days=1))
    assert later.resolved == 2 and later.continued == 2 and later.opened == 0
    assert len(snapshot()) == 4


def test_the_cli_loads_checks_and_refuses_in_one_line(store, clean_dir, tmp_path, capsys):
    broken = _copy(clean_dir, tmp_path)
    assert main(["ref", "load", str(clean_dir), "--as-of", DAY.isoformat()]) == 0
    assert main(["ref", "check", "--date", DAY.isoformat()]) == 0
    _edit(broken, "unit", _set("headcount", "many"))
    assert main(["ref", "load", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "refused, nothing changed" in err and "unit.csv line 2: headcount must be a whole number" in err
    big = _copy(clean_dir, tmp_path / "big")
    _edit(big, "unit", _big_core)
    assert main(["ref", "load", str(big), "--as-of", DAY.isoformat()]) == 0
    assert main(["ref", "check", "--date", DAY.isoformat()]) == 1
    assert "FAIL core_size_and_steward" in capsys.readouterr().out
