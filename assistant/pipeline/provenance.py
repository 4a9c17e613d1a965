"""Official sources: which retrieved passages may vouch for a figure without a flag.

The checks verify that every figure, article, phone number and address of a draft comes from a
passage it cites; they cannot tell a true page from a planted one. Blind set 6 showed what is left
once instructions are caught: pages that simply state a false duration, article or phone number
(9 of 18 planted pages got through). A page's *origin* is what tells them apart: the KB is built
from a few official datasets (``lexicon/official_sources_fr.yaml``, by document id prefix), and a
value that only a page from elsewhere gives is shown to the agent as « à vérifier », with the page.

Like the trusted domains, the list is reviewed data, never derived from the KB at run time, and a
deployment adds its own reviewed sources (``HRA_DRAFTING__OFFICIAL_SOURCES``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.pipeline.reviewed import ReviewedList
from assistant.pipeline.types import Passage

SOURCES_FILE = Path(__file__).parent / "lexicon" / "official_sources_fr.yaml"
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


def normalise_source(entry: str) -> str:
    """« MT », « mt: » → « mt »; ValueError for what is no id prefix."""
    prefix = entry.strip().lower().removesuffix(":")
    if not _PREFIX.match(prefix):
        raise ValueError(f"not a document id prefix (letters, digits, « . _ - »): {entry!r}")
    return prefix


def source_of(doc_id: str) -> str:
    """A document's source: its id up to the first « : » (« sp:F2258 » → « sp »)."""
    return doc_id.split(":", 1)[0].strip().lower() if ":" in doc_id else ""


@dataclass(frozen=True)
class OfficialSources(ReviewedList):
    KEY = "sources"
    FILE = SOURCES_FILE
    normalise = staticmethod(normalise_source)

    def vouches(self, passage: Passage) -> bool:
        return source_of(passage.doc_id) in self.entries


@lru_cache(maxsize=8)
def official_sources(extra: tuple[str, ...] = ()) -> OfficialSources:
    """The shipped list, plus a deployment's own reviewed sources (read once per distinct setting)."""
    return OfficialSources.load().extended(extra)
