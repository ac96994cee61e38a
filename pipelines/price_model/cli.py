"""`rasad price-model …`: train, bootstrap, show and roll back the price outlier model."""

from __future__ import annotations

import functools
import json
import sys

from pipelines.cli import day_arg
from pipelines.settings import get_settings


def _one_line_errors(func):
    """A missing or unreadable model ends in one clear line, not a traceback."""
    @functools.wraps(func)
    def wrapper(args) -> int:
        from pipelines.price_model.model import PriceModelError

        try:
            return func(args)
        except PriceModelError as exc:
            print(f"rasad price-model: {exc}", file=sys.stderr)
            return 2
    return wrapper



@_one_line_errors
def cmd_train(args) -> int:
    """Train on the store's window ending on --date; promote if better than the current model."""
    from pipelines.price_model.model import train_weekly

    print(json.dumps(train_weekly(get_settings(), args.date), indent=2, default=str))
    return 0


@_one_line_errors
def cmd_bootstrap(args) -> int:
    """Train a first model on a simulated Ombazar (no store needed)."""
    from dataclasses import asdict

    from pipelines.price_model.model import bootstrap_from_simulator

    print(json.dumps(asdict(bootstrap_from_simulator(get_settings(), seed=args.seed)), indent=2, default=str))
    return 0


@_one_line_errors
def cmd_show(args) -> int:
    """Print the registry and the current model's card."""
    from pipelines.price_model.model import model_dir, read_registry

    directory = model_dir(get_settings())
    registry = read_registry(directory)
    print(json.dumps(registry, indent=2))
    if registry.get("current"):
        print((directory / f"{registry['current']}.json").read_text(encoding="utf-8"))
    return 0


@_one_line_errors
def cmd_rollback(args) -> int:
    """Make the previous model current again."""
    from pipelines.price_model.model import model_dir, rollback

    print(json.dumps(rollback(model_dir(get_settings())), indent=2))
    return 0


def register(subparsers) -> None:
    """Add `price-model` and its subcommands to the `rasad` CLI."""
    pm = subparsers.add_parser("price-model", help="the abnormal-price outlier model")
    sub = pm.add_subparsers(dest="price_model_command", required=True)
    train = sub.add_parser("train", help="train on the store's recent window; promote only if better")
    train.add_argument("--date", type=day_arg, required=True, help="last Tehran day of the window (YYYY-MM-DD)")
    train.set_defaults(func=cmd_train)
    boot = sub.add_parser("bootstrap", help="train a first model on a simulated Ombazar")
    boot.add_argument("--seed", type=int, default=1)
    boot.set_defaults(func=cmd_bootstrap)
    sub.add_parser("show", help="the current model's card").set_defaults(func=cmd_show)
    sub.add_parser("rollback", help="restore the previous model").set_defaults(func=cmd_rollback)
