"""KB gaps, clustered: the questions the knowledge base could not serve (abstained, discarded, or
thumbs-down for « missing_information » / « outdated »), grouped by meaning — the to-do list of the KB
maintainers, on the leads' dashboard and in its export.

``cluster`` is SciPy's average-linkage agglomerative clustering on cosine distance, cut where the two
closest groups are less similar than a threshold; ``gap_clusters`` lists clusters by frequency, each
with its most frequent taxonomy topic, and examples (masked questions) only for clusters fed by at
least ``min_agents`` distinct agents; the others are counted, never shown. No pseudonym leaves here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

GAP_REASONS = ("missing_information", "outdated")  # feedback.schemas reasons
Embed = Callable[[Sequence[str]], np.ndarray]  # texts → one vector per row
# Cosine at which two groups stop merging, for a model without its own cut (eval.dashboard.gap_vectors
# has one per bundled model). e5 vectors of any two French HR questions sit at ≈ 0.8: at 0.8, 700 dev
# questions made one cluster; at 0.92, 242 clusters (largest 29), 74 % of a cluster's questions
# sharing its most common relevant document (seeded sample of dev, not a hidden set).
THRESHOLD = 0.92
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class GapQuestion:
    draft_id: str
    agent: str  # pseudonym: counted, never returned
    question: str  # PII-masked
    topic: str | None = None  # taxonomy id
    why: str = "abstained"  # abstained | discarded | thumbs_down


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage agglomerative clustering on cosine similarity; merging stops when the two
    closest groups are less similar than ``threshold``. Groups in order of their first member."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    tree = linkage(unit.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def gap_questions(drafts: Sequence[Any], events: Sequence[Any]) -> list[GapQuestion]:
    """From the dashboard's rows (eval.dashboard.store DraftRow / EventRow): abstained questions
    (not their forced retry), discarded drafts, thumbs-down for missing or outdated information."""
    discarded = {e.draft_id for e in events if e.type == "discarded"}
    thumbs_down = {
        e.draft_id
        for e in events
        if e.type == "verdict"
        and e.payload.get("value") == "down"
        and set(e.payload.get("reasons") or []) & set(GAP_REASONS)
    }
    out = []
    for d in drafts:
        if d.decision == "abstained" and not d.regenerated_from:
            why = "abstained"
        elif d.id in discarded:
            why = "discarded"
        elif d.id in thumbs_down:
            why = "thumbs_down"
        else:
            continue
        out.append(GapQuestion(d.id, d.agent, d.question, d.topic, why))
    return out


def gap_clusters(
    gaps: Sequence[GapQuestion],
    embed: Embed,
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
        topics = Counter(r.topic for r in rows if r.topic)
        shown.append(
            {
                "count": len(rows),
                "topic": topics.most_common(1)[0][0] if topics else None,
                "why": dict(Counter(r.why for r in rows).most_common()),
                "examples": examples,
            }
        )
    return {
        "count": len(gaps),
        "clusters": shown,
        "hidden": {"clusters": hidden_clusters, "count": hidden_count},
    }
