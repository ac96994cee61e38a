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

`price_rule_score` condenses the rules into one strength (1.0 = a rule's threshold); the outlier model in
`pipelines.price_model` adds its own and `price_observations` makes the findings.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pipelines.checks import OBSERVATION_COLUMNS, empty_observations, severity_from_impact
from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings

log = logging.getLogger(__name__)

MAD_TO_SIGMA = 1.4826
# taxonomy levels a band may use, most specific first, and how many dotted parts of the code each keeps
TAXONOMY_LEVELS = (("sub_branch", 5), ("branch", 4), ("field", 3))
PRICE_RULES = ("price_peer_band", "price_own_history_jump", "price_nesieh_markup")


def taxonomy_prefix(code: pd.Series, parts: int) -> pd.Series:
    """The first `parts` dotted components of taxonomy codes (a shorter code is kept whole)."""
    split = code.astype(str).str.split(".", regex=False)
    return split.str[:parts].str.join(".")


def _group_stats(values: pd.Series, keys: list[pd.Series], floor: float) -> tuple[pd.Series, ...]:
    """Size, median and robust scale (1.4826·MAD, at least `floor`) of each row's group."""
    grouped = values.groupby(keys, sort=False, dropna=False)
    count = grouped.transform("size")
    median = grouped.transform("median")
    mad = (values - median).abs().groupby(keys, sort=False, dropna=False).transform("median")
    return count, median, np.maximum(MAD_TO_SIGMA * mad, floor)


def _banded(values: pd.Series, base_keys: list[pd.Series], prefixes: dict[str, pd.Series], min_peers: int,
            floor: float) -> pd.DataFrame:
    """For each row, the band of the most specific taxonomy level with at least `min_peers` members."""
    out = pd.DataFrame(index=values.index, data={
        "level": pd.Series(None, index=values.index, dtype=object),
        "count": 0, "median": np.nan, "scale": np.nan,
    })
    for level, _ in TAXONOMY_LEVELS:
        count, median, scale = _group_stats(values, [*base_keys, prefixes[level]], floor)
        take = out["level"].isna() & (count >= min_peers)
        out.loc[take, "level"] = level
        out.loc[take, "count"] = count[take]
        out.loc[take, "median"] = median[take]
        out.loc[take, "scale"] = scale[take]
    return out


def active_offers(offers: pd.DataFrame, day: MonitoredDay) -> pd.DataFrame:
    """Offers active at the end of the day."""
    return offers[(offers["status"] == "active") & (offers["created_at"] < day.end)].copy()


def price_features(
    offers: pd.DataFrame,
    offer_versions: pd.DataFrame | None,
    day: MonitoredDay,
    settings: Settings,
    seller_province: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per active offer with the relative price features the rules and the model read.

    `offer_versions`: staged versions (offer_id, updated_at, unit_price_rial) of the history window;
    `seller_province`: seller_id → province_id (without it there is no province band).
    """
    f = active_offers(offers, day).reset_index(drop=True)
    f = f[f["unit_price_rial"].astype(float) > 0]
    if f.empty:
        return f
    if seller_province is not None and not seller_province.empty:
        province = f["seller_id"].map(seller_province.drop_duplicates("seller_id").set_index("seller_id")
                                      ["province_id"])
    else:
        province = pd.Series(None, index=f.index, dtype=object)
    f["province_id"] = province.astype(object)
    f["log_price"] = np.log(f["unit_price_rial"].astype(float))
    prefixes = {level: taxonomy_prefix(f["category_code"], parts) for level, parts in TAXONOMY_LEVELS}
    floor = settings.price_min_log_spread

    # national band, with the taxonomy fallback
    nat = _banded(f["log_price"], [f["unit"]], prefixes, settings.price_min_peer_offers, floor)
    f["peer_level"] = nat["level"]
    f["peer_count"] = nat["count"].astype("int64")
    f["peer_median_log"] = nat["median"]
    f["peer_scale"] = nat["scale"]
    f["log_ratio"] = f["log_price"] - f["peer_median_log"]
    f["robust_z"] = f["log_ratio"] / f["peer_scale"]

    # province band on the deviation from the national median (homogeneous across sub-branches)
    dev = f["log_ratio"].where(f["province_id"].notna())
    prov = _banded(dev, [f["province_id"], f["unit"]], prefixes, settings.price_min_province_peer_offers, floor)
    prov_ok = prov["level"].notna() & dev.notna()
    f["province_level"] = prov["level"].where(prov_ok, None)
    f["province_count"] = prov["count"].where(prov_ok, 0).astype("int64")
    f["province_median_log"] = (f["peer_median_log"] + prov["median"]).where(prov_ok)
    # a handful of province peers can agree by chance: their spread is never taken tighter than the nation's
    prov_scale = np.maximum(prov["scale"], f["peer_scale"])
    f["province_z"] = ((dev - prov["median"]) / prov_scale).where(prov_ok, 0.0)
    f["province_log_ratio"] = (f["log_price"] - f["province_median_log"]).where(prov_ok, 0.0)

    f = f.join(own_history(f, offer_versions, day, settings))
    # a change back towards the peers (a corrected slip) is not an abnormal jump: count only moves away
    away = f["log_ratio"].abs() > (f["log_ratio"] - f["nearest_log_ratio"]).abs()
    f["jump_away_log_ratio"] = f["nearest_log_ratio"].where(away, 0.0)
    f = f.join(nesieh_markup_features(f, settings))
    f["price_rule_score"] = price_rule_score(f, settings)
    return f


def own_history(
    current: pd.DataFrame, offer_versions: pd.DataFrame | None, day: MonitoredDay, settings: Settings
) -> pd.DataFrame:
    """Per current offer: how many earlier prices it had in the window, the last one, and the log ratio of
    the current price to the last one and to the nearest one."""
    empty = pd.DataFrame(index=current.index, data={
        "history_count": 0, "last_price_rial": pd.Series(pd.NA, index=current.index, dtype="Int64"),
        "jump_log_ratio": 0.0, "nearest_log_ratio": 0.0,
    })
    if offer_versions is None or offer_versions.empty:
        return empty
    since = day.end - pd.Timedelta(days=settings.price_history_days)
    v = offer_versions[(offer_versions["updated_at"] >= since) & (offer_versions["updated_at"] < day.end)]
    cur = pd.DataFrame({
        "row": current.index, "offer_id": current["offer_id"].to_numpy(),
        "updated_at": current["updated_at"].to_numpy(), "log_price": current["log_price"].to_numpy(),
    })
    prior = v[["offer_id", "updated_at", "unit_price_rial"]].merge(cur, on="offer_id", suffixes=("", "_cur"))
    prior = prior[(prior["updated_at"] < prior["updated_at_cur"]) & (prior["unit_price_rial"] > 0)]
    if prior.empty:
        return empty
    prior = prior.sort_values(["row", "updated_at"])
    prior["log_ratio"] = prior["log_price"] - np.log(prior["unit_price_rial"].astype(float))
    prior["abs_ratio"] = prior["log_ratio"].abs()
    g = prior.groupby("row", sort=False)
    last = g.tail(1).set_index("row")
    nearest = prior.loc[g["abs_ratio"].idxmin()].set_index("row")
    out = empty.copy()
    out.loc[last.index, "history_count"] = g.size().reindex(last.index).to_numpy()
    out.loc[last.index, "last_price_rial"] = last["unit_price_rial"].astype("int64").to_numpy()
    out.loc[last.index, "jump_log_ratio"] = last["log_ratio"].to_numpy()
    out.loc[nearest.index, "nearest_log_ratio"] = nearest["log_ratio"].to_numpy()
    out["history_count"] = out["history_count"].astype("int64")
    return out


def nesieh_markup_features(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Monthly nesieh markup over cash, the norm for that many months (median of peers), and robust z."""
    out = pd.DataFrame(index=f.index, data={
        "markup_per_month": np.nan, "markup_norm": np.nan, "markup_excess": 0.0, "markup_z": 0.0,
        "markup_peer_count": 0,
    })
    if "nesieh_months" not in f or "nesieh_unit_price_rial" not in f:
        return out
    months = pd.to_numeric(f["nesieh_months"], errors="coerce")
    nesieh = pd.to_numeric(f["nesieh_unit_price_rial"], errors="coerce")
    has = (months > 0) & nesieh.notna() & (nesieh > 0)
    if not has.any():
        return out
    m = ((nesieh / f["unit_price_rial"].astype(float) - 1.0) / months).where(has)
    floor = settings.price_nesieh_min_markup_spread
    count, median, scale = _group_stats(m[has], [months[has]], floor)
    # too few offers with that many months: the norm of all nesieh offers
    pooled = m[has].median()
    pooled_scale = max(MAD_TO_SIGMA * (m[has] - pooled).abs().median(), floor)
    small = count < settings.price_min_peer_offers
    median = median.where(~small, pooled)
    scale = scale.where(~small, pooled_scale)
    count = count.where(~small, int(has.sum()))
    out.loc[has, "markup_per_month"] = m[has]
    out.loc[has, "markup_norm"] = median
    out.loc[has, "markup_excess"] = m[has] - median
    out.loc[has, "markup_z"] = (m[has] - median) / scale
    out.loc[has, "markup_peer_count"] = count.astype("int64")
    out["markup_peer_count"] = out["markup_peer_count"].astype("int64")
    return out


def peer_hits(f: pd.DataFrame, settings: Settings) -> tuple[pd.Series, pd.Series]:
    """Which offers the national and the province band flag.

    Where the province has a band, it decides: a whole province may be dearer or cheaper than the nation
    (transport, wages), and its sellers are not abnormal for that. The national band still flags what is
    gross whatever the province (twice or half the national median: a slip, or a province-wide gouge).
    """
    z = settings.price_peer_robust_z
    has_province = f["province_count"] > 0
    nat = (f["robust_z"].abs() > z) & (~has_province | (f["log_ratio"].abs() >= np.log(2.0)))
    prov = has_province & (f["province_z"].abs() > z)
    return nat.fillna(False), prov.fillna(False)


def rule_strengths(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Each rule's strength per offer: 1.0 is its threshold, above it the rule holds."""
    z = settings.price_peer_robust_z
    nat_hit, prov_hit = peer_hits(f, settings)
    has_province = f["province_count"] > 0
    below = np.where(has_province, f["province_z"].abs(), f["robust_z"].abs()) / z
    peer = pd.Series(np.minimum(below, 0.999), index=f.index)
    peer = peer.where(~nat_hit, np.maximum(peer, f["robust_z"].abs() / z))
    peer = peer.where(~prov_hit, np.maximum(peer, f["province_z"].abs() / z)).fillna(0.0)
    jump = f["jump_away_log_ratio"].abs() / np.log(settings.price_jump_ratio)
    nesieh = np.minimum(
        f["markup_z"].clip(lower=0) / settings.price_nesieh_robust_z,
        f["markup_excess"].clip(lower=0) / settings.price_nesieh_min_excess_per_month,
    )
    return pd.DataFrame({"price_peer_band": peer, "price_own_history_jump": jump, "price_nesieh_markup": nesieh},
                        index=f.index).fillna(0.0)


def price_rule_score(f: pd.DataFrame, settings: Settings) -> pd.Series:
    """The strongest rule's strength (≥ 1.0: at least one price rule holds)."""
    return rule_strengths(f, settings).max(axis=1)


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
    """Offers outside the band of their peers (nationally or in the province)."""
    nat_hit, prov_hit = peer_hits(f, settings)
    flagged = f[nat_hit | prov_hit]
    if flagged.empty:
        return empty_observations()
    use_prov = prov_hit[flagged.index] & (
        ~nat_hit[flagged.index] | (f.loc[flagged.index, "province_z"].abs() > f.loc[flagged.index, "robust_z"].abs())
    )
    median_log = flagged["peer_median_log"].where(~use_prov, flagged["province_median_log"])
    median_rial = _rial(median_log)
    units = _units_ordered(orders, day, flagged["offer_id"])
    impact = (flagged["unit_price_rial"] - median_rial.astype(float)).abs() * units
    ratio = np.exp(flagged["log_price"] - median_log)
    evidence = pd.DataFrame({
        "unit_price_rial": flagged["unit_price_rial"].astype("int64"),
        "peer_median_rial": median_rial,
        "ratio": ratio.round(3),
        "robust_z": flagged["robust_z"].where(~use_prov, flagged["province_z"]).round(2),
        "peer_count": flagged["peer_count"].where(~use_prov, flagged["province_count"]).astype("int64"),
        "category_code": flagged["category_code"],
        "unit": flagged["unit"],
        "scope": np.where(use_prov, "province", "national"),
        "peer_level": flagged["peer_level"].where(~use_prov, flagged["province_level"]),
        "national_median_rial": _rial(flagged["peer_median_log"]),
        "province_median_rial": _rial(flagged["province_median_log"]),
        "price_score": flagged["price_score"].round(2),
    })
    gross = (ratio >= 2.0) | (ratio <= 0.5)  # twice or half the peers is critical whatever was ordered
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
                       settings: Settings) -> pd.DataFrame:
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


def peer_band(offers: pd.DataFrame, orders: pd.DataFrame, day: MonitoredDay, settings: Settings) -> pd.DataFrame:
    """Active offers whose unit price is far outside the national band of their peers (no history, no model)."""
    f = price_features(offers, None, day, settings)
    if f.empty:
        return empty_observations()
    return peer_band_observations(f.assign(price_score=f["price_rule_score"]), orders, day, settings)


def seller_provinces(conn, sellers: pd.DataFrame, day: MonitoredDay) -> pd.DataFrame:
    """seller_id → province_id, as the organisation stood on the day."""
    from pipelines.state import read_frame

    units = read_frame(conn, "routing/select_units_on_day", day=day.day)
    return sellers.merge(units[["unit_id", "province_id"]], on="unit_id")[["seller_id", "province_id"]]


def daily_price_observations(conn, state, day: MonitoredDay, settings: Settings) -> pd.DataFrame:
    """The daily check's price step: features from staging, the model's score when there is one, findings."""
    from pipelines.price_model import score_features
    from pipelines.state import read_frame

    versions = read_frame(conn, "price/select_offer_versions",
                          since=day.end - pd.Timedelta(days=settings.price_history_days), as_of=day.end)
    features = price_features(state.offers, versions, day, settings, seller_provinces(conn, state.sellers, day))
    if features.empty:
        return empty_observations()
    return price_observations(score_features(features, settings), state.orders, day, settings)
