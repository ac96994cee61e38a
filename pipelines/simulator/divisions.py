"""Iran's provinces and counties, read from the CSVs copied into `pipelines/reference/data/iran_divisions`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

_ZWNJ = "\u200c"


def _data(name: str):
    return resources.files("pipelines.reference").joinpath("data", "iran_divisions", name)


def _squash(name: str) -> str:
    return name.replace(" ", "").replace(_ZWNJ, "")


# Capitals that are a city of a differently named county.
_CAPITAL_COUNTY = {"یاسوج": "بویراحمد"}


@dataclass(frozen=True)
class Divisions:
    provinces: pd.DataFrame  # province_id, name_fa, amar_code, capital_name_fa, capital_county_id
    counties: pd.DataFrame  # county_id, province_id, name_fa, amar_code


@cache
def load_divisions() -> Divisions:
    with _data("ostan.csv").open(encoding="utf-8") as f:
        ostan = pd.read_csv(f, dtype=str, keep_default_na=False)
    with _data("shahrestan.csv").open(encoding="utf-8") as f:
        shahrestan = pd.read_csv(f, dtype=str, keep_default_na=False)
    with _data("province-capitals.csv").open(encoding="utf-8") as f:
        capitals = pd.read_csv(f, dtype=str, keep_default_na=False)

    counties = pd.DataFrame(
        {
            "county_id": shahrestan["id"],
            "province_id": shahrestan["ostan"],
            "name_fa": shahrestan["name"],
            "amar_code": shahrestan["amar_code"],
        }
    )
    cap = dict(zip(capitals["ostan_id"], capitals["capital"], strict=True))
    provinces = pd.DataFrame(
        {"province_id": ostan["id"], "name_fa": ostan["name"], "amar_code": ostan["amar_code"]}
    )
    provinces["capital_name_fa"] = provinces["province_id"].map(cap)
    if provinces["capital_name_fa"].isna().any():
        raise ValueError("a province has no capital in province-capitals.csv")
    cap_county = []
    for pid, capital in zip(provinces["province_id"], provinces["capital_name_fa"], strict=True):
        wanted = _squash(_CAPITAL_COUNTY.get(capital, capital))
        mine = counties[(counties["province_id"] == pid) & (counties["name_fa"].map(_squash) == wanted)]
        cap_county.append(mine["county_id"].iloc[0] if len(mine) == 1 else None)
    provinces["capital_county_id"] = cap_county
    # order provinces numerically by id, a stable order for generation
    provinces = provinces.sort_values("province_id", key=lambda s: s.astype(int)).reset_index(drop=True)
    counties = counties.sort_values("county_id", key=lambda s: s.astype(int)).reset_index(drop=True)
    return Divisions(provinces=provinces, counties=counties)
