"""KB gaps clustered (pure part; through the HTTP API and the page: tests/eval/test_dashboard.py)."""

from __future__ import annotations

import numpy as np

from eval.kb_gaps import GapQuestion, cluster, gap_clusters
from knowledge_base.embeddings import FakeEmbeddings


def test_cluster_stops_at_the_threshold() -> None:
    v = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99]], dtype=np.float32)
    assert cluster(v, 0.9) == [[0, 1], [2, 3]]
    assert cluster(v, 0.999) == [[0], [1], [2], [3]]
    assert cluster(np.zeros((0, 2))) == []


def test_examples_only_for_clusters_of_5_agents() -> None:
    fake = FakeEmbeddings()
    common = "Combien de jours de congé pour un déménagement ?"
    rare = "Prime de vie chère outre-mer pour les contractuels ?"
    gaps = [GapQuestion(f"d{i}", f"agent-secret-{i}", common, "conges") for i in range(6)]
    gaps += [GapQuestion(f"r{i}", f"agent-secret-{i}", rare) for i in range(2)]
    out = gap_clusters(gaps, lambda texts: fake.embed_passages(texts), min_agents=5)
    assert out["count"] == 8
    assert out["clusters"] == [{"count": 6, "topic": "conges", "why": {"abstained": 6}, "examples": [common]}]
    assert out["hidden"] == {"clusters": 1, "count": 2}
    assert "agent-secret" not in repr(out) and rare not in repr(out)
