"""The committed suites in expectations/ are the ones the contract generates, and GX loads them whole."""

from __future__ import annotations

import json

import pytest

from pipelines.ingest.validation import EXPECTATIONS_DIR, _runtime, write_default_suites
from pipelines.source.contract import CONTRACT

pytestmark = pytest.mark.unit


def test_committed_suites_match_the_contract(tmp_path):
    for path in write_default_suites(tmp_path):
        committed = EXPECTATIONS_DIR / path.name
        assert committed.exists(), (
            f"{committed} is missing: run python -m pipelines.ingest.validation --write-suites"
        )
        assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(
            path.read_text(encoding="utf-8")
        ), (
            f"{committed} is out of date with pipelines/source/contract.py: "
            "run python -m pipelines.ingest.validation --write-suites"
        )


@pytest.mark.parametrize("entity", list(CONTRACT))
def test_suites_load_completely_from_their_files(entity):
    contract = CONTRACT[entity]
    suite = _runtime().suite(contract)
    stored = json.loads((EXPECTATIONS_DIR / f"{contract.suite_name}.json").read_text(encoding="utf-8"))
    assert suite.name == contract.suite_name
    assert len(suite.expectations) == len(stored["expectations"])
    assert {e.expectation_type for e in suite.expectations} >= {
        "expect_column_values_to_not_be_null",
        "expect_compound_columns_to_be_unique",
    }
