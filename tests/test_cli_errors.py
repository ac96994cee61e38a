"""Faults of the machine and of the input end `rasad` in one clear line and a nonzero exit, never a traceback:
a read-only store, a full disk, HTTP items that are not rows, a malformed verdict sheet, `province.csv` that is
a directory. Each runs the real `rasad` command in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from pipelines.monitored_day import MonitoredDay
from pipelines.simulator import SimScale
from pipelines.simulator.run import simulate_into
from tests.conftest import require_part
from tests.pipeline_helpers import END_DAY, SEED

pytestmark = pytest.mark.e2e
DAY = END_DAY - timedelta(days=2)
TINY = SimScale(sellers_per_province=2, offers_per_seller=3, orders_per_day=60, members=300)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    """A simulated Ombazar and a store holding its reference data (no day monitored yet)."""
    from pipelines.settings import Settings

    var = tmp_path_factory.mktemp("var")
    simulate_into(Settings(var_dir=var), SEED, 12, END_DAY, MonitoredDay(DAY).end, TINY)
    return var


def _copy_store(var_dir: Path, target: Path) -> Path:
    """A consistent copy of the store (its WAL included), through SQLite's backup API."""
    import sqlite3

    with sqlite3.connect(var_dir / "rasad.db") as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def _rasad(*args: str, env: dict[str, str] | None = None, wrap: list[str] | None = None
           ) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RASAD_")}
    # progress of long commands is logged on stderr without a terminal: off here, the error line is what is judged
    base.update({"PYTHONPATH": str(REPO), "GX_ANALYTICS_ENABLED": "False", "RASAD_PROGRESS": "off", **(env or {})})
    command = [*(wrap or []), sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(command, env=base, capture_output=True, text=True, timeout=120, cwd=REPO)


def _assert_one_line(done: subprocess.CompletedProcess, *expected: str) -> str:
    err = done.stderr.strip()
    assert done.returncode != 0, (done.stdout, err)
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("rasad: "), err
    for text in expected:
        assert text in err, err
    return err


def test_a_read_only_store_ends_in_one_line(var_dir, tmp_path):
    store = _copy_store(var_dir, tmp_path / "read-only.db")
    done = _rasad("run", "--date", DAY.isoformat(), env={
        "RASAD_VAR_DIR": str(var_dir), "RASAD_STORE_URL": f"sqlite:///file:{store}?mode=ro&uri=true"})
    _assert_one_line(done, "the store is read-only", "readonly database")


def test_a_full_disk_ends_in_one_line(tmp_path):
    """The store on a file system of 64 KiB (a tmpfs in a private mount namespace): the migration fills it."""
    unshare = shutil.which("unshare")
    full = tmp_path / "full"
    full.mkdir()
    probe = subprocess.run([unshare or "unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {full}"],
                           capture_output=True, text=True) if unshare else None
    require_part(probe is not None and probe.returncode == 0,
                 f"a small tmpfs cannot be mounted in a private namespace here (unshare -m; mount): "
                 f"{probe.stderr.strip() if probe else 'no unshare'}")
    script = f'mount -t tmpfs -o size=64k tmpfs {full} && exec "$@"'
    done = _rasad("db", "upgrade", env={"RASAD_VAR_DIR": str(full)},
                  wrap=["unshare", "-m", "sh", "-c", script, "sh"])
    _assert_one_line(done, "disk is full")


def test_http_items_that_are_not_objects_end_in_one_line(var_dir, tmp_path):
    from tests.source.test_http_faults import _NotRows

    store = _copy_store(var_dir, tmp_path / "rasad.db")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotRows)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        host, port = httpd.server_address[:2]
        done = _rasad("run", "--date", DAY.isoformat(), env={
            "RASAD_VAR_DIR": str(var_dir), "RASAD_STORE_URL": f"sqlite:///{store}",
            "RASAD_SOURCE_KIND": "http", "RASAD_SOURCE_HTTP_URL": f"http://{host}:{port}"})
    finally:
        httpd.shutdown()
        httpd.server_close()
    _assert_one_line(done, "not a JSON object")


SHEETS = {
    "not-a-workbook.xlsx": b"this is no zip archive",
    "latin1.csv": "finding,verdict\n1234-5678,d\xe9j\xe0 vu\n".encode("latin-1"),
    "empty.csv": b"",
    "open-quote.csv": b'finding,verdict\n"1234-5678,acknowledged\n',
    "folder.csv": None,  # a directory named like a sheet
}


@pytest.mark.parametrize("name", list(SHEETS))
def test_a_malformed_verdict_sheet_ends_in_one_line(var_dir, tmp_path, name):
    path = tmp_path / name
    if SHEETS[name] is None:
        path.mkdir()
    else:
        path.write_bytes(SHEETS[name])
    store = _copy_store(var_dir, tmp_path / "rasad.db")
    done = _rasad("finding", "verdicts", str(path), "--by", "officer",
                  env={"RASAD_VAR_DIR": str(var_dir), "RASAD_STORE_URL": f"sqlite:///{store}"})
    _assert_one_line(done, name)


def test_province_csv_as_a_directory_ends_in_one_line(var_dir, tmp_path):
    from pipelines.reference.csv_load import export_reference_dir
    from pipelines.settings import Settings
    from pipelines.store.engine import store_engine

    directory = tmp_path / "ref"
    export_reference_dir(store_engine(Settings(var_dir=var_dir)), directory)
    (directory / "province.csv").unlink()
    (directory / "province.csv").mkdir()
    store = _copy_store(var_dir, tmp_path / "rasad.db")
    done = _rasad("ref", "load", str(directory),
                  env={"RASAD_VAR_DIR": str(var_dir), "RASAD_STORE_URL": f"sqlite:///{store}"})
    _assert_one_line(done, "province.csv", "nothing changed")
