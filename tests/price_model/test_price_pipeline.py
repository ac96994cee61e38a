"""The price checks in the daily pipeline on a simulated Ombazar: the rules find what was injected, the
model is used when there is one and skipped (rules only) when there is none, the weekly training works."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

from pipelines.findings import tables as findings_tables
from pipelines.price_model import model as pm
from pipelines.store.engine import store_engine
from tests.pipeline_helpers import days_before_end, simulate_and_run, truth

pytestmark = pytest.mark.db
DAYS = days_before_end(3)


def observations(settings, day) -> pd.DataFrame:
    with store_engine(settings).connect() as conn:
        t = findings_tables.finding_observation
        rows = conn.execute(select(t).where(t.c.day == day)).mappings().all()
    return pd.DataFrame(rows)


def test_price_rules_and_model_in_the_daily_run(settings_for, tmp_path):
    settings = settings_for(price_model_enabled="true", price_model_dir=tmp_path / "models",
                            price_model_holdout_days=1)
    for day in DAYS[:2]:
        simulate_and_run(settings, day)  # no model yet: rules only, and no failure
    obs = observations(settings, DAYS[1])
    price = obs[obs["rule"].str.startswith("price_")]
    assert "price_model_outlier" not in set(price["rule"])
    # what was injected and still shows at the end of the day is found by the rules
    t = truth(settings, "abnormal_price")
    t = t[t["day"] <= str(DAYS[1])]
    live = t[t["detail"].map(lambda d: json.loads(d)["corrected_at"] is None or
                             json.loads(d)["corrected_at"] > f"{DAYS[1]}T21")]
    found = set(price.loc[price["rule"] == "price_peer_band", "entity_id"])
    # (a tiny world: a few sub-branches have too few offers for a band even at the field level)
    assert len(live) >= 5 and len(set(live["entity_id"]) & found) / len(live) >= 0.7
    assert {"price_peer_band", "price_nesieh_markup"} <= set(price["rule"])

    outcome = pm.train_weekly(settings, DAYS[1])
    assert outcome["promoted"] and outcome["train_window"][1] == DAYS[0].isoformat()
    simulate_and_run(settings, DAYS[2])
    evidence = observations(settings, DAYS[2]).query("rule.str.startswith('price_')")["evidence"].map(json.loads)
    assert len(evidence) and all("price_score" in e for e in evidence)
