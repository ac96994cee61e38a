"""`make audit`: the lock audited against a vulnerability database, online or stored offline; where none is
reached it says so loudly and exits 2, never 0."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from pipelines.orchestration.dependency_audit import EXIT_CLEAN, EXIT_UNAUDITED, EXIT_VULNERABLE, affected_by, main
from tests.conftest import REPO

CANARY_RECORD = {
    "id": "PYSEC-2018-28", "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
    "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]}],
}
JINJA_RECORD = {
    "id": "GHSA-h5c8-rqwp-cp95", "aliases": ["CVE-2024-22195"],
    "affected": [{"package": {"ecosystem": "PyPI", "name": "Jinja2"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.3"}]}]}],
}


def _database(tmp_path: Path, *records: dict) -> Path:
    db = tmp_path / "osv"
    db.mkdir()
    for record in records:
        (db / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return db


def _lock(tmp_path: Path, *pins: str) -> Path:
    lock = tmp_path / "requirements.lock"
    lock.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return lock


def test_osv_ranges_and_versions():
    assert affected_by(CANARY_RECORD, "requests", "2.19.0")
    assert not affected_by(CANARY_RECORD, "requests", "2.20.0")
    events = [{"introduced": "1.0"}, {"last_affected": "1.2"}]
    last = {"affected": [{"package": {"ecosystem": "PyPI", "name": "x_y"}, "versions": ["0.9"],
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}
    assert affected_by(last, "X-Y", "1.2") and affected_by(last, "x.y", "0.9")
    assert not affected_by(last, "x-y", "1.2.1") and not affected_by(last, "x-y", "0.8")


def test_an_offline_osv_database_finds_a_locked_vulnerability(tmp_path, capsys):
    db = _database(tmp_path, CANARY_RECORD, JINJA_RECORD)
    lock = _lock(tmp_path, "Jinja2==3.1.2", "requests==2.32.3")
    assert main(["--lock", str(lock), "--no-online", "--offline-db", str(db)]) == EXIT_VULNERABLE
    out = capsys.readouterr().out
    assert "Jinja2==3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in out
    assert "requests" not in out.split("known vulnerabilities")[1]
    clean = _lock(tmp_path / "..", "jinja2==3.1.6", "requests==2.32.3")
    assert main(["--lock", str(clean), "--no-online", "--offline-db", str(db)]) == EXIT_CLEAN
    assert "2 pins" in capsys.readouterr().out


def test_the_zip_that_osv_publishes_is_read_as_it_is(tmp_path):
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in (CANARY_RECORD, JINJA_RECORD):
            zf.writestr(f"{record['id']}.json", json.dumps(record))
    lock = _lock(tmp_path, "jinja2==3.0.0")
    assert main(["--lock", str(lock), "--no-online", "--offline-db", str(archive)]) == EXIT_VULNERABLE


def test_a_database_that_does_not_know_the_canary_does_not_count(tmp_path, capsys):
    """An empty or partial dump would pass everything: it is reported as no audit at all."""
    db = _database(tmp_path, JINJA_RECORD)
    lock = _lock(tmp_path, "jinja2==3.1.6")
    assert main(["--lock", str(lock), "--no-online", "--offline-db", str(db)]) == EXIT_UNAUDITED
    err = capsys.readouterr().err
    assert "WARNING" in err and "NOT audited" in err and "canary" in err


def test_no_database_at_all_is_loud(tmp_path, capsys):
    lock = _lock(tmp_path, "jinja2==3.1.6")
    assert main(["--lock", str(lock), "--no-online", "--offline-db", str(tmp_path / "missing")]) == EXIT_UNAUDITED
    assert "NOT audited" in capsys.readouterr().err


@pytest.mark.e2e
def test_the_lock_is_audited_or_it_says_loudly_that_it_was_not(capsys):
    """pip-audit over the real lock through PyPI's service: where that service is unreachable (or a mirror
    answers without vulnerability data, as here), pip-audit itself skips every package and exits 0; the audit
    must exit 2 with the warning instead."""
    status = main(["--lock", str(REPO / "requirements.lock"), "--service", "pypi"])
    captured = capsys.readouterr()
    if status == EXIT_UNAUDITED:
        assert "WARNING" in captured.err and "NOT audited" in captured.err
        assert "pip-audit -s pypi: not usable" in captured.out
    else:
        assert status in (EXIT_CLEAN, EXIT_VULNERABLE)
        assert "pip-audit -s pypi: audited" in captured.out
