"""Findings: episodes of observations, verdicts with their history, short codes, `rasad finding`."""
