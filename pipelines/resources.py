"""Where the files the package ships are found: `sql/`, `expectations/`, the shipped `models/` and `dags/`.

They sit at the top of the repository, beside `pipelines/`, where engineers edit them. A wheel carries a copy
inside the package (`pipelines/_shipped/`, written by the build: see `setup.py`), so that a worker that has
the wheel and no checkout finds them too. This is the one place that knows both layouts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

ShippedDir = Literal["sql", "expectations", "models", "dags"]
SHIPPED_DIRS: tuple[ShippedDir, ...] = ("sql", "expectations", "models", "dags")

_PACKAGE = Path(__file__).resolve().parent


@cache
def shipped_dir(name: ShippedDir) -> Path:
    """The directory `name` as installed: inside the wheel's package, else the checkout's top level."""
    if name not in SHIPPED_DIRS:
        raise ValueError(f"{name!r} is not a shipped directory: one of {', '.join(SHIPPED_DIRS)}")
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is neither in the installed package nor beside it: reinstall rasad")
