"""Embedding precision (experiment 03 part A): stored float32 vectors at lower precision, as transforms
(``transforms.Transform``), and search over a quantized corpus with float32 rescoring.

===========  ============  ========================================================================
``float32``  4 bytes/dim   the stored vectors
``float16``  2 bytes/dim   rounded to float16 and back
``int8``     1 byte/dim    sentence-transformers' ``quantize_embeddings``: 256 buckets per coordinate
                           between the min and max of the CALIBRATION vectors (``fit``)
``uint8``    1 byte/dim    the same buckets, codes 0..255 instead of -128..127
``binary``   1 bit/dim     sign bits (``> 0``), packed as sentence-transformers' ``"ubinary"``
===========  ============  ========================================================================

Every ``apply`` returns float32 rows that mteb scores by cosine: int8 / uint8 give the dequantized
values (or the integer codes, ``values="codes"``), binary gives the bits as ±1, whose cosine is
``1 - 2 * hamming / dim``. ``pack_bits`` makes the packed codes of faiss's ``IndexBinaryFlat``.

``rescore_search`` is sentence-transformers' rescoring recipe: ``k * multiplier`` candidates from the
quantized index, re-ranked by the float32 query's inner product with the candidates' vectors.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import EmbedlabError
from .search import faiss_module, flat_ip_index
from .transforms import Transform

FLOAT16_MAX = float(np.finfo(np.float16).max)


def _quantize_embeddings(x: np.ndarray, precision: str, ranges: np.ndarray | None = None) -> np.ndarray:
    # imported here: sentence_transformers loads torch (seconds), which nothing else in this module needs
    from sentence_transformers import quantize_embeddings

    return quantize_embeddings(x, precision=precision, ranges=ranges)


class Precision(Transform):
    """A storage precision: ``name`` is the precision, ``bits`` the bits per coordinate."""

    name = "float32"
    bits = 32
    needs_fit = False

    @property
    def params(self) -> dict:
        return {"precision": self.name}

    def bytes_per_vector(self, dim: int) -> int:
        """Bytes one ``dim``-coordinate vector takes at this precision."""
        return -(-int(dim) * self.bits // 8)


class Float32(Precision):
    """The stored vectors, unchanged."""


class Float16(Precision):
    """Each coordinate rounded to the nearest float16 (relative error at most 2**-11), served as float32."""

    name = "float16"
    bits = 16

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        if np.abs(x).max(initial=0.0) > FLOAT16_MAX:
            raise EmbedlabError(f"float16: coordinates above {FLOAT16_MAX:g} in magnitude overflow to infinity",
                                "normalise the vectors before quantizing them")
        return x.astype(np.float16).astype(np.float32)


class ScalarQuantization(Precision):
    """sentence-transformers' int8 / uint8 quantization with per-coordinate ranges fitted on calibration vectors.

    ``apply`` returns, as float32, either the dequantized values (``values="dequantized"``, the default:
    each code's bucket midpoint, clamped to the fitted range, so a coordinate inside the range is off by
    at most half a bucket) or the integer codes themselves (``values="codes"``). Coordinates outside the
    fitted range are clipped to it.
    """

    bits = 8
    needs_fit = True
    VALUES = ("dequantized", "codes")

    def __init__(self, values: str = "dequantized"):
        super().__init__()
        if values not in self.VALUES:
            raise EmbedlabError(f"{self.name}: unknown values '{values}'", f"use one of: {', '.join(self.VALUES)}")
        self.values = values
        self.ranges: np.ndarray | None = None

    @property
    def params(self) -> dict:
        return {"precision": self.name, "values": self.values}

    @property
    def step(self) -> np.ndarray:
        """The bucket width of each coordinate (sentence-transformers' ``(max - min) / 255``; 1 where max == min)."""
        width = (self.ranges[1] - self.ranges[0]) / 255
        return np.where(width == 0, 1, width).astype(np.float32)

    def _fit(self, x: np.ndarray) -> None:
        self.ranges = np.vstack((x.min(axis=0), x.max(axis=0))).astype(np.float32)

    def codes(self, vectors) -> np.ndarray:
        """The int8 / uint8 codes of ``vectors`` (n, d), quantized with the fitted ranges."""
        if self.ranges is None:
            raise EmbedlabError(f"transform {self.name} is not fitted",
                                "call .fit(calibration_vectors, source=...) once before quantizing")
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.ranges.shape[1]:
            raise EmbedlabError(f"{self.name}: ranges were fitted on {self.ranges.shape[1]}-dim vectors, got {x.shape}",
                                "quantize vectors of the same model (and reduction) as the calibration vectors")
        return _quantize_embeddings(x, self.name, self.ranges)

    def dequantize(self, codes) -> np.ndarray:
        """Float32 values of ``codes``: each bucket's midpoint, clamped to the fitted range."""
        bucket = np.asarray(codes).astype(np.float32) + (128 if self.name == "int8" else 0)
        low, high = self.ranges
        mid = np.minimum(low + (bucket + 0.5) * self.step, high)
        return np.where(high == low, low, mid).astype(np.float32)

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        codes = self.codes(x)
        return self.dequantize(codes) if self.values == "dequantized" else codes.astype(np.float32)


class Int8(ScalarQuantization):
    """Codes -128..127 (``quantize_embeddings(..., "int8")``)."""

    name = "int8"


class UInt8(ScalarQuantization):
    """Codes 0..255 (``quantize_embeddings(..., "uint8")``)."""

    name = "uint8"


class Binary(Precision):
    """One sign bit per coordinate (1 where > 0), served as ±1 float32: cosine = 1 - 2 * hamming / dim."""

    name = "binary"
    bits = 1

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        return unpack_bits(pack_bits(x), x.shape[1])


def pack_bits(vectors) -> np.ndarray:
    """Sign bits of ``vectors`` (n, d) packed 8 to a byte, (n, ceil(d / 8)) uint8: sentence-transformers'
    ``"ubinary"``, the rows ``binary_index`` holds. ±1 rows give the same bytes as the floats they came from."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise EmbedlabError(f"pack_bits needs an (n, d) array, got shape {x.shape}", "pass one vector per row")
    return _quantize_embeddings(x, "ubinary")


def unpack_bits(packed, dim: int) -> np.ndarray:
    """The (n, dim) ±1 float32 rows of packed sign bits (the padding bits of the last byte dropped)."""
    bits = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1)[:, : int(dim)]
    return bits.astype(np.float32) * 2 - 1


VECTOR_PRECISIONS = {cls.name: cls for cls in (Float32, Float16, Int8, UInt8, Binary)}


def check_precisions(names) -> list[type]:
    """The class of each precision name; an unknown name is a one-line error listing the known ones."""
    unknown = [n for n in names if n not in VECTOR_PRECISIONS]
    if unknown:
        raise EmbedlabError(f"unknown precision '{unknown[0]}'", f"use some of: {', '.join(VECTOR_PRECISIONS)}")
    return [VECTOR_PRECISIONS[n] for n in names]


def binary_index(packed) -> object:
    """A faiss ``IndexBinaryFlat`` (Hamming distance) over packed sign bits (``pack_bits``)."""
    faiss = faiss_module()
    codes = np.ascontiguousarray(packed, dtype=np.uint8)
    if codes.ndim != 2:
        raise EmbedlabError(f"binary_index needs (n, bytes) packed rows, got shape {codes.shape}",
                            "pack the vectors with quantization.pack_bits")
    index = faiss.IndexBinaryFlat(codes.shape[1] * 8)
    index.add(codes)
    return index


class Hits(NamedTuple):
    """Top-k results per query, best first: document row ids (int64) and float32 scores."""

    ids: np.ndarray
    scores: np.ndarray


def rescore_search(queries, doc_vectors, index, k: int = 10, multiplier: int = 4, index_queries=None) -> Hits:
    """The ``k`` best documents per float32 query: ``k * multiplier`` candidates from ``index`` (searched
    with the queries, or their sign bits for a binary index), re-ranked by the inner product of the query
    with the candidates' rows of ``doc_vectors`` (n, d) float32, one per indexed document (float,
    dequantized or ±1 bits). ``index_queries``: what searches the index instead of ``queries`` (e.g. the
    queries minus a centring mean, row for row). Returns ``min(k, n)`` results per query; with
    ``k * multiplier >= n`` every document is a candidate, so the result is the exact search of ``doc_vectors``."""
    faiss = faiss_module()
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    docs = np.asarray(doc_vectors, dtype=np.float32)
    if int(k) < 1 or int(multiplier) < 1:
        raise EmbedlabError(f"rescore_search needs k >= 1 and multiplier >= 1, got k={k}, multiplier={multiplier}",
                            "use e.g. k=10, multiplier=4")
    if docs.ndim != 2 or docs.shape[1] != q.shape[1] or len(docs) != index.ntotal:
        raise EmbedlabError(f"rescore_search: {q.shape[1]}-dim queries, document vectors of shape {docs.shape} "
                            f"and an index of {index.ntotal} rows do not match",
                            "pass one float row per indexed document, of the queries' dimension")
    n_out = min(int(k), len(docs))
    n_candidates = min(int(k) * int(multiplier), len(docs))
    lookup = q if index_queries is None else np.atleast_2d(np.asarray(index_queries, dtype=np.float32))
    if lookup.shape != q.shape:
        raise EmbedlabError(f"rescore_search: index_queries of shape {lookup.shape} do not match the queries {q.shape}",
                            "pass one index query per query, of the same dimension")
    first = pack_bits(lookup) if isinstance(index, faiss.IndexBinary) else np.ascontiguousarray(lookup)
    _, candidates = index.search(first, n_candidates)

    scores = np.empty(candidates.shape, dtype=np.float32)
    chunk = max(1, (1 << 24) // max(1, n_candidates * docs.shape[1]))  # bounds the (chunk, candidates, d) gather
    for start in range(0, len(q), chunk):
        part = candidates[start : start + chunk]
        scores[start : start + chunk] = np.einsum("qd,qcd->qc", q[start : start + chunk], docs[part])
    scores[candidates < 0] = -np.inf  # faiss pads a short candidate list with -1
    order = np.argsort(-scores, axis=1, kind="stable")[:, :n_out]
    ids = np.take_along_axis(candidates, order, axis=1)
    if (ids < 0).any():
        raise EmbedlabError(f"the index returned fewer than {n_out} candidates for some query",
                            "use an exact index (search.flat_ip_index, binary_index) or a larger multiplier")
    return Hits(ids.astype(np.int64), np.take_along_axis(scores, order, axis=1))


def precision_index(precision: str, documents: np.ndarray, calibration: np.ndarray | None = None):
    """A faiss index holding ``documents`` (float32 rows) at ``precision``: ``IndexFlatIP`` (float32),
    ``IndexScalarQuantizer`` with 16-bit floats (float16) or 8-bit codes trained on ``calibration``
    (int8 / uint8: faiss's per-coordinate minimum and maximum, the ranges ``quantization.Int8`` fits), or
    ``IndexBinaryFlat`` on the packed sign bits (binary). Search it with ``index_queries``."""
    faiss = faiss_module()
    docs = np.ascontiguousarray(documents, dtype=np.float32)
    if precision == "binary":
        return binary_index(pack_bits(docs))
    if precision == "float32":
        return flat_ip_index(docs)
    kinds = {"float16": faiss.ScalarQuantizer.QT_fp16, "int8": faiss.ScalarQuantizer.QT_8bit,
             "uint8": faiss.ScalarQuantizer.QT_8bit}
    if precision not in kinds:
        raise EmbedlabError(f"no faiss index for precision '{precision}'",
                            f"use one of: float32, {', '.join(kinds)}, binary")
    index = faiss.IndexScalarQuantizer(docs.shape[1], kinds[precision], faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        if calibration is None:
            raise EmbedlabError(f"a {precision} index needs calibration vectors to learn its ranges",
                                "pass the calibration task's vectors")
        index.train(np.ascontiguousarray(calibration, dtype=np.float32))
    index.add(docs)
    return index


def index_queries(index, queries: np.ndarray) -> np.ndarray:
    """Float32 queries as ``index`` takes them: packed sign bits for a binary index."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    return pack_bits(q) if isinstance(index, faiss_module().IndexBinary) else q
