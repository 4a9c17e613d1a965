"""Official sources: which retrieved passages may vouch for a figure without a flag.

The checks verify that every figure, article, phone number and address of a draft comes from a
passage it cites; they cannot tell a true page from a planted one. Blind set 6 showed what is left
once instructions are caught: pages that simply state a false duration, article or phone number
(9 of 18 planted pages got through). A page's *origin* is what tells them apart: the KB is built
from a few official datasets (``lexicon/official_sources_fr.yaml``, by document id prefix), and a
value that only a page from elsewhere gives is shown to the agent as « à vérifier », with the page.

Like the trusted domains, the list is reviewed data, never derived from the KB at run time, and a
deployment adds its own reviewed sources (``HRA_DRAFTING__OFFICIAL_SOURCES``).

An id is what a file *says*; the file it came from is what ingest *saw*. The shipped sources are
datasets (JSON Lines: the shipped ``kb.jsonl``, the sync connectors' output), so their prefixes
vouch only for documents loaded from a JSON Lines file: a Markdown page dropped in a shared folder
whose front matter declares « id: sp:F1234 » stays unofficial. A prefix the deployment lists itself
vouches from any file (it reviewed where those pages come from).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
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


DATASET_SUFFIXES = (".jsonl",)


def from_dataset(origin: str) -> bool:
    """Whether a document was loaded from a dataset file ("" — origin unknown — counts as one: a
    passage built by hand, or a build from before origins were read)."""
    return not origin or origin.lower().endswith(DATASET_SUFFIXES)


@dataclass(frozen=True)
class OfficialSources(ReviewedList):
    KEY = "sources"
    FILE = SOURCES_FILE
    normalise = staticmethod(normalise_source)
    any_origin: frozenset[str] = frozenset()  # the deployment's own: trusted from any file

    def extended(self, extra: Iterable[str]) -> OfficialSources:
        extra = [self.normalise(e) for e in extra]
        return replace(super().extended(extra), any_origin=self.any_origin | frozenset(extra))

    def vouches(self, passage: Passage) -> bool:
        source = source_of(passage.doc_id)
        if source not in self.entries:
            return False
        return source in self.any_origin or from_dataset(passage.origin)


@lru_cache(maxsize=8)
def official_sources(extra: tuple[str, ...] = ()) -> OfficialSources:
    """The shipped list, plus a deployment's own reviewed sources (read once per distinct setting)."""
    return OfficialSources.load().extended(extra)
