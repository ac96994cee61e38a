"""`rasad simulate`: write a simulated Ombazar and its organisation."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from pipelines.cli import day_arg, instant_arg
from pipelines.settings import get_settings


def simulate(seed: int, days: int, end_day: date, as_of: datetime | None, scale=None) -> dict:
    """Write the simulated Ombazar and its organisation as they stood at `as_of`."""
    from pipelines.simulator.run import simulate_into

    return simulate_into(get_settings(), seed, days, end_day, as_of, scale)


def share_arg(value: str) -> float:
    """An argparse type: a share between 0 and 1."""
    try:
        share = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a share: use a number from 0 to 1")
    return share


def scale_of(args):
    """The world's parameters that the command's flags set (the rest keep their defaults)."""
    from pipelines.simulator import SimScale

    given = {"late_recording_share": args.late_recording_share,
             "late_recorder_seller_share": args.late_recorder_sellers}
    return SimScale(**{k: v for k, v in given.items() if v is not None})


def cmd_simulate(args) -> int:
    from pipelines.monitored_day import today_in_tehran

    end_day = args.end_day or today_in_tehran()
    counts = simulate(args.seed, args.days, end_day, args.as_of, scale_of(args))
    print(f"simulated Ombazar (seed {args.seed}, {args.days} days to {end_day}): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def register(subparsers) -> None:
    """Add `rasad simulate` to the CLI."""
    sim = subparsers.add_parser("simulate", help="write a simulated Ombazar and its organisation")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--days", type=int, default=37, help="days of marketplace history")
    sim.add_argument("--end-day", type=day_arg, default=None, help="first Tehran day after the world (default today)")
    sim.add_argument("--as-of", type=instant_arg, default=None,
                     help="the simulator's clock (default: end of the world)")
    sim.add_argument("--late-recording-share", type=share_arg, default=None,
                     help="share of deliveries whose shipped or delivered event reaches the source 1-72 h after "
                          "it happens (default: the simulator's, 0.1)")
    sim.add_argument("--late-recorder-sellers", type=share_arg, default=None,
                     help="share of sellers whose every delivery reaches the source 48-96 h late "
                          "(default: the simulator's, 0.03)")
    sim.set_defaults(func=cmd_simulate)
