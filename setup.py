"""Build hook: a wheel carries the top-level `sql/`, `expectations/`, `models/` and `dags/` inside the package.

Everything else is declared in pyproject.toml. `pipelines.resources` finds these directories in the
installed package (`pipelines/_shipped/`) or, in a checkout or an editable install, beside `pipelines/`.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_DIRS = ("sql", "expectations", "models", "dags")


class BuildWithShippedDirs(build_py):
    """Copy the shipped directories into the built package (not in editable mode: the checkout has them)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED_DIRS:
            target = Path(self.build_lib) / "pipelines" / "_shipped" / name
            shutil.copytree(root / name, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithShippedDirs})
