"""Timing of the organisation at scale: simulate, write, check the rules, route every unit.

    python bench/bench_reference_org.py [--members 100000] [--units-per-province 323] [--store-url URL]

Defaults: 100,000 members and 31 x 323 = 10,013 units, on a fresh SQLite store under a temporary dir.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta

from pipelines.reference.csv_load import export_reference_dir, load_reference_dir
from pipelines.reference.routing import route_units
from pipelines.reference.rules import check_reference
from pipelines.reference.writer import write_reference
from pipelines.settings import Settings
from pipelines.simulator import SimScale, build_world
from pipelines.store.engine import store_engine
from pipelines.store.migrate import upgrade_store

DAY = date(2026, 11, 24)


def main() -> None:
    """Run the benchmark and print one line per step."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units-per-province", type=int, default=323)
    parser.add_argument("--store-url", default=None)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="rasad-bench-")
    settings = Settings(var_dir=tmp, store_url=args.store_url)
    store = store_engine(settings)
    upgrade_store(store)

    def step(label, fn):
        t = time.perf_counter()
        out = fn()
        print(f"{label:<40} {time.perf_counter() - t:7.2f} s")
        return out

    scale = SimScale(sellers_per_province=12, units_per_province=args.units_per_province, members=args.members,
                     orders_per_day=100)
    world = step("build_world (org + 3 days of market)",
                 lambda: build_world(seed=7, days=3, end_day=DAY + timedelta(days=1), scale=scale))
    tables = world.reference_tables()
    print("  rows: " + ", ".join(f"{k} {len(v)}" for k, v in tables.items()))
    step("write_reference (one transaction)", lambda: write_reference(tables, store, DAY, "bench"))
    step("export to CSV", lambda: export_reference_dir(store, f"{tmp}/csv"))
    step("ref load (validate + replace)", lambda: load_reference_dir(store, f"{tmp}/csv", DAY))
    result = step("ref check (8 rules + violations)", lambda: check_reference(store, settings, DAY))
    print(f"  violations: {result.total}")
    with store.connect() as conn:
        ids = tables["unit"]["unit_id"].unique()
        routed = step(f"route_units ({len(ids)} units)", lambda: route_units(conn, ids, DAY))
    print(f"  covered: {int(routed['covered'].sum())} of {len(routed)}")


if __name__ == "__main__":
    main()
