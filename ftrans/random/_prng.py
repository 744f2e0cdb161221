"""PRNG keys and the Threefry-2x32 counter-based hash that turns a key into random bits.

A key is a ``uint32`` array of shape ``(2,)``. Every random number is a pure function of a key
and a counter, computed with ``ftrans.numpy`` integer operations (wrapping ``uint32`` adds,
rotations, xors), so the same key gives the same bits eagerly, under ``jit`` and per element
of ``vmap``, on every machine.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
from ftrans.core import Tracer
from ftrans.errors import FtransError, format_frame, user_frame
from ftrans.numpy._util import tracing
from ftrans.random._threefry import _thread_pool, threefry2x32_p
from ftrans.typing import Array

KEY_SHAPE = (2,)
KEY_DTYPE = np.dtype(np.uint32)

# Counter domains: the second counter word says what the bits are for, so the bits behind
# `split`, `fold_in` and the samplers never coincide for one key.
_DOMAIN_BITS = 0
_DOMAIN_SPLIT = 1
_DOMAIN_FOLD_IN = 2

_EAGER_CHUNK = 1 << 17  # counters per slice when running eagerly (see map_counters)


class PRNGKeyError(FtransError, TypeError):
    """A PRNG key was expected and something else was passed (or the other way round)."""


# ----------------------------------------------------------------------------- checking


def _describe(x) -> str:
    if isinstance(x, (np.ndarray, np.generic, Tracer)):
        return f"{np.dtype(x.dtype).name}{list(x.shape)}"
    return f"{type(x).__name__} {x!r:.40}"


def check_key(key, fn: str):
    """``key`` as an array, or a :class:`PRNGKeyError` saying what a key is and how to get one.

    ``fn`` is the public name of the caller, e.g. ``"ftrans.random.normal"``.
    """
    where = format_frame(user_frame())
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        raise PRNGKeyError(
            f"{fn}: `key` must be a PRNG key, got the integer {key} (at {where}). "
            f"Make a key from a seed once with `key = ftrans.random.key({key})`, then pass `key` "
            "(and `ftrans.random.split(key)` to get fresh ones)."
        )
    if isinstance(key, (list, tuple)):
        raise PRNGKeyError(
            f"{fn}: `key` must be a PRNG key, got the {type(key).__name__} {key!r:.40} (at "
            f"{where}). If that is a shape, the key goes first: {fn}(key, shape, ...). Keys come "
            "from ftrans.random.key(seed) and ftrans.random.split(key)."
        )
    if not isinstance(key, (np.ndarray, Tracer)):
        raise PRNGKeyError(
            f"{fn}: `key` must be a PRNG key (a uint32 array of shape (2,) from "
            f"ftrans.random.key(seed)), got {_describe(key)} (at {where})."
        )
    if key.dtype == KEY_DTYPE and key.ndim >= 2 and tuple(key.shape[-1:]) == KEY_SHAPE:
        raise PRNGKeyError(
            f"{fn}: got a batch of keys {_describe(key)} but takes a single key of "
            f"shape (2,) (at {where}). Map over the keys with ftrans.vmap, e.g. "
            f"`ft.vmap(lambda k: {fn}(k, ...))(keys)`, or index one: `keys[0]`."
        )
    if key.dtype != KEY_DTYPE or tuple(key.shape) != KEY_SHAPE:
        raise PRNGKeyError(
            f"{fn}: `key` must be a PRNG key, a uint32 array of shape (2,), but got "
            f"{_describe(key)} (at {where}). Keys come from ftrans.random.key(seed), "
            "ftrans.random.split(key) or ftrans.random.fold_in(key, data). If you meant to pass "
            f"data here, check the argument order: {fn}(key, ...)."
        )
    return key


def check_shape(shape, fn: str, name: str = "shape") -> tuple[int, ...]:
    """A static shape as a tuple of ints; a key (or any array) passed as a shape is an error."""
    if isinstance(shape, (np.ndarray, Tracer)):
        hint = (
            f" It looks like a PRNG key: the key goes first, {fn}(key, {name}, ...)."
            if shape.dtype == KEY_DTYPE and tuple(shape.shape) == KEY_SHAPE
            else " Pass a tuple of Python ints, e.g. (3, 4)."
        )
        raise PRNGKeyError(
            f"{fn}: `{name}` must be a tuple of ints, got the array "
            f"{_describe(shape)} (at {format_frame(user_frame())}).{hint}"
        )
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(
            f"{fn}: `{name}` must be a tuple of ints (static under jit), got {shape!r:.60}."
        ) from None


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


# ----------------------------------------------------------------------------- the hash


def threefry2x32(k0: Array, k1: Array, x0: Array, x1: Array) -> tuple[Array, Array]:
    """The Threefry-2x32 block cipher with 20 rounds: ``(k0, k1)`` key words, ``(x0, x1)`` counters.

    All four are ``uint32`` arrays (or Python ints) that broadcast together; the result is two
    ``uint32`` arrays of the broadcast shape. This is the standard function (its known-answer
    vectors are in the tests). It is the primitive ``threefry2x32``, so it traces, batches and
    runs as one in-place NumPy kernel eagerly and under ``jit`` alike.
    """
    words = [
        w if isinstance(w, (np.ndarray, Tracer)) else np.asarray(w, KEY_DTYPE)
        for w in (k0, k1, x0, x1)
    ]
    high, low = threefry2x32_p.bind(*words)
    return high, low


def hash_counters(key, counters, domain: int = _DOMAIN_BITS):
    """Two ``uint32`` words per entry of the ``uint32`` array ``counters``, hashed under ``key``."""
    # Rank-0 key and domain words keep every operation elementwise on one shape (what jit's
    # fusion wants); a 0-d array, unlike a NumPy scalar, wraps around without a warning.
    return threefry2x32(key[0], key[1], counters, np.full((), domain, np.uint32))


def check_count(count: int) -> None:
    if count >= 2**32:
        raise ValueError(
            f"ftrans.random: asked for {count} random blocks in one call; at most 2**32 - 1 "
            "are supported. Split the key and draw in several calls."
        )


def map_counters(fn, count: int):
    """``fn(counters)`` for the counters ``0..count-1``; ``fn`` returns a tuple of arrays.

    Every output entry depends only on its own counter, so eagerly (outside every
    transformation) the counters run in slices of ``_EAGER_CHUNK``: NumPy then reuses a few
    cache-sized temporaries instead of allocating (and page-faulting) dozens of full-size
    arrays, and the slices are spread over ``ftrans.get_num_threads()`` threads (NumPy releases
    the GIL in its loops). Traced, ``fn`` sees all counters at once and ``jit`` fuses it. The
    numbers are the same either way.
    """
    check_count(count)
    if tracing() or count <= _EAGER_CHUNK:
        return fn(np.arange(count, dtype=np.uint32))

    def piece(start):
        return fn(np.arange(start, min(start + _EAGER_CHUNK, count), dtype=np.uint32))

    starts = range(0, count, _EAGER_CHUNK)
    pool = _thread_pool()
    pieces = list(map(piece, starts) if pool is None else pool.map(piece, starts))
    return tuple(np.concatenate(parts) for parts in zip(*pieces, strict=True))


def hash_blocks(key, count: int, domain: int = _DOMAIN_BITS):
    """Two ``uint32`` arrays of shape ``(count,)``: the hashes of counters ``0..count-1``."""
    return map_counters(lambda counters: hash_counters(key, counters, domain), count)


def random_words(key, count: int):
    """``count`` random ``uint32`` words (both words of ``ceil(count / 2)`` blocks)."""
    high, low = hash_blocks(key, (count + 1) // 2)
    words = fnp.concatenate([high, low])
    return words if count % 2 == 0 else words[:count]


# ----------------------------------------------------------------------------- keys


def key(seed: int | Array) -> Array:
    """A PRNG key from an integer seed: a ``uint32`` array of shape ``(2,)``.

    The two words are the high and low 32 bits of the seed as a 64-bit integer, so every seed in
    ``[-2**63, 2**64)`` gives a distinct key. Keys are plain arrays: pass them to functions,
    store them, ``vmap`` over a stack of them. Never reuse a key for two different draws; make
    new keys with :func:`split` or :func:`fold_in`.

    Args:
        seed: a Python or NumPy integer, or an integer array of shape () (may be traced).

    Returns:
        The key, ``uint32[2]``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.key(0)
        array([0, 0], dtype=uint32)
        >>> fr.key(2**32 + 7).tolist()
        [1, 7]
    """
    if isinstance(seed, (bool, np.bool_)) or not (
        isinstance(seed, (int, np.integer))
        or (isinstance(seed, (np.ndarray, Tracer)) and np.issubdtype(seed.dtype, np.integer))
    ):
        raise PRNGKeyError(
            f"ftrans.random.key: `seed` must be an integer, got {_describe(seed)} (at "
            f"{format_frame(user_frame())}). Use e.g. ftrans.random.key(0); to derive keys from "
            "other keys use split or fold_in."
        )
    if isinstance(seed, (int, np.integer)):
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"ftrans.random.key: seed {seed} does not fit in 64 bits")
        seed %= 2**64
        return np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32)
    if seed.shape != ():
        raise PRNGKeyError(
            f"ftrans.random.key: `seed` must be a scalar, got {_describe(seed)}; for many keys use "
            "ftrans.vmap(ftrans.random.key)(seeds)."
        )
    seed64 = fnp.astype(seed, np.uint64)  # two's complement for negative seeds
    high = fnp.astype(fnp.right_shift(seed64, 32), np.uint32)
    low = fnp.astype(fnp.bitwise_and(seed64, 0xFFFFFFFF), np.uint32)
    return fnp.stack([high, low])


def split(key: Array, num: int | tuple[int, ...] = 2) -> Array:
    """New keys derived from ``key``, independent of each other and of ``key``'s own draws.

    Args:
        key: a PRNG key.
        num: how many keys (an int), or the shape of the batch of keys (a tuple).

    Returns:
        ``uint32`` array of shape ``(num, 2)`` (``num + (2,)`` for a tuple); ``split(key)[i]``
        is the i-th key.

    Examples:
        >>> import ftrans.random as fr
        >>> params_key, data_key = fr.split(fr.key(0))
        >>> fr.split(fr.key(0), 3).shape
        (3, 2)
    """
    key = check_key(key, "ftrans.random.split")
    shape = check_shape(num, "ftrans.random.split", "num")
    high, low = hash_blocks(key, _size(shape), _DOMAIN_SPLIT)
    return fnp.reshape(fnp.stack([high, low], axis=-1), (*shape, 2))


def fold_in(key: Array, data: int | Array) -> Array:
    """A new key that mixes the integer ``data`` into ``key`` (e.g. a step or a worker index).

    Distinct ``data`` give independent keys; only the low 32 bits of ``data`` are used.

    Args:
        key: a PRNG key.
        data: an integer scalar (Python int or a possibly traced integer array of shape ()).

    Returns:
        A new key, ``uint32[2]``.

    Examples:
        >>> import ftrans.random as fr
        >>> k = fr.key(0)
        >>> bool((fr.fold_in(k, 1) != fr.fold_in(k, 2)).any())
        True
    """
    key = check_key(key, "ftrans.random.fold_in")
    if isinstance(data, (np.ndarray, Tracer)):
        if not np.issubdtype(data.dtype, np.integer) or data.shape != ():
            raise TypeError(
                f"ftrans.random.fold_in: `data` must be an integer scalar, got {_describe(data)}."
            )
        counter = fnp.reshape(fnp.astype(fnp.astype(data, np.uint64), np.uint32), (1,))
    elif isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        counter = np.array([int(data) % 2**32], dtype=np.uint32)
    else:
        raise TypeError(
            f"ftrans.random.fold_in: `data` must be an integer scalar, got {_describe(data)}."
        )
    high, low = threefry2x32(key[0:1], key[1:2], counter, np.full(1, _DOMAIN_FOLD_IN, np.uint32))
    return fnp.concatenate([high, low])


def bits(key: Array, shape: int | tuple[int, ...] = (), dtype: DTypeLike = np.uint32) -> Array:
    """Uniformly random unsigned integers (every bit independent and fair).

    Args:
        key: a PRNG key.
        shape: the output shape (a tuple of ints).
        dtype: ``uint32`` or ``uint64``.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.bits(fr.key(0), (2, 3)).dtype
        dtype('uint32')
    """
    key = check_key(key, "ftrans.random.bits")
    shape = check_shape(shape, "ftrans.random.bits")
    dtype = np.dtype(dtype)
    n = _size(shape)
    if dtype == np.uint32:
        return fnp.reshape(random_words(key, n), shape)
    if dtype == np.uint64:
        high, low = hash_blocks(key, n)
        return fnp.reshape(join_words(high, low), shape)
    raise TypeError(f"ftrans.random.bits: dtype must be uint32 or uint64, got {dtype}")


def join_words(high, low):
    """Two ``uint32`` arrays as one ``uint64`` array ``high * 2**32 + low``."""
    return fnp.bitwise_or(
        fnp.left_shift(fnp.astype(high, np.uint64), 32), fnp.astype(low, np.uint64)
    )
