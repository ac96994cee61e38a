"""Local dashboard users: scrypt hashes, who may be added, login, and `rasad user ...`."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from pipelines.cli import main
from pipelines.dashboard.tables import dashboard_user
from pipelines.dashboard.users import UserError, add_user, authenticate, hash_password, verify_password
from pipelines.store.engine import store_engine


@pytest.mark.unit
def test_password_hashes_are_salted_scrypt():
    first, second = hash_password("a good password"), hash_password("a good password")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password("a good password", first) and verify_password("a good password", second)
    assert not verify_password("a good passwore", first)
    assert not verify_password("anything", None) and not verify_password("anything", "md5$x")


@pytest.mark.db
def test_users_are_checked_against_the_organisation(dash_settings, dash_store):
    engine = store_engine(dash_settings)
    with engine.begin() as conn:
        with pytest.raises(UserError, match="needs --province"):
            add_user(conn, "o2", "monitoring_officer", password="long enough")
        with pytest.raises(UserError, match="no province"):
            add_user(conn, "o2", "monitoring_officer", password="long enough", province_id="99")
        with pytest.raises(UserError, match="no rahyari team"):
            add_user(conn, "r2", "rahyar", password="long enough", team_id="no-team")
        with pytest.raises(UserError, match="at least 8"):
            add_user(conn, "c2", "fardap_coordinator", password="short")
        with pytest.raises(UserError, match="exists already"):
            add_user(conn, "fardap", "fardap_coordinator", password="long enough")
        add_user(conn, "oidc_only", "fardap_coordinator", password=None, email="Sara@Fardap.example")
        assert authenticate(conn, "oidc_only", "") is None  # no local password: no local login
        assert authenticate(conn, "officer_a", "officer-a-pass")["province_id"] == dash_store.province_a
        assert authenticate(conn, "officer_a", "wrong") is None
        assert authenticate(conn, "nobody", "officer-a-pass") is None
        email = conn.execute(select(dashboard_user.c.email).where(dashboard_user.c.user_name == "oidc_only"))
        assert email.scalar_one() == "sara@fardap.example"
    engine.dispose()


@pytest.mark.db
def test_rasad_user_add_and_list(dash_settings, dash_store, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("the-new-password\n"))
    assert main(["user", "add", "officer_b2", "--role", "monitoring_officer", "--province", dash_store.province_b,
                 "--display-name", "مریم احمدی"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["user", "add", "bad", "--role", "monitoring_officer", "--province", "99"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert main(["user", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"officer_b2\tmonitoring_officer\t{dash_store.province_b}" in listed
    engine = store_engine(dash_settings)
    with engine.connect() as conn:
        assert authenticate(conn, "officer_b2", "the-new-password")["display_name"] == "مریم احمدی"
    engine.dispose()
    assert main(["user", "disable", "officer_b2"]) == 0
    with store_engine(dash_settings).connect() as conn:
        assert authenticate(conn, "officer_b2", "the-new-password") is None


@pytest.mark.db
def test_demo_users_once(dash_settings, dash_store):
    from pipelines.dashboard.users import DEMO_PASSWORD, add_demo_users

    engine = store_engine(dash_settings)
    with engine.begin() as conn:
        added = add_demo_users(conn)
        # "fardap" is taken already in this store, so it is left alone; the busiest province's officer is added
        assert [name for name, _ in added][0] == f"officer-{dash_store.province_a}"
        assert add_demo_users(conn) == []  # a second demo adds nobody
        officer = authenticate(conn, f"officer-{dash_store.province_a}", DEMO_PASSWORD)
        assert officer["role"] == "monitoring_officer" and officer["province_id"] == dash_store.province_a
    engine.dispose()
