"""Fixtures for the report tests."""

from __future__ import annotations

import pytest

from pipelines.reports.sample import sample_province_report


@pytest.fixture
def sample_report():
    return sample_province_report()
