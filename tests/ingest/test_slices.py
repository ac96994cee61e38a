"""A long extraction window is read a day at a time, so an initial load's memory follows a day, not the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipelines.ingest.extraction import _slices

pytestmark = pytest.mark.unit
END = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)


class _Source:
    def __init__(self, first):
        self.first = first

    def first_change(self, entity):
        return self.first


def _contiguous(slices, since, before):
    assert slices[0][0] == since and slices[-1][1] == before
    assert all(a[1] == b[0] for a, b in zip(slices, slices[1:], strict=False))


def test_a_day_window_is_one_piece_and_the_catalogue_is_never_cut():
    since = END - timedelta(days=1)
    assert _slices(_Source(None), "deliveries", since, END) == [(since, END)]
    assert _slices(_Source(None), "offers", END - timedelta(days=30), END) == [(END - timedelta(days=30), END)]


def test_days_missed_are_read_a_day_at_a_time():
    since = END - timedelta(days=5)
    slices = _slices(_Source(None), "orders", since, END)
    _contiguous(slices, since, END)
    assert len(slices) == 5 and all(b - a <= timedelta(days=1) for a, b in slices)


def test_an_initial_load_starts_where_the_source_history_begins_and_misses_nothing_before():
    first = END - timedelta(days=10, hours=3)
    slices = _slices(_Source(first), "deliveries", None, END)
    _contiguous(slices, None, END)  # the first slice is open below: rows older than the first readable one
    assert slices[0][1] <= first + timedelta(hours=1)
    assert len(slices) == 12
    # a source that cannot say where it begins (the HTTP API) is read in one piece
    assert _slices(object(), "deliveries", None, END) == [(None, END)]


class _CountingSource(_Source):
    def __init__(self, first, last, rows):
        super().__init__(first)
        self.last, self.rows = last, rows

    def last_change(self, entity):
        return self.last

    def count_changed(self, entity, since, before):
        return self.rows


def test_the_days_after_the_source_history_ends_are_one_slice():
    # an old source (a public dataset) monitored today: its last change is years ago
    first, last = END - timedelta(days=3000), END - timedelta(days=2990, hours=5)
    slices = _slices(_CountingSource(first, last, rows=10**9), "orders", None, END)
    _contiguous(slices, None, END)
    assert slices[-2][1] <= last + timedelta(days=1) and len(slices) <= 13


def test_a_sparse_history_is_read_several_days_a_slice():
    first = END - timedelta(days=100)
    dense = _slices(_CountingSource(first, END, rows=100 * 50_000), "orders", None, END)
    sparse = _slices(_CountingSource(first, END, rows=15_000), "orders", None, END)
    _contiguous(sparse, None, END)
    assert len(dense) >= 100 and len(sparse) == 1
