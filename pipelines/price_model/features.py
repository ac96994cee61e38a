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
# a group's spread is read at the median and at the 90th percentile of its absolute deviations, each made a
# normal sigma (1.4826 = 1 / 0.6745, 1 / 1.6449); the wider of the two is the group's width, so that a
# catalogue whose prices have heavy tails is not judged by the width of its centre
TAIL_QUANTILE, TAIL_TO_SIGMA = 0.9, 1 / 1.6449
# taxonomy levels a band may use, most specific first, and how many dotted parts of the code each keeps
TAXONOMY_LEVELS = (("sub_branch", 5), ("branch", 4), ("field", 3))
# the references beyond the sub-branch band (evidence `reference`)
PRODUCT, ATTRIBUTES = "product", "attributes"


def taxonomy_prefix(code: pd.Series, parts: int) -> pd.Series:
    """The first `parts` dotted components of taxonomy codes (a shorter code is kept whole)."""
    codes, uniques = pd.factorize(code.astype(str), sort=False)  # a catalogue has few distinct codes
    prefix = pd.Series(uniques, dtype=object).str.split(".", regex=False).str[:parts].str.join(".")
    return pd.Series(prefix.to_numpy()[codes], index=code.index, dtype=object)


def in_fields(category_codes: pd.Series, fields: list[str]) -> pd.Series:
    """Which codes belong to one of the taxonomy `fields` (the field itself, or a code under it)."""
    codes = category_codes.astype(str)
    if not fields:
        return pd.Series(False, index=category_codes.index)
    return codes.isin(fields) | codes.str.startswith(tuple(f"{field}." for field in fields))


def _group_stats(values: pd.Series, keys: list[pd.Series], floor: float,
                 tails: bool = False) -> tuple[pd.Series, ...]:
    """Size, median and robust scale (1.4826·MAD, at least `floor`) of each row's group; with `tails`, the
    scale is the wider of that and the 90th percentile of the absolute deviations made a sigma."""
    count, median, core, scale = _group_spread(values, keys, floor, tails)
    return count, median, scale


def _group_spread(values: pd.Series, keys: list[pd.Series], floor: float,
                  tails: bool = False) -> tuple[pd.Series, ...]:
    """`_group_stats` with the width of the centre (1.4826·MAD) and the width read with the tails apart."""
    grouped = values.groupby(keys, sort=False, dropna=False)
    count = grouped.transform("size")
    median = grouped.transform("median")
    dev = (values - median).abs().groupby(keys, sort=False, dropna=False)
    core = MAD_TO_SIGMA * dev.transform("median")
    scale = core
    if tails:  # only where at least two offers lie beyond the quantile, so that one outlier cannot widen it
        tail = TAIL_TO_SIGMA * dev.transform("quantile", TAIL_QUANTILE)
        scale = core.where(count < 2 / (1 - TAIL_QUANTILE), np.maximum(core, tail))
    return count, median, np.maximum(core, floor), np.maximum(scale, floor)


def _pooled_scale(values: pd.Series, median: pd.Series, parent_keys: list[pd.Series]) -> pd.Series:
    """The spread of values around their own group's median, pooled over each parent group (the wider of
    1.4826·MAD and the tail's, as in `_group_stats`): how wide a group of this level usually is in that parent,
    whatever its price level."""
    dev = (values - median).abs()
    if not parent_keys:
        return pd.Series(max(MAD_TO_SIGMA * float(dev.median()), TAIL_TO_SIGMA * float(dev.quantile(TAIL_QUANTILE))),
                         index=values.index)
    grouped = dev.groupby(parent_keys, sort=False, dropna=False)
    return np.maximum(MAD_TO_SIGMA * grouped.transform("median"),
                      TAIL_TO_SIGMA * grouped.transform("quantile", TAIL_QUANTILE))


def _banded(values: pd.Series, base_keys: list[pd.Series], prefixes: dict[str, pd.Series], min_peers: int,
            floor: float, prior: float = 0.0) -> pd.DataFrame:
    """For each row, the band of the most specific taxonomy level with at least `min_peers` members.

    A level's width is learned from its own spread and shrunk (`shrunk_scale`, weight `prior`) toward the
    width that groups of that level usually have in their parent level, so that a small group whose few
    prices agree by chance is not given a needle-thin band."""
    out = pd.DataFrame(index=values.index, data={
        "level": pd.Series(None, index=values.index, dtype=object),
        "count": 0, "median": np.nan, "scale": np.nan, "core_scale": np.nan,
    })
    levels = [level for level, _ in TAXONOMY_LEVELS]
    for i, level in enumerate(levels):
        keys = [*base_keys, prefixes[level]]
        count, median, core, scale = _group_spread(values, keys, 0.0, tails=True)
        if prior > 0:
            parent = [*base_keys, prefixes[levels[i + 1]]] if i + 1 < len(levels) else list(base_keys)
            scale = shrunk_scale(scale, count, _pooled_scale(values, median, parent), prior)
        scale = np.maximum(scale, floor)
        take = out["level"].isna() & (count >= min_peers)
        out.loc[take, "level"] = level
        out.loc[take, "count"] = count[take]
        out.loc[take, "median"] = median[take]
        out.loc[take, "scale"] = scale[take]
        out.loc[take, "core_scale"] = np.maximum(core, floor)[take]
    return out


# ---------------------------------------------------------------- references beyond the sub-branch band

# the letters and digits a title may be typed in, made one: Arabic ي/ى/ك Persian, digits Latin, ZWNJ a space
_TITLE_CHARS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " ", "×": "x", "٫": ".", "/": ".",
                              **{c: str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")},
                              **{c: str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}})
# quantities written in titles: a number and a unit of mass, volume or length (Persian or Latin)
_MASS_UNITS = {"g": 1.0, "gr": 1.0, "gram": 1.0, "گرم": 1.0, "گرمی": 1.0, "kg": 1000.0, "کیلو": 1000.0,
               "کیلوگرم": 1000.0, "کیلویی": 1000.0, "کیلوگرمی": 1000.0, "ton": 1e6, "تن": 1e6, "تنی": 1e6}
_VOLUME_UNITS = {"ml": 1.0, "cc": 1.0, "سی‌سی": 1.0, "میلی‌لیتر": 1.0, "l": 1000.0, "lit": 1000.0,
                 "litre": 1000.0, "liter": 1000.0, "لیتر": 1000.0, "لیتری": 1000.0}
_NUMBER = r"(\d+(?:\.\d+)?)"


def normalised_title(title: pd.Series) -> pd.Series:
    """Titles as one spelling: Persian letters, Latin digits, lower case, punctuation and runs of spaces one
    space. Two offers whose titles read the same are taken for the same product. (Each distinct title is
    normalised once: a catalogue repeats its titles.)"""
    codes, uniques = pd.factorize(title.astype(object).where(title.notna(), ""), sort=False)
    text = pd.Series(uniques, dtype=object).astype(str).str.translate(_TITLE_CHARS).str.lower()
    text = text.str.replace(r"[^\w.]+", " ", regex=True).str.replace(r"(?<!\d)\.|\.(?!\d)", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return pd.Series(text.to_numpy()[codes], index=title.index, dtype=object)


def _quantity(text: pd.Series, units: dict[str, float]) -> pd.Series:
    """The first quantity in `units` written in each title (in the units' base), NaN where none."""
    alternatives = "|".join(sorted((u.replace("\u200c", " ") for u in units), key=len, reverse=True))
    found = text.str.extract(_NUMBER + r"\s?(" + alternatives + r")(?![\w])")
    factor = found[1].map({u.replace("\u200c", " "): k for u, k in units.items()})
    return pd.to_numeric(found[0], errors="coerce") * factor


def title_attributes(title: pd.Series, normalised: pd.Series | None = None) -> pd.DataFrame:
    """Weight and size bands read from the quantities a title states.

    Mass (`500g`, `۱۰ کیلویی`) gives a weight band of powers of two of grams; a volume (`1.5 لیتری`, `250ml`)
    or dimensions (`30x20x10cm`) give a size band of powers of four of cm³ (a volume grows as a length
    cubed). A title that states neither has no band. `normalised`: the titles already normalised.
    """
    full = normalised_title(title) if normalised is None else normalised
    codes, uniques = pd.factorize(full, sort=False)
    text = pd.Series(uniques, dtype=object)
    grams = _quantity(text, _MASS_UNITS)
    volume = _quantity(text, _VOLUME_UNITS)
    dims = text.str.extract(_NUMBER + r"\s?x\s?" + _NUMBER + r"\s?x\s?" + _NUMBER
                            + r"\s?(mm|cm|m|سانت|سانتی متر|متر)?")
    scale = dims[3].map({"mm": 0.1, "cm": 1.0, "m": 100.0, "سانت": 1.0, "سانتی متر": 1.0, "متر": 100.0}).fillna(1.0)
    boxed = dims[[0, 1, 2]].apply(pd.to_numeric, errors="coerce").prod(axis=1, min_count=3) * scale ** 3
    volume = volume.fillna(boxed)
    weight_band = np.floor(np.log2(grams.where(grams > 0)))
    size_band = np.floor(np.log(volume.where(volume > 0)) / np.log(4.0))
    return pd.DataFrame({"weight_band": weight_band.to_numpy()[codes], "size_band": size_band.to_numpy()[codes]},
                        index=title.index)


def shrunk_scale(scale: pd.Series, count: pd.Series, parent_scale: pd.Series | float, prior: float) -> pd.Series:
    """A group's band width learned from its own spread, shrunk toward its parent's when the group is small:
    sqrt((n·s² + n0·s_parent²) / (n + n0)), `n0` = `prior` (the weight of the parent, in offers)."""
    n = count.astype(float)
    return np.sqrt((n * scale ** 2 + prior * np.square(parent_scale)) / (n + prior))


def product_reference(f: pd.DataFrame, settings: Settings, titles: pd.Series | None = None) -> pd.DataFrame:
    """The same product at other sellers: offers with the same title and unit, at least
    `price_min_product_offers` of them (the offer among them). The median of three resists one wrong price;
    the width is the group's own spread shrunk toward the catalogue's spread of one product across sellers."""
    out = pd.DataFrame(index=f.index, data={"product_count": 0, "product_median_log": np.nan,
                                            "product_scale": np.nan})
    if titles is None:
        titles = normalised_title(f["title"]) if "title" in f else pd.Series("", index=f.index)
    key = titles
    has = key.str.len() > 0
    if not has.any():
        return out
    x = f.loc[has, "log_price"]
    keys = [f.loc[has, "unit"], key[has]]
    count, median, raw = _group_stats(x, keys, 0.0)
    dev = (x - median).abs()
    shared = count >= 2
    pooled = max(MAD_TO_SIGMA * float(dev[shared].median()) if shared.any() else 0.0, settings.price_min_log_spread)
    ok = count >= settings.price_min_product_offers
    scale = np.maximum(shrunk_scale(raw, count, pooled, settings.price_band_prior_offers),
                       settings.price_min_log_spread)
    idx = ok[ok].index
    out.loc[idx, "product_count"] = count[idx]
    out.loc[idx, "product_median_log"] = median[idx]
    out.loc[idx, "product_scale"] = scale[idx]
    out["product_count"] = out["product_count"].astype("int64")
    return out


def attribute_reference(f: pd.DataFrame, settings: Settings, titles: pd.Series | None = None) -> pd.DataFrame:
    """Peers by product attributes: the offers of the same sub-branch and unit whose titles state a weight or
    size in the same bands. The width is theirs, shrunk toward how wide such bands are in the sub-branch."""
    out = pd.DataFrame(index=f.index, data={"attribute_count": 0, "attribute_median_log": np.nan,
                                            "attribute_scale": np.nan})
    if "title" not in f:
        return out
    attrs = title_attributes(f["title"], titles)
    has = attrs.notna().any(axis=1)
    if not has.any():
        return out
    band = ("w" + attrs["weight_band"].astype("Int64").astype("string").fillna("-") + "v"
            + attrs["size_band"].astype("Int64").astype("string").fillna("-"))
    x = f.loc[has, "log_price"]
    sub_branch = [f.loc[has, "category_code"], f.loc[has, "unit"]]
    count, median, raw = _group_stats(x, [*sub_branch, band[has]], 0.0, tails=True)
    ok = count >= settings.price_min_peer_offers
    parent = _pooled_scale(x, median, sub_branch)
    scale = np.maximum(shrunk_scale(raw, count, parent, settings.price_band_prior_offers),
                       settings.price_min_log_spread)
    idx = ok[ok].index
    out.loc[idx, "attribute_count"] = count[idx]
    out.loc[idx, "attribute_median_log"] = median[idx]
    out.loc[idx, "attribute_scale"] = scale[idx]
    out["attribute_count"] = out["attribute_count"].astype("int64")
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
    # what reaches across the taxonomy is computed from every offer before a partition keeps its fields: the
    # nesieh norm (per number of months) and the same product at other sellers (a title in any field)
    nesieh = nesieh_markup_features(f, settings)
    f["log_price"] = np.log(f["unit_price_rial"].astype(float))
    titles = normalised_title(f["title"]) if "title" in f else None
    product = product_reference(f, settings, titles)
    if fields is not None:
        keep = in_fields(f["category_code"], fields)
        f, nesieh, product = f[keep], nesieh[keep], product[keep]
        titles = titles[keep] if titles is not None else None
        if f.empty:
            return f
    if seller_province is not None and not seller_province.empty:
        province = f["seller_id"].map(seller_province.drop_duplicates("seller_id").set_index("seller_id")
                                      ["province_id"])
    else:
        province = pd.Series(None, index=f.index, dtype=object)
    f["province_id"] = province.astype(object)
    prefixes = {level: taxonomy_prefix(f["category_code"], parts) for level, parts in TAXONOMY_LEVELS}
    floor = settings.price_min_log_spread

    # national band, with the taxonomy fallback
    prior = settings.price_band_prior_offers
    nat = _banded(f["log_price"], [f["unit"]], prefixes, settings.price_min_peer_offers, floor, prior)
    f["peer_level"] = nat["level"]
    f["peer_count"] = nat["count"].astype("int64")
    f["peer_median_log"] = nat["median"]
    f["peer_scale"] = nat["scale"]
    f["log_ratio"] = f["log_price"] - f["peer_median_log"]
    f["robust_z"] = f["log_ratio"] / f["peer_scale"]

    # province band on the deviation from the national median (homogeneous across sub-branches)
    dev = f["log_ratio"].where(f["province_id"].notna())
    prov = _banded(dev, [f["province_id"], f["unit"]], prefixes, settings.price_min_province_peer_offers, floor,
                   prior)
    prov_ok = prov["level"].notna() & dev.notna()
    f["province_level"] = prov["level"].where(prov_ok, None)
    f["province_count"] = prov["count"].where(prov_ok, 0).astype("int64")
    f["province_median_log"] = (f["peer_median_log"] + prov["median"]).where(prov_ok)
    # a handful of province peers can agree by chance: their spread is never taken tighter than the centre of
    # the nation's (its tails hold the provinces' differences in level, which the province band takes out)
    prov_scale = np.maximum(prov["scale"], nat["core_scale"])
    f["province_scale"] = prov_scale.where(prov_ok)
    f["province_z"] = ((dev - prov["median"]) / prov_scale).where(prov_ok, 0.0)
    f["province_log_ratio"] = (f["log_price"] - f["province_median_log"]).where(prov_ok, 0.0)

    # the references a catalogue offers beyond its sub-branch: the same product, peers by attributes
    f = f.join(product).join(attribute_reference(f, settings, titles))
    f = f.join(specific_reference(f))

    f = f.join(own_history(f, offer_versions, day, settings))
    # a change back to a normal price (a corrected slip) is not an abnormal jump: a move is not counted when
    # the nearest earlier price was itself outside the decisive band and the current price is nearer its centre
    z = settings.price_peer_robust_z
    ref_median, ref_scale = _decisive_centre(f)
    z_now = (f["log_price"] - ref_median) / ref_scale
    z_before = (f["log_price"] - f["nearest_log_ratio"] - ref_median) / ref_scale
    correction = (z_before.abs() > z) & (z_now.abs() < z_before.abs())
    f["jump_away_log_ratio"] = f["nearest_log_ratio"].where(~correction.fillna(False), 0.0)
    f = f.join(nesieh)
    f["price_rule_score"] = price_rule_score(f, settings)
    return f


def own_history(
    current: pd.DataFrame, offer_versions: pd.DataFrame | None, day: MonitoredDay, settings: Settings
) -> pd.DataFrame:
    """Per current offer: how many earlier prices it had in the window (the one in force when the window
    opened included), the last one, and the log ratio of the current price to the last one and to the
    nearest one."""
    empty = pd.DataFrame(index=current.index, data={
        "history_count": 0, "last_price_rial": pd.Series(pd.NA, index=current.index, dtype="Int64"),
        "jump_log_ratio": 0.0, "nearest_log_ratio": 0.0,
    })
    if offer_versions is None or offer_versions.empty:
        return empty
    since = day.end - pd.Timedelta(days=settings.price_history_days)
    before = offer_versions[offer_versions["updated_at"] < day.end]
    # every price the offer had in the window, the one in force when the window opened among them (an offer
    # that did not change its price for longer than the window still has its price to be compared with)
    opening = before[before["updated_at"] < since].sort_values("updated_at").drop_duplicates("offer_id", keep="last")
    v = pd.concat([before[before["updated_at"] >= since], opening], ignore_index=True)
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


def specific_reference(f: pd.DataFrame) -> pd.DataFrame:
    """The most specific reference an offer has beyond its sub-branch band: the same product at other sellers,
    else its attribute peers (`reference` names it; None: the sub-branch band decides), and the offer's robust
    z against it."""
    product = f["product_count"] > 0
    attribute = ~product & (f["attribute_count"] > 0)
    median = f["product_median_log"].where(product, f["attribute_median_log"].where(attribute))
    scale = f["product_scale"].where(product, f["attribute_scale"].where(attribute))
    reference = pd.Series(np.select([product, attribute], [PRODUCT, ATTRIBUTES], ""), index=f.index)
    return pd.DataFrame({
        "reference": reference.where(reference != "", None),
        "reference_median_log": median,
        "reference_count": f["product_count"].where(product, f["attribute_count"].where(attribute, 0)),
        "reference_z": ((f["log_price"] - median) / scale).where(product | attribute, 0.0),
    }, index=f.index)


def _decisive_centre(f: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The centre and width of the band that decides for each offer (specific reference, else the province's
    band where there is one, else the national band)."""
    has_spec = f["reference"].notna()
    spec_scale = f["product_scale"].where(f["product_count"] > 0, f["attribute_scale"])
    has_prov = f["province_count"] > 0
    median = f["reference_median_log"].where(has_spec, f["province_median_log"].where(has_prov,
                                                                                    f["peer_median_log"]))
    scale = spec_scale.where(has_spec, f["province_scale"].where(has_prov, f["peer_scale"]))
    return median, scale


def peer_hits(f: pd.DataFrame, settings: Settings) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Which offers the national band, the province band and the specific reference (the same product at
    other sellers, attribute peers) flag.

    - Where the same product sells at enough other sellers, their prices decide: it is the same thing, and
      its price at other sellers is the most direct reference there is.
    - Where peers of the same weight or size bands are enough, they must agree with the sub-branch's band:
      they excuse a price the sub-branch finds odd (a heavy or a large item is dear among all its
      sub-branch and ordinary among its own), and confirm one it flags; they are only similar, so they do
      not raise a finding alone.
    - Otherwise, where the province has a band, it decides: a whole province may be dearer or cheaper than
      the nation (transport, wages), and its sellers are not abnormal for that. The national band still
      flags what is gross whatever the province (twice or half the national median: a slip, or a
      province-wide gouge).
    """
    z = settings.price_peer_robust_z
    reference = f["reference"] if "reference" in f else pd.Series(None, index=f.index, dtype=object)
    has_province = f["province_count"] > 0
    nat = (f["robust_z"].abs() > z) & (~has_province | (f["log_ratio"].abs() >= np.log(2.0)))
    prov = has_province & (f["province_z"].abs() > z)
    spec_far = (f["reference_z"].abs() > z) if "reference_z" in f else pd.Series(False, index=f.index)
    spec = ((reference == PRODUCT) & spec_far) | ((reference == ATTRIBUTES) & spec_far & (nat | prov))
    has_spec = reference.notna()
    return (nat & ~has_spec).fillna(False), (prov & ~has_spec).fillna(False), spec.fillna(False)


def rule_strengths(f: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Each rule's strength per offer: 1.0 is its threshold, above it the rule holds."""
    z = settings.price_peer_robust_z
    nat_hit, prov_hit, spec_hit = peer_hits(f, settings)
    has_province = f["province_count"] > 0
    has_spec = f["reference"].notna()
    below = np.where(has_spec, f["reference_z"].abs(),
                     np.where(has_province, f["province_z"].abs(), f["robust_z"].abs())) / z
    peer = pd.Series(np.minimum(below, 0.999), index=f.index)
    peer = peer.where(~nat_hit, np.maximum(peer, f["robust_z"].abs() / z))
    peer = peer.where(~prov_hit, np.maximum(peer, f["province_z"].abs() / z))
    peer = peer.where(~spec_hit, np.maximum(peer, f["reference_z"].abs() / z)).fillna(0.0)
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
