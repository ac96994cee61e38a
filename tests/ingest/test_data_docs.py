"""Every extraction run is a run of the GX Checkpoint `rasad_extraction`, and leaves Data Docs to open."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pipelines.ingest.data_docs import CHECKPOINT_NAME, data_docs_index, gx_root
from pipelines.orchestration import tables as run_tables
from pipelines.simulator import SimScale
from pipelines.store.engine import store_engine
from tests.pipeline_helpers import days_before_end, simulate_and_run

pytestmark = pytest.mark.db
TINY = SimScale(sellers_per_province=1, offers_per_seller=2, orders_per_day=60, members=100)


def test_a_run_leaves_data_docs_that_list_its_validation(settings_for):
    settings = settings_for()
    day = days_before_end(1)[0]
    simulate_and_run(settings, day, TINY)

    index = data_docs_index(settings.var_dir)
    assert index.exists()
    html = index.read_text(encoding="utf-8")
    for suite in ("ombazar_offers", "ombazar_orders", "ombazar_deliveries"):
        assert suite in html, suite
    assert day.isoformat() in html  # the run is named by its Tehran day and run id
    with store_engine(settings).connect() as conn:
        detail = conn.execute(select(run_tables.run_log.c.detail).where(run_tables.run_log.c.step == "extract")
                              ).scalar_one()
    assert json.loads(detail)["data_docs"] == str(index)

    # the results are stored as a run of the Checkpoint, one per entity, with the rows each validated
    checkpoint = json.loads((gx_root(settings.var_dir) / "checkpoints" / f"{CHECKPOINT_NAME}.json").read_text())
    assert checkpoint["actions"][0]["type"] == "update_data_docs"
    stored = list((gx_root(settings.var_dir) / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) >= 3
    offers = json.loads(next(p for p in stored if "ombazar_offers" in str(p)).read_text())
    assert offers["meta"]["checkpoint_id"] and offers["meta"]["rasad"]["day"] == day.isoformat()
    assert offers["statistics"]["evaluated_expectations"] == len(offers["results"]) > 0
    rows = offers["meta"]["rasad"]["rows"]
    assert rows > 0 and all(r["result"]["element_count"] == rows for r in offers["results"])
    # each validation result has its own page
    pages = list((index.parent / "validations").rglob("*.html"))
    assert len(pages) >= 3
