"""A reviewed list shipped as data (``lexicon/*.yaml``): its entries, normalised, and its version;
a deployment extends it by a setting, never by what the KB says at run time (a planted page must not
vouch for itself). The trusted domains and the official sources are two such lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import yaml


@dataclass(frozen=True)
class ReviewedList:
    entries: frozenset[str]
    version: str = ""
    KEY: ClassVar[str]  # the YAML key holding the entries
    FILE: ClassVar[Path]

    @staticmethod
    def normalise(entry: str) -> str:
        raise NotImplementedError

    @classmethod
    def load(cls, path: Path | None = None) -> Self:
        data: dict[str, Any] = yaml.safe_load((path or cls.FILE).read_text(encoding="utf-8"))
        return cls(frozenset(cls.normalise(e) for e in data[cls.KEY]), str(data.get("version", "")))

    def extended(self, extra: Iterable[str]) -> Self:
        """With a deployment's own entries, normalised the same way (ValueError on a bad one)."""
        return replace(self, entries=self.entries | frozenset(self.normalise(e) for e in extra))
