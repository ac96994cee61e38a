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
from pipelines.state.money import amount_rial

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


# a price rule's hit before the units ordered on the day are known: the rial at stake for one unit, and
# whether the deviation is gross (critical whatever was ordered). The price partitions emit these; the
# check multiplies by the day's units (`with_units_ordered`), so a partition needs no order of the day.
CANDIDATE_COLUMNS = ["rule", "entity_type", "entity_id", "seller_id", "offer_id", "impact_per_unit", "gross",
                     "evidence"]


def _candidates(rule: str, rows: pd.DataFrame, per_unit: pd.Series, evidence: pd.DataFrame,
                gross: pd.Series | None = None) -> pd.DataFrame:
    out = pd.DataFrame({
        "rule": rule,
        "entity_type": "offer",
        "entity_id": rows["offer_id"].astype(str),
        "seller_id": rows["seller_id"],
        "offer_id": rows["offer_id"],
        "impact_per_unit": per_unit.astype(float),
        "gross": gross.astype(bool) if gross is not None else False,
        "evidence": pd.Series(
            [{k: v for k, v in rec.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
             for rec in evidence.astype(object).where(evidence.notna(), None).to_dict("records")],
            index=rows.index, dtype=object),
    })
    return out[CANDIDATE_COLUMNS]


def empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})


def with_units_ordered(candidates: pd.DataFrame, orders: pd.DataFrame | None, day: MonitoredDay,
                       settings: Settings) -> Observations:
    """Observations from price candidates: the rial at stake for the units ordered on the day, and severity."""
    if candidates.empty:
        return empty_observations()
    c = candidates.reset_index(drop=True)
    units = _units_ordered(orders, day, c["offer_id"])
    impact = amount_rial(units, c["impact_per_unit"].astype(float))  # bounded before the cast, never wrapped
    severity = severity_from_impact(impact, settings.severity_critical_impact_rial,
                                    settings.severity_warning_impact_rial)
    severity[c["gross"].astype(bool)] = "critical"
    return c.assign(severity=severity, impact_rial=impact)[OBSERVATION_COLUMNS]


def peer_band_candidates(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Offers outside the band of the reference that decides for them: the same product at other sellers,
    peers of the same weight or size, or the sub-branch's band (in the province or nationally)."""
    nat_hit, prov_hit, spec_hit = peer_hits(f, settings)
    flagged = f[nat_hit | prov_hit | spec_hit]
    if flagged.empty:
        return empty_candidates()
    idx = flagged.index
    use_spec = spec_hit[idx]
    use_prov = ~use_spec & prov_hit[idx] & (
        ~nat_hit[idx] | (f.loc[idx, "province_z"].abs() > f.loc[idx, "robust_z"].abs())
    )
    median_log = flagged["peer_median_log"].where(~use_prov, flagged["province_median_log"])
    median_log = median_log.where(~use_spec, flagged["reference_median_log"])
    median_rial = _rial(median_log)
    per_unit = (flagged["unit_price_rial"] - median_rial.astype(float)).abs()
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
    return _candidates("price_peer_band", flagged, per_unit, evidence, gross)


def own_history_candidates(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Offers whose price is far from every price they had in the recent window."""
    flagged = f[(f["history_count"] > 0) & (f["jump_away_log_ratio"].abs() > np.log(settings.price_jump_ratio))]
    if flagged.empty:
        return empty_candidates()
    last = flagged["last_price_rial"].astype(float)
    per_unit = (flagged["unit_price_rial"] - last).abs()
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
    return _candidates("price_own_history_jump", flagged, per_unit, evidence, gross)


def nesieh_candidates(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Offers whose nesieh price carries a monthly markup far above the norm for that many months."""
    hit = (f["markup_z"] > settings.price_nesieh_robust_z) & (
        f["markup_excess"] > settings.price_nesieh_min_excess_per_month)
    flagged = f[hit]
    if flagged.empty:
        return empty_candidates()
    months = flagged["nesieh_months"].astype(float)
    cash = flagged["unit_price_rial"].astype(float)
    normal_nesieh = cash * (1 + flagged["markup_norm"] * months)
    per_unit = (flagged["nesieh_unit_price_rial"].astype(float) - normal_nesieh).clip(lower=0)
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
    return _candidates("price_nesieh_markup", flagged, per_unit, evidence)


def price_candidates(features: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The candidates of the three price rules, and of the model where it alone sees an outlier."""
    if features.empty:
        return empty_candidates()
    f = features
    if "price_score" not in f:
        f = f.assign(price_score=f["price_rule_score"])
    parts = [peer_band_candidates(f, settings), own_history_candidates(f, settings), nesieh_candidates(f, settings)]
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
            per_unit = (only_model["unit_price_rial"] - np.exp(only_model["peer_median_log"])).abs()
            parts.append(_candidates("price_model_outlier", only_model, per_unit, evidence))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else empty_candidates()


def price_observations(features: pd.DataFrame, orders: pd.DataFrame | None, day: MonitoredDay,
                       settings: Settings) -> Observations:
    """The observations of the three price rules, and of the model where it alone sees an outlier."""
    return with_units_ordered(price_candidates(features, settings), orders, day, settings)


def peer_band(offers: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings) -> Observations:
    """Active offers whose unit price is far outside the national band of their peers (no history, no model)."""
    f = price_features(offers, None, day, settings)
    if f.empty:
        return empty_observations()
    return with_units_ordered(peer_band_candidates(f.assign(price_score=f["price_rule_score"]), settings),
                              orders, day, settings)


# ---------------------------------------------------------------- partitions of the taxonomy

# The peer bands are national within a sub-branch and fall back to its branch and then its field, never wider
# (TAXONOMY_LEVELS), and the own-history jump is an offer's alone: the offers of one taxonomy field are judged
# without any other field's offers. Only the nesieh norm (per number of instalment months) is national across
# the taxonomy; it is cheap, and each partition computes it from the whole catalogue.
FIELD_PARTS = 3


def read_price_inputs(conn, day: MonitoredDay, settings: Settings) -> dict[str, pd.DataFrame]:
    """What the price rules read for a day: offers priced at its end, their versions of the history window,
    and each seller's province (the same reads as the market state's)."""
    from pipelines.state.market import OFFERS, SELLERS
    from pipelines.store.sql_files import read_frame

    sellers = SELLERS.conform(read_frame(conn, "state/select_sellers_as_of", as_of=day.end))
    return {
        "offers": OFFERS.conform(read_frame(conn, "state/select_offers_priced_as_of", as_of=day.end)),
        "versions": read_frame(conn, "price/select_offer_versions",
                               since=day.end - pd.Timedelta(days=settings.price_history_days), as_of=day.end),
        "provinces": seller_provinces(conn, sellers, day.day),
    }


def partition_price_candidates(inputs: dict[str, pd.DataFrame], day: MonitoredDay, settings: Settings,
                               fields: list[str] | None = None) -> pd.DataFrame:
    """The price candidates of the offers in `fields` (all offers when None), in a stable order."""
    from pipelines.price_model.model import score_features

    features = price_features(inputs["offers"], inputs["versions"], day, settings, inputs["provinces"],
                              fields=fields)
    if features.empty:
        return empty_candidates()
    candidates = price_candidates(score_features(features, settings), settings)
    return candidates.sort_values(["rule", "offer_id"], kind="stable").reset_index(drop=True)


def candidates_to_records(candidates: pd.DataFrame) -> list[dict]:
    """Candidates as plain JSON values (what a partition hands on); floats keep every digit."""
    import json

    return json.loads(json.dumps(candidates.astype(object).to_dict("records"), default=_plain))


def candidates_from_records(records: list[dict]) -> pd.DataFrame:
    if not records:
        return empty_candidates()
    frame = pd.DataFrame.from_records(records, columns=CANDIDATE_COLUMNS)
    return frame.assign(impact_per_unit=frame["impact_per_unit"].astype(float),
                        gross=frame["gross"].astype(bool))


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA:
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")
