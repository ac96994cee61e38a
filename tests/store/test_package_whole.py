"""The package is whole: a wheel, installed without the checkout, finds its SQL, suites, model and DAGs and
runs a monitored day; migrations are frozen snapshots that read no live file."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipelines.resources import SHIPPED_DIRS

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "pipelines" / "store" / "migrations" / "versions"


def _build_wheel(out: Path) -> Path:
    # no build isolation: the pinned setuptools of the lock builds it, nothing is fetched
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(out), str(REPO)], check=True, cwd=out)
    (wheel,) = out.glob("rasad-*.whl")
    return wheel


@pytest.mark.db
def test_a_wheel_without_the_checkout_runs_a_day(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in SHIPPED_DIRS:
        assert any(n.startswith(f"pipelines/_shipped/{shipped}/") for n in names), f"{shipped}/ not in the wheel"
    assert "pipelines/_shipped/sql/state/select_offers_as_of.sql" in names
    assert "pipelines/_shipped/dags/ombazar_quality_daily.py" in names
    assert "pipelines/reference/data/iran_divisions/ostan.csv" in names
    assert "pipelines/reference/data/iran_provinces_geo/provinces.simplified.geojson" in names
    assert "pipelines/reference/data/iran_provinces_geo/README.txt" in names

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                    str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RASAD_")}
    # the installed package comes first on the path, ahead of the editable checkout
    env.update(PYTHONPATH=str(site), RASAD_VAR_DIR=str(work / "var"), GX_ANALYTICS_ENABLED="False")

    def rasad(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    where = subprocess.run([sys.executable, "-c", "import pipelines, pipelines.resources as r;"
                            "print(pipelines.__file__); print(r.shipped_dir('sql'))"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    rasad("simulate", "--seed", "3", "--days", "10", "--end-day", "2026-11-20",
          "--as-of", "2026-11-20T00:00:00+03:30")
    out = rasad("run", "--date", "2026-11-19")
    assert "Tehran day 2026-11-19: findings" in out
    assert len(list((work / "var" / "reports" / "2026-11-19").glob("*.html"))) == 31
    # the price model's directory is under the var directory, seeded from the shipped artefact
    rasad("price-model", "show")
    assert (work / "var" / "models" / "price_model" / "registry.json").exists()


@pytest.mark.unit
def test_migrations_read_no_live_file():
    for path in VERSIONS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not ({"read_text", "read_bytes"} & names) and "open" not in calls, f"{path.name} reads a file"
        assert "__file__" not in path.read_text(encoding="utf-8"), f"{path.name} finds files beside itself"


@pytest.mark.unit
def test_migration_files_are_named_in_revision_order():
    revisions = {}
    for path in VERSIONS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        values = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, ast.Constant)}
        revisions[values["revision"]] = (path.name, values.get("down_revision"))
    chain, current = [], None
    while len(chain) < len(revisions):
        (rev,) = [r for r, (_, down) in revisions.items() if down == current]
        chain.append(revisions[rev][0])
        current = rev
    assert chain == sorted(chain), f"files out of revision order: {chain}"


@pytest.mark.unit
def test_the_newest_frozen_marts_equal_the_files_of_sql_marts():
    """A change to sql/marts/ must ship as a new revision that freezes the new SQL."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dashboard_revision", VERSIONS / "0005_dashboard.py")
    assert spec and spec.loader
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    marts = REPO / "sql" / "marts"
    for name, sql in revision.MART_VIEWS.items():
        text = (marts / f"create_{name}.sql").read_text(encoding="utf-8")
        code = (line.split("--", 1)[0].rstrip() for line in text.splitlines())
        live = "\n".join(line for line in code if line.strip())
        assert sql.strip() == live.strip(), f"sql/marts/create_{name}.sql changed without a new revision"
    assert {p.name for p in marts.glob("create_*.sql")} == {f"create_{n}.sql" for n in revision.MART_VIEWS}
