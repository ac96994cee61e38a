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


@pytest.mark.parametrize("entity", list(CONTRACT))
def test_the_suite_runs_in_parts_in_the_order_gx_runs_it_whole(entity):
    """validate_batch runs a suite in parts that read no column in common and puts the results back in
    the order GX gives a whole suite (which orders names and reasons in the quarantine): hold both."""
    import pandas as pd
    from great_expectations.validator.v1_validator import Validator

    from pipelines.ingest.validation import (
        TIMESTAMP_DTYPE,
        _evaluation_order,
        _expectation_key,
        _prepare,
        suite_parameters,
    )

    contract = CONTRACT[entity]
    runtime = _runtime()
    suite, plan = runtime.suite(contract), runtime.plan(contract)
    frame = _prepare(contract, pd.DataFrame({c: ["x"] for c in contract.columns}, dtype=object))[0]
    for related in contract.related:
        frame[related.column] = pd.Series(pd.NaT, index=frame.index, dtype=TIMESTAMP_DTYPE)
    whole = Validator(
        batch_definition=runtime.batch_definition(contract),
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "BOOLEAN_ONLY"},
    ).validate_expectation_suite(suite, expectation_parameters=suite_parameters(pd.Timestamp.now("UTC")))
    assert not any(r.exception_info.get("raised_exception") for r in whole.results)
    gx_order = [_expectation_key(r.expectation_config) for r in whole.results]
    assert gx_order == [_expectation_key(e.configuration) for e in _evaluation_order(suite.expectations)]
    assert sorted(gx_order, key=plan.rank.__getitem__) == gx_order
    # the parts hold every expectation once, and no column is read by two parts
    parts = [(set(columns), part) for columns, part in plan.groups]
    assert sum(len(part.expectations) for _, part in parts) == len(suite.expectations)
    assert sum(len(columns) for columns, _ in parts) == len(set().union(*(columns for columns, _ in parts)))
