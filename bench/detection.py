"""Score Rasad's checks against the simulator's ground truth: precision, recall and F1 per check.

    .venv/bin/python bench/detection.py --seed 101
    .venv/bin/python bench/detection.py --seed 101 --seed 202 --seed 303 --days 21
    .venv/bin/python bench/detection.py --seed 101 --late-recording-share 0.1 --late-recorder-sellers 0.05

For each seed: build a simulated world once, then monitor its last `--days` Tehran days one by one, the
way production does (the source as it stood at the end of each day, extraction, checks, findings). The
checks never see the truth; the labels are the causes the simulator injected (faults.py), not a re-run of
any rule. The first monitored day is a warm-up (the first extraction sees only each row's latest version)
and is not scored.

Matching:
- event rules (late_delivery, seller_cancellation, quality_defect): (entity, Tehran day) pairs, so a
  finding on the wrong side of a Tehran midnight counts as both a false positive and a miss;
- overdue_order: (order, day the episode opened) against (order, day promised_at + grace passed);
- scorecards: sellers with a scorecard episode of the rule against sellers the simulator made chronic
  (chronic_late_seller, chronic_defect_seller, chronic_cancel_seller) before the last week monitored;
- price_peer_band: offers with an episode against offers whose abnormal price was in force (issue 6 owns
  the price model; this is its baseline);
- record_latency: sellers with an episode of the rule (a rule still to come; none found is expected now)
  against the sellers the simulator made late recorders (`late_recorder_seller`).

Late recording (`--late-recording-share`, `--late-recorder-sellers`; see pipelines/simulator/recording.py):
some deliveries reach the source hours or days after they happen. For late_delivery, overdue_order,
seller_cancellation and quality_defect a second table splits the score into `prompt` and `late`:
- a truth row is `late` when its detail's `recorded_late_hours` > 0 (the event it is about reached the
  source late; for an order, one of its deliveries did);
- a finding goes to the bucket of the truth row of its rule's kind on the same entity, whatever its day
  (so a true positive sits with its truth, and a finding on the wrong day with it too); a finding on an
  entity without such a truth row (a false positive) is `late` when the entity was recorded late at all:
  the delivery has a `late_recording` truth row, or, for an order, one of its deliveries has (an order
  delivered on time but recorded after its deadline looks overdue); else `prompt`.
The truth is the one recorded by the end of the last monitored day, the lateness of entities is read from
all of it (a delivery still unrecorded then has made its false positive already).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.findings import tables as findings_tables  # noqa: E402
from pipelines.monitored_day import MonitoredDay  # noqa: E402
from pipelines.orchestration.daily_steps import check, extract, new_run_id, update_findings  # noqa: E402
from pipelines.reference.writer import write_reference
from pipelines.settings import Settings  # noqa: E402
from pipelines.simulator import SimScale, build_world  # noqa: E402
from pipelines.simulator.faults import persian_digit_numbers  # noqa: E402
from pipelines.simulator.writer import write_source_sqlite  # noqa: E402
from pipelines.store.engine import sqlite_path, store_engine  # noqa: E402
from pipelines.store.migrate import upgrade_store  # noqa: E402

END_DAY = date(2026, 11, 20)
SCALES = {
    "small": SimScale(sellers_per_province=4, offers_per_seller=4, orders_per_day=300, members=800),
    "default": SimScale(),
}
# records reach the source at most 96 h late (pipelines/simulator/recording.py): an overdue episode that opened in
# the last four days may still be taken back by a record that has not arrived, so it is scored when settled
SETTLE_DAYS = 4
EVENT_RULES = {"late_delivery": "late_delivery", "seller_cancellation": "seller_cancellation",
               "quality_defect": "quality_defect"}
SCORECARD_RULES = {"scorecard_on_time": "chronic_late_seller", "scorecard_quality": "chronic_defect_seller",
                   "scorecard_seller_cancel": "chronic_cancel_seller"}
SPLIT_RULES = {**EVENT_RULES, "overdue_order": "overdue_order"}
BUCKETS = ("prompt", "late")


def _score(found: set, expected: set) -> dict:
    tp = len(found & expected)
    precision = tp / len(found) if found else (1.0 if not expected else 0.0)
    recall = tp / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"found": len(found), "expected": len(expected), "tp": tp, "precision": precision,
            "recall": recall, "f1": f1}


def monitor(seed: int, days: int, history_days: int, scale: SimScale, var_dir: Path
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[date], float]:
    """Monitor the last `days` days of a fresh world; return findings, the truth recorded by the last day,
    all the truth, the days, seconds per day."""
    settings = Settings(var_dir=var_dir)
    world = build_world(seed=seed, days=history_days, end_day=END_DAY, scale=scale)
    monitored = [END_DAY - timedelta(days=n) for n in range(days, 0, -1)]
    store = store_engine(settings)
    upgrade_store(store)
    write_reference(world.reference_tables(), store, monitored[-1], source=f"simulator:seed={seed}")
    source = sqlite_path(settings.resolved_source_url)
    started = time.perf_counter()
    for day in monitored:
        frames = world.marketplace_as_of(MonitoredDay(day).end)
        write_source_sqlite(persian_digit_numbers(frames), source)
        run_id = new_run_id(day, "bench")
        extract(settings, day, run_id)
        check(settings, day, run_id)
        update_findings(settings, day, run_id)
    per_day = (time.perf_counter() - started) / days
    with store.connect() as conn:
        findings = pd.read_sql(select(findings_tables.finding), conn)
    for column in ("episode_start_day", "last_observed_day"):
        findings[column] = findings[column].map(lambda v: date.fromisoformat(str(v)[:10]))
    truth = world.truth(up_to=MonitoredDay(monitored[-1]).end)
    return findings, truth, world.truth(), monitored, per_day


def score(findings: pd.DataFrame, truth: pd.DataFrame, monitored: list[date]) -> dict[str, dict]:
    """Precision, recall and F1 per rule over the scored days (all but the first)."""
    first, last = monitored[1], monitored[-1]
    out = {}
    for rule, kind in {**EVENT_RULES, "overdue_order": "overdue_order"}.items():
        # an order is judged overdue on what its records say by then: the orders due in the last days, whose
        # delivery may still be recorded (up to SETTLE_DAYS late), are scored once settled
        until = last - timedelta(days=SETTLE_DAYS) if rule == "overdue_order" else last
        f = findings[(findings["rule"] == rule) & findings["episode_start_day"].between(first, until)]
        t = truth[(truth["kind"] == kind) & truth["day"].between(first, until)]
        out[rule] = _score(set(zip(f["entity_id"], f["episode_start_day"], strict=True)),
                           set(zip(t["entity_id"], t["day"], strict=True)))
    for rule, kind in SCORECARD_RULES.items():
        # recall over the sellers that went bad at least a week before the last day; a breach of a seller
        # that went bad later is still right (precision), only too young to demand
        found = set(findings[findings["rule"] == rule]["entity_id"])
        chronic = truth[truth["kind"] == kind]
        demanded = set(chronic[chronic["day"] <= last - timedelta(days=7)]["entity_id"])
        s = _score(found, demanded)
        right = found & set(chronic["entity_id"])
        s["precision"] = len(right) / len(found) if found else 1.0
        s["tp"] = len(right)
        s["f1"] = 2 * s["precision"] * s["recall"] / (s["precision"] + s["recall"]) if s["precision"] + s[
            "recall"] else 0.0
        out[rule] = s
    price = truth[truth["kind"] == "abnormal_price"]
    corrected = price["detail"].map(lambda d: json.loads(d).get("corrected_at"))
    corrected_day = pd.to_datetime(corrected, utc=True).dt.tz_convert("Asia/Tehran").dt.date
    in_force = (price["day"] <= last) & (corrected_day.isna() | (corrected_day > first))
    f = findings[(findings["rule"] == "price_peer_band") & (findings["last_observed_day"] >= first)]
    out["price_peer_band"] = _score(set(f["entity_id"]), set(price[in_force]["entity_id"]))
    late_recorders = truth[truth["kind"] == "late_recorder_seller"]
    out["record_latency"] = _score(set(findings[findings["rule"] == "record_latency"]["entity_id"]),
                                   set(late_recorders[late_recorders["day"] <= last]["entity_id"]))
    return out


def _recorded_late(detail: str) -> bool:
    return (json.loads(detail).get("recorded_late_hours") or 0) > 0


def score_by_recording(findings: pd.DataFrame, truth: pd.DataFrame, all_truth: pd.DataFrame,
                       monitored: list[date]) -> dict[str, dict[str, dict]]:
    """Per rule of SPLIT_RULES, the score of promptly and of late-recorded events (module docstring)."""
    first, last = monitored[1], monitored[-1]
    recordings = all_truth[all_truth["kind"] == "late_recording"]
    late_deliveries = set(recordings["entity_id"])
    late_orders = {json.loads(d)["order_id"] for d in recordings["detail"]}
    out: dict[str, dict[str, dict]] = {}
    for rule, kind in SPLIT_RULES.items():
        labels = all_truth[all_truth["kind"] == kind]
        late_by_entity = dict(zip(labels["entity_id"], labels["detail"].map(_recorded_late), strict=True))
        recorded_late = late_orders if kind == "overdue_order" else late_deliveries
        until = last - timedelta(days=SETTLE_DAYS) if rule == "overdue_order" else last
        t = truth[(truth["kind"] == kind) & truth["day"].between(first, until)]
        t_late = t["detail"].map(_recorded_late).to_numpy(dtype=bool)
        f = findings[(findings["rule"] == rule) & findings["episode_start_day"].between(first, until)]
        f_late = f["entity_id"].map(lambda e, m=late_by_entity, r=recorded_late: m.get(e, e in r))
        f_late = f_late.to_numpy(dtype=bool)
        out[rule] = {}
        for bucket, in_t, in_f in (("prompt", ~t_late, ~f_late), ("late", t_late, f_late)):
            out[rule][bucket] = _score(
                set(zip(f["entity_id"][in_f], f["episode_start_day"][in_f], strict=True)),
                set(zip(t["entity_id"][in_t], t["day"][in_t], strict=True)),
            )
    return out


def scorecard_episodes(findings: pd.DataFrame, first_day: date) -> dict[str, dict]:
    """Per scorecard rule: sellers with an episode, episodes, episodes per seller (mean, max), and how many
    days after the first monitored day each seller's first episode opened (mean)."""
    out = {}
    for rule in SCORECARD_RULES:
        f = findings[findings["rule"] == rule]
        per_seller = f.groupby("entity_id").size()
        opened = f.groupby("entity_id")["episode_start_day"].min().map(lambda d: (d - first_day).days)
        out[rule] = {"sellers": len(per_seller), "episodes": int(per_seller.sum()),
                     "mean": float(per_seller.mean()) if len(per_seller) else 0.0,
                     "max": int(per_seller.max()) if len(per_seller) else 0,
                     "opened_after": float(opened.mean()) if len(opened) else float("nan")}
    return out


def _print_row(name: str, s: dict) -> None:
    print(f"  {name:<30}{s['found']:>7}{s['expected']:>7}{s['tp']:>7}"
          f"{s['precision']:>11.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each seed and print one table per seed, then the worst case per rule."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", required=True)
    parser.add_argument("--days", type=int, default=21, help="Tehran days monitored (the first is warm-up)")
    parser.add_argument("--history-days", type=int, default=45, help="days of marketplace history")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--late-recording-share", type=float, default=0.0,
                        help="share of deliveries recorded 1-72 h after they happen (default 0)")
    parser.add_argument("--late-recorder-sellers", type=float, default=0.0,
                        help="share of sellers whose every delivery is recorded 48-96 h late (default 0)")
    args = parser.parse_args(argv)
    scale = dataclasses.replace(SCALES[args.scale], late_recording_share=args.late_recording_share,
                                late_recorder_seller_share=args.late_recorder_sellers)
    header = f"  {'rule':<30}{'found':>7}{'truth':>7}{'tp':>7}{'precision':>11}{'recall':>8}{'F1':>7}"
    worst: dict[str, dict] = {}
    for seed in args.seed:
        with tempfile.TemporaryDirectory(prefix="rasad-bench-") as tmp:
            findings, truth, all_truth, monitored, per_day = monitor(seed, args.days, args.history_days,
                                                                     scale, Path(tmp))
        scores = score(findings, truth, monitored)
        split = score_by_recording(findings, truth, all_truth, monitored)
        print(f"seed {seed}: {args.scale} world, days {monitored[1]}..{monitored[-1]} scored "
              f"({per_day:.1f} s per monitored day; late recording: {args.late_recording_share} of deliveries, "
              f"{args.late_recorder_sellers} of sellers)")
        print(header)
        for rule, s in scores.items():
            _print_row(rule, s)
        print("  by recording: events that reached the source promptly, and late")
        print(header)
        for rule, buckets in split.items():
            for bucket in BUCKETS:
                _print_row(f"{rule} ({bucket})", buckets[bucket])
                scores[f"{rule} ({bucket})"] = buckets[bucket]
        print("  scorecard episodes: sellers, episodes, episodes per seller (mean, max), first opened on day "
              "(mean, 0 = the first monitored day)")
        for rule, e in scorecard_episodes(findings, monitored[0]).items():
            print(f"  {rule:<30}{e['sellers']:>7}{e['episodes']:>7}{e['mean']:>11.2f}{e['max']:>8}"
                  f"{e['opened_after']:>7.1f}")
        for rule, s in scores.items():
            w = worst.setdefault(rule, {"precision": 1.0, "recall": 1.0})
            w["precision"] = min(w["precision"], s["precision"])
            w["recall"] = min(w["recall"], s["recall"])
    if len(args.seed) > 1:
        print("worst over seeds " + ", ".join(map(str, args.seed)) + ":")
        for rule, w in worst.items():
            print(f"  {rule:<30} precision {w['precision']:.3f}  recall {w['recall']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
