"""Audit the locked dependencies for known vulnerabilities (`make audit`; docs/operations.md).

`pip-audit` checks every pin of `requirements.lock` against an online vulnerability service (PyPI's, then
OSV's). A service that cannot be reached, or a mirror that answers without vulnerability data, makes pip-audit
skip every package and still exit 0, so its exit code alone proves nothing. Here an audit counts only if

- every pin was audited (none skipped), and
- the same database reports a canary: a release with a long-known advisory (requests 2.19.0, CVE-2018-18074).
  A database that does not know it is empty or not a vulnerability database at all.

Where no online service passes, the OSV database stored offline (`RASAD_AUDIT_OFFLINE_DB_DIR`: a directory of
OSV JSON records, or the `PyPI/all.zip` that osv.dev publishes) is used instead, with the same canary.

Exit status: 0 audited, nothing known; 1 audited, vulnerabilities found; 2 NOT audited (no database reached),
with a WARNING banner on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

CANARY = ("requests", "2.19.0")
CANARY_IDS = frozenset({"CVE-2018-18074", "GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"})
ONLINE_SERVICES = ("pypi", "osv")
EXIT_CLEAN, EXIT_VULNERABLE, EXIT_UNAUDITED = 0, 1, 2


@dataclass
class AuditOutcome:
    """What one database said about the pins."""

    source: str
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    vulnerable: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, version, id, fixed in
    canary_known: bool = False
    error: str | None = None

    @property
    def complete(self) -> bool:
        """An audit that counts: nothing skipped, the canary known, no error."""
        return self.error is None and not self.skipped and self.audited > 0 and self.canary_known


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> list[tuple[str, str]]:
    """The `name==version` pins of a lock file (comments, blanks and options left out)."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"{path}: not a pin: {line!r}")
        pins.append((name.split("[", 1)[0].strip(), version.split(";", 1)[0].strip()))
    return pins


# ---------------------------------------------------------------- online, through pip-audit


def _pip_audit(requirements: Path, service: str, timeout: float) -> dict:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    command = [str(pip_audit) if pip_audit.exists() else "pip-audit", "-r", str(requirements), "--no-deps",
               "--disable-pip", "-s", service, "-f", "json", "--progress-spinner", "off", "--timeout", "20"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"pip-audit -s {service} failed (exit {result.returncode}): {tail}") from None


def _outcome_of(report: dict, source: str) -> AuditOutcome:
    outcome = AuditOutcome(source)
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            outcome.skipped.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        outcome.audited += 1
        for vuln in dep.get("vulns", []):
            outcome.vulnerable.append((dep["name"], dep.get("version", "?"), vuln["id"],
                                       ", ".join(vuln.get("fix_versions", [])) or "no fix"))
    return outcome


def audit_online(lock: Path, service: str, timeout: float = 600.0) -> AuditOutcome:
    """The lock through pip-audit's `service`, and the canary through the same service."""
    try:
        outcome = _outcome_of(_pip_audit(lock, service, timeout), f"pip-audit -s {service}")
        with tempfile.TemporaryDirectory() as tmp:
            canary = Path(tmp) / "canary.txt"
            canary.write_text("{}=={}\n".format(*CANARY), encoding="utf-8")
            seen = _outcome_of(_pip_audit(canary, service, timeout), service)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
        return AuditOutcome(f"pip-audit -s {service}", error=str(err))
    ids = {vid for _, _, vid, _ in seen.vulnerable}
    outcome.canary_known = bool(ids & CANARY_IDS) or bool(seen.vulnerable)
    return outcome


# ---------------------------------------------------------------- offline, an OSV database on disk


def _osv_records(location: Path) -> Iterator[dict]:
    """Every OSV record of a directory of JSON files (searched recursively) or of a zip of them."""
    if location.is_file() and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            for name in archive.namelist():
                if name.endswith(".json"):
                    yield json.loads(archive.read(name))
        return
    for path in sorted(location.rglob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict]) -> bool:
    """Whether an OSV ECOSYSTEM range's events put `version` inside it."""
    affected = False
    points = []
    for event in events:
        for kind, value in event.items():
            bound = Version("0") if value == "0" else _version(str(value))
            if bound is not None:
                points.append((bound, kind))
    # introduced before fixed at the same version: the fix wins
    for bound, kind in sorted(points, key=lambda p: (p[0], p[1] != "introduced")):
        if kind == "introduced" and version >= bound:
            affected = True
        elif kind == "fixed" and version >= bound:
            affected = False
        elif kind == "last_affected" and version > bound:
            affected = False
    return affected


def affected_by(record: dict, name: str, version: str) -> bool:
    """Whether the OSV `record` says PyPI package `name` at `version` is affected."""
    wanted = _version(version)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or normalise(package.get("name", "")) != normalise(name):
            continue
        if version in affected.get("versions", []):
            return True
        for span in affected.get("ranges", []):
            if span.get("type") == "ECOSYSTEM" and wanted is not None and _in_range(wanted, span.get("events", [])):
                return True
    return False


def _fixed_in(record: dict) -> str:
    fixed = [str(e["fixed"]) for a in record.get("affected", []) for r in a.get("ranges", [])
             for e in r.get("events", []) if "fixed" in e]
    return ", ".join(sorted(set(fixed))) or "no fix"


def audit_offline(pins: Iterable[tuple[str, str]], database: Path) -> AuditOutcome:
    """The pins against an OSV database stored offline."""
    outcome = AuditOutcome(f"offline OSV database {database}")
    if not database.exists():
        outcome.error = f"{database} does not exist"
        return outcome
    pins = list(pins)
    by_name: dict[str, list[tuple[str, str]]] = {}
    for name, version in pins:
        by_name.setdefault(normalise(name), []).append((name, version))
    records = 0
    for record in _osv_records(database):
        records += 1
        names = {normalise(a.get("package", {}).get("name", "")) for a in record.get("affected", [])}
        ids = {record.get("id", "?"), *record.get("aliases", [])}
        if normalise(CANARY[0]) in names and ids & CANARY_IDS and affected_by(record, *CANARY):
            outcome.canary_known = True
        for key in names & by_name.keys():
            for name, version in by_name[key]:
                if affected_by(record, name, version):
                    outcome.vulnerable.append((name, version, record.get("id", "?"), _fixed_in(record)))
    if records == 0:
        outcome.error = f"{database} holds no OSV records"
    outcome.audited = len(pins)
    return outcome


# ---------------------------------------------------------------- the command


def _banner(lines: list[str]) -> str:
    import textwrap

    lines = [part for line in lines for part in textwrap.wrap(line, 116, subsequent_indent="    ")]
    width = max(len(line) for line in lines) + 4
    rule = "!" * width
    return "\n".join([rule, *(f"! {line.ljust(width - 4)} !" for line in lines), rule])


def run_audit(lock: Path, services: Iterable[str], offline: Path | None) -> tuple[int, list[AuditOutcome]]:
    """Try each online service, then the offline database; the exit status and what each said."""
    tried: list[AuditOutcome] = []
    for service in services:
        outcome = audit_online(lock, service)
        tried.append(outcome)
        if outcome.complete:
            return (EXIT_VULNERABLE if outcome.vulnerable else EXIT_CLEAN), tried
    if offline is not None:
        outcome = audit_offline(read_lock(lock), offline)
        tried.append(outcome)
        if outcome.complete:
            return (EXIT_VULNERABLE if outcome.vulnerable else EXIT_CLEAN), tried
    return EXIT_UNAUDITED, tried


def _why_not(outcome: AuditOutcome) -> str:
    if outcome.error:
        return outcome.error
    if outcome.skipped:
        return f"{len(outcome.skipped)} of {len(outcome.skipped) + outcome.audited} pins skipped " \
               f"(e.g. {outcome.skipped[0]})"
    return "the database does not know the canary {}=={}: it holds no vulnerability data".format(*CANARY)


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m pipelines.orchestration.dependency_audit",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--service", action="append", choices=ONLINE_SERVICES,
                        help="online service(s) to try, in order (default: pypi, then osv)")
    parser.add_argument("--offline-db", type=Path, default=None,
                        help="an OSV database on disk (default: RASAD_AUDIT_OFFLINE_DB_DIR)")
    parser.add_argument("--no-online", action="store_true", help="use only the offline database")
    args = parser.parse_args(argv)
    offline = args.offline_db or get_settings().audit_offline_db_dir
    services = [] if args.no_online else (args.service or list(ONLINE_SERVICES))
    status, tried = run_audit(args.lock, services, offline)
    for outcome in tried:
        verdict = "audited" if outcome.complete else f"not usable: {_why_not(outcome)}"
        print(f"{outcome.source}: {verdict}")
    if status == EXIT_UNAUDITED:
        lines = [f"WARNING: {args.lock} was NOT audited for vulnerabilities: no database could be reached.",
                 *(f"  {o.source}: {_why_not(o)}" for o in tried),
                 "Set RASAD_AUDIT_OFFLINE_DB_DIR to an OSV database stored offline (docs/operations.md)."]
        if offline is None:
            lines.append("RASAD_AUDIT_OFFLINE_DB_DIR is not set.")
        print(_banner(lines), file=sys.stderr)
        return status
    used = tried[-1]
    if used.vulnerable:
        print(f"{len(used.vulnerable)} known vulnerabilities in {args.lock} ({used.source}):")
        for name, version, vid, fixed in sorted(used.vulnerable):
            print(f"  {name}=={version}: {vid} (fixed in {fixed})")
    else:
        print(f"{used.audited} pins of {args.lock} audited ({used.source}): no known vulnerabilities")
    return status


if __name__ == "__main__":
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    sys.exit(main())
