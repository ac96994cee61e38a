"""The references a real catalogue offers beyond the sub-branch band: the offer's own history (the price in
force when the window opened included), the same product at other sellers, peers of the same weight or size
bands read from titles, and a band width learned from each group's own spread."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.checks.price import price_observations
from pipelines.monitored_day import MonitoredDay
from pipelines.price_model.features import normalised_title, price_features, shrunk_scale, title_attributes
from pipelines.settings import Settings

pytestmark = pytest.mark.unit
DAY = MonitoredDay(date(2026, 11, 24))
S = Settings()
NO_ORDERS = pd.DataFrame(columns=["offer_id", "quantity", "ordered_at"])
CODE = "S01.D1.F1.B1.SB1"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def offers(prices, titles=None, code: str = CODE, prefix: str = "o") -> pd.DataFrame:
    n = len(prices)
    return pd.DataFrame({
        "offer_id": [f"{prefix}{i}" for i in range(n)], "seller_id": [f"{prefix}s{i}" for i in range(n)],
        "title": titles if titles is not None else [f"کالای {prefix}{i}" for i in range(n)],
        "status": "active", "category_code": code, "unit": "piece",
        "unit_price_rial": np.round(prices).astype("int64"),
        "nesieh_months": pd.array([pd.NA] * n, dtype="Int64"),
        "nesieh_unit_price_rial": pd.array([pd.NA] * n, dtype="Int64"),
        "created_at": ts("2026-10-01"), "updated_at": ts("2026-11-20"),
    })


def wide_sub_branch(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """A sub-branch as uneven as a real category: prices spread 0.8 in log units."""
    rng = np.random.default_rng(seed)
    return offers(1_000_000 * np.exp(rng.normal(0, 0.8, n)), prefix="w")


def flagged(obs: pd.DataFrame, rule: str = "price_peer_band") -> pd.DataFrame:
    return obs[obs["rule"] == rule].set_index("entity_id")


def test_titles_read_as_one_spelling_and_state_weight_and_size():
    titles = pd.Series(["برنج هاشمی ۱۰ کیلویی", "برنج  هاشمي 10 كيلويي", "روغن ۱٫۵ لیتری", "Box 30x20x10cm",
                        "شیر 250ml", "قند 900 گرمی", "بی‌نام"])
    norm = normalised_title(titles)
    assert norm[0] == norm[1] == "برنج هاشمی 10 کیلویی"
    bands = title_attributes(titles)
    assert bands.loc[0, "weight_band"] == bands.loc[1, "weight_band"] == np.floor(np.log2(10_000))
    assert bands.loc[2, "size_band"] == np.floor(np.log(1500) / np.log(4))
    assert bands.loc[3, "size_band"] == np.floor(np.log(6000) / np.log(4))
    assert bands.loc[4, "size_band"] == np.floor(np.log(250) / np.log(4))
    assert bands.loc[5, "weight_band"] == np.floor(np.log2(900))
    assert bands.loc[6].isna().all()


def test_same_product_at_other_sellers_decides_inside_a_wide_sub_branch():
    wide = wide_sub_branch()
    product = offers([1_000_000, 1_020_000, 980_000, 1_010_000, 2_400_000],
                     titles=["چای سیلان ۵۰۰ گرمی", "چاي سيلان 500 گرمي", "چای سیلان ۵۰۰ گرمی",
                             "چای  سیلان ۵۰۰ گرمی", "چای سیلان ۵۰۰ گرمی"], prefix="p")
    f = price_features(pd.concat([wide, product], ignore_index=True), None, DAY, S).set_index("offer_id")
    # the sub-branch alone cannot tell 2.4x from the spread of its prices
    assert abs(f.loc["p4", "robust_z"]) < S.price_peer_robust_z
    assert (f.loc[["p0", "p4"], "reference"] == "product").all() and f.loc["p0", "product_count"] == 5
    obs = price_observations(f.reset_index(), NO_ORDERS, DAY, S)
    band = flagged(obs)
    assert list(band.index) == ["p4"]
    ev = band.loc["p4", "evidence"]
    assert ev["scope"] == "product" and ev["peer_count"] == 5 and 1_000_000 <= ev["peer_median_rial"] <= 1_010_000
    assert ev["ratio"] > 2.3


def test_two_offers_of_a_product_are_no_reference_for_each_other():
    """Of two prices that disagree, nothing says which one is wrong: the product needs three offers."""
    wide = wide_sub_branch()
    pair = offers([1_000_000, 3_000_000], titles=["قهوه ترک ۲۵۰ گرمی"] * 2, prefix="p")
    f = price_features(pd.concat([wide, pair], ignore_index=True), None, DAY, S).set_index("offer_id")
    assert f.loc[["p0", "p1"], "product_count"].eq(0).all()
    assert flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S)).empty


def test_attribute_peers_excuse_a_heavy_item_and_confirm_an_abnormal_one():
    rng = np.random.default_rng(5)
    light = offers(100_000 * np.exp(rng.normal(0, 0.1, 90)),
                   titles=[f"حبوبات نوع {i} ۵۰۰ گرمی" for i in range(90)], prefix="l")
    heavy = offers(2_000_000 * np.exp(rng.normal(0, 0.1, 9)),
                   titles=[f"حبوبات نوع {i} ۲۰ کیلویی" for i in range(9)], prefix="h")
    heavy.loc[8, "unit_price_rial"] = 30_000_000  # 15x its weight band
    f = price_features(pd.concat([light, heavy], ignore_index=True), None, DAY, S).set_index("offer_id")
    # against the whole sub-branch every heavy bag is abnormal; among the bags of its weight it is not
    assert (f.loc[[f"h{i}" for i in range(8)], "robust_z"] > S.price_peer_robust_z).all()
    assert (f.loc[[f"h{i}" for i in range(9)], "reference"] == "attributes").all()
    band = flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S))
    assert list(band.index) == ["h8"]
    assert band.loc["h8", "evidence"]["scope"] == "attributes" and band.loc["h8", "evidence"]["peer_count"] == 9


def test_attribute_peers_alone_raise_no_finding_the_sub_branch_excuses():
    """Peers of one weight band are only similar: a price they find odd but the sub-branch finds ordinary is
    not abnormal."""
    rng = np.random.default_rng(9)
    wide = wide_sub_branch()
    band = offers(1_000_000 * np.exp(rng.normal(0, 0.05, 10)), titles=[f"ادویه {i} ۱۰۰ گرمی" for i in range(10)],
                  prefix="b")
    band.loc[0, "unit_price_rial"] = 2_500_000  # 2.5x its band, ordinary in the sub-branch
    f = price_features(pd.concat([wide, band], ignore_index=True), None, DAY, S).set_index("offer_id")
    assert f.loc["b0", "reference"] == "attributes" and f.loc["b0", "reference_z"] > S.price_peer_robust_z
    assert "b0" not in flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S)).index


def test_learned_band_width_shrinks_small_groups_toward_their_parent():
    own, parent = pd.Series([0.02, 0.02, 0.6]), 0.5
    shrunk = shrunk_scale(own, pd.Series([3, 400, 3]), parent, S.price_band_prior_offers)
    assert shrunk[0] == pytest.approx(np.sqrt((3 * 0.02 ** 2 + 8 * 0.25) / 11))  # three agreeing prices: wide
    assert shrunk[1] < 0.08  # four hundred offers speak for themselves
    assert 0.5 < shrunk[2] < 0.6


def test_learned_band_width_follows_heavy_tails_but_still_catches_a_slip():
    """A real category: most prices close, a fifth of them far either way. The band is as wide as the tails
    (the 90th percentile of the deviations), so the honest far prices are not flagged; a x10 slip still is."""
    rng = np.random.default_rng(11)
    core = rng.normal(0, 0.1, 80)
    tails = rng.choice([-1, 1], 20) * rng.uniform(0.3, 1.0, 20)
    market = offers(1_000_000 * np.exp(np.concatenate([core, tails])), prefix="t")
    market.loc[0, "unit_price_rial"] = 10_000_000
    f = price_features(market, None, DAY, S).set_index("offer_id")
    dev = (f["log_price"] - f["peer_median_log"]).abs()
    assert f["peer_scale"].iloc[0] > 1.4826 * dev.median() * 1.5
    assert list(flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S)).index) == ["t0"]


def test_own_history_counts_the_price_in_force_when_the_window_opened():
    market = offers(np.full(30, 1_000_000.0), prefix="o")
    market.loc[0, "unit_price_rial"] = 2_200_000
    versions = pd.DataFrame({"offer_id": ["o0", "o0"], "updated_at": [ts("2026-03-01"), ts("2026-05-01")],
                             "unit_price_rial": [900_000, 1_000_000]})  # both before the 90-day window
    f = price_features(market, versions, DAY, S).set_index("offer_id")
    assert f.loc["o0", "history_count"] == 1 and f.loc["o0", "last_price_rial"] == 1_000_000
    jump = flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S), "price_own_history_jump")
    assert list(jump.index) == ["o0"] and jump.loc["o0", "evidence"]["previous_price_rial"] == 1_000_000


def test_a_jump_toward_the_centre_is_a_jump_unless_it_corrects_an_abnormal_price():
    """A cheap item doubled moves toward its wide sub-branch's centre and is still a jump; a x10 slip that
    was outside its narrow sub-branch's band, put right, is not."""
    wide = wide_sub_branch()
    cheap = offers([450_000], prefix="c")  # was 200,000
    rng = np.random.default_rng(2)
    narrow = offers(1_000_000 * np.exp(rng.normal(0, 0.05, 30)), code="S01.D1.F1.B1.SB2", prefix="n")
    narrow.loc[0, "unit_price_rial"] = 1_000_000  # was 10,000,000 by a slip
    versions = pd.DataFrame({"offer_id": ["c0", "n0"], "updated_at": [ts("2026-11-01"), ts("2026-11-10")],
                             "unit_price_rial": [200_000, 10_000_000]})
    f = price_features(pd.concat([wide, cheap, narrow], ignore_index=True), versions, DAY, S).set_index("offer_id")
    assert abs(f.loc["c0", "log_ratio"]) < abs(f.loc["c0", "log_ratio"] - f.loc["c0", "nearest_log_ratio"])
    jump = flagged(price_observations(f.reset_index(), NO_ORDERS, DAY, S), "price_own_history_jump")
    assert list(jump.index) == ["c0"] and jump.loc["c0", "evidence"]["jump_ratio"] == 2.25


@pytest.mark.parametrize("scope", ["product", "attributes", "national", "province"])
def test_the_officer_reads_which_reference_a_price_was_compared_with(scope):
    import dataclasses

    from pipelines.i18n.messages import t
    from pipelines.reports.model import ReportFinding
    from pipelines.reports.render import evidence_lines

    ev = {"unit_price_rial": 2_400_000, "peer_median_rial": 1_000_000, "ratio": 2.4, "robust_z": 5.1,
          "peer_count": 5, "scope": scope, "unit": "piece"}
    finding = ReportFinding(**{**{f.name: None for f in dataclasses.fields(ReportFinding)},
                               "rule": "price_peer_band", "evidence": ev})
    lines = evidence_lines(finding, DAY.day)
    assert t(f"evidence.reference.{scope}") in lines
    assert not any(c.isascii() and c.isalnum() for c in " ".join(lines))
    jump = ReportFinding(**{**{f.name: None for f in dataclasses.fields(ReportFinding)},
                            "rule": "price_own_history_jump",
                            "evidence": {"unit_price_rial": 2_000_000, "previous_price_rial": 1_000_000,
                                         "jump_ratio": 2.0, "history_count": 1, "history_days": 90}})
    assert t("evidence.reference.own_history") in evidence_lines(jump, DAY.day)
