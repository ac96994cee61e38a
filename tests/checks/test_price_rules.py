"""The price rules and the outlier model on small hand-made marketplaces."""

from __future__ import annotations

import json
import logging
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.checks.price import price_observations
from pipelines.i18n.messages import t
from pipelines.monitored_day import MonitoredDay
from pipelines.price_model import model as pm
from pipelines.price_model.features import price_features
from pipelines.reports.model import ReportFinding
from pipelines.reports.render import evidence_lines
from pipelines.settings import Settings

pytestmark = pytest.mark.unit
DAY = MonitoredDay(date(2026, 11, 24))
S = Settings()
NO_ORDERS = pd.DataFrame(columns=["offer_id", "quantity", "ordered_at"])


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def market(n: int = 40, seed: int = 1, code: str = "S01.D1.F1.B1.SB1", price: float = 1_000_000, **cols):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "offer_id": [f"{code}-{i}" for i in range(n)], "seller_id": [f"s{i}" for i in range(n)],
        "status": "active", "category_code": code, "unit": "kg",
        "unit_price_rial": (price * np.exp(rng.normal(0, 0.08, n))).round().astype("int64"),
        "nesieh_months": pd.array([pd.NA] * n, dtype="Int64"),
        "nesieh_unit_price_rial": pd.array([pd.NA] * n, dtype="Int64"),
        "created_at": ts("2026-10-01"), "updated_at": ts("2026-11-20"),
    })
    return frame.assign(**cols)


def provinces(offers: pd.DataFrame, mapping) -> pd.DataFrame:
    return pd.DataFrame({"seller_id": offers["seller_id"], "province_id": mapping})


def by_rule(obs: pd.DataFrame, rule: str) -> pd.DataFrame:
    return obs[obs["rule"] == rule].set_index("entity_id")


def test_peer_band_in_the_province_catches_what_the_nation_hides():
    offers = market(60)
    prov = np.where(np.arange(60) < 20, "P1", "P2")
    # P1 is a cheap province: its peers ask 0.6x the national level; one P1 seller asks the national price x1.6
    offers.loc[:19, "unit_price_rial"] = (offers.loc[:19, "unit_price_rial"] * 0.6).round().astype("int64")
    offers.loc[0, "unit_price_rial"] = 1_600_000
    f = price_features(offers, None, DAY, S, provinces(offers, prov))
    obs = price_observations(f, NO_ORDERS, DAY, S)
    band = by_rule(obs, "price_peer_band")
    assert list(band.index) == [offers.loc[0, "offer_id"]]
    ev = band.iloc[0]["evidence"]
    assert ev["scope"] == "province" and ev["peer_level"] == "sub_branch"
    assert ev["ratio"] > 2.0 and ev["province_median_rial"] < ev["national_median_rial"]


def test_peer_band_falls_back_up_the_taxonomy_when_the_sub_branch_is_small():
    big = market(30, code="S01.D1.F1.B1.SB1")
    small = market(3, seed=2, code="S01.D1.F1.B1.SB2")  # three offers: too few for a band of their own
    small.loc[0, "unit_price_rial"] = 4_000_000  # 4x its branch
    other_unit = market(3, seed=3, code="S01.D1.F1.B1.SB3", price=50_000_000, unit="ton")
    offers = pd.concat([big, small, other_unit], ignore_index=True)
    f = price_features(offers, None, DAY, S).set_index("offer_id")
    assert f.loc[small.loc[1, "offer_id"], "peer_level"] == "branch"
    assert f.loc[big.loc[1, "offer_id"], "peer_level"] == "sub_branch"
    assert pd.isna(f.loc[other_unit.loc[0, "offer_id"], "peer_level"])  # a branch of other units is no peer
    obs = price_observations(f.reset_index(), NO_ORDERS, DAY, S)
    assert list(by_rule(obs, "price_peer_band").index) == [small.loc[0, "offer_id"]]


def test_own_history_jump_flags_a_jump_but_not_its_correction():
    offers = market(30)
    jumped, corrected = offers.loc[0, "offer_id"], offers.loc[1, "offer_id"]
    offers.loc[0, "unit_price_rial"] = 1_700_000  # was 1,000,000: x1.7, inside a loose peer band
    offers.loc[1, "unit_price_rial"] = 1_000_000  # back to normal after a x10 slip
    versions = pd.DataFrame({
        "offer_id": [jumped, jumped, corrected],
        "updated_at": [ts("2026-10-01"), ts("2026-11-01"), ts("2026-11-10")],
        "unit_price_rial": [980_000, 1_000_000, 10_000_000],
    })
    f = price_features(offers, versions, DAY, S)
    obs = price_observations(f, NO_ORDERS, DAY, S)
    jump = by_rule(obs, "price_own_history_jump")
    assert list(jump.index) == [jumped]
    ev = jump.iloc[0]["evidence"]
    assert ev["previous_price_rial"] == 1_000_000 and ev["jump_ratio"] == 1.7 and ev["history_count"] == 2
    # of the versions older than the history window, only the one in force when it opened is history
    old = versions.assign(updated_at=[ts("2026-05-01"), ts("2026-06-01"), ts("2026-06-01")])
    f_old = price_features(offers, old, DAY, S).set_index("offer_id")
    assert f_old.loc[jumped, "history_count"] == 1 and f_old.loc[jumped, "last_price_rial"] == 1_000_000


def test_nesieh_markup_against_the_norm_for_that_many_months():
    offers = market(40)
    months = np.where(np.arange(40) < 20, 3, 12)
    offers["nesieh_months"] = pd.array(months, dtype="Int64")
    nesieh = offers["unit_price_rial"] * (1 + 0.025 * months)
    nesieh[5] = offers.loc[5, "unit_price_rial"] * (1 + 0.10 * 3)  # 10% a month on 3 months
    nesieh[25] = offers.loc[25, "unit_price_rial"] * (1 + 0.030 * 12)  # 3%: a bit dear, within the norm
    offers["nesieh_unit_price_rial"] = pd.array(nesieh.round().astype("int64"), dtype="Int64")
    obs = price_observations(price_features(offers, None, DAY, S), NO_ORDERS, DAY, S)
    markup = by_rule(obs, "price_nesieh_markup")
    assert list(markup.index) == [offers.loc[5, "offer_id"]]
    ev = markup.iloc[0]["evidence"]
    assert ev["nesieh_months"] == 3 and 9.9 < ev["markup_per_month_pct"] < 10.1
    assert 2.4 < ev["norm_markup_per_month_pct"] < 2.6


def test_features_are_blind_to_inflation_and_scale():
    """Three months of 3% inflation on everything (and a category 1000x dearer) change no feature."""
    offers = market(40)
    offers.loc[3, "unit_price_rial"] = 2_500_000
    versions = offers[["offer_id", "unit_price_rial"]].assign(updated_at=ts("2026-11-01"))
    f1 = price_features(offers, versions, DAY, S)
    k = 1.03 ** 3 * 1000
    f2 = price_features(offers.assign(unit_price_rial=(offers["unit_price_rial"] * k).round().astype("int64")),
                        versions.assign(unit_price_rial=(versions["unit_price_rial"] * k).round()), DAY, S)
    np.testing.assert_allclose(pm.feature_matrix(f1), pm.feature_matrix(f2), atol=1e-6)


def training_frame(days: int = 6) -> pd.DataFrame:
    frames = []
    for i in range(days):
        offers = pd.concat([market(60, seed=i), market(60, seed=100 + i, code="S02.D1.F1.B1.SB1",
                                                       price=3e8, unit="ton")], ignore_index=True)
        frames.append(price_features(offers, None, DAY, S))
    return pd.concat(frames, ignore_index=True)


def test_model_artefacts_promote_only_if_better_and_roll_back(tmp_path):
    train, holdout = training_frame(), training_frame(2)
    holdout["injected"] = ""
    holdout.loc[holdout.index[::25], "injected"] = "gouging"
    holdout.loc[holdout.index[::25], ["log_ratio", "robust_z"]] = [1.2, 8.0]
    first = pm.train_and_maybe_promote(train, holdout, tmp_path, (date(2026, 11, 1), date(2026, 11, 6)))
    assert first.promoted and pm.read_registry(tmp_path) == {"current": first.candidate, "previous": None}
    card = json.loads((tmp_path / f"{first.candidate}.json").read_text())
    assert card["features"] == list(pm.FEATURES) and card["data_window"]["last_day"] == "2026-11-06"
    assert card["scores"]["model_pr_auc"] > 0.5 and (tmp_path / f"{first.candidate}.skops").exists()
    # the same data and seed cannot beat the current model: kept as a candidate, not promoted
    second = pm.train_and_maybe_promote(train, holdout, tmp_path, (date(2026, 11, 1), date(2026, 11, 6)))
    assert not second.promoted and pm.read_registry(tmp_path)["current"] == first.candidate
    pm.promote(tmp_path, second.candidate)
    assert pm.rollback(tmp_path) == {"current": first.candidate, "previous": second.candidate}
    loaded = pm.load_current(tmp_path)
    assert loaded.version == first.candidate
    scores = loaded.score(holdout)
    assert scores[holdout["injected"] != ""].min() > scores[holdout["injected"] == ""].median()


def test_a_tampered_card_or_artefact_is_refused(tmp_path):
    model = pm.fit(training_frame(2), window=(date(2026, 11, 1), date(2026, 11, 2)))
    pm.save(model, tmp_path)
    card_path = tmp_path / f"{model.version}.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps(dict(card, features=["price_rial"])))
    with pytest.raises(pm.PriceModelError, match="other features"):
        pm.load(tmp_path, model.version)
    with pytest.raises(pm.PriceModelError, match="missing"):
        pm.load(tmp_path, "no-such-version")


def test_daily_score_without_a_model_is_the_rules_alone(tmp_path, caplog):
    f = training_frame(1)
    settings = Settings(price_model_enabled=True, price_model_dir=tmp_path / "none")
    with caplog.at_level(logging.WARNING, logger="pipelines.price_model.model"):
        scored = pm.score_features(f, settings)
    assert "rules only" in caplog.text and "model_score" not in scored
    assert scored["price_score"].equals(f["price_rule_score"])
    pm.promote(tmp_path, pm.save(pm.fit(f), tmp_path).stem)
    scored = pm.score_features(f, Settings(price_model_enabled=True, price_model_dir=tmp_path))
    assert (scored["price_score"] >= scored["model_score"]).all() and scored["model_version"].notna().all()


def test_the_shipped_model_loads_and_scores():
    settings = Settings()
    model = pm.load_current(pm.model_dir(settings))
    assert model is not None, "models/price_model must ship a current artefact"
    assert model.card["data_window"] and model.card["scores"]
    assert np.isfinite(model.score(training_frame(1))).all()


def test_price_evidence_reads_as_persian():
    rows = {
        "price_own_history_jump": {"unit_price_rial": 1_700_000, "previous_price_rial": 1_000_000,
                                   "jump_ratio": 1.7, "history_count": 2, "history_days": 90, "unit": "kg"},
        "price_nesieh_markup": {"unit_price_rial": 1_000_000, "nesieh_unit_price_rial": 1_300_000,
                                "nesieh_months": 3, "markup_per_month_pct": 10.0,
                                "norm_markup_per_month_pct": 2.5, "peer_count": 20, "robust_z": 9.1},
        "price_peer_band": {"unit_price_rial": 4_000_000, "peer_median_rial": 1_000_000, "ratio": 4.0,
                            "robust_z": 9.2, "peer_count": 5, "scope": "national", "peer_level": "branch",
                            "province_median_rial": 900_000, "category_code": "S01.D1.F1.B1.SB2", "unit": "kg"},
        "price_model_outlier": {"unit_price_rial": 1_500_000, "peer_median_rial": 1_000_000, "ratio": 1.5,
                                "model_score": 1.4, "unit": "kg"},
    }
    for rule, ev in rows.items():
        finding = ReportFinding(**{**_finding_defaults(), "rule": rule, "evidence": ev})
        lines = evidence_lines(finding, DAY.day)
        assert len(lines) >= 2, rule
        text = " ".join(line for line in lines if not line.startswith(t("evidence.category", code="")))
        assert not any(c.isascii() and c.isalnum() for c in text), (rule, lines)


def _finding_defaults() -> dict:
    import dataclasses

    out = {}
    for field in dataclasses.fields(ReportFinding):
        out[field.name] = None
    return out
