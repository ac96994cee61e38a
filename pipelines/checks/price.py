"""Abnormal prices: each active offer against its peers, its own history, and the nesieh norm.

All three rules read one frame of *relative* features (`price_features`), so that inflation (a few per
cent a month) and the scale of a category (bread by the piece, cement by the ton) cancel out:

- **peer band** (`price_peer_band`): log unit price against the median and MAD of its peers with the same
  unit, nationally and in the province. A robust band (median/MAD) is not moved by a few gougers; a
  spread floor stops peers that agree to the rial from making a 5% difference abnormal. When the
  sub-branch has too few offers, the band falls back up the taxonomy (sub-branch → branch → field; the
  codes are dotted prefixes, `S03.D1.F1.B1.SB2`). The province band compares the offer's deviation from
  the national median with its province peers' deviations, so that pooling sub-branches of one branch in
  a small province does not mix their price levels. Where the province has a band it decides, except for
  gross deviations from the nation (see `peer_hits`).
- **own-history jump** (`price_own_history_jump`): the current price against every price the offer had
  in the staged versions of the recent window. It is a jump only when it is far from *all* of them and
  moved away from the peers, so a correction back to an earlier or a normal price is not itself a jump.
- **nesieh markup** (`price_nesieh_markup`): the monthly markup of the nesieh unit price over the cash
  price, against the robust norm of offers with the same number of instalment months.

The features and `price_rule_score`, which condenses the rules into one strength (1.0 = a rule's threshold),
live in `pipelines.price_model.features`; the outlier model in `pipelines.price_model.model` adds its own
score, and `price_observations` makes the findings.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipelines.checks import OBSERVATION_COLUMNS, Observations, empty_observations, severity_from_impact
from pipelines.monitored_day import MonitoredDay
from pipelines.price_model.features import ATTRIBUTES, PRODUCT, peer_hits, price_features
from pipelines.reference.routing import seller_provinces
from pipelines.settings import Settings

log = logging.getLogger(__name__)

# the reference a price was compared with (evidence `scope`): the sub-branch's band nationally or in the
# province, the same product at other sellers, peers of the same weight or size bands; the own history is
# the rule `price_own_history_jump`
NATIONAL, PROVINCE = ("national", "province")
PRICE_SCOPES = (NATIONAL, PROVINCE, PRODUCT, ATTRIBUTES)

# ---------------------------------------------------------------- observations


def _rial(log_value: pd.Series) -> pd.Series:
    return np.exp(log_value).round().astype("Int64")


def _units_ordered(orders: pd.DataFrame, day: MonitoredDay, offer_ids: pd.Series) -> pd.Series:
    if orders is None or orders.empty:
        return pd.Series(1.0, index=offer_ids.index)
    on_day = orders[(orders["ordered_at"] >= day.start) & (orders["ordered_at"] < day.end)]
    units = on_day.groupby("offer_id")["quantity"].sum()
    return offer_ids.map(units).fillna(1.0).clip(lower=1.0)


def _observations(rule: str, rows: pd.DataFrame, impact: pd.Series, evidence: pd.DataFrame,
                  settings: Settings, critical: pd.Series | None = None) -> pd.DataFrame:
    impact = impact.round().astype("int64")
    out = pd.DataFrame({
        "rule": rule,
        "entity_type": "offer",
        "entity_id": rows["offer_id"].astype(str),
        "seller_id": rows["seller_id"],
        "offer_id": rows["offer_id"],
        "severity": severity_from_impact(impact, settings.severity_critical_impact_rial,
                                         settings.severity_warning_impact_rial),
        "impact_rial": impact,
        "evidence": pd.Series(
            [{k: v for k, v in rec.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
             for rec in evidence.astype(object).where(evidence.notna(), None).to_dict("records")],
            index=rows.index, dtype=object),
    })
    if critical is not None:
        out.loc[critical, "severity"] = "critical"
    return out[OBSERVATION_COLUMNS]


def peer_band_observations(f: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay,
                           settings: Settings) -> pd.DataFrame:
    """Offers outside the band of the reference that decides for them: the same product at other sellers,
    peers of the same weight or size, or the sub-branch's band (in the province or nationally)."""
    nat_hit, prov_hit, spec_hit = peer_hits(f, settings)
    flagged = f[nat_hit | prov_hit | spec_hit]
    if flagged.empty:
        return empty_observations()
    idx = flagged.index
    use_spec = spec_hit[idx]
    use_prov = ~use_spec & prov_hit[idx] & (
        ~nat_hit[idx] | (f.loc[idx, "province_z"].abs() > f.loc[idx, "robust_z"].abs())
    )
    median_log = flagged["peer_median_log"].where(~use_prov, flagged["province_median_log"])
    median_log = median_log.where(~use_spec, flagged["reference_median_log"])
    median_rial = _rial(median_log)
    units = _units_ordered(orders, day, flagged["offer_id"])
    impact = (flagged["unit_price_rial"] - median_rial.astype(float)).abs() * units
    ratio = np.exp(flagged["log_price"] - median_log)
    z = flagged["robust_z"].where(~use_prov, flagged["province_z"]).where(~use_spec, flagged["reference_z"])
    count = flagged["peer_count"].where(~use_prov, flagged["province_count"])
    scope = np.where(use_spec, flagged["reference"].astype(object), np.where(use_prov, PROVINCE, NATIONAL))
    evidence = pd.DataFrame({
        "unit_price_rial": flagged["unit_price_rial"].astype("int64"),
        "peer_median_rial": median_rial,
        "ratio": ratio.round(3),
        "robust_z": z.round(2),
        "peer_count": count.where(~use_spec, flagged["reference_count"]).astype("int64"),
        "category_code": flagged["category_code"],
        "unit": flagged["unit"],
        "scope": scope,
        "peer_level": flagged["peer_level"].where(~use_prov, flagged["province_level"]).where(~use_spec, None),
        "national_median_rial": _rial(flagged["peer_median_log"]),
        "province_median_rial": _rial(flagged["province_median_log"]),
        "price_score": flagged["price_score"].round(2),
    })
    gross = (ratio >= 2.0) | (ratio <= 0.5)  # twice or half the reference is critical whatever was ordered
    return _observations("price_peer_band", flagged, impact, evidence, settings, critical=gross)


def own_history_observations(f: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay,
                             settings: Settings) -> pd.DataFrame:
    """Offers whose price is far from every price they had in the recent window."""
    flagged = f[(f["history_count"] > 0) & (f["jump_away_log_ratio"].abs() > np.log(settings.price_jump_ratio))]
    if flagged.empty:
        return empty_observations()
    last = flagged["last_price_rial"].astype(float)
    units = _units_ordered(orders, day, flagged["offer_id"])
    impact = (flagged["unit_price_rial"] - last).abs() * units
    evidence = pd.DataFrame({
        "unit_price_rial": flagged["unit_price_rial"].astype("int64"),
        "previous_price_rial": flagged["last_price_rial"].astype("Int64"),
        "jump_ratio": np.exp(flagged["jump_log_ratio"]).round(3),
        "nearest_ratio": np.exp(flagged["nearest_log_ratio"]).round(3),
        "history_count": flagged["history_count"].astype("int64"),
        "history_days": settings.price_history_days,
        "unit": flagged["unit"],
        "category_code": flagged["category_code"],
        "price_score": flagged["price_score"].round(2),
    })
    gross = (flagged["jump_log_ratio"].abs() >= np.log(2.0))
    return _observations("price_own_history_jump", flagged, impact, evidence, settings, critical=gross)


def nesieh_observations(f: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay,
                        settings: Settings) -> pd.DataFrame:
    """Offers whose nesieh price carries a monthly markup far above the norm for that many months."""
    hit = (f["markup_z"] > settings.price_nesieh_robust_z) & (
        f["markup_excess"] > settings.price_nesieh_min_excess_per_month)
    flagged = f[hit]
    if flagged.empty:
        return empty_observations()
    months = flagged["nesieh_months"].astype(float)
    cash = flagged["unit_price_rial"].astype(float)
    normal_nesieh = cash * (1 + flagged["markup_norm"] * months)
    units = _units_ordered(orders, day, flagged["offer_id"])
    impact = (flagged["nesieh_unit_price_rial"].astype(float) - normal_nesieh).clip(lower=0) * units
    evidence = pd.DataFrame({
        "unit_price_rial": flagged["unit_price_rial"].astype("int64"),
        "nesieh_unit_price_rial": flagged["nesieh_unit_price_rial"].astype("int64"),
        "nesieh_months": months.astype("int64"),
        "markup_per_month_pct": (100 * flagged["markup_per_month"]).round(2),
        "norm_markup_per_month_pct": (100 * flagged["markup_norm"]).round(2),
        "robust_z": flagged["markup_z"].round(2),
        "peer_count": flagged["markup_peer_count"].astype("int64"),
        "unit": flagged["unit"],
        "category_code": flagged["category_code"],
        "price_score": flagged["price_score"].round(2),
    })
    return _observations("price_nesieh_markup", flagged, impact, evidence, settings)


def price_observations(features: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay,
                       settings: Settings) -> Observations:
    """The observations of the three price rules, and of the model where it alone sees an outlier."""
    if features.empty:
        return empty_observations()
    f = features
    if "price_score" not in f:
        f = f.assign(price_score=f["price_rule_score"])
    parts = [
        peer_band_observations(f, orders, day, settings),
        own_history_observations(f, orders, day, settings),
        nesieh_observations(f, orders, day, settings),
    ]
    if "model_score" in f:
        only_model = f[(f["model_score"] >= 1.0) & (f["price_rule_score"] < 1.0)]
        if not only_model.empty:
            evidence = pd.DataFrame({
                "unit_price_rial": only_model["unit_price_rial"].astype("int64"),
                "peer_median_rial": _rial(only_model["peer_median_log"]),
                "ratio": np.exp(only_model["log_ratio"]).round(3),
                "jump_ratio": np.exp(only_model["jump_log_ratio"]).round(3),
                "model_score": only_model["model_score"].round(2),
                "model_version": only_model["model_version"],
                "unit": only_model["unit"],
                "category_code": only_model["category_code"],
                "price_score": only_model["price_score"].round(2),
            })
            impact = (only_model["unit_price_rial"] - np.exp(only_model["peer_median_log"])).abs() * \
                _units_ordered(orders, day, only_model["offer_id"])
            parts.append(_observations("price_model_outlier", only_model, impact, evidence, settings))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else empty_observations()


def peer_band(offers: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings) -> Observations:
    """Active offers whose unit price is far outside the national band of their peers (no history, no model)."""
    f = price_features(offers, None, day, settings)
    if f.empty:
        return empty_observations()
    return peer_band_observations(f.assign(price_score=f["price_rule_score"]), orders, day, settings)


def daily_price_observations(conn, state, day: MonitoredDay, settings: Settings) -> Observations:
    """The daily check's price step: features from staging, the model's score when there is one, findings."""
    from pipelines.price_model.model import score_features
    from pipelines.store.sql_files import read_frame

    versions = read_frame(conn, "price/select_offer_versions",
                          since=day.end - pd.Timedelta(days=settings.price_history_days), as_of=day.end)
    features = price_features(state.offers, versions, day, settings, seller_provinces(conn, state.sellers, day.day))
    if features.empty:
        return empty_observations()
    return price_observations(score_features(features, settings), state.orders, day, settings)
