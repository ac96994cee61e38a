"""The relative price features that the price rules and the outlier model both read.

Log unit price against the median and MAD of its peers (nationally and in the province, falling back up the
taxonomy when a group is small), the ratios to the offer's own recent prices, the nesieh markup's excess over
the norm for its months, and each rule's strength (1.0 = the rule's threshold). Neither a price in rials nor
a category's scale enters, so inflation and units cancel out. `pipelines.checks.price` turns them into
observations; `pipelines.price_model.model` trains and scores on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.monitored_day import MonitoredDay
from pipelines.settings import Settings

MAD_TO_SIGMA = 1.4826
# taxonomy levels a band may use, most specific first, and how many dotted parts of the code each keeps
TAXONOMY_LEVELS = (("sub_branch", 5), ("branch", 4), ("field", 3))


def taxonomy_prefix(code: pd.Series, parts: int) -> pd.Series:
    """The first `parts` dotted components of taxonomy codes (a shorter code is kept whole)."""
    split = code.astype(str).str.split(".", regex=False)
    return split.str[:parts].str.join(".")


def in_fields(category_codes: pd.Series, fields: list[str]) -> pd.Series:
    """Which codes belong to one of the taxonomy `fields` (the field itself, or a code under it)."""
    codes = category_codes.astype(str)
    if not fields:
        return pd.Series(False, index=category_codes.index)
    return codes.isin(fields) | codes.str.startswith(tuple(f"{field}." for field in fields))


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
    fields: list[str] | None = None,
) -> pd.DataFrame:
    """One row per active offer with the relative price features the rules and the model read.

    `offer_versions`: staged versions (offer_id, updated_at, unit_price_rial) of the history window;
    `seller_province`: seller_id → province_id (without it there is no province band);
    `fields`: only the offers of these taxonomy fields (a partition of the day), with the same features as
    when every offer is computed at once: no band reaches beyond a field, and the nesieh norm is taken from all.
    """
    f = active_offers(offers, day).reset_index(drop=True)
    f = f[f["unit_price_rial"].astype(float) > 0]
    if f.empty:
        return f
    nesieh = nesieh_markup_features(f, settings)
    if fields is not None:
        keep = in_fields(f["category_code"], fields)
        f, nesieh = f[keep], nesieh[keep]
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
    f = f.join(nesieh)
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
