"""The rooms of `pipelines/` and the direction of their imports (docs/architecture.md).

A room imports only the kernel and the rooms before it in the flow. Two kinds of module stand at the edge
and may import any room: a room's `cli.py` (commands call whatever they need) and `store/metadata.py` (it
gathers every room's tables for Alembic). Only the Airflow glue imports Airflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "pipelines"
KERNEL_MODULES = {"__init__", "cli", "errors", "frames", "monitored_day", "resources", "settings", "spreadsheet",
                  "vocabulary", "progress"}
# the flow, upstream first: a room may import the rooms before it
ROOMS = ("store", "i18n", "source", "reference", "simulator", "olist", "ingest", "state", "price_model", "checks",
         "findings", "reports", "mail", "dashboard", "orchestration")
METADATA_MODULE = PACKAGE / "store" / "metadata.py"
AIRFLOW_GLUE = PACKAGE / "orchestration" / "airflow_glue.py"


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "pipelines" or len(parts) < 2:
        return None
    return "kernel" if parts[1] in KERNEL_MODULES else parts[1]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "pipelines":
                found.update(f"pipelines.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_module_lives_in_the_kernel_or_a_known_room():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= KERNEL_MODULES, f"modules at the top of pipelines/ that belong in a room: {top - KERNEL_MODULES}"
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == set(ROOMS), f"rooms not in the flow: {rooms - set(ROOMS)}; missing: {set(ROOMS) - rooms}"


def test_rooms_import_only_the_kernel_and_rooms_upstream():
    order = {room: n for n, room in enumerate(ROOMS)}
    wrong = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) == 1:
            source = "kernel"
        else:
            source = rel.parts[0]
        for module in _imports(path):
            target = _room(module)
            if target is None or target == source or target == "kernel":
                continue
            if source == "kernel":
                wrong.append(f"{rel} (kernel) imports {module}")
            elif path.name == "cli.py" or path == METADATA_MODULE:
                continue
            elif order[target] > order[source]:
                wrong.append(f"{rel} ({source}) imports {module} ({target}, downstream)")
    assert not wrong, "\n".join(sorted(wrong))


def test_only_the_airflow_glue_imports_airflow():
    offenders = [str(p.relative_to(PACKAGE)) for p in _modules()
                 if p != AIRFLOW_GLUE and any(m == "airflow" or m.startswith("airflow.") for m in _imports(p))]
    assert not offenders, f"Airflow imported outside pipelines/orchestration/airflow_glue.py: {offenders}"


def test_each_room_keeps_its_tables_in_its_own_tables_module():
    from sqlalchemy import Table

    from pipelines.store import metadata

    homes = {}
    for module in metadata.TABLE_MODULES:
        assert module.__name__.endswith(".tables"), module.__name__
        for value in vars(module).values():
            if isinstance(value, Table):
                homes.setdefault(value.fullname, set()).add(module.__name__)
    assert set(homes) == set(metadata.metadata.tables), "a table is defined outside the rooms' tables.py"
    assert all(len(h) == 1 for h in homes.values())
