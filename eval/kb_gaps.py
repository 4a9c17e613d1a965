"""KB gaps, clustered: the questions the knowledge base could not serve (abstained, discarded, or
thumbs-down for « missing_info » / « outdated »), grouped by meaning — the to-do list of the KB
maintainers.

Pure part: ``cluster`` (agglomerative, average linkage, stops at a cosine threshold; numpy only)
and ``gap_clusters`` (rows → clusters by frequency, examples only for clusters fed by at least
``min_agents`` distinct agents; the others are counted, never shown). No pseudonym leaves here.

NOT WIRED YET into eval/dashboard (aggregates / service / week.js / export.py): see the report of
issue 13, part 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

GAP_REASONS = ("missing_info", "outdated")
THRESHOLD = 0.8  # cosine similarity at which two groups stop merging
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class GapQuestion:
    draft_id: str
    agent: str  # pseudonym: counted, never returned
    question: str  # PII-masked


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage agglomerative clustering on cosine similarity; merging stops when the two
    closest groups are less similar than ``threshold``. O(n³) worst case: fine for a week's gaps
    (hundreds); groups in order of first member."""
    n = len(vectors)
    if n == 0:
        return []
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sim = unit @ unit.T
    groups: list[list[int]] = [[i] for i in range(n)]
    # group-to-group average similarity, kept as a matrix (rows/cols of merged groups dropped)
    link = sim.astype(np.float64).copy()
    np.fill_diagonal(link, -np.inf)
    alive = list(range(n))
    while len(alive) > 1:
        sub = link[np.ix_(alive, alive)]
        flat = int(np.argmax(sub))
        a, b = divmod(flat, len(alive))
        if sub[a, b] < threshold:
            break
        ia, ib = alive[a], alive[b]
        na, nb = len(groups[ia]), len(groups[ib])
        merged = (link[ia] * na + link[ib] * nb) / (na + nb)
        link[ia], link[:, ia] = merged, merged
        link[ia, ia] = -np.inf
        groups[ia] = groups[ia] + groups[ib]
        groups[ib] = []
        alive.remove(ib)
    return sorted((sorted(g) for g in groups if g), key=lambda g: g[0])


def gap_questions(drafts: Sequence[Any], events: Sequence[Any]) -> list[GapQuestion]:
    """From the dashboard's rows (eval.dashboard.store DraftRow / EventRow): abstained questions
    (not their forced retry), discarded drafts, thumbs-down for missing or outdated information."""
    bad = {e.draft_id for e in events if e.type == "discarded"}
    bad |= {
        e.draft_id
        for e in events
        if e.type == "verdict"
        and e.payload.get("value") == "down"
        and set(e.payload.get("reasons") or []) & set(GAP_REASONS)
    }
    return [
        GapQuestion(d.id, d.agent, d.question)
        for d in drafts
        if (d.decision == "abstained" and not d.regenerated_from) or d.id in bad
    ]


def gap_clusters(
    gaps: Sequence[GapQuestion],
    embed: Callable[[list[str]], np.ndarray],
    min_agents: int,
    threshold: float = THRESHOLD,
) -> dict[str, Any]:
    """Clusters by frequency; examples (masked questions, deduplicated) only for a cluster fed by
    at least ``min_agents`` distinct agents; the others pooled into a count."""
    if not gaps:
        return {"count": 0, "clusters": [], "hidden": {"clusters": 0, "count": 0}}
    vectors = np.asarray(embed([g.question for g in gaps]), dtype=np.float32)
    shown, hidden_clusters, hidden_count = [], 0, 0
    for members in sorted(cluster(vectors, threshold), key=lambda m: (-len(m), m[0])):
        rows = [gaps[i] for i in members]
        if len({r.agent for r in rows}) < min_agents:
            hidden_clusters += 1
            hidden_count += len(rows)
            continue
        examples = list(dict.fromkeys(r.question for r in rows))[:MAX_EXAMPLES]
        shown.append({"count": len(rows), "examples": examples})
    return {
        "count": len(gaps),
        "clusters": shown,
        "hidden": {"clusters": hidden_clusters, "count": hidden_count},
    }
