"""Samplers: every distribution is a deterministic function of a key, a shape and parameters."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
from ftrans.numpy._util import tracing
from ftrans.random import _normal, _special
from ftrans.random._prng import (
    _size,
    check_count,
    check_key,
    check_shape,
    hash_blocks,
    hash_counters,
    join_words,
    map_counters,
    random_words,
)
from ftrans.typing import Array, ArrayLike

Shape = int | tuple[int, ...]

# ----------------------------------------------------------------------------- helpers


def _float_dtype(dtype, fn: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"ftrans.random.{fn}: dtype must be a floating dtype, got {dtype}")
    return dtype


def _unit_interval(key, n: int, dtype: np.dtype, *, open_: bool):
    """``n`` floats uniform on [0, 1) (or (0, 1) with ``open_``) from the top mantissa bits.

    float64 takes 52 bits from the two words of one Threefry block per number (see
    :func:`_unit_from_block`). Narrower floats take their ``nmant`` bits from one word each.
    """
    mantissa = np.finfo(dtype).nmant
    if mantissa > 32:
        (out,) = map_counters(
            lambda c: (_unit_from_block(*hash_counters(key, c), dtype, open_),), n
        )
        return out
    integer = fnp.astype(fnp.right_shift(random_words(key, n), 32 - mantissa), dtype)
    return _scale_unit(integer, mantissa, open_)


def _unit_from_block(high, low, dtype, open_: bool):
    """``high * 2**20 + (low >> 12)`` is a 52-bit integer, exact in float64; scale by ``2**-52``."""
    mantissa = np.finfo(dtype).nmant
    top = fnp.astype(fnp.right_shift(low, 64 - mantissa), dtype)
    return _scale_unit(fnp.astype(high, dtype) * float(2 ** (mantissa - 32)) + top, mantissa, open_)


def _scale_unit(integer, mantissa: int, open_: bool):
    # The open interval adds half a step, so that log(u) is always finite.
    if open_:
        integer = integer + 0.5
    return integer * float(2.0**-mantissa)


def _as_float(x, dtype):
    return fnp.astype(fnp.asarray(x), dtype)


# ----------------------------------------------------------------------------- continuous


def uniform(
    key: Array,
    shape: Shape = (),
    dtype: DTypeLike = np.float64,
    minval: ArrayLike = 0.0,
    maxval: ArrayLike = 1.0,
) -> Array:
    """Floats uniform on ``[minval, maxval)``.

    The unit draw uses the top mantissa bits of the random words (52 for float64, from two
    ``uint32`` words), so every representable multiple of ``2**-52`` in [0, 1) is equally likely.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        dtype: a floating dtype.
        minval: lower bound (inclusive); broadcasts against ``shape``.
        maxval: upper bound (exclusive); broadcasts against ``shape``.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.uniform(fr.key(0), (1000,), minval=-1.0, maxval=1.0)
        >>> bool(x.min() >= -1.0 and x.max() < 1.0)
        True
    """
    key = check_key(key, "ftrans.random.uniform")
    shape = check_shape(shape, "ftrans.random.uniform")
    dtype = _float_dtype(dtype, "uniform")
    unit = fnp.reshape(_unit_interval(key, _size(shape), dtype, open_=False), shape)
    if _is_default(minval, 0.0) and _is_default(maxval, 1.0):
        return unit
    low, high = _as_float(minval, dtype), _as_float(maxval, dtype)
    out = low + unit * (high - low)
    # Rounding can land exactly on maxval; send those (rare) draws to minval instead.
    return fnp.where(out < high, out, fnp.broadcast_to(low, fnp.shape(out)))


def _is_default(value, default: float) -> bool:
    return type(value) in (int, float) and value == default


def normal(key: Array, shape: Shape = (), dtype: DTypeLike = np.float64) -> Array:
    """Standard normal floats, by the Box-Muller transform.

    Pairs of independent uniforms ``(u1, u2)`` become ``sqrt(-2 log u1) * (cos, sin)(2 pi u2)``:
    two exact normal draws with no rejection loop, so the work is the same for every key (which
    ``jit`` and ``vmap`` need) and is fully vectorised. The cosine and sine come from one
    tangent of the half angle. ``u1`` is in the open interval (0, 1) with 52 random bits, so the
    largest possible magnitude is about 8.6; ``u2`` has 32 bits (a pair takes 1.5 hash blocks).
    Narrower dtypes are sampled in float64 and rounded. Eagerly and under ``jit`` the numbers
    come from one in-place NumPy kernel, the primitive ``threefry_normal`` (see
    ``ftrans/random/_normal.py``); under ``vmap`` from its ``ftrans.numpy`` definition. They are
    the same numbers.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> z = fr.normal(fr.key(0), (100_000,))
        >>> round(float(z.mean()), 2), round(float(z.std()), 2)
        (0.0, 1.0)
    """
    key = check_key(key, "ftrans.random.normal")
    shape = check_shape(shape, "ftrans.random.normal")
    dtype = _float_dtype(dtype, "normal")
    n = _size(shape)
    check_count(_normal.blocks_needed(n))
    if isinstance(key, np.ndarray) and not tracing():
        z = _normal.normal_eager(key, n)
    else:
        z = _normal.threefry_normal_p.bind(key, n=n)
    return fnp.astype(fnp.reshape(z, shape), dtype, copy=False)


def truncated_normal(
    key: Array,
    lower: ArrayLike,
    upper: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike = np.float64,
) -> Array:
    """Standard normal floats conditioned on ``lower < x < upper``, by inverting the CDF.

    A uniform draw between ``Phi(lower)`` and ``Phi(upper)`` is mapped through ``Phi^-1``. An
    interval entirely above zero is sampled as its mirror image below zero, where the CDF keeps
    full relative precision, so far tails (``lower=10``) work.

    Args:
        key: a PRNG key.
        lower: lower bound (scalar or array, may be ``-inf``).
        upper: upper bound (scalar or array, may be ``inf``).
        shape: output shape; defaults to the broadcast shape of ``lower`` and ``upper``.
        dtype: a floating dtype.

    Returns:
        An array of ``shape`` and ``dtype`` with values in ``[lower, upper]``.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.truncated_normal(fr.key(0), -2.0, 2.0, (1000,))
        >>> bool((abs(x) <= 2).all())
        True
    """
    key = check_key(key, "ftrans.random.truncated_normal")
    dtype = _float_dtype(dtype, "truncated_normal")
    f64 = np.dtype(np.float64)
    lower, upper = _as_float(lower, f64), _as_float(upper, f64)
    if shape is None:
        shape = np.broadcast_shapes(fnp.shape(lower), fnp.shape(upper))
    shape = check_shape(shape, "ftrans.random.truncated_normal")
    mirrored = lower > 0  # an interval above zero is sampled reflected below zero
    a = fnp.where(mirrored, -upper, lower)
    b = fnp.where(mirrored, -lower, upper)
    cdf_a, cdf_b = _special.ndtr(a), _special.ndtr(b)
    u = fnp.reshape(_unit_interval(key, _size(shape), f64, open_=True), shape)
    x = fnp.clip(_special.ndtri(cdf_a + u * (cdf_b - cdf_a)), a, b)
    return fnp.astype(fnp.where(mirrored, -x, x), dtype)


def gumbel(key: Array, shape: Shape = (), dtype: DTypeLike = np.float64) -> Array:
    """Standard Gumbel floats, ``-log(-log(u))`` with ``u`` uniform on (0, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.gumbel(fr.key(0), (3,)).shape
        (3,)
    """
    key = check_key(key, "ftrans.random.gumbel")
    shape = check_shape(shape, "ftrans.random.gumbel")
    dtype = _float_dtype(dtype, "gumbel")
    u = _unit_interval(key, _size(shape), np.dtype(np.float64), open_=True)
    return fnp.astype(fnp.reshape(-fnp.log(-fnp.log(u)), shape), dtype)


def exponential(key: Array, shape: Shape = (), dtype: DTypeLike = np.float64) -> Array:
    """Standard exponential floats (rate 1), ``-log(u)`` with ``u`` uniform on (0, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.exponential(fr.key(0), (100,)) > 0).all())
        True
    """
    key = check_key(key, "ftrans.random.exponential")
    shape = check_shape(shape, "ftrans.random.exponential")
    dtype = _float_dtype(dtype, "exponential")
    u = _unit_interval(key, _size(shape), np.dtype(np.float64), open_=True)
    return fnp.astype(fnp.reshape(-fnp.log(u), shape), dtype)


# ----------------------------------------------------------------------------- discrete


def bernoulli(key: Array, p: ArrayLike = 0.5, shape: Shape | None = None) -> Array:
    """Booleans that are True with probability ``p``.

    Args:
        key: a PRNG key.
        p: probability of True (scalar or array, broadcasting against ``shape``).
        shape: output shape; defaults to the shape of ``p``.

    Returns:
        A bool array.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.bernoulli(fr.key(0), 0.3, (5,)).dtype
        dtype('bool')
    """
    key = check_key(key, "ftrans.random.bernoulli")
    p = fnp.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        p = fnp.astype(p, np.float64)
    shape = check_shape(fnp.shape(p) if shape is None else shape, "ftrans.random.bernoulli")
    return uniform(key, shape, np.float64) < p


def randint(
    key: Array,
    shape: Shape,
    minval: ArrayLike,
    maxval: ArrayLike,
    dtype: DTypeLike = np.int64,
) -> Array:
    """Integers uniform on ``[minval, maxval)``.

    Each value is 64 random bits reduced modulo ``maxval - minval``; the bias of that reduction
    is below ``(maxval - minval) / 2**64``. Where ``maxval <= minval`` the result is ``minval``.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        minval: smallest value (inclusive); scalar or array broadcasting against ``shape``.
        maxval: bound (exclusive); scalar or array broadcasting against ``shape``.
        dtype: an integer dtype.

    Returns:
        An integer array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> sorted(set(fr.randint(fr.key(0), (1000,), 0, 3).tolist()))
        [0, 1, 2]
    """
    key = check_key(key, "ftrans.random.randint")
    shape = check_shape(shape, "ftrans.random.randint")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(f"ftrans.random.randint: dtype must be an integer dtype, got {dtype}")
    low = _as_int64(minval, dtype, "minval")
    high = _as_int64(maxval, dtype, "maxval")
    span = high - low
    span = fnp.astype(fnp.where(span > 0, span, 1), np.uint64)
    high_words, low_words = hash_blocks(key, _size(shape))
    draws = fnp.reshape(join_words(high_words, low_words), shape)
    return fnp.astype(low + fnp.astype(draws % span, np.int64), dtype)


def _as_int64(value, dtype: np.dtype, name: str):
    """``value`` as int64, clipped to the range of ``dtype`` (its exclusive bound included)."""
    value = fnp.asarray(value)
    if not np.issubdtype(value.dtype, np.integer):
        raise TypeError(f"ftrans.random.randint: {name} must be an integer, got {value.dtype}")
    value = fnp.astype(value, np.int64)
    if dtype.itemsize < 8:
        info = np.iinfo(dtype)
        value = fnp.clip(value, int(info.min), int(info.max) + 1)
    return value


def categorical(key: Array, logits: ArrayLike, axis: int = -1, shape: Shape | None = None) -> Array:
    """Indices drawn with probabilities ``softmax(logits)`` along ``axis``.

    Uses the Gumbel-max trick: ``argmax(logits + gumbel noise)``. Entries of ``-inf`` are never
    drawn.

    Args:
        key: a PRNG key.
        logits: unnormalised log-probabilities.
        axis: the axis of categories.
        shape: output shape; must end with the batch shape of ``logits`` (its shape without
            ``axis``), which is the default.

    Returns:
        An int64 array of ``shape``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> draws = fr.categorical(fr.key(0), np.log([0.2, 0.8]), shape=(10_000,))
        >>> round(float(draws.mean()), 1)
        0.8
    """
    key = check_key(key, "ftrans.random.categorical")
    logits = fnp.asarray(logits)
    if not np.issubdtype(logits.dtype, np.floating):
        logits = fnp.astype(logits, np.float64)
    logits = fnp.moveaxis(logits, axis, -1)
    batch = fnp.shape(logits)[:-1]
    shape = batch if shape is None else check_shape(shape, "ftrans.random.categorical")
    try:
        compatible = np.broadcast_shapes(shape, batch) == shape
    except ValueError:
        compatible = False
    if not compatible:
        raise ValueError(
            f"ftrans.random.categorical: shape {shape} must end with the batch shape {batch} of "
            "the logits (their shape without `axis`)."
        )
    noise = gumbel(key, (*shape, fnp.shape(logits)[-1]), logits.dtype)
    return fnp.argmax(logits + noise, axis=-1)


def permutation(key: Array, x: int | ArrayLike, axis: int = 0) -> Array:
    """A random permutation of ``range(x)`` (int ``x``) or of ``x``'s entries along ``axis``.

    Sorts by 64-bit random keys: every ordering is equally likely up to the chance of two equal
    keys (below ``n**2 / 2**65``).

    Args:
        key: a PRNG key.
        x: an int ``n`` or an array.
        axis: the axis to shuffle (arrays only).

    Returns:
        The permuted indices (int64) or array.

    Examples:
        >>> import ftrans.random as fr
        >>> sorted(fr.permutation(fr.key(0), 5).tolist())
        [0, 1, 2, 3, 4]
    """
    key = check_key(key, "ftrans.random.permutation")
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return _shuffled_indices(key, int(x))
    x = fnp.asarray(x)
    if x.ndim == 0:
        raise ValueError("ftrans.random.permutation: x must be an int or an array of rank >= 1")
    order = _shuffled_indices(key, fnp.shape(x)[axis])
    return fnp.moveaxis(fnp.getitem(fnp.moveaxis(x, axis, 0), order), 0, axis)


def _shuffled_indices(key, n: int):
    high, low = hash_blocks(key, n)
    return fnp.argsort(join_words(high, low))


def choice(
    key: Array,
    a: int | ArrayLike,
    shape: Shape = (),
    replace: bool = True,
    p: ArrayLike | None = None,
) -> Array:
    """Random entries of ``a`` (or of ``range(a)`` for an int), optionally weighted by ``p``.

    With replacement this is :func:`randint` (or :func:`categorical` on ``log p``); without, the
    first entries of a :func:`permutation` (or, with ``p``, the top entries of ``log p`` plus
    Gumbel noise, which draws without replacement in proportion to ``p``).

    Args:
        key: a PRNG key.
        a: an int ``n`` (choose from ``0..n-1``) or an array (choose along its first axis).
        shape: output shape (of the chosen indices).
        replace: draw with replacement.
        p: probabilities of the ``n`` entries (need not be normalised), or None for uniform.

    Returns:
        An array of ``shape + a.shape[1:]``.

    Examples:
        >>> import ftrans.random as fr
        >>> picks = fr.choice(fr.key(0), 10, (4,), replace=False)
        >>> len(set(picks.tolist()))
        4
    """
    key = check_key(key, "ftrans.random.choice")
    shape = check_shape(shape, "ftrans.random.choice")
    if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
        n, values = int(a), None
    else:
        values = fnp.asarray(a)
        if values.ndim == 0:
            raise ValueError("ftrans.random.choice: a must be an int or an array of rank >= 1")
        n = fnp.shape(values)[0]
    size = _size(shape)
    if not replace and size > n:
        raise ValueError(
            f"ftrans.random.choice: cannot take {size} samples from {n} entries without "
            "replacement; use replace=True or a smaller shape."
        )
    if n == 0 and size > 0:
        raise ValueError("ftrans.random.choice: a has no entries to choose from")
    if p is None:
        if replace:
            index = randint(key, shape, 0, n)
        else:
            index = fnp.reshape(_shuffled_indices(key, n)[:size], shape)
    else:
        p = fnp.asarray(p)
        if fnp.shape(p) != (n,):
            raise ValueError(f"ftrans.random.choice: p must have shape ({n},), got {fnp.shape(p)}")
        p = fnp.astype(p, np.float64)
        positive = p > 0  # p == 0 gives log p = -inf (never drawn), without a log(0) warning
        log_p = fnp.where(positive, fnp.log(fnp.where(positive, p, 1.0)), -np.inf)
        if replace:
            index = categorical(key, log_p, shape=shape)
        else:
            scores = log_p + gumbel(key, (n,))
            index = fnp.reshape(fnp.argsort(-scores)[:size], shape)
    return index if values is None else fnp.getitem(values, index)
