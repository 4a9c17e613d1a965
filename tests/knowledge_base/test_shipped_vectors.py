"""The shipped vectors must cover the shipped KB as the default settings chunk it.

If this fails, the KB or the chunking changed without `hra kb export-vectors`: a fresh install
would then spend minutes embedding at first start instead of seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.chunking import split_document
from knowledge_base.embedders import make_embedder, shipped_vectors_path
from knowledge_base.embeddings import cache_key
from knowledge_base.loaders import load_paths
from knowledge_base.settings import KnowledgeBaseSettings


@pytest.fixture(scope="module")
def default_chunks() -> list[str]:
    settings = KnowledgeBaseSettings()
    docs = load_paths(settings.sources).documents
    passages = [c.embed_text for d in docs for c in split_document(d, settings.chunking)]
    return passages + [d.title for d in docs]  # title vectors are embedded too


@pytest.mark.parametrize("name", KnowledgeBaseSettings().embeddings.models)
def test_shipped_vectors_cover_every_default_chunk_and_title(name: str, default_chunks: list[str]) -> None:
    settings = KnowledgeBaseSettings()
    model = make_embedder(name, settings.embeddings)
    path = shipped_vectors_path(settings.embeddings.shipped_vectors_dir, model.model_id)
    with np.load(path) as data:
        keys = {k.decode() for k in data["keys"]}
        assert data["vectors"].shape[1] == model.dim and data["vectors"].dtype == np.float16
    missing = [t[:60] for t in default_chunks if cache_key(model.model_id, t) not in keys]
    assert not missing, f"{len(missing)} chunks without shipped vectors, e.g. {missing[:3]}"
