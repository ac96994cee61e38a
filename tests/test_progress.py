"""Progress of long work: a bar on a terminal; log lines under Airflow or without a terminal (pipelines/progress.py)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.progress import Progress, choose_mode, progress_line

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_progress_is_logged_with_done_rate_and_time_left(caplog, monkeypatch):
    monkeypatch.delenv("RASAD_PROGRESS", raising=False)
    caplog.set_level(logging.INFO, logger="pipelines.progress")
    with Progress("backfill", total=4, unit="days", stream=io.StringIO(), log_every_seconds=0) as progress:
        assert progress.mode == "log"
        for n in range(4):
            progress.advance(1, f"day {n}")
    lines = [r.getMessage() for r in caplog.records if r.name == "pipelines.progress"]
    assert lines[0].startswith("backfill: 0/4 days (0.0%)")
    assert any(line.startswith("backfill: 2/4 days (50.0%)") and "days/s" in line and "left" in line
               for line in lines), lines
    assert lines[-1].startswith("backfill: 4/4 days (100.0%)") and "done in" in lines[-1]


def test_log_lines_are_spaced_out_but_the_first_and_last_always_come(caplog):
    caplog.set_level(logging.INFO, logger="pipelines.progress")
    with Progress("rows", total=1000, mode="log", log_every_seconds=3600) as progress:
        for _ in range(1000):
            progress.advance(1)
    lines = [r.getMessage() for r in caplog.records if r.name == "pipelines.progress"]
    assert len(lines) == 2 and lines[-1].startswith("rows: 1,000/1,000 rows (100.0%)")


def test_airflow_logs_even_on_a_terminal_and_a_terminal_gets_a_bar(monkeypatch):
    monkeypatch.delenv("RASAD_PROGRESS", raising=False)
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID", raising=False)
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID", raising=False)  # an earlier in-process DAG test may leave it set
    assert choose_mode(_Terminal()) == "bar"
    assert choose_mode(io.StringIO()) == "log"
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "ombazar_quality_daily")
    assert choose_mode(_Terminal()) == "log"
    monkeypatch.setenv("RASAD_PROGRESS", "off")
    assert choose_mode(_Terminal()) == "off"


def test_a_bar_with_work_nested_inside_draws_one_display():
    screen = _Terminal()
    with Progress("import", total=2, unit="steps", mode="bar", stream=screen) as outer:
        with Progress("write source", total=10, unit="rows", mode="bar", stream=screen) as inner:
            inner.advance(10)
        outer.advance(2)
    assert "import" in screen.getvalue() and "write source" in screen.getvalue()


def test_the_line_says_the_time_left():
    assert progress_line("x", 25, 100, "days", 50.0) == "x: 25/100 days (25.0%), 0.50 days/s, about 2 min 30 s left"


def test_a_command_whose_stderr_is_not_a_terminal_logs_its_progress(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "RASAD_VAR_DIR": str(tmp_path / "var"),
           "GX_ANALYTICS_ENABLED": "False"}
    env.pop("RASAD_PROGRESS", None)
    env.pop("AIRFLOW_CTX_DAG_ID", None)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "import", "olist",
                           str(REPO / "tests" / "data" / "olist_slice"), "--out", str(tmp_path / "olist")],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if "pipelines.progress:" in line]
    assert any("import olist: 4/4 steps (100.0%)" in line for line in progress), done.stderr
    assert any("write source:" in line and "rows (100.0%)" in line for line in progress), done.stderr
