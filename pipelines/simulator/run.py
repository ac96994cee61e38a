"""Write the simulated world, as it stood at the simulator's clock, where Rasad and the benchmarks read it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from pipelines.monitored_day import MonitoredDay, tehran_day_of
from pipelines.progress import Progress
from pipelines.settings import Settings
from pipelines.simulator import SimScale, build_world
from pipelines.simulator.faults import persian_digit_numbers
from pipelines.simulator.writer import (
    write_reference,
    write_source_postgres,
    write_source_sqlite,
    write_truth,
)
from pipelines.store.engine import source_engine, sqlite_path, store_engine
from pipelines.store.migrate import upgrade_store


def truth_path(settings: Settings) -> Path:
    """The ground truth file; only the simulator writes it and only tests and benchmarks read it."""
    return settings.var_dir / "sim" / "truth.db"


def simulate_into(
    settings: Settings, seed: int, days: int, end_day: date, as_of: datetime | None = None,
    scale: SimScale | None = None,
) -> dict[str, int]:
    """Build the world and write source, reference data and ground truth as they stood at `as_of`."""
    as_of = as_of or MonitoredDay(end_day - timedelta(days=1)).end
    with Progress("simulate", total=4, unit="steps") as progress:
        world = build_world(seed=seed, days=days, end_day=end_day, scale=scale or SimScale())
        frames = world.marketplace_as_of(as_of)
        progress.advance(1, f"world of {days} days built")
        source_url = settings.resolved_source_url
        if source_url.startswith("sqlite"):
            # the SQLite source is loosely typed, like the text people type: some numbers in Persian digits
            write_source_sqlite(persian_digit_numbers(frames), sqlite_path(source_url))
        else:
            write_source_postgres(frames, source_engine(settings))
        progress.advance(1, "source written")
        store = store_engine(settings)
        upgrade_store(store)
        write_reference(world.reference_tables(), store, tehran_day_of(as_of), source=f"simulator:seed={seed}")
        progress.advance(1, "reference data written")
        write_truth(world.truth(up_to=as_of), truth_path(settings))
        progress.advance(1, "ground truth written")
    return {name: len(frame) for name, frame in frames.items()}
