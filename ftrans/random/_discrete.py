"""The integer-valued and choice samplers (and the two linear-algebra ones), as ``jax.random``.

``bernoulli``, ``rademacher``, ``randint``, ``geometric``, ``permutation``, ``choice`` and
``categorical`` give JAX's draws bit for bit; ``multivariate_normal`` and ``orthogonal`` are
JAX's formulas on [`normal`][ftrans.random.normal] draws.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
from ftrans.core import Tracer
from ftrans.random import _special
from ftrans.random._distributions import (
    as_dtype,
    float_dtype,
    gumbel,
    int_dtype,
    normal,
    normal_real,
    unit,
)
from ftrans.random._prng import (
    _size,
    broadcast_shape,
    check_key,
    check_shape,
    random_bits,
    split,
)
from ftrans.typing import Array, ArrayLike

Shape = int | tuple[int, ...]


# ----------------------------------------------------------------------------- discrete


def bernoulli(
    key: Array, p: ArrayLike = 0.5, shape: Shape | None = None, mode: str = "low"
) -> Array:
    """Booleans that are True with probability ``p``: ``uniform(key, shape, p.dtype) < p``.

    Bit for bit ``jax.random.bernoulli`` (``mode="high"`` combines two uniforms, for tiny ``p``).

    Args:
        key: a PRNG key.
        p: probability of True, a float (scalar or array broadcasting to ``shape``).
        shape: output shape; defaults to the shape of ``p``.
        mode: ``"low"`` or ``"high"``.

    Returns:
        A bool array.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.bernoulli(fr.PRNGKey(0), 0.5, (5,)).tolist()
        [True, True, False, False, False]
    """
    key = check_key(key, "ftrans.random.bernoulli")
    if mode not in ("low", "high"):
        raise ValueError(f"ftrans.random.bernoulli: got mode={mode!r}, expected 'high' or 'low'")
    p = fnp.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        raise TypeError(
            f"ftrans.random.bernoulli: probability `p` must have a floating dtype, got {p.dtype}"
        )
    shape = broadcast_shape("ftrans.random.bernoulli", shape, p)
    dtype = np.dtype(p.dtype)
    if mode == "high":
        both = unit(key, (2, *shape), dtype)
        u1, u2 = both[0], both[1] * float(2.0 ** -np.finfo(dtype).nmant)
        return u2 < p - u1
    return unit(key, shape, dtype) < p


def rademacher(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Random signs, -1 or +1 with probability 1/2 each (``2 * bernoulli - 1``).

    Examples:
        >>> import ftrans.random as fr
        >>> sorted(set(fr.rademacher(fr.PRNGKey(0), (20,)).tolist()))
        [-1, 1]
    """
    key = check_key(key, "ftrans.random.rademacher")
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    shape = check_shape(shape, "ftrans.random.rademacher")
    draws = fnp.astype(unit(key, shape, np.dtype(np.float64)) < 0.5, dtype)
    return fnp.astype(2 * draws - 1, dtype)


def _clip_to(value, dtype: np.dtype):
    """``value`` (an integer array) clipped to the range of ``dtype`` and cast, as JAX does."""
    info, own = np.iinfo(dtype), np.iinfo(value.dtype)
    return fnp.astype(
        fnp.clip(value, max(int(info.min), int(own.min)), min(int(info.max), int(own.max))),
        dtype,
    )


def _unsigned_rem(a, span):
    """``a % span`` for unsigned arrays with XLA's rule ``a % 0 == a``."""
    zero = span == 0
    return fnp.where(zero, a, a % fnp.where(zero, fnp.ones_like(span), span))


def randint(
    key: Array,
    shape: Shape,
    minval: ArrayLike,
    maxval: ArrayLike,
    dtype: DTypeLike | None = None,
) -> Array:
    """Integers uniform on ``[minval, maxval)``: ``jax.random.randint``'s numbers, bit for bit.

    Two independent ``nbits``-bit draws (from the two keys of ``split(key)``) make one
    ``2 * nbits``-bit number reduced modulo ``maxval - minval``, which keeps the bias of the
    modulus small; dtypes narrower than 32 bits sample in int32. Where ``maxval <= minval`` the
    result is ``minval``; bounds outside the dtype are clipped to it.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        minval: smallest value (inclusive); scalar or array broadcasting to ``shape``.
        maxval: bound (exclusive); scalar or array broadcasting to ``shape``.
        dtype: an integer dtype (default int64).

    Returns:
        An integer array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.randint(fr.PRNGKey(0), (6,), 0, 10).tolist()
        [5, 1, 5, 7, 3, 5]
    """
    key = check_key(key, "ftrans.random.randint")
    shape = check_shape(shape, "ftrans.random.randint")
    dtype = int_dtype(dtype, "randint")
    minval, maxval = fnp.asarray(minval), fnp.asarray(maxval)
    for name, v in (("minval", minval), ("maxval", maxval)):
        if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.floating)):
            raise TypeError(f"ftrans.random.randint: {name} must be an integer, got {v.dtype}")
    minval = minval if np.issubdtype(minval.dtype, np.integer) else fnp.astype(minval, np.int64)
    maxval = maxval if np.issubdtype(maxval.dtype, np.integer) else fnp.astype(maxval, np.int64)
    broadcast_shape("ftrans.random.randint", shape, minval, maxval)
    info = np.iinfo(dtype)
    sampling = dtype
    if info.bits < 32:
        sampling = np.dtype(np.int32)
        minval = fnp.clip(fnp.astype(minval, np.int32), int(info.min), int(info.max))
        maxval = fnp.clip(fnp.astype(maxval, np.int32), int(info.min), int(info.max) + 1)
    return fnp.astype(_randint(key, shape, minval, maxval, sampling), dtype)


def _randint(key, shape, minval, maxval, dtype):
    info = np.iinfo(dtype)
    nbits = info.bits
    unsigned = np.dtype(f"uint{nbits}")
    top = _clip_to(fnp.asarray(np.array(info.max, dtype)), maxval.dtype)
    maxval_out_of_range = maxval > top
    minval, maxval = _clip_to(minval, dtype), _clip_to(maxval, dtype)
    k1, k2 = split(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    with np.errstate(over="ignore"):
        span = fnp.astype(maxval - minval, unsigned)
        span = fnp.where(maxval <= minval, fnp.ones_like(span), span)
        span = fnp.where(maxval_out_of_range & (maxval > minval), span + unsigned.type(1), span)
        multiplier = _unsigned_rem(fnp.full_like(span, 2 ** (nbits // 2)), span)
        multiplier = _unsigned_rem(multiplier * multiplier, span)
        offset = _unsigned_rem(higher, span) * multiplier + _unsigned_rem(lower, span)
        offset = _unsigned_rem(offset, span)
        return minval + fnp.astype(offset, dtype)


def geometric(
    key: Array, p: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Geometric integers (trials up to the first success, >= 1): ``floor(log u / log1p(-p)) + 1``.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.geometric(fr.PRNGKey(0), 0.3, (10,)) >= 1).all())
        True
    """
    key = check_key(key, "ftrans.random.geometric")
    dtype = int_dtype(dtype, "geometric")
    shape = broadcast_shape("ftrans.random.geometric", shape, p)
    p = fnp.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        p = fnp.astype(p, np.float64)
    u = unit(key, shape, np.dtype(p.dtype))
    u = fnp.where(u == 0, fnp.ones_like(u), u)
    g = fnp.floor(fnp.log(u) / fnp.broadcast_to(_special.log1p_xla(-p), shape)) + 1
    return fnp.astype(g, dtype)


# ----------------------------------------------------------------------------- choices


def _shuffle(key, x, axis: int):
    """JAX's shuffle: sort by fresh 32-bit keys, enough rounds to make ties unlikely."""
    size = int(np.prod(fnp.shape(x), dtype=np.int64))
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = split(key)
        sort_keys = random_bits(subkey, 32, tuple(fnp.shape(x)))
        order = fnp.argsort(sort_keys, axis=axis, stable=True)
        x = fnp.take_along_axis(x, order, axis=axis)
    return x


def permutation(key: Array, x: int | ArrayLike, axis: int = 0, independent: bool = False) -> Array:
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``, as JAX.

    Sorts by 32-bit random keys, ``ceil(3 log n / log(2**32 - 1))`` rounds with fresh keys
    (one round up to n = 1625): ``jax.random.permutation``'s result, bit for bit.

    Args:
        key: a PRNG key.
        x: an int ``n`` or an array.
        axis: the axis to shuffle.
        independent: shuffle each slice along ``axis`` independently.

    Returns:
        The permuted indices (int64) or array.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.permutation(fr.PRNGKey(0), 6).tolist()
        [0, 1, 5, 4, 3, 2]
    """
    key = check_key(key, "ftrans.random.permutation")
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return _shuffle(key, fnp.arange(int(x)), 0)
    x = fnp.asarray(x)
    if x.ndim == 0:
        if isinstance(x, Tracer) or not np.issubdtype(x.dtype, np.integer):
            raise TypeError(
                "ftrans.random.permutation: x must be an integer or at least 1-dimensional "
                "(and a concrete int, not traced)"
            )
        return _shuffle(key, fnp.arange(int(x)), 0)
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, fnp.arange(fnp.shape(x)[axis]), 0)
    return fnp.take(x, order, axis=axis)


def choice(
    key: Array,
    a: int | ArrayLike,
    shape: Shape = (),
    replace: bool = True,
    p: ArrayLike | None = None,
    axis: int = 0,
    mode: str | None = None,
) -> Array:
    """Random entries of ``a`` (or of ``range(a)`` for an int): ``jax.random.choice``'s draws.

    With replacement: [`randint`][ftrans.random.randint] (uniform) or the inverse CDF of
    ``cumsum(p)`` (weighted);
    without: the first entries of a [`permutation`][ftrans.random.permutation] (uniform) or the top
        ``k`` of
    ``gumbel + log p`` (weighted).

    Args:
        key: a PRNG key.
        a: an int ``n`` (choose from ``0..n-1``) or an array (choose along ``axis``).
        shape: output shape (of the chosen indices).
        replace: draw with replacement.
        p: probabilities of the ``n`` entries, or None for uniform.
        axis: the axis of ``a`` to choose along.
        mode: the Gumbel ``mode`` for weighted draws without replacement.

    Returns:
        An array of shape ``a.shape[:axis] + shape + a.shape[axis+1:]``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.choice(fr.PRNGKey(0), 10, (4,), replace=False).tolist()
        [0, 1, 8, 5]
    """
    key = check_key(key, "ftrans.random.choice")
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"ftrans.random.choice: shape must be a sequence (a tuple of ints), got {shape!r}"
        )
    shape = check_shape(shape, "ftrans.random.choice")
    arr = fnp.asarray(a)
    if arr.ndim == 0:
        if isinstance(arr, Tracer):
            raise TypeError("ftrans.random.choice: an int `a` must be concrete, not traced")
        n_inputs = int(arr)
    else:
        axis = axis % arr.ndim
        n_inputs = fnp.shape(arr)[axis]
    n_draws = _size(shape)
    if n_draws == 0:
        return fnp.zeros(shape, arr.dtype)
    if n_inputs <= 0:
        raise ValueError(
            "ftrans.random.choice: a must be greater than 0 unless no samples are taken"
        )
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"ftrans.random.choice: cannot take a larger sample (size {n_draws}) than the "
            f"population (size {n_inputs}) with replace=False"
        )
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else fnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)
            index = (slice(None),) * (axis if arr.ndim else 0) + (slice(n_draws),)
            result = perm[index]
    else:
        p = fnp.asarray(p)
        if not np.issubdtype(p.dtype, np.inexact):
            p = fnp.astype(p, np.float64)
        if tuple(fnp.shape(p)) != (n_inputs,):
            raise ValueError(
                "ftrans.random.choice: p must be None or a 1D vector with the same size as "
                f"a.shape[axis]; p has shape {tuple(fnp.shape(p))} and a.shape[axis] is "
                f"{n_inputs}."
            )
        if replace:
            p_cuml = fnp.cumsum(p)
            r = p_cuml[-1] * (1 - unit(key, shape, np.dtype(p.dtype)))
            ind = fnp.sum(fnp.expand_dims(r, -1) > p_cuml, axis=-1)  # searchsorted, side=left
        else:
            with np.errstate(divide="ignore"):  # p == 0: log p = -inf, never drawn
                g = gumbel(key, (n_inputs,), p.dtype, mode=mode) + fnp.log(p)
            ind = fnp.argsort(-g, stable=True)[:n_draws]
        ind = fnp.astype(ind, np.int64)
        result = ind if arr.ndim == 0 else fnp.take(arr, ind, axis=axis)
    out_shape = shape if arr.ndim == 0 else (*arr.shape[:axis], *shape, *arr.shape[axis + 1 :])
    return fnp.reshape(result, out_shape)


def categorical(
    key: Array,
    logits: ArrayLike,
    axis: int = -1,
    shape: Shape | None = None,
    replace: bool = True,
    mode: str | None = None,
) -> Array:
    """Indices drawn with probabilities ``softmax(logits, axis)``: ``argmax(logits + gumbel)``.

    ``replace=False`` takes the top ``k`` instead (the Gumbel top-k trick), ``k`` the size of
    the leading part of ``shape``. Same numbers as ``jax.random.categorical``.

    Args:
        key: a PRNG key.
        logits: unnormalised log-probabilities.
        axis: the axis of categories.
        shape: output shape; must end with the batch shape of ``logits`` (its shape without
            ``axis``), which is the default.
        replace: draw with replacement.
        mode: the Gumbel ``mode``.

    Returns:
        An int64 array of ``shape``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> fr.categorical(fr.PRNGKey(0), np.log([0.2, 0.3, 0.5]), shape=(6,)).tolist()
        [2, 2, 0, 1, 1, 2]
    """
    key = check_key(key, "ftrans.random.categorical")
    logits = fnp.asarray(logits)
    if not np.issubdtype(logits.dtype, np.floating):
        logits = fnp.astype(logits, np.float64)
    ndim = logits.ndim
    axis = axis % ndim
    batch = tuple(np.delete(np.array(fnp.shape(logits), dtype=np.int64), axis).tolist())
    shape = batch if shape is None else check_shape(shape, "ftrans.random.categorical")
    broadcast_shape("ftrans.random.categorical", shape, np.empty(batch))
    prefix = shape[: len(shape) - len(batch)]
    if replace:
        logits_shape = list(shape[len(shape) - len(batch) :])
        logits_shape.insert(axis, fnp.shape(logits)[axis])
        noise = gumbel(key, (*prefix, *logits_shape), logits.dtype, mode=mode)
        expanded = fnp.reshape(logits, (1,) * len(prefix) + tuple(fnp.shape(logits)))
        return fnp.argmax(noise + expanded, axis=axis + len(prefix))
    k = _size(prefix)
    if k > fnp.shape(logits)[axis]:
        raise ValueError(
            f"ftrans.random.categorical: number of samples without replacement ({k}) cannot "
            f"exceed the number of categories ({fnp.shape(logits)[axis]})."
        )
    scores = logits + gumbel(key, tuple(fnp.shape(logits)), logits.dtype, mode=mode)
    top = fnp.argsort(-fnp.moveaxis(scores, axis, -1), axis=-1, stable=True)[..., :k]
    return fnp.astype(fnp.reshape(fnp.moveaxis(top, -1, 0), shape), np.int32)  # top_k's dtype


# ----------------------------------------------------------------------------- linear algebra


def multivariate_normal(
    key: Array,
    mean: ArrayLike,
    cov: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
    method: str = "cholesky",
) -> Array:
    """Multivariate normal vectors ``mean + factor @ z``, ``factor`` from ``cov`` by ``method``.

    Args:
        key: a PRNG key.
        mean: mean vectors ``(..., n)``.
        cov: covariance matrices ``(..., n, n)``.
        shape: batch shape (default: the broadcast batch shape of ``mean`` and ``cov``).
        dtype: float dtype (default: that of ``mean``).
        method: ``"cholesky"``, ``"eigh"`` or ``"svd"``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> fr.multivariate_normal(fr.PRNGKey(0), np.zeros(2), np.eye(2), (5,)).shape
        (5, 2)
    """
    key = check_key(key, "ftrans.random.multivariate_normal")
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError("ftrans.random.multivariate_normal: method must be one of "
                         "{'svd', 'eigh', 'cholesky'}")  # fmt: skip
    mean, cov = fnp.asarray(mean), fnp.asarray(cov)
    if not np.issubdtype(mean.dtype, np.inexact):
        mean = fnp.astype(mean, np.float64)
    dtype = float_dtype(mean.dtype if dtype is None else dtype, "multivariate_normal")
    common = np.result_type(mean.dtype, cov.dtype, np.float16)
    mean, cov = as_dtype(mean, common), as_dtype(cov, common)
    if mean.ndim < 1:
        raise ValueError("ftrans.random.multivariate_normal: requires mean.ndim >= 1")
    if cov.ndim < 2:
        raise ValueError("ftrans.random.multivariate_normal: requires cov.ndim >= 2")
    n = fnp.shape(mean)[-1]
    if tuple(fnp.shape(cov)[-2:]) != (n, n):
        raise ValueError(
            f"ftrans.random.multivariate_normal: requires cov.shape == (..., n, n) for n={n}, "
            f"but got cov.shape == {tuple(fnp.shape(cov))}."
        )
    batch = (np.empty(fnp.shape(mean)[:-1]), np.empty(fnp.shape(cov)[:-2]))
    shape = broadcast_shape("ftrans.random.multivariate_normal", shape, *batch)
    if method == "svd":
        u, s, _ = fnp.linalg.svd(cov)
        factor = u * fnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = fnp.linalg.eigh(cov)
        factor = v * fnp.sqrt(w[..., None, :])
    else:
        factor = fnp.linalg.cholesky(cov)
    z = normal_real(key, (*shape, n), dtype)
    return mean + fnp.matmul(factor, z[..., None])[..., 0]


def orthogonal(
    key: Array, n: int, shape: Shape = (), dtype: DTypeLike | None = None, m: int | None = None
) -> Array:
    """Haar-random orthogonal ``n x m`` matrices (semi-orthogonal when ``n != m``): the ``Q`` of
    a normal matrix's QR decomposition with the signs of ``diag(R)`` folded in.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> q = fr.orthogonal(fr.PRNGKey(0), 3)
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    key = check_key(key, "ftrans.random.orthogonal")
    dtype = float_dtype(dtype, "orthogonal", complex_ok=True)
    shape = check_shape(shape, "ftrans.random.orthogonal")
    m = n if m is None else m
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = fnp.linalg.qr(z)
    d = fnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * fnp.expand_dims(fnp.sign(d), -2)
    return fnp.swapaxes(x, -1, -2) if n < m else x
