"""The import summary: what was read, what was written, and every quirk of the real files with its count."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportSummary:
    """Counts of the import. Each quirk has a count and what the import did about it (docs/olist.md)."""

    source_dir: str
    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    quirks: dict[str, dict] = field(default_factory=dict)
    money: dict[str, str] = field(default_factory=dict)
    days: dict[str, str] = field(default_factory=dict)

    def quirk(self, name: str, count: int, handling: str) -> None:
        """Record a quirk, counted even when it is zero (so a slice and the full sample name the same quirks)."""
        self.quirks[name] = {"count": int(count), "handling": handling}

    def as_dict(self) -> dict:
        return {"source_dir": self.source_dir, "read": self.read, "written": self.written,
                "quirks": self.quirks, "money": self.money, "days": self.days}

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def lines(self) -> list[str]:
        """The summary as printed by `rasad import olist`."""
        out = ["rows read: " + ", ".join(f"{k} {v}" for k, v in self.read.items()),
               "rows written: " + ", ".join(f"{k} {v}" for k, v in self.written.items()),
               "quirks of the files, each handled:"]
        width = max((len(k) for k in self.quirks), default=0)
        out += [f"  {name:<{width}} {q['count']:>7}  {q['handling']}" for name, q in self.quirks.items()]
        out += [f"{k}: {v}" for k, v in {**self.money, **self.days}.items()]
        return out
