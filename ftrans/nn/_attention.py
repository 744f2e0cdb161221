"""``dot_product_attention``: JAX's scaled dot-product attention (its reference 'xla' path)."""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as fnp
from ftrans.nn._activations import softmax
from ftrans.typing import Array, ArrayLike


def _large_negative(dtype) -> float:
    # a finite "minus infinity": fully masked rows stay finite (uniform), as in JAX
    return float(np.finfo(dtype).min) * 0.7


def dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    bias: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    *,
    scale: float | None = None,
    is_causal: bool = False,
    query_seq_lengths: ArrayLike | None = None,
    key_value_seq_lengths: ArrayLike | None = None,
    local_window_size: int | tuple[int, int] | None = None,
    implementation: str | None = None,
) -> Array:
    """Scaled dot-product attention, ``softmax(q k^T * scale + bias, masked) v``, per head.

    Shapes follow JAX: ``query`` is ``(B, T, N, H)`` (batch, query length, heads, head size),
    ``key``/``value`` are ``(B, S, K, H)`` with ``N`` a multiple of ``K`` (grouped-query
    attention shares each key/value head among ``N // K`` query heads); the batch axis may be
    left out of all three.

    Args:
        query, key, value: the inputs.
        bias: optional logits bias broadcastable to ``(B, N, T, S)``.
        mask: optional boolean mask broadcastable to ``(B, N, T, S)``; False drops a pair.
        scale: logits scale, default ``1 / sqrt(H)``.
        is_causal: mask key positions after the query position (lower-triangular).
        query_seq_lengths: optional int array ``(B,)``: query rows past the length are
            padding and give zeros.
        key_value_seq_lengths: optional int array ``(B,)``: keys past the length are masked.
        local_window_size: ``w`` or ``(left, right)``: each query sees keys within ``left``
            before and ``right`` after its own position.
        implementation: ``None`` or ``'xla'`` (the same computation); ``'cudnn'`` is an error.

    Returns:
        An array of ``query``'s shape.

    Examples:
        >>> import numpy as np, ftrans.nn as nn
        >>> q = k = v = np.ones((1, 4, 2, 8))
        >>> nn.dot_product_attention(q, k, v, is_causal=True).shape
        (1, 4, 2, 8)
    """
    if implementation not in (None, "xla"):
        raise ValueError(
            f"dot_product_attention: implementation={implementation!r} is not available; "
            "ftrans computes attention with NumPy (implementation=None or 'xla')."
        )
    query, key, value = fnp.asarray(query), fnp.asarray(key), fnp.asarray(value)
    unbatched = fnp.ndim(query) == 3
    if unbatched:
        query, key, value = query[None], key[None], value[None]
    for name, a in (("query", query), ("key", key), ("value", value)):
        if fnp.ndim(a) != 4:
            raise ValueError(
                f"dot_product_attention: {name} must have rank 3 (T, N, H) or 4 (B, T, N, H), "
                f"got shape {fnp.shape(a)}."
            )
    B, T, N, H = fnp.shape(query)
    _, S, K, _ = fnp.shape(key)
    if fnp.shape(key) != fnp.shape(value)[:3] + (H,) or fnp.shape(value)[:3] != (B, S, K):
        raise ValueError(
            f"dot_product_attention: key {fnp.shape(key)} and value {fnp.shape(value)} must "
            f"both be (B, S, K, H) with query (B, T, N, H) = {fnp.shape(query)}."
        )
    if N % K:
        raise ValueError(
            f"dot_product_attention: the query has {N} heads and key/value {K}; the number of "
            "query heads must be a multiple of the key/value heads."
        )
    scale = 1.0 / math.sqrt(H) if scale is None else scale
    groups = N // K
    q = fnp.reshape(query, (B, T, K, groups, H))
    logits = fnp.einsum("btkgh,bskh->bkgts", q, key)
    logits = fnp.reshape(logits, (B, N, T, S)) * scale
    if bias is not None:
        logits = logits + (
            fnp.asarray(bias)[None] if unbatched and fnp.ndim(bias) == 3 else fnp.asarray(bias)
        )
    keep = None

    def both(m):
        return m if keep is None else keep & m

    if mask is not None:
        m = fnp.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"dot_product_attention: mask must be boolean, got {m.dtype}.")
        keep = both(m[None] if unbatched and fnp.ndim(m) == 3 else m)
    t_pos = np.arange(T)[:, None]
    s_pos = np.arange(S)[None, :]
    if is_causal:
        keep = both((s_pos <= t_pos)[None, None])
    if local_window_size is not None:
        left, right = (
            (local_window_size, local_window_size)
            if isinstance(local_window_size, int)
            else local_window_size
        )
        keep = both(((t_pos <= s_pos + left) & (t_pos >= s_pos - right))[None, None])
    if query_seq_lengths is not None:
        q_len = fnp.reshape(fnp.asarray(query_seq_lengths), (-1, 1, 1, 1))
        keep = both(t_pos[None, None] < q_len)
    if key_value_seq_lengths is not None:
        kv_len = fnp.reshape(fnp.asarray(key_value_seq_lengths), (-1, 1, 1, 1))
        keep = both(s_pos[None, None] < kv_len)
    if keep is not None:
        logits = fnp.where(keep, logits, _large_negative(logits.dtype))
    probs = softmax(logits, axis=-1)
    probs = fnp.reshape(probs, (B, K, groups, T, S))
    out = fnp.einsum("bkgts,bskh->btkgh", probs, value)
    out = fnp.reshape(out, (B, T, N, H))
    if query_seq_lengths is not None:
        rows = np.arange(T)[None, :, None, None] < fnp.reshape(
            fnp.asarray(query_seq_lengths), (-1, 1, 1, 1)
        )
        out = fnp.where(rows, out, 0.0)
    return out[0] if unbatched else out
