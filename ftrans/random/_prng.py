"""PRNG keys, and the Threefry-2x32 counter layout that turns a key into random bits.

The layout is JAX's default ``threefry2x32`` implementation (with ``jax_threefry_partitionable``,
the default since JAX 0.5): entry ``i`` of an output of shape ``shape`` (row-major) hashes the
64-bit counter ``i``, split into its high and low 32-bit words, under the key; the two hashed
words ``(b1, b2)`` become ``b1 ^ b2`` for 32-bit draws and ``b1 * 2**32 + b2`` for 64-bit draws.
[`split`][ftrans.random.split] returns the hashed words themselves as the new keys, and
[`fold_in`][ftrans.random.fold_in] hashes the counter ``(0, data)``. So a seed gives the same keys
and bits as ``jax.random``, bit for bit.

A raw key is a ``uint32`` array of shape ``(2,)`` (what [`PRNGKey`][ftrans.random.PRNGKey] and
[`key`][ftrans.random.key] return); a typed key ([`KeyArray`][ftrans.random.KeyArray], from
[`wrap_key_data`][ftrans.random.wrap_key_data]) is a thin wrapper around such data. Every function
takes either.
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
from ftrans.tree import register_pytree_node
from ftrans.typing import Array

KEY_SHAPE = (2,)
KEY_DTYPE = np.dtype(np.uint32)
IMPL_NAME = "threefry2x32"

_EAGER_CHUNK = 1 << 17  # counters per slice when running eagerly (see map_counters)


class PRNGKeyError(FtransError, TypeError):
    """A PRNG key was expected and something else was passed (or the other way round)."""


# ----------------------------------------------------------------------------- typed keys


class KeyArray:
    """A typed PRNG key array: ``shape`` keys whose ``uint32`` data has shape ``shape + (2,)``.

    JAX's `jax.random.key` returns such arrays (dtype ``key<fry>``). In ftrans they are a
    thin wrapper made by [`wrap_key_data`][ftrans.random.wrap_key_data] (and returned by
    [`split`][ftrans.random.split]/[`fold_in`][ftrans.random.fold_in] when given one);
    [`key_data`][ftrans.random.key_data] unwraps them. They index, iterate and pass through
    ``jit``/``vmap`` like arrays of keys (they are pytrees whose one leaf is the data).

    Examples:
        >>> import ftrans.random as fr
        >>> k = fr.wrap_key_data(fr.PRNGKey(0))
        >>> k.shape, fr.split(k, 3).shape
        ((), (3,))
        >>> fr.key_data(fr.split(k)[1]).tolist()
        [928981903, 3453687069]
    """

    __slots__ = ("_data",)
    dtype = "key<fry>"

    def __init__(self, data):
        self._data = data

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape[:-1])

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a single PRNG key (shape ())")
        return self.shape[0]

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        return KeyArray(self._data[(*index, slice(None))])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        return KeyArray(fnp.reshape(self._data, (*shape, 2)))

    def __repr__(self) -> str:
        return f"KeyArray(shape={self.shape}, dtype=key<fry>) overlaying:\n{self._data!r}"


register_pytree_node(
    KeyArray, lambda k: ((k._data,), None), lambda _, children: KeyArray(*children)
)


# ----------------------------------------------------------------------------- checking


def _describe(x) -> str:
    if isinstance(x, (np.ndarray, np.generic, Tracer)):
        return f"{np.dtype(x.dtype).name}{list(x.shape)}"
    return f"{type(x).__name__} {x!r:.40}"


def check_key(key, fn: str):
    """``key`` as an array, or a [`PRNGKeyError`][ftrans.random.PRNGKeyError] saying what a key is
    and how to get one.

    ``fn`` is the public name of the caller, e.g. ``"ftrans.random.normal"``.
    """
    return unwrap_key(key, fn)[0]


def unwrap_key(key, fn: str, *, allow_batched: bool = False):
    """``(raw_key_data, was_typed)``; errors as `check_key`. With ``allow_batched`` any
    leading batch shape is accepted (for [`key_data`][ftrans.random.key_data])."""
    if isinstance(key, KeyArray):
        if key.ndim and not allow_batched:
            raise PRNGKeyError(
                f"{fn}: got a batch of keys of shape {key.shape} but takes a single key (at "
                f"{format_frame(user_frame())}). Map over the keys with ftrans.vmap, e.g. "
                f"`ft.vmap(lambda k: {fn}(k, ...))(keys)`, or index one: `keys[0]`."
            )
        return key._data, True
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
    if allow_batched and key.dtype == KEY_DTYPE and tuple(key.shape[-1:]) == KEY_SHAPE:
        return key, False
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
    return key, False


def check_shape(shape, fn: str, name: str = "shape") -> tuple[int, ...]:
    """A static shape as a tuple of ints; a key (or any array) passed as a shape is an error."""
    if isinstance(shape, KeyArray):
        shape = shape._data
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


def broadcast_shape(fn: str, shape, *params) -> tuple[int, ...]:
    """The sample shape: ``shape`` (checked against the parameters' shapes) or, when None, the
    parameters' broadcast shape. As in JAX, the parameters must broadcast *to* ``shape``."""
    param_shapes = [tuple(fnp.shape(p)) for p in params]
    if shape is None:
        return tuple(np.broadcast_shapes(*param_shapes)) if param_shapes else ()
    shape = check_shape(shape, fn)
    try:
        ok = tuple(np.broadcast_shapes(shape, *param_shapes)) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{fn}: the parameter shapes {', '.join(map(str, param_shapes))} must broadcast to "
            f"the requested shape {shape} (as in jax.random, the result of broadcasting must "
            "equal `shape`). Pass shape=None to use the parameters' broadcast shape."
        )
    return shape


# ----------------------------------------------------------------------------- the hash


def threefry2x32(k0: Array, k1: Array, x0: Array, x1: Array) -> tuple[Array, Array]:
    """The Threefry-2x32 block cipher with 20 rounds: ``(k0, k1)`` key words, ``(x0, x1)`` counters.

    All four are ``uint32`` arrays (or Python ints) that broadcast together; the result is two
    ``uint32`` arrays of the broadcast shape. This is the standard function (its known-answer
    vectors are in the tests) and the one ``jax.random`` uses. It is the primitive
    ``threefry2x32``, so it traces, batches and runs as one in-place NumPy kernel eagerly and
    under ``jit`` alike.
    """
    words = [
        w if isinstance(w, (np.ndarray, Tracer)) else np.asarray(w, KEY_DTYPE)
        for w in (k0, k1, x0, x1)
    ]
    high, low = threefry2x32_p.bind(*words)
    return high, low


_ZERO = np.zeros((), np.uint32)


def hash_counters(key, counters):
    """The two hashed ``uint32`` words for each entry of the ``uint32`` array ``counters`` (the
    low words of the 64-bit counters; the high words are zero: at most 2**32 draws a call)."""
    return threefry2x32(key[0], key[1], _ZERO, counters)


def check_count(count: int) -> None:
    if count >= 2**32:
        raise ValueError(
            f"ftrans.random: asked for {count} random numbers in one call; at most 2**32 - 1 "
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


def combine_words(high, low, bit_width: int):
    """JAX's reduction of the hashed words to ``bit_width``-bit unsigned integers."""
    if bit_width == 64:
        return fnp.bitwise_or(
            fnp.left_shift(fnp.astype(high, np.uint64), np.uint64(32)),
            fnp.astype(low, np.uint64),
        )
    words = fnp.bitwise_xor(high, low)
    return words if bit_width == 32 else fnp.astype(words, f"uint{bit_width}")


def random_bits(key, bit_width: int, shape: tuple[int, ...]):
    """``shape`` unsigned ``bit_width``-bit integers from ``key``: ``jax.random.bits``' numbers."""
    n = _size(shape)
    (out,) = map_counters(lambda c: (combine_words(*hash_counters(key, c), bit_width),), n)
    return fnp.reshape(out, shape)


# ----------------------------------------------------------------------------- keys


def _seed_words(seed, fn: str):
    if isinstance(seed, KeyArray) or (
        isinstance(seed, (np.ndarray, Tracer)) and seed.dtype == KEY_DTYPE and seed.shape == (2,)
    ):
        raise PRNGKeyError(f"{fn} accepts a scalar seed, but was given a PRNG key.")
    if isinstance(seed, (bool, np.bool_)) or not (
        isinstance(seed, (int, np.integer))
        or (isinstance(seed, (np.ndarray, Tracer)) and np.issubdtype(seed.dtype, np.integer))
    ):
        raise PRNGKeyError(
            f"{fn}: `seed` must be an integer, got {_describe(seed)} (at "
            f"{format_frame(user_frame())}). Use e.g. {fn}(0); to derive keys from "
            "other keys use split or fold_in."
        )
    if isinstance(seed, (int, np.integer)):
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"{fn}: seed {seed} does not fit in 64 bits")
        seed %= 2**64
        return np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32)
    if seed.shape != ():
        raise PRNGKeyError(
            f"{fn}: `seed` must be a scalar, got {_describe(seed)}; for many keys use "
            f"ftrans.vmap({fn})(seeds)."
        )
    seed64 = fnp.astype(seed, np.uint64)  # two's complement for negative seeds
    high = fnp.astype(fnp.right_shift(seed64, np.uint64(32)), np.uint32)
    low = fnp.astype(fnp.bitwise_and(seed64, np.uint64(0xFFFFFFFF)), np.uint32)
    return fnp.stack([high, low])


def _check_impl(impl, fn: str) -> None:
    name = getattr(impl, "name", impl)
    if impl is not None and name not in (IMPL_NAME, "key<fry>"):
        raise ValueError(
            f"{fn}: only the default PRNG implementation {IMPL_NAME!r} is available in ftrans, "
            f"got impl={impl!r}."
        )


def PRNGKey(seed: int | Array, *, impl=None) -> Array:
    """A raw PRNG key from an integer seed: a ``uint32`` array of shape ``(2,)``, as ``jax.random``.

    The two words are the high and low 32 bits of the seed as a 64-bit integer (negative seeds
    in two's complement), exactly ``jax.random.PRNGKey(seed)`` with ``jax_enable_x64``. Keys
    are plain arrays: pass them to functions, store them, ``vmap`` over a stack of them. Never
    reuse a key for two different draws; make new keys with [`split`][ftrans.random.split] or
    [`fold_in`][ftrans.random.fold_in].

    Args:
        seed: a Python or NumPy integer in ``[-2**63, 2**64)``, or an integer array of shape ()
            (may be traced).
        impl: only ``"threefry2x32"`` (the default) is available.

    Returns:
        The key, ``uint32[2]``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.PRNGKey(0)
        array([0, 0], dtype=uint32)
        >>> fr.PRNGKey(2**32 + 7).tolist()
        [1, 7]
    """
    _check_impl(impl, "ftrans.random.PRNGKey")
    return _seed_words(seed, "ftrans.random.PRNGKey")


def key(seed: int | Array, *, impl=None, dtype=None) -> Array:
    """A PRNG key from an integer seed; in ftrans the same raw ``uint32[2]`` key as
    [`PRNGKey`][ftrans.random.PRNGKey].

    ``jax.random.key`` returns a typed key array (dtype ``key<fry>``) over the same data; ftrans
    returns the data itself, which every ``ftrans.random`` function takes, so the numbers are
    JAX's either way. For a typed key use ``wrap_key_data(key(seed))``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.key(0)
        array([0, 0], dtype=uint32)
    """
    _check_impl(impl if dtype is None else dtype, "ftrans.random.key")
    return _seed_words(seed, "ftrans.random.key")


def key_data(keys) -> Array:
    """The ``uint32`` data of a key array (typed or raw): shape ``keys.shape + (2,)``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.key_data(fr.wrap_key_data(fr.PRNGKey(5))).tolist()
        [0, 5]
    """
    return unwrap_key(keys, "ftrans.random.key_data", allow_batched=True)[0]


def wrap_key_data(key_bits_array: Array, *, impl=None, dtype=None) -> KeyArray:
    """A typed [`KeyArray`][ftrans.random.KeyArray] over ``uint32`` key data of shape ``(..., 2)``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.wrap_key_data(fr.split(fr.PRNGKey(0), 4)).shape
        (4,)
    """
    _check_impl(impl if dtype is None else dtype, "ftrans.random.wrap_key_data")
    data = key_bits_array
    if not isinstance(data, (np.ndarray, Tracer)):
        data = np.asarray(data)
    if data.dtype != KEY_DTYPE or tuple(data.shape[-1:]) != KEY_SHAPE:
        raise PRNGKeyError(
            "ftrans.random.wrap_key_data: key data must be a uint32 array whose last axis has "
            f"length 2, got {_describe(data)}."
        )
    return KeyArray(data)


def key_dtype(impl=None) -> str:
    """The dtype name of typed keys ([`KeyArray`][ftrans.random.KeyArray]): ``"key<fry>"``
    (threefry2x32 only)."""
    _check_impl(impl, "ftrans.random.key_dtype")
    return KeyArray.dtype


def key_impl(keys) -> str:
    """The name of the PRNG implementation behind ``keys``: always ``"threefry2x32"``."""
    unwrap_key(keys, "ftrans.random.key_impl", allow_batched=True)
    return IMPL_NAME


def clone(key):
    """A copy of ``key`` (JAX uses this for its key-reuse checker; ftrans has none, so it is the
    identity)."""
    return key


def _rewrap(data, typed: bool):
    return KeyArray(data) if typed else data


def split(key: Array, num: int | tuple[int, ...] = 2) -> Array:
    """New keys derived from ``key``, independent of each other and of ``key``'s own draws.

    Key ``i`` (row-major over ``num``) is the Threefry hash of the counter ``i`` under ``key``,
    so these are ``jax.random.split``'s keys.

    Args:
        key: a PRNG key (raw or typed).
        num: how many keys (an int), or the shape of the batch of keys (a tuple).

    Returns:
        ``uint32`` array of shape ``(num, 2)`` (``num + (2,)`` for a tuple), typed if ``key`` is.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.split(fr.PRNGKey(0)).tolist()
        [[1797259609, 2579123966], [928981903, 3453687069]]
    """
    data, typed = unwrap_key(key, "ftrans.random.split")
    shape = check_shape(num, "ftrans.random.split", "num")
    high, low = map_counters(lambda c: hash_counters(data, c), _size(shape))
    return _rewrap(fnp.reshape(fnp.stack([high, low], axis=-1), (*shape, 2)), typed)


def fold_in(key: Array, data: int | Array) -> Array:
    """A new key that mixes the integer ``data`` into ``key`` (e.g. a step or a worker index).

    It is the Threefry hash of the counter ``(0, data mod 2**32)`` under ``key``, as in
    ``jax.random.fold_in``; only the low 32 bits of ``data`` are used.

    Args:
        key: a PRNG key (raw or typed).
        data: an integer scalar (Python int or a possibly traced integer array of shape ()).

    Returns:
        A new key, typed if ``key`` is.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.fold_in(fr.PRNGKey(0), 7).tolist() != fr.PRNGKey(0).tolist()
        True
    """
    raw, typed = unwrap_key(key, "ftrans.random.fold_in")
    if isinstance(data, (np.ndarray, Tracer)):
        if not np.issubdtype(data.dtype, np.integer) or data.shape != ():
            raise TypeError(
                f"ftrans.random.fold_in: `data` must be an integer scalar, got {_describe(data)}"
                "; for many values use ftrans.vmap."
            )
        word = fnp.astype(fnp.astype(data, np.uint64), np.uint32)
    elif isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        word = np.array(int(data) % 2**32, dtype=np.uint32)
    else:
        raise TypeError(
            f"ftrans.random.fold_in: `data` must be an integer scalar, got {_describe(data)}."
        )
    high, low = threefry2x32(raw[0], raw[1], _ZERO, word)
    return _rewrap(fnp.stack([high, low]), typed)


def bits(key: Array, shape: int | tuple[int, ...] = (), dtype: DTypeLike | None = None) -> Array:
    """Uniformly random unsigned integers: ``jax.random.bits``' numbers, bit for bit.

    Args:
        key: a PRNG key.
        shape: the output shape (a tuple of ints).
        dtype: ``uint8``, ``uint16``, ``uint32`` or ``uint64`` (default ``uint64``, JAX's
            default with ``jax_enable_x64``).

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.bits(fr.PRNGKey(0), (3,), "uint32").tolist()
        [4070199207, 4202968722, 1427181096]
    """
    key = check_key(key, "ftrans.random.bits")
    shape = check_shape(shape, "ftrans.random.bits")
    dtype = np.dtype(np.uint64 if dtype is None else dtype)
    if dtype.kind != "u":
        raise ValueError(
            f"ftrans.random.bits: dtype must be an unsigned integer dtype, got {dtype}"
        )
    return random_bits(key, dtype.itemsize * 8, shape)
