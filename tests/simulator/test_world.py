"""The simulator: a deterministic world whose as-of views tell one consistent story, and whose ground
truth matches exactly what the marketplace rows show."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from pipelines.simulator import FAULTS, SimScale, build_world
from pipelines.simulator.world import MARKETPLACE_COLUMNS

pytestmark = pytest.mark.unit

END_DAY = dt.date(2026, 11, 25)
DAYS = 37
GRACE = pd.Timedelta(hours=6)
TZ = "Asia/Tehran"
UNITS = {"piece", "kg", "ton", "litre", "metre", "m2", "m3", "pack", "carton", "set", "pair"}
DEFECT_COMPLAINTS = {"not_as_described", "damaged", "wrong_item", "short_quantity"}
RANK = {"A": 0, "B": 1, "C": 2, "rejected": 3}


@pytest.fixture(scope="module")
def world():
    # every record prompt: these tests read the faults' truth day by day (late recording has its own tests)
    return build_world(seed=7, days=DAYS, end_day=END_DAY, scale=PROMPT)


@pytest.fixture(scope="module")
def final(world):
    """Everything that will ever happen: the marketplace long after the world's end."""
    return world.marketplace_as_of(world.end + pd.Timedelta(days=60))


def end_of(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp((day + dt.timedelta(days=1)).isoformat(), tz=TZ).tz_convert("UTC")


PROMPT = SimScale(late_recording_share=0.0, late_recorder_seller_share=0.0)


def tehran_day(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert(TZ).dt.date


def world_days(world) -> list[dt.date]:
    return [world.start_day + dt.timedelta(days=i) for i in range(world.days)]


# ------------------------------------------------------------------ determinism and shape


def test_same_arguments_give_identical_frames(world):
    again = build_world(seed=7, days=DAYS, end_day=END_DAY, scale=PROMPT)
    t = world.start + pd.Timedelta(days=20, hours=5)
    for name, frame in world.marketplace_as_of(t).items():
        pd.testing.assert_frame_equal(frame, again.marketplace_as_of(t)[name], obj=name)
    for name, frame in world.reference_tables().items():
        pd.testing.assert_frame_equal(frame, again.reference_tables()[name], obj=name)
    pd.testing.assert_frame_equal(world.truth(), again.truth())


def test_another_seed_gives_another_world(world):
    other = build_world(seed=8, days=DAYS, end_day=END_DAY)
    assert not other.marketplace_as_of(other.end)["orders"]["quantity"].equals(
        world.marketplace_as_of(world.end)["orders"]["quantity"]
    )


def test_columns_and_types_follow_the_contract(world):
    frames = world.marketplace_as_of(world.end)
    for name, cols in MARKETPLACE_COLUMNS.items():
        frame = frames[name]
        assert list(frame.columns) == cols
        assert len(frame) > 0
        for col in cols:
            if col.endswith("_at"):
                assert str(frame[col].dtype) == "datetime64[ns, UTC]", (name, col)
            if col.endswith("_id"):
                assert frame[col].map(type).eq(str).all(), (name, col)
        for col in ("unit_price_rial",):
            if col in frame:
                assert frame[col].dtype == np.int64


def test_reference_tables_have_the_schema_columns(world):
    schema = pytest.importorskip("pipelines.store.metadata")
    tables = world.reference_tables()
    for name, frame in tables.items():
        table = schema.metadata.tables[f"ref.{name}"]
        assert list(frame.columns) == [c.name for c in table.columns], name
        for col in table.primary_key.columns:
            assert (
                frame[col.name].notna().all()
                and not frame.duplicated([c.name for c in table.primary_key]).any()
            )
    for name, cols in [
        ("unit", ["valid_from", "valid_to"]),
        ("rahyari_team", ["valid_from", "valid_to"]),
        ("monitoring_officer_assignment", ["valid_from"]),
        ("fardap_coordinator", ["valid_from"]),
    ]:
        for col in cols:
            values = tables[name][col].dropna()
            assert values.map(lambda v: type(v) is dt.date).all(), (name, col)
    assert tables["unit"]["in_capital"].map(type).eq(bool).all()


def test_reference_foreign_keys_resolve(world):
    t = world.reference_tables()
    provinces = set(t["province"]["province_id"])
    regions = t["region"].set_index("region_id")
    taxa = set(t["taxon"]["code"])
    persons = set(t["person"]["person_id"])
    assert set(t["region"]["province_id"]) <= provinces
    assert set(t["taxon"]["parent_code"].dropna()) <= taxa
    u = t["unit"]
    assert (regions.loc[u["region_id"], "province_id"].to_numpy() == u["province_id"].to_numpy()).all()
    assert set(u["sector_code"]) <= taxa
    assert set(u["steward_person_id"].dropna()) <= persons
    teams = t["rahyari_team"]
    assert set(teams["region_id"].dropna()) <= set(regions.index)
    assert set(teams["sector_code"].dropna()) <= taxa
    assert set(t["monitoring_officer_assignment"]["person_id"]) <= persons
    assert set(t["fardap_coordinator"]["person_id"]) <= persons


# ------------------------------------------------------------------ the organisation


def test_thirty_one_provinces_with_capital_zones_and_counties(world):
    t = world.reference_tables()
    prov = t["province"]
    assert len(prov) == 31 and prov["province_id"].is_unique
    assert prov["capital_name_fa"].str.len().gt(0).all()
    regions = t["region"]
    kinds = regions.groupby(["province_id", "kind"]).size().unstack(fill_value=0)
    assert (kinds["county"] >= 1).all() and (kinds["capital_zone"] == 3).all()
    assert len(kinds) == 31
    assert regions.loc[regions["kind"] == "county", "region_id"].str.fullmatch(r"c-\d+").all()
    assert regions.loc[regions["kind"] == "capital_zone", "region_id"].str.fullmatch(r"z-\d+-[123]").all()
    assert (regions["kind"] == "county").sum() == 448
    tehran = prov.set_index("province_id").loc["8"]
    assert tehran["name_fa"] == "تهران" and tehran["capital_name_fa"] == "تهران"


def test_taxonomy_has_twelve_sectors_and_five_levels(world):
    tax = world.reference_tables()["taxon"]
    assert (tax["level"] == "sector").sum() == 12
    assert set(tax["level"]) == {"sector", "domain", "field", "branch", "sub_branch"}
    subs = tax[tax["level"] == "sub_branch"]
    assert subs["code"].str.fullmatch(r"S\d\d\.D\d\.F\d\.B\d\.SB\d").all()
    assert tax["name_fa"].str.len().gt(0).all() and tax["name_en"].str.len().gt(0).all()


def test_units_officers_coordinators_and_teams(world):
    t = world.reference_tables()
    u = t["unit"]
    region_kind = t["region"].set_index("region_id")["kind"]
    assert (u["in_capital"] == (region_kind.loc[u["region_id"]].to_numpy() == "capital_zone")).all()
    cores = u[u["kind"] != "supplier"]
    assert (cores["headcount"] <= 15).all() and cores["steward_person_id"].notna().all()
    assert (u["valid_from"] < world.start_day).all() and u["valid_to"].isna().all()
    assert set(u["sector_code"].str.len()) == {3}
    moa = t["monitoring_officer_assignment"]
    assert sorted(moa["province_id"]) == sorted(t["province"]["province_id"])
    assert moa["fardap_coordinated"].all() and (moa["valid_from"] < world.start_day).all()
    persons = t["person"].set_index("person_id")
    assert persons.loc[moa["person_id"], "email"].str.fullmatch(r"officer\.\d+@rasad\.example").all()
    assert persons["national_id"].str.fullmatch(r"\d{10}").all()
    assert persons["mobile"].str.fullmatch(r"09\d{9}").all()
    fc = t["fardap_coordinator"]
    assert fc["province_id"].isna().sum() == 1 and fc["province_id"].dropna().nunique() == 31
    teams = t["rahyari_team"]
    social = teams[teams["kind"] == "social"]
    assert sorted(social["region_id"]) == sorted(t["region"]["region_id"])
    assert teams.loc[teams["kind"] == "specialized", "sector_code"].notna().all()
    excl = teams[teams["kind"] == "exclusive"]
    assert excl["region_id"].str.startswith("z-").all() and excl["social_group"].notna().all()
    assert set(excl["province_id"]) == set(t["province"]["province_id"])


def test_every_seller_belongs_to_an_existing_unit(world, final):
    units = world.reference_tables()["unit"]
    sellers = final["sellers"]
    assert sellers["unit_id"].isin(units["unit_id"]).all()
    assert sellers["unit_id"].is_unique
    assert len(sellers) == 31 * SimScale().sellers_per_province
    valid_from = sellers["unit_id"].map(units.set_index("unit_id")["valid_from"])
    assert (tehran_day(sellers["joined_at"]) >= valid_from).all()


# ------------------------------------------------------------------ the marketplace over time


def test_as_of_views_tell_one_consistent_story(world):
    instants = [
        world.start + pd.Timedelta(days=d, hours=h) for d, h in [(3, 2), (11, 17), (25, 0), (37, 0), (50, 0)]
    ]
    views = [world.marketplace_as_of(t) for t in instants]
    keys = {"sellers": "seller_id", "offers": "offer_id", "orders": "order_id", "deliveries": "delivery_id"}
    for t, view in zip(instants, views, strict=True):
        for name, frame in view.items():
            assert (frame["updated_at"] <= t).all(), name
            for col in frame.columns:
                if col.endswith("_at") and col != "promised_at":
                    assert (frame[col].dropna() <= t).all(), (name, col)
                    assert (frame[col].dropna() <= frame.loc[frame[col].notna(), "updated_at"]).all(), (
                        name,
                        col,
                    )
    for v1, v2 in zip(views, views[1:], strict=False):
        for name, key in keys.items():
            a, b = v1[name].set_index(key), v2[name].set_index(key)
            assert a.index.isin(b.index).all(), name
            b = b.loc[a.index]
            assert (a["updated_at"] <= b["updated_at"]).all(), name
            # nothing changes without bumping updated_at
            same = (a["updated_at"] == b["updated_at"]).to_numpy()
            pd.testing.assert_frame_equal(a[same], b[same], obj=name)
            # events once seen keep their instants
            for col in [c for c in a.columns if c.endswith("_at") and c != "updated_at"]:
                seen = a[col].notna()
                assert (a.loc[seen, col] == b.loc[seen, col]).all(), (name, col)
        # a delivery moves forward in its lifecycle
        a = v1["deliveries"].set_index("delivery_id")
        b = v2["deliveries"].set_index("delivery_id").loc[a.index]
        order = {"pending": 0, "shipped": 1, "delivered": 2, "returned": 3}
        both = a["status"].isin(order.keys()) & b["status"].isin(order.keys())
        assert (a.loc[both, "status"].map(order) <= b.loc[both, "status"].map(order)).all()
        final_states = a["status"].str.startswith("cancelled") | (a["status"] == "returned")
        assert (a.loc[final_states, "status"] == b.loc[final_states, "status"]).all()


def test_ratings_come_after_delivery_and_bump_updated_at(world, final):
    d = final["deliveries"]
    rated = d[d["buyer_rating"].notna()]
    assert (rated["updated_at"] >= rated["delivered_at"]).all()
    assert (rated["updated_at"] > rated["delivered_at"]).mean() > 0.2  # many ratings arrive later


def test_contract_enums_and_ranges(world, final):
    s, o, od, d = final["sellers"], final["offers"], final["orders"], final["deliveries"]
    assert s["seller_id"].is_unique and o["offer_id"].is_unique and od["order_id"].is_unique
    assert d["delivery_id"].is_unique
    assert o["seller_id"].isin(s["seller_id"]).all()
    assert od["offer_id"].isin(o["offer_id"]).all() and d["order_id"].isin(od["order_id"]).all()
    assert set(o["unit"]) <= UNITS and len(set(o["unit"])) >= 8
    assert (o["unit_price_rial"] > 0).all()
    assert set(o["nesieh_months"].dropna()) <= {3, 6, 9, 12}
    nes = o[o["nesieh_months"].notna()]
    assert 0.2 < len(nes) / len(o) < 0.4
    markup = (nes["nesieh_unit_price_rial"] / nes["unit_price_rial"] - 1) / nes["nesieh_months"]
    truth = world.truth()
    marked_up = nes["offer_id"].isin(truth.loc[truth["kind"] == "nesieh_markup", "entity_id"])
    assert markup[~marked_up].between(0.012, 0.04).all()
    assert marked_up.any() and (markup[marked_up] > 0.05).all()  # the injected ones are far above the norm
    assert o["nesieh_unit_price_rial"].isna().equals(o["nesieh_months"].isna())
    assert set(o["promised_quality"]) <= {"A", "B", "C"}
    assert (o["promised_lead_days"] >= 0).all() and (o["stock_qty"] >= 0).all()
    assert set(o["status"]) == {"active", "paused", "withdrawn"}
    assert (o["status"] == "active").mean() > 0.85
    assert (od["quantity"] > 0).all() and (od["unit_price_rial"] > 0).all()
    assert set(od["payment"]) == {"cash", "nesieh"}
    with_nesieh = od["offer_id"].map(o.set_index("offer_id")["nesieh_months"].notna())
    assert with_nesieh[od["payment"] == "nesieh"].all()
    assert (od["promised_at"] > od["ordered_at"]).all()
    assert set(d["status"]) == {
        "pending",
        "shipped",
        "delivered",
        "returned",
        "cancelled_by_seller",
        "cancelled_by_buyer",
    }
    assert set(d["received_quality"].dropna()) <= {"A", "B", "C", "rejected"}
    assert d["buyer_rating"].dropna().between(1, 5).all()
    assert set(d["complaint"].dropna()) <= DEFECT_COMPLAINTS | {"late", "other"}
    assert (d["returned_qty"].dropna() > 0).all()
    back = d[d["returned_qty"].notna()]
    assert (back["returned_qty"] <= back["delivered_qty"] + 1e-9).all()
    assert (d.loc[d["status"] == "returned", "returned_qty"] > 0).all()
    assert d.loc[d["status"].isin(["delivered", "returned"]), "delivered_at"].notna().all()
    assert (
        d["shipped_at"].dropna()
        <= d.loc[d["shipped_at"].notna(), "delivered_at"].fillna(pd.Timestamp.max.tz_localize("UTC"))
    ).all()
    # partial shipments add up to the order
    per_order = d.groupby("order_id").agg(n=("delivery_id", "size"))
    assert per_order["n"].max() == 2 and (per_order["n"] == 2).mean() > 0.03
    done = d["status"].isin(["delivered", "returned"])
    all_done = done.groupby(d["order_id"]).all()
    got = d.groupby("order_id")["delivered_qty"].sum()[all_done]
    want = od.set_index("order_id").loc[got.index, "quantity"]
    assert len(got) > 0.8 * len(od) and np.allclose(got.to_numpy(), want.to_numpy())


def test_prices_differ_by_orders_of_magnitude_and_order_prices_follow_the_offer(world, final):
    o, od = final["offers"], final["orders"]
    med = o.groupby("category_code")["unit_price_rial"].median()
    assert med.max() / med.min() > 1000
    # an order pays the offer's price at the moment it was placed
    sample = od.sample(40, random_state=1)
    for _, row in sample.iterrows():
        offer = (
            world.marketplace_as_of(row["ordered_at"])["offers"].set_index("offer_id").loc[row["offer_id"]]
        )
        assert offer["status"] == "active"
        expected = offer["nesieh_unit_price_rial"] if row["payment"] == "nesieh" else offer["unit_price_rial"]
        assert row["unit_price_rial"] == expected


def test_orders_span_the_tehran_days_including_around_midnight(world, final):
    od = final["orders"]
    assert (od["ordered_at"] >= world.start).all() and (od["ordered_at"] < world.end).all()
    days = tehran_day(od["ordered_at"])
    assert days.nunique() == DAYS
    per_day = days.value_counts()
    assert per_day.mean() == pytest.approx(SimScale().orders_per_day, rel=0.2)
    hour = od["ordered_at"].dt.tz_convert(TZ).dt.hour
    assert (hour == 23).sum() > 100 and (hour == 0).sum() > 100
    o = final["offers"]
    assert (o["created_at"] < world.start).mean() > 0.4 and (o["created_at"] >= world.start).mean() > 0.1


# ------------------------------------------------------------------ ground truth


def test_truth_shape_and_rates(world, final):
    truth = world.truth()
    assert list(truth.columns) == ["kind", "entity", "entity_id", "day", "detail"]
    assert truth["day"].map(type).eq(dt.date).all()
    truth["detail"].map(json.loads)
    assert not truth.duplicated(["kind", "entity_id"]).any()
    assert {f.name for f in FAULTS} <= set(truth["kind"])
    n_del, n_ord, n_off = len(final["deliveries"]), len(final["orders"]), len(final["offers"])
    counts = truth["kind"].value_counts()
    assert 0.01 < counts["late_delivery"] / n_del < 0.08
    assert 0.005 < counts["quality_defect"] / n_del < 0.08
    assert 0.005 < counts["seller_cancellation"] / n_del < 0.05
    assert 0.005 < counts["overdue_order"] / n_ord < 0.08
    assert 0.01 < counts["abnormal_price"] / n_off < 0.08
    cut = world.start + pd.Timedelta(days=10)
    early = world.truth(up_to=cut)
    assert 0 < len(early) < len(truth)
    assert (early["day"] <= cut.tz_convert(TZ).date()).all()


@pytest.mark.parametrize("when", ["end", "final"])
def test_truth_late_deliveries_are_exactly_the_late_ones(world, final, when):
    t = world.end if when == "end" else world.end + pd.Timedelta(days=60)
    m = final if when == "final" else world.marketplace_as_of(t)
    d = m["deliveries"].merge(m["orders"][["order_id", "promised_at"]], on="order_id")
    late = d[d["delivered_at"] > d["promised_at"] + GRACE]
    truth = world.truth(up_to=t)
    truth = truth[truth["kind"] == "late_delivery"].set_index("entity_id")
    assert set(truth.index) == set(late["delivery_id"])
    assert (
        truth.loc[late["delivery_id"], "day"].to_numpy() == tehran_day(late["delivered_at"]).to_numpy()
    ).all()
    assert (truth["entity"] == "delivery").all()
    # normal deliveries are on time: the complaint `late` only on late ones
    assert set(d.loc[d["complaint"] == "late", "delivery_id"]) <= set(late["delivery_id"])


def test_truth_matches_a_day_by_day_reading(world, final):
    """Read the marketplace at the end of every Tehran day, as Rasad will, and apply the rules."""
    first_overdue: dict[str, dt.date] = {}
    first_defect: dict[str, dt.date] = {}
    first_cancel: dict[str, dt.date] = {}
    promised_q = final["offers"].set_index("offer_id")["promised_quality"]
    for day in world_days(world):
        t = end_of(day)
        m = world.marketplace_as_of(t)
        od, d = m["orders"], m["deliveries"]
        open_ = d[d["status"].isin(["pending", "shipped"])]["order_id"].unique()
        due = od[(od["promised_at"] + GRACE < t) & od["order_id"].isin(open_)]
        for oid in due["order_id"]:
            first_overdue.setdefault(oid, day)
        d = d.merge(od[["order_id", "offer_id"]], on="order_id")
        rank_p = d["offer_id"].map(promised_q).map(RANK)
        rank_r = d["received_quality"].map(RANK)
        defect = (
            (rank_r > rank_p)
            | (d["status"] == "returned")
            | (d["returned_qty"].fillna(0) > 0)
            | d["complaint"].isin(DEFECT_COMPLAINTS)
            | (d["buyer_rating"].fillna(5) <= 2)
        )
        for did in d.loc[defect, "delivery_id"]:
            first_defect.setdefault(did, day)
        for did in d.loc[d["status"] == "cancelled_by_seller", "delivery_id"]:
            first_cancel.setdefault(did, day)
    truth = world.truth(up_to=world.end)

    def as_dict(kind):
        part = truth[truth["kind"] == kind]
        return dict(zip(part["entity_id"], part["day"], strict=True))

    assert as_dict("overdue_order") == first_overdue
    assert as_dict("quality_defect") == first_defect
    assert as_dict("seller_cancellation") == first_cancel


def test_abnormal_prices_stand_out_and_normal_ones_do_not(world):
    truth = world.truth()
    abnormal = truth[truth["kind"] == "abnormal_price"]
    details = abnormal["detail"].map(json.loads)
    factors = details.map(lambda x: x["factor"])
    assert ((factors >= 2) | (factors <= 0.4)).all()
    assert {x["kind"] for x in details} == {"gouging", "dumping", "digit_x10", "digit_div10"}
    # on the truth day, the offer shows the abnormal price
    for (_, row), det in zip(abnormal.iterrows(), details, strict=True):
        offers = world.marketplace_as_of(end_of(row["day"]))["offers"].set_index("offer_id")
        assert offers.loc[row["entity_id"], "unit_price_rial"] == det["price_rial"]
    # every normal price at every day end lies within the normal spread of its sub-branch and unit
    bad = set(truth.loc[truth["kind"].isin(["abnormal_price", "price_jump"]), "entity_id"])
    for day in world_days(world)[::6]:
        o = world.marketplace_as_of(end_of(day))["offers"]
        normal = o[~o["offer_id"].isin(bad)]
        ratio = normal["unit_price_rial"] / normal.groupby(["category_code", "unit"])[
            "unit_price_rial"
        ].transform("median")
        assert ratio.between(0.6, 1.6).all(), ratio.describe()


def test_price_jumps_and_nesieh_markups_show_what_the_truth_says(world):
    truth = world.truth()
    jumps = truth[truth["kind"] == "price_jump"]
    assert len(jumps) > 5
    for _, row in jumps.iterrows():
        det = json.loads(row["detail"])
        offers = world.marketplace_as_of(end_of(row["day"]))["offers"].set_index("offer_id")
        assert offers.loc[row["entity_id"], "unit_price_rial"] == det["price_rial"]
        ratio = det["price_rial"] / det["previous_price_rial"]
        assert ratio >= 1.5 or ratio <= 0.67, det
    marked = truth[truth["kind"] == "nesieh_markup"]
    assert len(marked) > 5
    offers = world.marketplace_as_of(world.end)["offers"].set_index("offer_id")
    for _, row in marked.iterrows():
        det = json.loads(row["detail"])
        o = offers.loc[row["entity_id"]]
        markup = (o["nesieh_unit_price_rial"] / o["unit_price_rial"] - 1) / o["nesieh_months"]
        assert abs(markup - det["markup_per_month"]) < 0.01


def test_ids_are_opaque_text_and_titles_are_persian(final):
    o = final["offers"]
    assert o["title"].map(lambda s: bool(re.search(r"[\u0600-\u06FF]", s))).all()
    assert o["title"].str.contains("ي|ك").any()  # some sellers type Arabic yeh/kaf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tiny_worlds_build(seed):
    tiny = build_world(seed=seed, days=1, end_day=END_DAY, scale=SimScale(1, 1, 10, 20))
    m = tiny.marketplace_as_of(tiny.end)
    assert len(m["sellers"]) == 31 and list(m["orders"].columns) == MARKETPLACE_COLUMNS["orders"]
    assert (tiny.truth(up_to=tiny.end)["day"] < END_DAY).all()


def test_fault_registry_is_the_one_plug_in_place():
    names = [f.name for f in FAULTS]
    assert names == [
        "abnormal_price",
        "price_jump",
        "nesieh_markup",
        "chronic_late_seller",
        "chronic_defect_seller",
        "chronic_cancel_seller",
        "timing_confounder",
        "late_delivery",
        "overdue_order",
        "seller_cancellation",
        "quality_defect",
    ]
    assert all(f.stage in {"offers", "deliveries"} and callable(f.apply) for f in FAULTS)
