"""Breach episodes per seller with and without the scorecards' tolerance band, on sellers hovering at the line.

    .venv/bin/python bench/scorecard_episodes.py [--sellers 300] [--days 60] [--seed 7]

Each seller's 30-day window holds 200 judged orders; its late count walks day by day (steps of -2..+2 orders)
around the count whose Wilson bound just crosses the core's on-time threshold, as a seller whose record
hovers at the line would. The same series go through `scorecards_from_sums` twice, carrying the day before's
breaches: once with `scorecard_breach_release_band` 0 (no hysteresis: every crossing opens an episode) and once
with the setting's band. Printed: sellers with a breach, episodes, episodes per breached seller (mean, max),
and breach-days (how long sellers stay flagged).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.checks.scorecards import ACTIVITY_COLUMNS, scorecards_from_sums, wilson_lower_bound  # noqa: E402
from pipelines.settings import Settings  # noqa: E402

COMPLETED = 200
DAY0 = date(2026, 10, 1)


def late_series(sellers: int, days: int, seed: int, settings: Settings) -> np.ndarray:
    """Late counts (sellers x days) walking around the count whose bound crosses the threshold."""
    limit = 1 - settings.scorecard_min_on_time_rate_core
    shares = pd.Series(np.arange(COMPLETED + 1) / COMPLETED)
    bounds = wilson_lower_bound(shares, pd.Series([COMPLETED] * (COMPLETED + 1)),
                                settings.scorecard_breach_confidence_z)
    crossing = int((bounds > limit).idxmax())
    rng = np.random.default_rng(seed)
    steps = rng.integers(-2, 3, size=(sellers, days))
    walk = crossing + np.cumsum(steps, axis=1) - steps[:, :1]
    # kept within 12 orders (6 points) of the line: a seller drifting far away is not the case measured
    return np.clip(walk, crossing - 12, crossing + 12)


def episodes(lates: np.ndarray, settings: Settings) -> dict[str, float]:
    sellers, days = lates.shape
    ids = [f"s{i:04d}" for i in range(sellers)]
    units = pd.DataFrame({"seller_id": ids, "kind": "work_and_life_core"})
    open_now: frozenset = frozenset()
    breached = np.zeros((sellers, days), dtype=bool)
    for d in range(days):
        sums = pd.DataFrame({c: 0 for c in ACTIVITY_COLUMNS}, index=range(sellers))
        sums = sums.assign(seller_id=ids, deliveries_resolved=COMPLETED, deliveries_delivered=COMPLETED,
                           orders_completed=COMPLETED, orders_late=lates[:, d], distinct_buyers=40, window_days=30)
        sc = scorecards_from_sums(sums, units, DAY0 + timedelta(days=d), settings, 30, open_now)
        hit = sc["_scorecard_on_time"].to_numpy(dtype=bool)
        breached[:, d] = hit
        open_now = frozenset((s, "scorecard_on_time") for s in sc.loc[hit, "seller_id"])
    starts = breached & ~np.concatenate([np.zeros((sellers, 1), dtype=bool), breached[:, :-1]], axis=1)
    per_seller = starts.sum(axis=1)
    flagged = per_seller > 0
    return {"sellers": int(flagged.sum()), "episodes": int(per_seller.sum()),
            "mean": float(per_seller[flagged].mean()) if flagged.any() else 0.0,
            "max": int(per_seller.max()), "breach_days": int(breached.sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sellers", type=int, default=300)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings = Settings()
    lates = late_series(args.sellers, args.days, args.seed, settings)
    print(f"{args.sellers} sellers hovering at the on-time threshold for {args.days} days (seed {args.seed})")
    print(f"  {'band':<8}{'sellers':>9}{'episodes':>10}{'per seller':>12}{'max':>6}{'breach-days':>13}")
    for band in (0.0, settings.scorecard_breach_release_band):
        e = episodes(lates, settings.model_copy(update={"scorecard_breach_release_band": band}))
        print(f"  {band:<8}{e['sellers']:>9}{e['episodes']:>10}{e['mean']:>12.2f}{e['max']:>6}{e['breach_days']:>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
