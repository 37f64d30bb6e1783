"""Pool token states ``(batch, seq, dim)`` into one vector per text, honouring the attention mask.

Every function takes ``hidden`` (float tensor, batch x seq x dim) and ``mask`` (batch x seq, 1 for a
real token, 0 for padding) and works whichever side the padding is on: the "first" and "last"
tokens are the first and last *unmasked* positions of each row, not positions 0 and -1.
"""

from __future__ import annotations

import torch

from ..errors import EmbedlabError

POOLINGS = ("cls", "mean", "max", "last")


def _bool_mask(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if mask.shape != hidden.shape[:2]:
        raise EmbedlabError(
            f"attention mask shape {tuple(mask.shape)} does not match token states {tuple(hidden.shape)}",
            "pass the mask the tokenizer returned with these inputs",
        )
    return mask.to(device=hidden.device).bool()


def first_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of the first real token of each row (0 with right padding)."""
    return mask.bool().int().argmax(dim=1)


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of the last real token of each row (seq-1 with left padding; 0 for an all-pad row)."""
    positions = torch.arange(mask.shape[1], device=mask.device)
    return (mask.bool().long() * positions).argmax(dim=1)


def cls_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """State of the first real token ([CLS] for BERT), wherever the padding is."""
    _bool_mask(hidden, mask)
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, first_token_index(mask).to(hidden.device)]


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor, skip_bos: bool = False) -> torch.Tensor:
    """Average of the real tokens' states.

    ``skip_bos`` leaves the first real token out (a decoder's BOS, whose state is the same for every
    text and swamps the mean); a row whose only token is the BOS keeps it rather than becoming 0/0.
    """
    keep = _bool_mask(hidden, mask).clone()
    if skip_bos:
        rows = torch.arange(keep.shape[0], device=keep.device)
        longer = keep.sum(dim=1) > 1
        first = first_token_index(keep)
        keep[rows[longer], first[longer]] = False
    weights = keep.to(hidden.dtype).unsqueeze(-1)
    total = (hidden * weights).sum(dim=1)
    count = weights.sum(dim=1).clamp(min=1.0)
    return total / count


def max_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Element-wise maximum over the real tokens (an all-pad row gives zeros)."""
    keep = _bool_mask(hidden, mask).unsqueeze(-1)
    filled = hidden.masked_fill(~keep, float("-inf"))
    out = filled.max(dim=1).values
    return torch.where(keep.any(dim=1), out, torch.zeros_like(out))


def last_token_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """State of the last real token (what a causal decoder has read the whole text by)."""
    _bool_mask(hidden, mask)
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, last_token_index(mask).to(hidden.device)]


def pool(name: str, hidden: torch.Tensor, mask: torch.Tensor, skip_bos: bool = False) -> torch.Tensor:
    """Dispatch on a pooling name: ``cls``, ``mean``, ``max`` or ``last``.

    ``skip_bos`` only affects ``mean`` (the other poolings never average over the BOS).
    """
    if name == "cls":
        return cls_pool(hidden, mask)
    if name == "mean":
        return mean_pool(hidden, mask, skip_bos=skip_bos)
    if name == "max":
        return max_pool(hidden, mask)
    if name == "last":
        return last_token_pool(hidden, mask)
    raise EmbedlabError(f"unknown pooling '{name}'", f"use one of: {', '.join(POOLINGS)}")
