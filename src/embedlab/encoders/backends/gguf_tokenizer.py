"""Gemma's SentencePiece-BPE tokenizer, rebuilt from a GGUF file's own fields.

transformers 5.x builds a broken tokenizer from the Gemma-3 GGUF (words split into fragments), so the
tokenizer is rebuilt here from ``tokenizer.ggml.tokens`` / ``.scores`` / ``.token_type``, with the
settings of Gemma's SentencePiece model: BPE where the pair whose merged piece scores highest is
merged first, byte fallback, no normalization, no dummy prefix, spaces kept (not collapsed) and
escaped as U+2581. Special ids: pad 0, eos 1, bos 2, unk 3. Check (pinned in the tests):
"The capital of France is" -> [818, 5279, 529, 7001, 563].
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import EmbedlabError, require_package
from ...provenance import atomic_write_bytes

PAD_ID, EOS_ID, BOS_ID, UNK_ID = 0, 1, 2, 3
SPACE = "\u2581"
# SentencePiece piece types as stored in GGUF.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def read_gguf_vocab(gguf_path: str | os.PathLike) -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and piece types stored in a GGUF file."""
    gguf = require_package("gguf")
    reader = gguf.GGUFReader(str(gguf_path))
    fields = reader.fields
    missing = [k for k in ("tokens", "scores", "token_type") if f"tokenizer.ggml.{k}" not in fields]
    if missing:
        raise EmbedlabError(
            f"{gguf_path} has no tokenizer fields {missing}",
            "use a GGUF exported with its SentencePiece vocabulary",
        )
    tokens = fields["tokenizer.ggml.tokens"].contents()
    scores = fields["tokenizer.ggml.scores"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    return tokens, scores, types


def build_tokenizer(tokens: list[str], scores: list[float], types: list[int]):
    """A ``tokenizers.Tokenizer`` equivalent to the SentencePiece BPE model of these pieces.

    SentencePiece BPE merges, at each step, the adjacent pair whose concatenation is a normal piece
    with the highest score. A HF BPE model does the same when its merge list holds every split
    ``(a, b)`` of every normal piece ``a + b`` (both halves in the vocabulary), ranked by the merged
    piece's score. User-defined pieces (newline / space runs, HTML tags) are matched whole on the raw
    text first, as SentencePiece does.
    """
    tk = require_package("tokenizers")
    vocab = {tok: i for i, tok in enumerate(tokens)}
    merges = []
    for i, (tok, kind) in enumerate(zip(tokens, types)):
        if kind != NORMAL or len(tok) < 2:
            continue
        for k in range(1, len(tok)):
            left, right = vocab.get(tok[:k]), vocab.get(tok[k:])
            if left is not None and right is not None:
                merges.append((-scores[i], left, right))
    merges.sort()
    model = tk.models.BPE(
        vocab=vocab,
        merges=[(tokens[a], tokens[b]) for _, a, b in merges],
        unk_token=tokens[UNK_ID],
        byte_fallback=True,
        fuse_unk=True,
    )
    tokenizer = tk.Tokenizer(model)
    tokenizer.normalizer = tk.normalizers.Replace(" ", SPACE)
    tokenizer.decoder = tk.decoders.Sequence(
        [tk.decoders.Replace(SPACE, " "), tk.decoders.ByteFallback(), tk.decoders.Fuse()]
    )
    tokenizer.add_tokens(
        [tk.AddedToken(tok, normalized=False, special=False) for tok, kind in zip(tokens, types) if kind == USER_DEFINED]
    )
    return tokenizer


def load_gguf_tokenizer(gguf_path: str | os.PathLike, cache_file: str | os.PathLike):
    """The rebuilt tokenizer, built once from the GGUF (~15 s) and cached as ``tokenizer.json``."""
    tk = require_package("tokenizers")
    cache_file = Path(cache_file)
    if not cache_file.exists():
        tokenizer = build_tokenizer(*read_gguf_vocab(gguf_path))
        # to_str(pretty=True) is what Tokenizer.save writes; written through a rename, never half a file.
        atomic_write_bytes(cache_file, tokenizer.to_str(pretty=True).encode("utf-8"))
        return tokenizer
    return tk.Tokenizer.from_file(str(cache_file))
