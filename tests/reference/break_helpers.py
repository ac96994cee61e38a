"""Edits that break one rule of the seed in a reference CSV frame (a file's rows as text)."""

from __future__ import annotations

import pandas as pd


def _first(frame, mask):
    return frame.index[mask][0]


def _move_system_join_before_social(f):
    """A member joins Ombazar before any social cooperation kanoon."""
    i = _first(f, f["system"] == "ombazar")
    f.loc[i, "valid_from"] = "2000-01-01"
    return f


def _second_suppliers_kanoon(f):
    """A province gets a second suppliers kanoon for a domain it already has one for."""
    dup = f[f["entrepreneurship_type"] == "supplier"].head(1).copy()
    dup["kanoon_id"] = dup["kanoon_id"] + "-bis"
    return pd.concat([f, dup], ignore_index=True)


def _big_core(f):
    f.loc[_first(f, f["kind"] == "work_and_life_core"), "headcount"] = "22"
    return f


def _supplier_in_a_core_kanoon(f):
    core_kanoon = f.loc[_first(f, f["kind"] == "work_and_life_core"), "kanoon_id"]
    f.loc[_first(f, f["kind"] == "supplier"), "kanoon_id"] = core_kanoon
    return f


def _exclusive_in_a_county(f):
    i = _first(f, f["kind"] == "exclusive")
    same_province = f["province_id"] == f.loc[i, "province_id"]
    county = f.loc[(f["kind"] == "social") & f["region_id"].str.startswith("c-") & same_province, "region_id"]
    f.loc[i, "region_id"] = county.iloc[0]
    return f


def _officer_without_fardap(f):
    f.loc[0, "fardap_coordinated"] = "false"
    return f


def _close_social_team(region_of):
    def change(f):
        f.loc[f["team_id"] == f"soc-{region_of(f)}", "valid_to"] = "2026-11-01"
        return f
    return change




def _set(column, value, where=None):
    """Set `column` on the first row (file line 2), or on the first row where `where(frame)` holds."""
    def change(f):
        f.loc[f.index[0] if where is None else _first(f, where(f)), column] = value
        return f
    return change
