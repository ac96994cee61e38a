"""Evaluate the abnormal-price detectors: GX-only baseline, plain z-score, robust rules, model, combination.

    .venv/bin/python bench/price_eval.py                       # simulator seeds 101 102 103 and Olist
    .venv/bin/python bench/price_eval.py --seeds 7 8 --no-olist
    .venv/bin/python bench/price_eval.py --scale 30            # sellers per province (default 24)

Every method scores every active offer on every day (offer-days). Precision, recall and F1 are at each
method's own operating point (GX: outside the bounds; z: |z| > 3; rules, model, combination: score ≥ 1),
"at budget" keeps only what the officer's daily budget shows (the top `attention_budget_findings` of a
province's day, by score), PR-AUC is average precision of the score.

- Simulator: a world of `--days` days; the model is trained on the first 30 days (no labels used), and
  everything is scored on the days after; labels come from the simulator's ground truth (abnormal_price,
  price_jump, nesieh_markup, while the offer shows them). Gross = ≥ 2× or ≤ 0.5× (abnormal prices, and
  jumps of that size). The inflation check scores each later month with the month-one model.
- Olist: real prices (BRL cents) of the public Olist sample, one offer per (seller, product), one version
  per sale; the category is the sub-branch, its first word the field; the title names the product and states
  its weight and dimensions (`olist_title`), which is where the checks find the same product at other
  sellers and peers of the same weight and size; the harness injects anomalies
  (pipelines.price_model.model.INJECTIONS, no nesieh: Olist has none) on the evaluation days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from pipelines.price_model import model as pm  # noqa: E402
from pipelines.price_model.features import peer_hits, rule_strengths  # noqa: E402
from pipelines.settings import Settings  # noqa: E402
from pipelines.simulator import SimScale, build_world  # noqa: E402
from pipelines.simulator.clock import to_ns  # noqa: E402

OLIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist"
END_DAY = dt.date(2026, 11, 20)
TRAIN_DAYS = 30
METHODS = ("gx_only", "plain_z", "rules", "model", "combination")


# ---------------------------------------------------------------- data sets


def sim_dataset(seed: int, days: int, scale: SimScale) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list]:
    """Staged-like versions (one snapshot per day end), seller provinces, truth intervals, the days."""
    world = build_world(seed=seed, days=days, end_day=END_DAY, scale=scale)
    day_list = [world.start_day + dt.timedelta(days=i) for i in range(days)]
    snaps = []
    for d in day_list:
        end = pd.Timestamp((d + dt.timedelta(days=1)).isoformat(), tz="Asia/Tehran").tz_convert("UTC")
        snaps.append(world._offers_at(to_ns(end)))  # what a daily extraction stages
    versions = pd.concat(snaps, ignore_index=True).drop_duplicates(["offer_id", "updated_at"])
    ref = world.reference_tables()
    sellers = world.marketplace_as_of(world.end)["sellers"]
    seller_province = sellers.merge(ref["unit"][["unit_id", "province_id"]], on="unit_id")[["seller_id", "province_id"]]
    truth = world.truth_with_instants()
    truth = truth[truth["kind"].isin(["abnormal_price", "price_jump", "nesieh_markup"])].copy()
    det = truth["detail"].map(json.loads)
    truth["until"] = pd.to_datetime(det.map(lambda x: x.get("corrected_at")), utc=True)
    truth["factor"] = det.map(lambda x: x.get("factor"))
    truth["sub_kind"] = det.map(lambda x: x.get("kind", "nesieh_markup"))
    return versions, seller_province, truth, day_list


def sim_labels(features: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per offer-day: the truth kind in force at the day's end ('' when clean), and whether it is gross."""
    day_end = pd.to_datetime(features["day"].astype(str)).dt.tz_localize("Asia/Tehran").dt.tz_convert("UTC") \
        + pd.Timedelta(days=1)
    m = features[["offer_id"]].assign(_row=np.arange(len(features)), _end=day_end.to_numpy()).merge(
        truth[["entity_id", "kind", "sub_kind", "factor", "observable_at", "until"]],
        left_on="offer_id", right_on="entity_id")
    live = (m["observable_at"] < m["_end"]) & (m["until"].isna() | (m["until"] >= m["_end"]))
    m = m[live].drop_duplicates("_row")
    kind = np.full(len(features), "", dtype=object)
    sub = np.full(len(features), "", dtype=object)
    gross = np.zeros(len(features), dtype=bool)
    kind[m["_row"]] = m["kind"]
    sub[m["_row"]] = m["sub_kind"]
    f = m["factor"].astype(float)
    gross[m["_row"]] = ((m["kind"] != "nesieh_markup") & ((f >= 2) | (f <= 0.5))).to_numpy()
    return pd.DataFrame({"label": kind, "sub_kind": sub, "gross": gross}, index=features.index)


OLIST_ATTRIBUTES = ["product_weight_g", "product_length_cm", "product_height_cm", "product_width_cm"]


def olist_title(products: pd.DataFrame) -> pd.Series:
    """A title as a seller could write it: the product's reference, its weight and its dimensions
    (`<product_id> 350g 20x15x10cm`); Olist publishes no product names."""
    def number(col: str) -> pd.Series:
        return products[col].round().astype("Int64").astype("string")

    weight = (" " + number("product_weight_g") + "g").fillna("")
    dims = (" " + number("product_length_cm") + "x" + number("product_height_cm") + "x"
            + number("product_width_cm") + "cm").fillna("")
    return products["product_id"].astype("string") + weight + dims


def olist_dataset() -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Olist sales as offer versions (seller, product), seller states as provinces, month-end days."""
    items = pd.read_csv(OLIST / "sample_15k_orders" / "olist_order_items_dataset.csv")
    orders = pd.read_csv(OLIST / "sample_15k_orders" / "olist_orders_dataset.csv",
                         usecols=["order_id", "order_purchase_timestamp"])
    products = pd.read_csv(OLIST / "official_full" / "olist_products_dataset.csv")
    sellers = pd.read_csv(OLIST / "official_full" / "olist_sellers_dataset.csv")
    sales = items.merge(orders, on="order_id").merge(
        products[["product_id", "product_category_name", *OLIST_ATTRIBUTES]], on="product_id")
    sales = sales.dropna(subset=["product_category_name"])
    sales["at"] = pd.to_datetime(sales["order_purchase_timestamp"]).dt.tz_localize("America/Sao_Paulo",
                                                                                    ambiguous="NaT",
                                                                                    nonexistent="shift_forward")
    sales = sales.dropna(subset=["at"])
    sales["at"] = sales["at"].dt.tz_convert("UTC")
    cat = sales["product_category_name"].str.replace(".", "_", regex=False)
    # the category is the sub-branch (and branch), its first word the field
    sales["category_code"] = "OL.D." + cat.str.split("_").str[0] + "." + cat
    sales["title"] = olist_title(sales)
    sales["offer_id"] = sales["seller_id"] + ":" + sales["product_id"]
    sales = sales.sort_values("at")
    created = sales.groupby("offer_id")["at"].transform("min")
    versions = pd.DataFrame({
        "offer_id": sales["offer_id"], "seller_id": sales["seller_id"], "title": sales["title"],
        "category_code": sales["category_code"],
        "unit": "piece", "unit_price_rial": (sales["price"] * 100).round().astype("int64"),
        "nesieh_months": pd.array([pd.NA] * len(sales), dtype="Int64"),
        "nesieh_unit_price_rial": pd.array([pd.NA] * len(sales), dtype="Int64"),
        "status": "active", "created_at": created, "updated_at": sales["at"],
    })
    last = versions.sort_values("updated_at").drop_duplicates("offer_id", keep="last").copy()
    last["status"] = "withdrawn"  # an offer not sold for 120 days is taken as gone
    last["updated_at"] = last["updated_at"] + pd.Timedelta(days=120)
    versions = pd.concat([versions, last], ignore_index=True).drop_duplicates(["offer_id", "updated_at"])
    seller_province = sellers.rename(columns={"seller_state": "province_id"})[["seller_id", "province_id"]]
    days = [(pd.Timestamp(y, m, 1) - pd.Timedelta(days=1)).date()
            for y, m in [(2017, k) for k in range(4, 13)] + [(2018, k) for k in range(1, 10)]]
    return versions, seller_province, days


# ---------------------------------------------------------------- methods


def gx_flags(frame: pd.DataFrame, low: float, high: float) -> np.ndarray:
    """Great Expectations' expect_column_values_to_be_between on the unit price: which rows fail."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    ctx = gx.get_context(mode="ephemeral")
    asset = ctx.data_sources.add_pandas("bench").add_dataframe_asset("offers")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame[["unit_price_rial"]].reset_index(drop=True)})
    result = batch.validate(
        gxe.ExpectColumnValuesToBeBetween(column="unit_price_rial", min_value=low, max_value=high),
        result_format={"result_format": "COMPLETE"})
    flags = np.zeros(len(frame), dtype=bool)
    flags[np.asarray(result.result.get("unexpected_index_list") or [], dtype=int)] = True
    return flags


def method_scores(train: pd.DataFrame, test: pd.DataFrame, model: pm.PriceModel | None) -> dict:
    """(score, flag) per method on the test offer-days."""
    price = test["unit_price_rial"].astype(float)
    low, high = np.quantile(train["unit_price_rial"].astype(float), [0.005, 0.995])
    gx_score = np.maximum(np.log(price / high), np.log(low / price)).to_numpy()
    grp = test.groupby(["day", "category_code", "unit"])["unit_price_rial"]
    z = ((price - grp.transform("mean")) / grp.transform("std")).abs().fillna(0).to_numpy()
    rules = test["price_rule_score"].to_numpy()
    out = {
        "gx_only": (gx_score, gx_flags(test, low, high)),
        "plain_z": (z, z > 3),
        "rules": (rules, rules >= 1),
    }
    if model is not None:
        ms = model.score(test).to_numpy()
        comb = np.maximum(rules, ms)
        out["model"] = (ms, ms >= 1)
        out["combination"] = (comb, comb >= 1)
    return out


def metrics(labels: np.ndarray, score: np.ndarray, flag: np.ndarray, frame: pd.DataFrame, budget: int,
            gross: np.ndarray | None = None) -> dict:
    """Precision, recall, F1, PR-AUC; the same at the officer's budget; clean flag rate; gross recall."""
    def prf(f):
        tp = int((f & labels).sum())
        p = tp / max(int(f.sum()), 1)
        r = tp / max(int(labels.sum()), 1)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    rank = pd.Series(np.where(flag, score, -np.inf)).groupby(
        [frame["day"].to_numpy(), frame["province_id"].fillna("?").to_numpy()]).rank(ascending=False,
                                                                                     method="first")
    at_budget = flag & (rank.to_numpy() <= budget)
    p, r, f1 = prf(flag)
    bp, br, bf1 = prf(at_budget)
    out = {"precision": p, "recall": r, "f1": f1, "pr_auc": pm.average_precision(labels, score),
           "budget_precision": bp, "budget_recall": br, "budget_f1": bf1,
           "clean_flagged": float(flag[~labels].mean())}
    if gross is not None and gross.any():
        out["gross_recall"] = float(flag[gross].mean())
        out["gross_precision"] = p  # anything flagged that is not a labelled anomaly counts against it
    return out


def print_table(title: str, rows: dict[str, dict]) -> None:
    cols = ["precision", "recall", "f1", "pr_auc", "budget_precision", "budget_recall", "budget_f1",
            "clean_flagged", "gross_recall"]
    print(f"\n{title}")
    print("  method        " + " ".join(f"{c[:12]:>12}" for c in cols))
    for name, m in rows.items():
        print(f"  {name:<13} " + " ".join(f"{m.get(c, float('nan')):>12.4f}" for c in cols))


# ---------------------------------------------------------------- runs


def run_sim(seed: int, days: int, scale: SimScale, settings: Settings) -> dict:
    versions, sp, truth, day_list = sim_dataset(seed, days, scale)
    feats = pm.features_over_days(versions, sp, day_list, settings)
    lab = sim_labels(feats, truth)
    is_train = feats["day"] < day_list[TRAIN_DAYS]
    train, test, tl = feats[is_train], feats[~is_train].reset_index(drop=True), lab[~is_train].reset_index(drop=True)
    model = pm.fit(train, window=(day_list[0], day_list[TRAIN_DAYS - 1]), seed=seed)
    labels = (tl["label"] != "").to_numpy()
    scores = method_scores(train, test, model)
    rows = {name: metrics(labels, s, f, test, settings.attention_budget_findings, tl["gross"].to_numpy())
            for name, (s, f) in scores.items()}
    print_table(f"simulator seed {seed}: {len(test)} offer-days after day {TRAIN_DAYS}, "
                f"{labels.sum()} abnormal ({tl['gross'].sum()} gross)", rows)
    # what the model adds to the rules
    only_model = scores["model"][1] & ~scores["rules"][1]
    added = tl.loc[only_model & labels, "sub_kind"].value_counts().to_dict()
    print(f"  model-only catches (offer-days by kind): {added or 'none'}; "
          f"model-only false alarms: {int((only_model & ~labels).sum())}")
    print("  recall per kind (rules | combination): " + ", ".join(
        f"{k}: {scores['rules'][1][(tl['sub_kind'] == k).to_numpy()].mean():.2f} | "
        f"{scores['combination'][1][(tl['sub_kind'] == k).to_numpy()].mean():.2f}"
        for k in sorted(set(tl["sub_kind"]) - {""})))
    # inflation: false alarms of the month-one model in each month
    month = ((pd.to_datetime(feats["day"].astype(str)) - pd.Timestamp(day_list[0])).dt.days // 30).to_numpy()
    clean = (lab["label"] == "").to_numpy()
    ms = model.score(feats).to_numpy()
    comb = np.maximum(feats["price_rule_score"].to_numpy(), ms)
    infl = {int(m): {"clean_offer_days": int((clean & (month == m)).sum()),
                     "model_false_alarms": int(((ms >= 1) & clean & (month == m)).sum()),
                     "combined_false_alarms": int(((comb >= 1) & clean & (month == m)).sum())}
            for m in np.unique(month)}
    print("  month-one model, false alarms per month (clean offer-days, model, combination): " + "; ".join(
        f"m{m + 1}: {v['clean_offer_days']}, {v['model_false_alarms']}, {v['combined_false_alarms']}"
        for m, v in infl.items()))
    return {"rows": rows, "inflation": infl, "model_only": added}


def run_olist(settings: Settings, seed: int = 5) -> dict:
    versions, sp, days = olist_dataset()
    half = len(days) // 2
    train = pm.features_over_days(versions, sp, days[:half], settings)
    test = pm.features_over_days(versions, sp, days[half:], settings, inject_rate=0.03, seed=seed)
    test = test.reset_index(drop=True)
    model = pm.fit(train, window=(days[0], days[half - 1]), seed=seed)
    labels = (test["injected"] != "").to_numpy()
    gross = test["injected"].isin(["gouging", "dumping", "digit_x10", "digit_div10"]).to_numpy()
    scores = method_scores(train, test, model)
    rows = {name: metrics(labels, s, f, test, settings.attention_budget_findings, gross)
            for name, (s, f) in scores.items()}
    print_table(f"Olist (real prices, injected): {len(test)} offer-days on {len(days) - half} month ends, "
                f"{labels.sum()} injected", rows)
    levels = test["peer_level"].fillna("none").value_counts(normalize=True).round(3).to_dict()
    print(f"  peer level used: {levels}")
    refs = test["reference"].fillna("sub-branch").value_counts(normalize=True).round(3).to_dict()
    print(f"  reference beyond the sub-branch: {refs}")
    # what each kind of reference does: the own history (jump rule) and the cross-sectional ones
    jump = (rule_strengths(test, settings)["price_own_history_jump"] >= 1).to_numpy()
    cross = np.logical_or.reduce([h.to_numpy() for h in peer_hits(test, settings)])
    for name, hit in (("own history", jump), ("cross-sectional", cross), ("cross-sectional alone", cross & ~jump)):
        print(f"  {name}: catches {hit[labels].mean():.3f} of injected, flags {hit[~labels].mean():.4f} of clean")
    print("  recall per kind (rules | combination): " + ", ".join(
        f"{k}: {scores['rules'][1][(test['injected'] == k).to_numpy()].mean():.2f} | "
        f"{scores['combination'][1][(test['injected'] == k).to_numpy()].mean():.2f}"
        for k in sorted(set(test["injected"]) - {""})))
    return {"rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="*", default=[101, 102, 103])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--scale", type=int, default=24, help="sellers per province")
    parser.add_argument("--no-olist", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    started = time.time()
    print(f"price_eval on {platform.node()} ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    scale = SimScale(sellers_per_province=args.scale, offers_per_seller=4, orders_per_day=200, members=2000)
    results = {seed: run_sim(seed, args.days, scale, settings) for seed in args.seeds}
    mean = {m: {k: float(np.mean([r["rows"][m][k] for r in results.values()])) for k in results[args.seeds[0]]
                ["rows"][m]} for m in METHODS}
    print_table(f"simulator, mean over seeds {args.seeds}", mean)
    gain = {b: mean["combination"]["f1"] - mean[b]["f1"] for b in ("gx_only", "plain_z", "rules")}
    print("  combination F1 gain over: " + ", ".join(f"{b} {g:+.3f}" for b, g in gain.items()))
    if not args.no_olist:
        if OLIST.exists():
            run_olist(settings)
        else:
            print(f"\nOlist not found at {OLIST}: skipped")
    print(f"\n({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
