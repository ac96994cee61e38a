"""The price outlier model: an IsolationForest on relative price features, with its artefacts and cards.

The model reads only the relative features of `pipelines.price_model.features.price_features` (log price against
the peer median, robust z nationally and in the province, the peers' dispersion, the ratios to the offer's
own recent prices, the nesieh markup's excess over the norm, the robust z against the same product at other
sellers or the attribute peers), never a price in rials, so inflation and the scale of a category do not
move it.

Artefacts live in one directory (`model_dir(settings)`: `<var_dir>/models/price_model` unless
`RASAD_PRICE_MODEL_DIR` says otherwise; training writes there, never into the source tree, and the
artefact shipped in `models/price_model` seeds it the first time):

- `<version>.skops`: the fitted estimator, in skops' format (no pickle; loading trusts only the types
  that an IsolationForest is made of);
- `<version>.json`: its card: data window, features, version, library versions, threshold, scores;
- `registry.json`: `{"current": version, "previous": version}`; promotion moves current to previous, so
  `rollback` can restore it.

`model_score` (per offer) is 1.0 at the model's threshold (the 99.5th percentile of its training
scores), 0 at the median training offer. The daily price score is max(rule strength, model score).
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.monitored_day import MonitoredDay
from pipelines.price_model.features import price_features
from pipelines.resources import shipped_dir
from pipelines.settings import Settings

log = logging.getLogger(__name__)

FEATURES = (
    "log_ratio",  # log(price / national peer median)
    "robust_z",  # the same, in units of the peers' robust spread
    "province_z",  # the deviation against the province's peers
    "log_peer_scale",  # how dispersed the peers are
    "jump_away_log_ratio",  # log(price / the nearest of its recent prices), when it moved away from peers
    "markup_excess",  # nesieh markup per month above the norm for that many months
    "markup_z",  # the same, in units of the norm's spread
    "reference_z",  # against the same product at other sellers, or the peers of the same weight/size bands
    "nearest_log_ratio",  # log(price / the nearest of its recent prices), whichever way it moved
)
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
THRESHOLD_QUANTILE = 0.995
MAX_TRAINING_ROWS = 60_000
REGISTRY = "registry.json"
# the mix of anomalies injected into a held-out window to compare models: (kind, share, low, high factor)
INJECTIONS = (
    ("gouging", 0.3, 2.0, 5.0),
    ("dumping", 0.2, 0.12, 0.4),
    ("digit_x10", 0.1, 10.0, 10.0),
    ("digit_div10", 0.1, 0.1, 0.1),
    ("moderate_jump", 0.15, 1.4, 1.9),
    ("nesieh_markup", 0.15, 0.06, 0.15),
)


class PriceModelError(RuntimeError):
    """A price model artefact is missing, unreadable or not what its card says."""


def feature_matrix(features: pd.DataFrame) -> np.ndarray:
    """The model's input: the relative features, bounded, with no missing values."""
    f = features
    cols = {
        "log_ratio": f["log_ratio"],
        "robust_z": f["robust_z"],
        "province_z": f["province_z"],
        "log_peer_scale": np.log(f["peer_scale"].astype(float)),
        "jump_away_log_ratio": f["jump_away_log_ratio"],
        "markup_excess": f["markup_excess"],
        "markup_z": f["markup_z"],
        "reference_z": f["reference_z"] if "reference_z" in f else 0.0,
        "nearest_log_ratio": f["nearest_log_ratio"],
    }
    x = pd.DataFrame({k: pd.to_numeric(cols[k], errors="coerce") for k in FEATURES}).fillna(0.0)
    return x.clip(-50, 50).to_numpy(dtype=float)


@dataclass(frozen=True)
class PriceModel:
    """A fitted estimator and its card."""

    estimator: Any
    card: dict

    @property
    def version(self) -> str:
        """The artefact's version (a UTC timestamp and the end of its data window)."""
        return self.card["version"]

    def raw_scores(self, features: pd.DataFrame) -> np.ndarray:
        """Higher is more anomalous (IsolationForest's score_samples, negated)."""
        return -self.estimator.score_samples(feature_matrix(features))

    def score(self, features: pd.DataFrame) -> pd.Series:
        """1.0 at the model's threshold, 0 at the median training offer."""
        raw = self.raw_scores(features)
        median, threshold = self.card["score_median"], self.card["score_threshold"]
        return pd.Series((raw - median) / max(threshold - median, 1e-9), index=features.index)


def fit(features: pd.DataFrame, *, window: tuple[date, date] | None = None, seed: int = 0,
        n_estimators: int = 100) -> PriceModel:
    """Fit an IsolationForest on the relative features of these offer-days."""
    from sklearn import __version__ as sklearn_version
    from sklearn.ensemble import IsolationForest

    if len(features) < 50:
        raise PriceModelError(f"too few offer-days to train the price model: {len(features)} (need 50)")
    rows = features
    if len(rows) > MAX_TRAINING_ROWS:
        rows = rows.sample(MAX_TRAINING_ROWS, random_state=seed)
    x = feature_matrix(rows)
    max_samples = min(256, len(x))
    estimator = IsolationForest(n_estimators=n_estimators, max_samples=max_samples, random_state=seed).fit(x)
    raw = -estimator.score_samples(x)
    trained_at = datetime.now(UTC)
    # microseconds: two trainings within one second (a retry, a test) must not overwrite each other
    version = trained_at.strftime("%Y%m%dT%H%M%S%fZ") + (f"-{window[1].isoformat()}" if window else "")
    card = {
        "name": "price_outlier",
        "version": version,
        "trained_at": trained_at.isoformat(),
        "algorithm": "sklearn.ensemble.IsolationForest",
        "params": {"n_estimators": n_estimators, "max_samples": max_samples, "random_state": seed},
        "features": list(FEATURES),
        "data_window": {"first_day": window[0].isoformat(), "last_day": window[1].isoformat()} if window else None,
        "training_rows": int(len(rows)),
        "score_median": float(np.median(raw)),
        "score_threshold": float(np.quantile(raw, THRESHOLD_QUANTILE)),
        "threshold_quantile": THRESHOLD_QUANTILE,
        "sklearn_version": sklearn_version,
        "scores": {},
    }
    return PriceModel(estimator, card)


# ---------------------------------------------------------------- artefacts


def save(model: PriceModel, directory: Path) -> Path:
    """Write `<version>.skops` and its card `<version>.json`; return the artefact's path."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.version}.skops"
    sio.dump(model.estimator, path, compression=zipfile.ZIP_DEFLATED)
    card = dict(model.card, artefact=path.name)
    (directory / f"{model.version}.json").write_text(json.dumps(card, indent=2, sort_keys=True), encoding="utf-8")
    return path


def load(directory: Path, version: str) -> PriceModel:
    """Read one artefact, trusting only the types an IsolationForest is made of."""
    import skops.io as sio

    path, card_path = directory / f"{version}.skops", directory / f"{version}.json"
    if not path.exists() or not card_path.exists():
        raise PriceModelError(f"price model {version} is missing from {directory}")
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise PriceModelError(f"price model {path} holds types that are not trusted: {unexpected}")
    estimator = sio.load(path, trusted=untrusted)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if card.get("features") != list(FEATURES):
        raise PriceModelError(f"price model {version} was trained on other features: {card.get('features')}")
    return PriceModel(estimator, card)


def read_registry(directory: Path) -> dict:
    """`{"current": version | None, "previous": version | None}`."""
    path = directory / REGISTRY
    if not path.exists():
        return {"current": None, "previous": None}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_registry(directory: Path, registry: dict) -> None:
    tmp = directory / (REGISTRY + ".tmp")
    tmp.write_text(json.dumps(registry, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(directory / REGISTRY)


def promote(directory: Path, version: str) -> dict:
    """Make `version` the current model; the current one becomes the previous (for rollback)."""
    registry = read_registry(directory)
    if registry.get("current") != version:
        registry = {"current": version, "previous": registry.get("current")}
        _write_registry(directory, registry)
    return registry


def rollback(directory: Path) -> dict:
    """Restore the previous model as the current one."""
    registry = read_registry(directory)
    if not registry.get("previous"):
        raise PriceModelError(f"no previous price model to roll back to in {directory}")
    registry = {"current": registry["previous"], "previous": registry["current"]}
    _write_registry(directory, registry)
    return registry


def model_dir(settings: Settings) -> Path:
    """The price model's directory; the default one is seeded from the shipped artefact on first use."""
    if settings.price_model_dir is not None:
        return settings.price_model_dir
    directory = settings.var_dir / "models" / "price_model"
    if not (directory / REGISTRY).exists():
        shipped = shipped_dir("models") / "price_model"
        if (shipped / REGISTRY).exists():
            shutil.copytree(shipped, directory, dirs_exist_ok=True)
    return directory


def load_current(directory: Path) -> PriceModel | None:
    """The current model, or None when there is none (the daily check then runs the rules only)."""
    version = read_registry(directory).get("current")
    return load(directory, version) if version else None


# ---------------------------------------------------------------- the daily score


def score_features(features: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add `model_score`, `model_version` and the combined `price_score` to the features of a day.

    Without a model (none shipped, none trained, or disabled) the price score is the rules' alone.
    """
    f = features.copy()
    f["price_score"] = f["price_rule_score"] if "price_rule_score" in f else 0.0
    if f.empty or not settings.price_model_enabled:
        return f
    directory = model_dir(settings)
    try:
        model = load_current(directory)
    except PriceModelError as err:
        log.warning("price model not used (%s): rules only", err)
        return f
    if model is None:
        log.warning("no price model in %s: rules only", directory)
        return f
    f["model_score"] = model.score(f).to_numpy()
    f["model_version"] = model.version
    f["price_score"] = np.maximum(f["price_rule_score"], f["model_score"])
    return f


# ---------------------------------------------------------------- offer histories and injected anomalies


def offers_as_of(versions: pd.DataFrame, end: datetime) -> pd.DataFrame:
    """The latest version of each offer before `end`."""
    v = versions[versions["updated_at"] < end]
    return v.sort_values("updated_at").drop_duplicates("offer_id", keep="last")


def inject_price_anomalies(offers: pd.DataFrame, rng: np.random.Generator, rate: float) -> tuple[pd.DataFrame,
                                                                                                 pd.Series]:
    """Copy of `offers` with a share `rate` of them made abnormal; returns it and the kind per offer ("")."""
    out = offers.copy()
    kinds = pd.Series("", index=out.index, dtype=object)
    chosen = out.index[rng.random(len(out)) < rate]
    shares = np.array([s for _, s, *_ in INJECTIONS])
    picked = rng.choice(len(INJECTIONS), len(chosen), p=shares / shares.sum())
    price = out["unit_price_rial"].astype(float)
    has_nesieh = pd.to_numeric(out.get("nesieh_months"), errors="coerce").fillna(0) > 0 \
        if "nesieh_months" in out else pd.Series(False, index=out.index)
    new_price = price.copy()
    new_nesieh = pd.to_numeric(out["nesieh_unit_price_rial"], errors="coerce").astype(float) \
        if "nesieh_unit_price_rial" in out else None
    for i, (kind, _share, low, high) in enumerate(INJECTIONS):
        rows = chosen[picked == i]
        if kind == "nesieh_markup":
            rows = rows[has_nesieh[rows].to_numpy()]
            if new_nesieh is None or rows.empty:
                continue
            months = out.loc[rows, "nesieh_months"].astype(float)
            new_nesieh[rows] = price[rows] * (1 + rng.uniform(low, high, len(rows)) * months)
        else:
            factor = rng.uniform(low, high, len(rows))
            if kind == "moderate_jump":  # a third of the jumps go down, by the same ratio
                factor = np.where(rng.random(len(rows)) < 0.3, 1 / factor, factor)
            new_price[rows] = price[rows] * factor
            if new_nesieh is not None:
                new_nesieh[rows] = new_nesieh[rows] * factor
        kinds[rows] = kind
    out["unit_price_rial"] = np.maximum(new_price.round(), 1).astype("int64")
    if new_nesieh is not None:
        out["nesieh_unit_price_rial"] = pd.array(new_nesieh.round(), dtype="Int64")
    return out, kinds


def features_over_days(versions: pd.DataFrame, seller_province: pd.DataFrame | None, days: list[date],
                       settings: Settings, inject_rate: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Price features of each day's active offers, read from the staged versions (whole frames per day).

    With `inject_rate`, the day's offers get anomalies injected (column `injected` names the kind).
    """
    rng = np.random.default_rng(seed)
    frames = []
    for d in days:  # one frame per day, not per offer
        monitored = MonitoredDay(d)
        offers = offers_as_of(versions, monitored.end)
        kinds = pd.Series("", index=offers.index, dtype=object)
        if inject_rate > 0:
            offers, kinds = inject_price_anomalies(offers, rng, inject_rate)
            # the injected price is the offer's current version: a new version a minute before the day ends
            touched = kinds != ""
            offers.loc[touched, "updated_at"] = monitored.end - timedelta(minutes=1)
        f = price_features(offers.assign(_injected=kinds), versions, monitored, settings, seller_province)
        if f.empty:
            continue
        f["day"] = d
        f["injected"] = f.pop("_injected")
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC as average precision (sklearn), 0.0 when there are no positives."""
    from sklearn.metrics import average_precision_score

    labels = np.asarray(labels, dtype=bool)
    return float(average_precision_score(labels, scores)) if labels.any() else 0.0


def evaluate(model: PriceModel, holdout: pd.DataFrame) -> dict:
    """PR-AUC of the model alone and of max(rules, model) on a held-out window with injected anomalies,
    and the share of offers without an injected anomaly that the model flags."""
    labels = (holdout["injected"] != "").to_numpy()
    score = model.score(holdout).to_numpy()
    combined = np.maximum(holdout["price_rule_score"].to_numpy(), score)
    clean = ~labels
    return {
        "holdout_rows": int(len(holdout)),
        "holdout_injected": int(labels.sum()),
        "model_pr_auc": round(average_precision(labels, score), 4),
        "combined_pr_auc": round(average_precision(labels, combined), 4),
        "model_recall": round(float((score[labels] >= 1).mean()) if labels.any() else 0.0, 4),
        "model_clean_flag_rate": round(float((score[clean] >= 1).mean()) if clean.any() else 0.0, 5),
    }


# ---------------------------------------------------------------- the weekly training


@dataclass(frozen=True)
class TrainingOutcome:
    """What a weekly training did."""

    candidate: str
    current_before: str | None
    promoted: bool
    candidate_scores: dict
    current_scores: dict | None
    reason: str


def train_and_maybe_promote(train: pd.DataFrame, holdout: pd.DataFrame, directory: Path,
                            window: tuple[date, date], seed: int = 0) -> TrainingOutcome:
    """Fit a candidate on `train`, compare it with the current model on `holdout`, promote if better."""
    candidate = fit(train, window=window, seed=seed)
    candidate.card["scores"] = evaluate(candidate, holdout)
    current = None
    try:
        current = load_current(directory)
    except PriceModelError as err:
        log.warning("current price model unreadable (%s): the candidate competes with none", err)
    current_scores = evaluate(current, holdout) if current is not None else None
    save(candidate, directory)
    if current_scores is None:
        promoted, reason = True, "no current model"
    elif candidate.card["scores"]["combined_pr_auc"] > current_scores["combined_pr_auc"]:
        promoted, reason = True, "candidate beats the current model on the held-out window"
    else:
        promoted, reason = False, "candidate does not beat the current model on the held-out window"
    if promoted:
        promote(directory, candidate.version)
    log.info("price model %s: %s", candidate.version, reason)
    return TrainingOutcome(candidate.version, current.version if current else None, promoted,
                           candidate.card["scores"], current_scores, reason)


def train_weekly(settings: Settings, day: date) -> dict:
    """Train on the store's recent window ending on `day`, evaluate on the held-out last days, promote if
    better. Offers that officers confirmed as real price anomalies are left out of the training days."""
    from pipelines.store.engine import store_engine
    from pipelines.store.sql_files import read_frame

    holdout_days = [day - timedelta(days=n) for n in range(settings.price_model_holdout_days - 1, -1, -1)]
    first_train = holdout_days[0] - timedelta(days=settings.price_model_train_days)
    train_days = [first_train + timedelta(days=n) for n in range(settings.price_model_train_days)]
    start = MonitoredDay(train_days[0]).start
    end = MonitoredDay(day).end
    store = store_engine(settings)
    with store.connect() as conn:
        before = read_frame(conn, "state/select_offers_as_of", as_of=start)
        window = read_frame(conn, "price/select_offer_versions",
                            since=start - timedelta(days=settings.price_history_days), as_of=end)
        sellers = read_frame(conn, "state/select_sellers_as_of", as_of=end)
        units = read_frame(conn, "routing/select_units_on_day", day=day)
        confirmed = read_frame(conn, "price/select_confirmed_price_offers")
    versions = pd.concat([before, window], ignore_index=True).drop_duplicates(["offer_id", "updated_at"])
    if versions.empty:
        raise PriceModelError(f"no staged offers in the training window ending {day}")
    seller_province = sellers.merge(units[["unit_id", "province_id"]], on="unit_id")[["seller_id", "province_id"]]
    train = features_over_days(versions, seller_province, train_days, settings)
    if not train.empty:
        train = train[~train["offer_id"].isin(set(confirmed["offer_id"]))]
    holdout = features_over_days(versions, seller_province, holdout_days, settings, inject_rate=0.05,
                                 seed=int(day.strftime("%Y%m%d")))
    if holdout.empty:
        raise PriceModelError(f"no offers in the held-out window ending {day}")
    outcome = train_and_maybe_promote(train, holdout, model_dir(settings),
                                      (train_days[0], train_days[-1]))
    return {
        "candidate": outcome.candidate, "promoted": outcome.promoted, "reason": outcome.reason,
        "current_before": outcome.current_before, "candidate_scores": outcome.candidate_scores,
        "current_scores": outcome.current_scores, "excluded_confirmed_offers": int(len(confirmed)),
        "train_window": [train_days[0].isoformat(), train_days[-1].isoformat()],
        "holdout_window": [holdout_days[0].isoformat(), holdout_days[-1].isoformat()],
    }



def training_day_of(data_interval_end: datetime) -> date:
    """The last Tehran day of a weekly run's data interval: the day the training window ends on."""
    from pipelines.monitored_day import tehran_day_of

    return tehran_day_of(data_interval_end - timedelta(microseconds=1))


def train_weekly_for_interval(settings: Settings, data_interval_end: datetime) -> dict:
    """The weekly DAG's task: train on the window ending with the run's data interval."""
    return train_weekly(settings, training_day_of(data_interval_end))


def simulated_versions(seed: int, days: int, end_day: date) -> tuple[pd.DataFrame, pd.DataFrame, list[date]]:
    """Offer versions as a daily extraction would have staged them from a simulated Ombazar, the sellers'
    provinces, and the days (nothing of what the simulator injected is read)."""
    from pipelines.simulator import SimScale, build_world

    world = build_world(seed=seed, days=days, end_day=end_day, scale=SimScale())
    day_list = [world.start_day + timedelta(days=i) for i in range(days)]
    snapshots = [world.marketplace_as_of(MonitoredDay(d).end)["offers"] for d in day_list]
    versions = pd.concat(snapshots, ignore_index=True).drop_duplicates(["offer_id", "updated_at"])
    units = world.reference_tables()["unit"][["unit_id", "province_id"]]
    sellers = world.marketplace_as_of(MonitoredDay(day_list[-1]).end)["sellers"]
    return versions, sellers.merge(units, on="unit_id")[["seller_id", "province_id"]], day_list


def bootstrap_from_simulator(settings: Settings, seed: int = 1, days: int = 42,
                             end_day: date = date(2026, 11, 1)) -> TrainingOutcome:
    """Train a first model on a simulated Ombazar, so that a fresh clone has one (the shipped artefact)."""
    versions, seller_province, day_list = simulated_versions(seed, days, end_day)
    holdout_days = day_list[-settings.price_model_holdout_days:]
    train_days = day_list[:-settings.price_model_holdout_days][-settings.price_model_train_days:]
    train = features_over_days(versions, seller_province, train_days, settings)
    holdout = features_over_days(versions, seller_province, holdout_days, settings, inject_rate=0.05, seed=seed)
    return train_and_maybe_promote(train, holdout, model_dir(settings),
                                   (train_days[0], train_days[-1]), seed=seed)
