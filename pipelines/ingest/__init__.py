"""Extraction of a day: read, validate with Great Expectations, stage every version, quarantine with a reason."""
