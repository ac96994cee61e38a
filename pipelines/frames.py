"""Named DataFrame layouts: the frames that cross from one room to another, with the columns they carry.

A layout is a name and its columns; `Annotated[pd.DataFrame, LAYOUT]` makes it the type of an argument or a
return value, so a signature says which frame it takes, and `LAYOUT.conform(frame)` checks a frame at the
boundary (a missing column fails loudly, with its name, instead of a KeyError three rooms later).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class LayoutError(ValueError):
    """A frame handed across a room boundary lacks columns of its layout."""


@dataclass(frozen=True)
class Layout:
    """A frame's name and the columns it must carry (it may carry more)."""

    name: str
    columns: tuple[str, ...]

    def empty(self) -> pd.DataFrame:
        """A frame of this layout with no rows."""
        return pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns})

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` itself, once it is known to carry every column of the layout."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise LayoutError(f"a {self.name} frame lacks {', '.join(missing)}")
        return frame
