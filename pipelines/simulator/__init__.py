"""The Ombazar marketplace and organisation simulator (pure pandas/numpy; the DB writer lives in writer.py).

world = build_world(seed=7, days=37, end_day=datetime.date(2026, 11, 25))
world.reference_tables()          # ref.* rows
world.marketplace_as_of(instant)  # sellers, offers, orders, deliveries as they stood at that instant
world.truth(up_to=instant)        # the faults injected, observable by that instant
"""

from pipelines.simulator.faults import FAULTS, register
from pipelines.simulator.world import SimScale, World, build_world

__all__ = ["FAULTS", "SimScale", "World", "build_world", "register"]
