"""Great Expectations Data Docs of every extraction run: one Checkpoint run, pages an engineer can open.

The suites run batch by batch through the fast path of `validation.py` (parts of a suite on parts of a frame,
failing rows fetched only for what failed). Re-running them whole through `Checkpoint.run` would validate every
row twice, so the results are gathered while the run validates (`collecting`), summed per entity over its
batches, and handed once per run to the Checkpoint `rasad_extraction` of a file data context under
`<var_dir>/gx/`: its validation results are stored there and its `UpdateDataDocsAction` builds the Data Docs
(`<var_dir>/gx/uncommitted/data_docs/local_site/index.html`, docs/operations.md).

The Checkpoint, its validation definitions (one per entity: the entity's suite on a whole-dataframe batch) and
the suites are kept in the context, so an engineer can also run it by hand on a frame:
`context.checkpoints.get("rasad_extraction").run(batch_parameters={"dataframe": frame})`.
"""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "rasad_extraction"
DATASOURCE_NAME = "rasad_batches"
SITE_NAME = "local_site"


def gx_root(var_dir: Path) -> Path:
    """The file data context's directory."""
    return var_dir / "gx"


def data_docs_index(var_dir: Path) -> Path:
    """The Data Docs page an engineer opens."""
    return gx_root(var_dir) / "uncommitted" / "data_docs" / SITE_NAME / "index.html"


@dataclass
class _EntityResults:
    suite_name: str
    rows: int = 0
    batches: int = 0
    # per expectation (its key): the configuration, whether every batch passed, and the rows that failed it
    configs: dict[str, Any] = field(default_factory=dict)
    success: dict[str, bool] = field(default_factory=dict)
    unexpected: dict[str, int] = field(default_factory=dict)


@dataclass
class ValidationRun:
    """What one extraction run validated, per entity, summed over its batches."""

    entities: dict[str, _EntityResults] = field(default_factory=dict)

    def note(self, entity: str, suite_name: str, results: list[Any], rows: int, key_of) -> None:
        found = self.entities.setdefault(entity, _EntityResults(suite_name))
        found.rows += rows
        found.batches += 1
        for result in results:
            key = key_of(result.expectation_config)
            found.configs.setdefault(key, result.expectation_config)
            found.success[key] = found.success.get(key, True) and bool(result.success)
            count = (result.result or {}).get("unexpected_count") or 0
            found.unexpected[key] = found.unexpected.get(key, 0) + int(count)


_CURRENT: contextvars.ContextVar[ValidationRun | None] = contextvars.ContextVar("rasad_validation_run", default=None)


@contextmanager
def collecting() -> Iterator[ValidationRun]:
    """Gather the results of every batch validated inside the block (in this thread of execution)."""
    run = ValidationRun()
    token = _CURRENT.set(run)
    try:
        yield run
    finally:
        _CURRENT.reset(token)


def note(entity: str, suite_name: str, results: list[Any], rows: int, key_of) -> None:
    """Called by `validate_batch` for every batch: kept only while a run is `collecting`."""
    run = _CURRENT.get()
    if run is not None:
        run.note(entity, suite_name, results, rows, key_of)


def _suite_result(entity: _EntityResults, run_identifier: Any, day: date, run_id: str) -> Any:
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

    results = []
    for key, config in entity.configs.items():
        unexpected = entity.unexpected.get(key, 0)
        results.append(ExpectationValidationResult(
            success=entity.success[key],
            expectation_config=config,
            result={"element_count": entity.rows, "unexpected_count": unexpected,
                    "unexpected_percent": 100.0 * unexpected / entity.rows if entity.rows else 0.0},
        ))
    passed = sum(1 for r in results if r.success)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=entity.suite_name,
        statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                    "unsuccessful_expectations": len(results) - passed,
                    "success_percent": 100.0 * passed / len(results) if results else 100.0},
        meta={"run_id": run_identifier, "validation_time": run_identifier.run_time,
              "rasad": {"day": day.isoformat(), "run_id": run_id, "rows": entity.rows, "batches": entity.batches}},
    )


def _checkpoint(context: Any, entities: dict[str, _EntityResults], suites: dict[str, Any]) -> Any:
    """The Checkpoint `rasad_extraction` over every entity validated so far, added or updated."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    source = context.data_sources.add_or_update_pandas(DATASOURCE_NAME)
    definitions = []
    for entity in sorted(entities):
        stored = gx.ExpectationSuite(name=entities[entity].suite_name,
                                     expectations=[e.configuration for e in suites[entity].expectations])
        suite = context.suites.add_or_update(stored)
        try:
            asset = source.get_asset(entity)
        except LookupError:
            asset = source.add_dataframe_asset(name=entity)
        try:
            batch = asset.get_batch_definition("whole_batch")
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe("whole_batch")
        definitions.append(context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{entity}_whole_batch", data=batch, suite=suite)))
    known = {d.name for d in definitions}
    try:  # keep the entities earlier runs validated (a run may read only some of them)
        for earlier in context.checkpoints.get(CHECKPOINT_NAME).validation_definitions:
            if earlier.name not in known:
                definitions.append(earlier)
    except Exception:  # noqa: BLE001 - no checkpoint yet (GX raises its own not-found types)
        pass
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=CHECKPOINT_NAME, validation_definitions=definitions,
        actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[SITE_NAME])]))


def _limit_index(context: Any, runs_listed: int) -> None:
    """The index lists the newest `runs_listed` validation results, so its build does not grow with history."""
    sites = dict(context.config.data_docs_sites or {})
    site = dict(sites.get(SITE_NAME) or {})
    builder = dict(site.get("site_index_builder") or {"class_name": "DefaultSiteIndexBuilder"})
    if site and builder.get("validation_results_limit") != runs_listed:
        builder["validation_results_limit"] = runs_listed
        site["site_index_builder"] = builder
        context.update_data_docs_site(SITE_NAME, site)


def publish(var_dir: Path, run: ValidationRun, day: date, run_id: str, suites: dict[str, Any],
            runs_listed: int = 400) -> Path | None:
    """Store the run's results as one run of the Checkpoint and let its action build the Data Docs.

    `suites` maps each entity to its expectation suite; the index lists the newest `runs_listed` results.
    Returns the Data Docs index, or None when nothing was validated.
    """
    if not run.entities:
        return None
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    context = gx.get_context(mode="file", project_root_dir=str(var_dir))  # it keeps itself in var_dir/gx
    _limit_index(context, runs_listed)
    checkpoint = _checkpoint(context, run.entities, suites)
    run_identifier = RunIdentifier(run_name=f"{day.isoformat()}_{run_id}", run_time=datetime.now(UTC))
    by_suite = {d.suite.name: d for d in checkpoint.validation_definitions}
    results = {}
    for name, entity in sorted(run.entities.items()):
        result = _suite_result(entity, run_identifier, day, run_id)
        definition = by_suite[entity.suite_name]
        result.meta.update(checkpoint_id=checkpoint.id, validation_id=definition.id)
        key = checkpoint._build_result_key(validation_definition=definition, run_id=run_identifier,
                                           batch_identifier=f"{name}-{day.isoformat()}")
        context.validation_results_store.store_validation_results(
            suite_validation_result=result, suite_validation_result_identifier=key,
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=entity.suite_name))
        results[key] = result
    # what Checkpoint.run does after validating: the result, then the actions (UpdateDataDocsAction)
    checkpoint._run_actions(checkpoint_result=checkpoint._construct_result(run_id=run_identifier, run_results=results))
    return data_docs_index(var_dir)
