"""`make bench`: the daily pipeline at 10k, 100k and 1M deliveries a day, on SQLite and PostgreSQL.

    .venv/bin/python bench/scale.py                                   # every size, both stores
    .venv/bin/python bench/scale.py --sizes 10k 100k --stores sqlite  # or: make bench BENCH_SIZES="10k 100k"

For each store and size (a case):
1. `bench/scale_source.py build` writes the reference data into a fresh store and a source holding
   `--history-days` days of orders and deliveries (and ~200k active offers from 100k up);
2. the **initial load**: Rasad's first run, `run_day` of the day before the steady day, over all of it;
3. `scale_source.py advance` applies the steady day's changes to the source;
4. the **bare reference** (`bench/bare_reference.py`) computes the day's core figures from the source;
5. the **steady day**: `run_day` of the steady day, incremental from the initial load's watermark.

Every step runs in its own child process: its wall time and its peak memory (max RSS, from `wait4`) are
its own, so the source generation never counts toward the pipeline's memory. The pipeline's stages are
read from the run log (`monitoring.run_log`), whatever steps it holds. A child above `--rss-cap-gb` or
`--timeout-minutes` is killed and recorded as failed; a failed step is recorded in the case's JSON and the
bench goes on with the next case.

With 100k among the sizes, the **history experiment** runs the same 100k steady day after
`--history-experiment` (60) days of history instead of `--history-days` (7): the steady day's source
changes are the same rows (scale_source.py keeps every order's events within 7 days), so the ratio of
the two steady days says how much the pipeline's day costs the history.

Results: one JSON per case in `bench/results/` (scale-<store>-<size>-h<days>.json), and the table between
the markers in `bench/README.md`, rebuilt from every result file there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from scale_source import MAX_HISTORY_DAYS, SIZES  # noqa: E402 (bench/ is the script's own directory)

DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
README_START = "<!-- bench:scale:start -->"
README_END = "<!-- bench:scale:end -->"
TARGETS = {"history_ratio": 1.2, "scaling_ratio": 11.0}
SAMPLE_SECONDS = 0.25


# ---------------------------------------------------------------------------------------------- children
@dataclass
class ChildResult:
    returncode: int | None
    wall_seconds: float
    max_rss_mb: float
    killed: str | None
    output: dict | None
    log_tail: str
    # (unix time, RSS bytes) sampled every SAMPLE_SECONDS, to place the peaks in the pipeline's stages
    rss_samples: list[tuple[float, int]]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed is None

    def error(self) -> str:
        if self.killed:
            return f"killed: {self.killed}"
        if self.output and self.output.get("error"):
            return str(self.output["error"])
        last = [line for line in self.log_tail.splitlines() if line.strip()]
        return f"exit {self.returncode}: {last[-1] if last else 'no output'}"


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_child(cmd: list[str], log_path: Path, out_path: Path, rss_cap_bytes: int, timeout_s: float) -> ChildResult:
    """Run one step in its own process; its max RSS comes from wait4, so it is that process's alone."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}
    out_path.unlink(missing_ok=True)
    start = time.perf_counter()
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    killed: list[str] = []
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(SAMPLE_SECONDS):
            reason = None
            rss = _rss_bytes(proc.pid)
            samples.append((time.time(), rss))
            if rss > rss_cap_bytes:
                reason = f"memory above {rss_cap_bytes / 2**30:.1f} GB (--rss-cap-gb)"
            elif time.perf_counter() - start > timeout_s:
                reason = f"still running after {timeout_s / 60:.0f} min (--timeout-minutes)"
            if reason:
                killed.append(reason)
                os.kill(proc.pid, signal.SIGKILL)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # wait without reaping, stop the watcher, then reap: the watcher never signals a recycled pid
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    done.set()
    watcher.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    output = None
    if out_path.exists():
        try:
            output = json.loads(out_path.read_text(encoding="utf-8"))
        except ValueError:
            output = None
    tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
    return ChildResult(returncode=proc.returncode, wall_seconds=round(wall, 2),
                       max_rss_mb=round(usage.ru_maxrss / 1024), killed=killed[0] if killed else None,
                       output=output, log_tail="\n".join(tail), rss_samples=samples)


# ------------------------------------------------------------------------------- the pipeline's own child
def pipeline_day(argv: list[str]) -> None:
    """Child process: `run_day` of one day, timed; the run log is read by the parent afterwards."""
    parser = argparse.ArgumentParser(prog="scale.py pipeline-day")
    parser.add_argument("--store-url", required=True)
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from pipelines.orchestration.daily_steps import run_day
    from pipelines.settings import Settings

    settings = Settings(var_dir=args.var_dir, store_url=args.store_url, source_url=args.source_url)
    result: dict = {"day": args.day.isoformat(), "run_id": args.run_id}
    t0 = time.perf_counter()
    try:
        summary = run_day(settings, args.day, run_id=args.run_id)
    except Exception as exc:
        result.update(seconds=round(time.perf_counter() - t0, 2), error=f"{type(exc).__name__}: {exc}"[:500])
        args.out.write_text(json.dumps(result), encoding="utf-8")
        traceback.print_exc()
        sys.exit(1)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["summary"] = _summary_counts(summary)
    args.out.write_text(json.dumps(result, default=str), encoding="utf-8")


def _summary_counts(summary: dict) -> dict:
    """What run_day returned, without the report paths; extraction counts per entity when it has them."""
    out = {k: v for k, v in summary.items() if k not in ("reports", "run_id", "day")}
    if isinstance(summary.get("reports"), list):
        out["reports"] = len(summary["reports"])
    extract = summary.get("extract")
    if isinstance(extract, list) and all(isinstance(e, dict) and "entity" in e for e in extract):
        out["extract"] = {e["entity"]: {k: v for k, v in e.items() if k.startswith("rows_")} for e in extract}
    return out


def read_run_log(store_url: str, var_dir: Path, run_id: str) -> list[dict]:
    """Every step the run logged, in order, with its seconds and status (whatever the steps are)."""
    from sqlalchemy import select

    from pipelines.orchestration import tables as run_tables
    from pipelines.settings import Settings
    from pipelines.store.engine import store_engine

    engine = store_engine(Settings(var_dir=var_dir, store_url=store_url))
    log = run_tables.run_log
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(log.c.run_id, log.c.step, log.c.started_at, log.c.finished_at, log.c.status, log.c.detail)
                .where(log.c.run_id.like(f"{run_id}:%")).order_by(log.c.started_at)).mappings().all()
    finally:
        engine.dispose()
    steps = []
    for r in rows:
        step = {"step": r["step"], "status": r["status"], "seconds": None, "started": r["started_at"].timestamp(),
                "finished": (r["finished_at"] or datetime.now(UTC)).timestamp()}
        if r["finished_at"] is not None:
            step["seconds"] = round((r["finished_at"] - r["started_at"]).total_seconds(), 2)
        if r["status"] != "success" and r["detail"]:
            step["detail"] = str(r["detail"])[:300]
        steps.append(step)
    return steps


# ---------------------------------------------------------------------------------------------- stores
@dataclass
class Place:
    """Where one case's store and source live."""

    store_url: str
    source_url: str
    var_dir: Path
    pg_databases: tuple[str, ...] = ()


def _pg_admin(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def open_place(store: str, case_dir: Path, admin_url: str) -> Place:
    case_dir.mkdir(parents=True, exist_ok=True)
    if store == "sqlite":
        for name in ("rasad.db", "rasad.db-wal", "rasad.db-shm", "source.db"):
            (case_dir / name).unlink(missing_ok=True)
        return Place(store_url=f"sqlite:///{case_dir / 'rasad.db'}", source_url=f"sqlite:///{case_dir / 'source.db'}",
                     var_dir=case_dir)
    tag = uuid.uuid4().hex[:8]
    names = (f"rasad_bench_{tag}_store", f"rasad_bench_{tag}_source")
    with _pg_admin(admin_url) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return Place(store_url=f"{base}/{names[0]}", source_url=f"{base}/{names[1]}", var_dir=case_dir,
                 pg_databases=names)


def close_place(place: Place, admin_url: str) -> None:
    if place.pg_databases:
        with _pg_admin(admin_url) as conn:
            for name in place.pg_databases:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                             "AND pid <> pg_backend_pid()", (name,))
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        for name in ("rasad.db", "rasad.db-wal", "rasad.db-shm", "source.db"):
            (place.var_dir / name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- one case
@dataclass(frozen=True)
class Case:
    store: str
    size: str
    history_days: int
    experiment: str | None = None

    @property
    def name(self) -> str:
        return f"scale-{self.store}-{self.size}-h{self.history_days}"


def run_case(case: Case, args: argparse.Namespace, machine: dict) -> dict:
    """Generate, load, advance, bare reference, steady day; record what ran and what failed, never raise."""
    steady_day: date = args.steady_day
    initial_day = steady_day - timedelta(days=1)
    result: dict = {
        "case": case.name, "store": case.store, "size": case.size, "deliveries_per_day": SIZES[case.size],
        "history_days": case.history_days, "experiment": case.experiment, "seed": args.seed,
        "days": {"initial_load": initial_day.isoformat(), "steady_day": steady_day.isoformat()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "label": args.label, "machine": machine,
        "settings_env": sorted(k for k in os.environ if k.startswith("RASAD_")), "errors": [],
    }
    case_dir = args.work_dir / case.name
    case_dir.mkdir(parents=True, exist_ok=True)
    cap, timeout = int(args.rss_cap_gb * 2**30), args.timeout_minutes * 60
    py = sys.executable
    t_case = time.perf_counter()
    place = None

    def child(label: str, cmd: list[str]) -> ChildResult:
        out, log_path = case_dir / f"{label}.json", case_dir / f"{label}.log"
        log_path.unlink(missing_ok=True)
        res = run_child([*cmd, "--out", str(out)], log_path, out, cap, timeout)
        print(f"  {case.name} {label}: {'ok' if res.ok else 'FAILED'} in {res.wall_seconds:.1f} s, "
              f"peak {res.max_rss_mb:.0f} MB", flush=True)
        if not res.ok:
            result["errors"].append({"stage": label, "error": res.error(), "log_tail": res.log_tail})
        return res

    def source_cmd(command: str) -> list[str]:
        assert place is not None
        cmd = [py, str(BENCH / "scale_source.py"), command, "--size", case.size, "--history-days",
               str(case.history_days), "--steady-day", steady_day.isoformat(), "--seed", str(args.seed),
               "--source-url", place.source_url]
        return [*cmd, "--store-url", place.store_url] if command == "build" else cmd

    def pipeline(label: str, day: date) -> dict:
        assert place is not None
        run_id = f"bench-{day.isoformat()}-{uuid.uuid4().hex[:8]}"
        res = child(label, [py, str(BENCH / "scale.py"), "pipeline-day", "--store-url", place.store_url,
                            "--source-url", place.source_url, "--var-dir", str(place.var_dir),
                            "--day", day.isoformat(), "--run-id", run_id])
        out = res.output or {}
        entry = {"ok": res.ok, "day": day.isoformat(), "run_id": run_id, "seconds": out.get("seconds"),
                 "wall_seconds": res.wall_seconds, "max_rss_mb": res.max_rss_mb, "summary": out.get("summary")}
        try:
            entry["steps"] = read_run_log(place.store_url, place.var_dir, run_id)
            for step in entry["steps"]:
                began, ended = step.pop("started"), step.pop("finished")
                inside = [rss for at, rss in res.rss_samples if began <= at <= ended]
                step["peak_rss_mb_sampled"] = round(max(inside) / 2**20) if inside else None
        except Exception as exc:  # the store may be unreadable after a crash
            entry["steps"] = []
            entry["run_log_error"] = f"{type(exc).__name__}: {exc}"[:300]
        if not res.ok:
            entry["error"] = res.error()
        return entry

    def source_entry(res: ChildResult) -> dict:
        out = res.output or {}
        return {"ok": res.ok, "seconds": out.get("seconds"), "wall_seconds": res.wall_seconds,
                "max_rss_mb": res.max_rss_mb, "rows": out.get("rows")}

    try:
        place = open_place(case.store, case_dir, args.pg_admin_url)
        build = child("source_build", source_cmd("build"))
        result["source_build"] = source_entry(build)
        if not build.ok:
            return result
        result["initial_load"] = pipeline("initial_load", initial_day)
        if not result["initial_load"]["ok"]:
            return result
        advance = child("source_advance", source_cmd("advance"))
        result["source_advance"] = source_entry(advance)
        if not advance.ok:
            return result
        bare = child("bare_reference", [py, str(BENCH / "bare_reference.py"), "--source-url", place.source_url,
                                        "--day", steady_day.isoformat()])
        result["bare_reference"] = {"ok": bare.ok, "wall_seconds": bare.wall_seconds, "max_rss_mb": bare.max_rss_mb,
                                    **{k: v for k, v in (bare.output or {}).items() if k != "max_rss_mb"}}
        result["steady_day"] = pipeline("steady_day", steady_day)
        rasad, ref = result["steady_day"].get("seconds"), result["bare_reference"].get("seconds")
        if result["steady_day"]["ok"] and bare.ok and rasad and ref:
            result["steady_over_bare"] = round(rasad / ref, 1)
    except Exception as exc:
        result["errors"].append({"stage": "harness", "error": f"{type(exc).__name__}: {exc}"[:500],
                                 "log_tail": traceback.format_exc()[-1500:]})
    finally:
        result["case_seconds"] = round(time.perf_counter() - t_case, 1)
        if place is not None and not args.keep:
            try:
                close_place(place, args.pg_admin_url)
            except Exception as exc:
                result["errors"].append({"stage": "cleanup", "error": f"{type(exc).__name__}: {exc}"[:300]})
    return result


# ---------------------------------------------------------------------------------------------- machine
def machine_info(admin_url: str, stores: list[str]) -> dict:
    mem_kb = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            mem_kb = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"uname_m": platform.machine(), "cpu_count": os.cpu_count(), "cpu": cpu,
            "ram_gib": round(mem_kb / 2**20, 1), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "host": platform.node()}
    if "postgresql" in stores:
        try:
            with _pg_admin(admin_url) as conn:
                info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:
            info["postgresql"] = f"unreachable: {type(exc).__name__}"
    return info


# ---------------------------------------------------------------------------------------------- report
def load_results(results_dir: Path) -> list[dict]:
    results = []
    for path in sorted(results_dir.glob("scale-*.json")):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    order = {s: n for n, s in enumerate(SIZES)}
    return sorted(results, key=lambda r: (r.get("store", ""), order.get(r.get("size"), 99), r.get("history_days", 0)))


def _ok_seconds(entry: dict | None) -> float | None:
    return entry.get("seconds") if entry and entry.get("ok") else None


def comparisons(results: list[dict]) -> list[dict]:
    """The ratios the issue asks for: steady ÷ bare, 60 ÷ 7 days of history at 100k, 1M ÷ 100k."""
    out = []
    for r in results:
        if r.get("steady_over_bare") is not None:
            out.append({"what": "steady ÷ bare", "store": r["store"], "size": r["size"],
                        "history_days": r["history_days"], "ratio": r["steady_over_bare"]})
    for r in results:
        if r.get("experiment") != "history":
            continue
        base = next((b for b in results if b["store"] == r["store"] and b["size"] == r["size"]
                     and not b.get("experiment")), None)
        a, b = _ok_seconds(r.get("steady_day")), _ok_seconds(base.get("steady_day")) if base else None
        out.append({"what": f"history {r['history_days']} ÷ {base['history_days'] if base else '?'} days",
                    "store": r["store"], "size": r["size"], "ratio": round(a / b, 2) if a and b else None,
                    "target": TARGETS["history_ratio"]})
    for store in sorted({r["store"] for r in results}):
        big = next((r for r in results if r["store"] == store and r["size"] == "1M" and not r.get("experiment")), None)
        small = next((r for r in results if r["store"] == store and r["size"] == "100k" and not r.get("experiment")),
                     None)
        if big and small:
            a, b = _ok_seconds(big.get("steady_day")), _ok_seconds(small.get("steady_day"))
            out.append({"what": "steady day 1M ÷ 100k", "store": store, "size": "1M/100k",
                        "ratio": round(a / b, 2) if a and b else None, "target": TARGETS["scaling_ratio"]})
    return out


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _first_error(result: dict) -> str:
    err = (result.get("errors") or [None])[0]
    if not err:
        return "–"
    text = re.sub(r"\s+", " ", err["error"]).replace("|", "/")
    return f"failed at {err['stage']}: {text[:90]}"


def _stage_peaks(run: dict) -> str:
    peaks = [f"{s['step']} {_fmt(s.get('peak_rss_mb_sampled'), 0)}" for s in run.get("steps", [])]
    return ", ".join(peaks) or "–"


def render_table(results: list[dict]) -> str:
    """The Markdown between the README markers: machines, the two tables, the ratios."""
    lines = []
    machines = {}
    for r in results:
        m = r.get("machine", {})
        key = (m.get("uname_m"), m.get("cpu_count"), m.get("ram_gib"), m.get("cpu"))
        machines.setdefault(key, set()).add(r.get("measured_at", "")[:10])
    for (arch, cpus, ram, cpu), days in machines.items():
        lines.append(f"Measured {', '.join(sorted(days))} on `{arch}`, {cpus} CPUs ({cpu}), {ram} GiB RAM.")
    labels = sorted({r["label"] for r in results if r.get("label")})
    if labels:
        lines.append(f"Labels: {', '.join(labels)}.")
    lines.append("")
    step_names: list[str] = []
    for r in results:
        for s in (r.get("steady_day") or {}).get("steps", []):
            if s["step"] not in step_names:
                step_names.append(s["step"])
    header = ["store", "deliveries/day", "history days", "delivery rows changed", *step_names,
              "steady day s", "peak MB", "peak MB by stage (sampled)", "bare s", "Rasad ÷ bare", "label"]
    lines.append("**Steady day** (the pipeline's stages from the run log, in seconds):")
    lines.append("")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for r in results:
        steady = r.get("steady_day") or {}
        steps = {s["step"]: s for s in steady.get("steps", [])}
        changed = ((steady.get("summary") or {}).get("extract") or {}).get("deliveries", {}).get("rows_fetched")
        bare = r.get("bare_reference") or {}
        total = _fmt(steady.get("seconds")) if steady.get("ok") else _first_error(r)
        row = [r["store"], r["size"], str(r["history_days"]), _fmt(changed),
               *[(_fmt(steps[n]["seconds"]) + ("" if steps[n]["status"] == "success" else f" ({steps[n]['status']})"))
                 if n in steps else "–" for n in step_names],
               total, _fmt(steady.get("max_rss_mb"), 0) if steady else "–", _stage_peaks(steady),
               _fmt(_ok_seconds(bare), 2), _fmt(r.get("steady_over_bare")), r.get("label") or ""]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("**Source and initial load** (the first run over the whole history):")
    lines.append("")
    header = ["store", "deliveries/day", "history days", "source orders / deliveries", "active offers",
              "generate s (build + steady day)", "generate peak MB", "initial load s", "stages s", "peak MB",
              "peak MB by stage (sampled)"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for r in results:
        build, adv, init = r.get("source_build") or {}, r.get("source_advance") or {}, r.get("initial_load") or {}
        rows = build.get("rows") or {}
        gen = [_ok_seconds(build), _ok_seconds(adv)]
        stages = ", ".join(f"{s['step']} {_fmt(s['seconds'])}" for s in init.get("steps", []))
        row = [r["store"], r["size"], str(r["history_days"]),
               f"{_fmt(rows.get('orders'))} / {_fmt(rows.get('deliveries'))}", _fmt(rows.get("active_offers")),
               " + ".join(_fmt(g) for g in gen),
               _fmt(max([m for m in (build.get("max_rss_mb"), adv.get("max_rss_mb")) if m] or [None]), 0),
               _fmt(init.get("seconds")) if init.get("ok") else _first_error(r),
               stages or "–", _fmt(init.get("max_rss_mb"), 0) if init else "–", _stage_peaks(init)]
        lines.append("| " + " | ".join(row) + " |")
    ratios = comparisons(results)
    extra = [c for c in ratios if c["what"] != "steady ÷ bare"]
    if extra:
        lines.append("")
        for c in extra:
            target = f" (target ≤ {c['target']})" if c.get("target") else ""
            lines.append(f"- {c['store']}, {c['what']} at {c['size']}: **{_fmt(c['ratio'], 2)}**{target}")
    return "\n".join(lines)


def update_readme(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = f"{README_START}\n{table}\n{README_END}"
    if README_START in text and README_END in text:
        text = re.sub(re.escape(README_START) + r".*?" + re.escape(README_END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- main
def _default_steady_day() -> date:
    from pipelines.monitored_day import today_in_tehran

    return today_in_tehran() - timedelta(days=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--history-days", type=int, default=7, help="days of history before the steady day")
    parser.add_argument("--history-days-1m", type=int, default=2,
                        help="days of history at 1M a day (the initial load of 7 days would be 7M orders; "
                             "what history costs is what the 100k history experiment measures)")
    parser.add_argument("--history-experiment", type=int, default=60,
                        help="with 100k among the sizes, also run 100k after this many days of history (0: not)")
    parser.add_argument("--steady-day", type=date.fromisoformat, default=None,
                        help="the steady Tehran day (default: two days before today in Tehran)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--readme", type=Path, default=BENCH / "README.md")
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN))
    parser.add_argument("--rss-cap-gb", type=float, default=12.0, help="kill a step whose memory passes this")
    parser.add_argument("--timeout-minutes", type=float, default=240.0, help="kill a step that runs longer")
    parser.add_argument("--label", default="", help="a note kept with the results (e.g. preliminary)")
    parser.add_argument("--keep", action="store_true", help="keep the stores and sources after each case")
    args = parser.parse_args(argv)
    args.steady_day = args.steady_day or _default_steady_day()
    args.work_dir = args.work_dir.resolve()
    for days in (args.history_days, args.history_experiment):
        if days and not 1 <= days <= MAX_HISTORY_DAYS:
            parser.error(f"history days must be within 1..{MAX_HISTORY_DAYS}")

    cases = [Case(store, size, args.history_days_1m if size == "1M" else args.history_days)
             for size in args.sizes for store in args.stores]
    if args.history_experiment and "100k" in args.sizes and args.history_experiment != args.history_days:
        cases += [Case(store, "100k", args.history_experiment, "history") for store in args.stores]
    machine = machine_info(args.pg_admin_url, args.stores)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench: {len(cases)} cases, steady day {args.steady_day}, machine {json.dumps(machine)}", flush=True)
    failed = 0
    for case in cases:
        print(f"{case.name}:", flush=True)
        result = run_case(case, args, machine)
        (args.results_dir / f"{case.name}.json").write_text(
            json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        failed += bool(result["errors"])
        steady = result.get("steady_day") or {}
        bare = _fmt(_ok_seconds(result.get("bare_reference")), 2)
        print(f"  {case.name}: steady day {_fmt(steady.get('seconds'))} s "
              f"(peak {_fmt(steady.get('max_rss_mb'), 0)} MB), bare {bare}"
              f" s, Rasad ÷ bare {_fmt(result.get('steady_over_bare'))}, case {result['case_seconds']} s"
              + (f"; errors: {[e['stage'] for e in result['errors']]}" if result["errors"] else ""), flush=True)
    results = load_results(args.results_dir)
    for c in comparisons(results):
        print(f"{c['what']} ({c['store']}, {c['size']}): {_fmt(c['ratio'], 2)}"
              + (f" (target ≤ {c['target']})" if c.get("target") else ""))
    update_readme(args.readme, render_table(results))
    print(f"results in {args.results_dir}, table in {args.readme}"
          + (f"; {failed} case(s) had errors" if failed else ""))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "pipeline-day":
        pipeline_day(sys.argv[2:])
    else:
        sys.exit(main())
