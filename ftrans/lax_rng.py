"""``lax.rng_bit_generator`` and ``lax.RandomAlgorithm``: XLA's stateless bit generator, with
the bits JAX gives on CPU.

The state is JAX's: a ``uint32[4]`` (or ``uint64[2]``) array read as two 64-bit words, the key
``s0`` and the counter ``s1``. The algorithms are the published block ciphers, laid out as
XLA's CPU expansion of ``RngBitGenerator`` lays them out (tests compare with JAX bit for bit):

* ``RNG_THREE_FRY``: Threefry-2x32 (20 rounds) keyed by the two halves of ``s0``, on the
  counters ``s1 + i``. 32-bit outputs take both words of a block: the output shape is halved
  along its first even axis (else its longest, rounded up), the two words fill the two halves,
  interleaved along that axis. 64-bit outputs take one block each (second word high). The new
  counter is ``s1 + blocks``.
* ``RNG_PHILOX`` (and ``RNG_DEFAULT``, XLA's CPU default): Philox-4x32 (10 rounds) keyed by
  ``s0``, on the 128-bit counters ``(s1 + i) + 2**64 * s0`` (carry included); the four words of
  each block are consecutive outputs (pairs of them for 64-bit outputs). The new state keeps
  ``s0`` and advances ``s1`` by the blocks used.
* 8- and 16-bit outputs are the low bits of the 32-bit outputs of the same shape.

Everything is written with ``ftrans.numpy`` integer operations and the ``threefry2x32``
primitive, so it runs under ``jit`` and ``vmap`` (over keys); the outputs are integers and carry
no derivative.
"""

from __future__ import annotations

import enum
import math
import operator

import numpy as np

from ftrans.core import Tracer, get_aval

_U32, _U64 = np.dtype(np.uint32), np.dtype(np.uint64)
_LOW = np.uint64(0xFFFFFFFF)
_BITS = {np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)}


class RandomAlgorithm(enum.IntEnum):
    """The bit generator of [`rng_bit_generator`][ftrans.lax.rng_bit_generator] (JAX's enum)."""

    RNG_DEFAULT = 0
    "XLA's CPU default: Philox."
    RNG_THREE_FRY = 1
    "Threefry-2x32."
    RNG_PHILOX = 2
    "Philox-4x32."

    def __str__(self) -> str:
        return self.name


def _split_words(u64):
    import ftrans.numpy as fnp

    low = fnp.asarray(u64 & _LOW, dtype=_U32)
    high = fnp.asarray(u64 >> np.uint64(32), dtype=_U32)
    return low, high


def _join_words(low, high):
    import ftrans.numpy as fnp

    return fnp.asarray(low, dtype=_U64) | (fnp.asarray(high, dtype=_U64) << np.uint64(32))


def _halves(shape):
    """XLA's split of an output shape into two halves: (half shape, concat axis, rounded
    shape)."""
    if not shape:
        return (1,), 0, (2,)
    axis = next((i for i, n in enumerate(shape) if n % 2 == 0), None)
    if axis is None:
        axis = max(range(len(shape)), key=lambda i: (shape[i], -i))
    half = list(shape)
    half[axis] = -(-shape[axis] // 2)
    rounded = list(shape)
    rounded[axis] = 2 * half[axis]
    return tuple(half), axis, tuple(rounded)


def _threefry(k0, k1, counter, shape, wide):
    import ftrans.numpy as fnp
    from ftrans.random import threefry2x32

    if wide:
        n = math.prod(shape)
        a, b = threefry2x32(k0, k1, *_split_words(counter + np.arange(n, dtype=_U64)))
        return fnp.reshape(_join_words(a, b), shape), n
    half, axis, rounded = _halves(shape)
    n = math.prod(half)
    a, b = threefry2x32(k0, k1, *_split_words(counter + np.arange(n, dtype=_U64)))
    # the two words side by side along a new axis after the split one, merged into it
    view = half[: axis + 1] + (1,) + half[axis + 1 :]
    both = fnp.concatenate([fnp.reshape(a, view), fnp.reshape(b, view)], axis=axis + 1)
    out = fnp.reshape(both, rounded)
    if rounded != tuple(shape) and shape:
        out = out[tuple(slice(0, s) for s in shape)]
    return (out[0] if not shape else out), n


def _philox_rounds(k0, k1, x0, x1, x2, x3):
    import ftrans.numpy as fnp

    def mul_hi_lo(x, m):
        p = fnp.asarray(x, dtype=_U64) * np.uint64(m)
        return fnp.asarray(p >> np.uint64(32), dtype=_U32), fnp.asarray(p & _LOW, dtype=_U32)

    for _ in range(10):
        hi0, lo0 = mul_hi_lo(x0, 0xD2511F53)
        hi1, lo1 = mul_hi_lo(x2, 0xCD9E8D57)
        x0, x1, x2, x3 = hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0
        k0 = k0 + np.uint32(0x9E3779B9)
        k1 = k1 + np.uint32(0xBB67AE85)
    return x0, x1, x2, x3


def _philox(key64, counter, shape, wide):
    import ftrans.numpy as fnp

    count = math.prod(shape)
    n = -(-(2 * count if wide else count) // 4)
    k0, k1 = (fnp.broadcast_to(k, (n,)) for k in _split_words(key64))
    low = counter + np.arange(n, dtype=_U64)
    high = fnp.where(low < counter, key64 + np.uint64(1), key64)  # the carry into the high word
    words = _philox_rounds(k0, k1, *_split_words(low), *_split_words(high))
    if wide:
        words = (_join_words(words[0], words[1]), _join_words(words[2], words[3]))
    flat = fnp.reshape(fnp.stack(words, axis=1), (-1,))[:count]
    return fnp.reshape(flat, shape), n


def rng_bit_generator(
    key,
    shape,
    dtype=np.uint32,
    algorithm: RandomAlgorithm = RandomAlgorithm.RNG_DEFAULT,
    *,
    out_sharding=None,
):
    """Random bits of ``shape`` and unsigned ``dtype`` from the state ``key``, and the next
    state, as ``jax.lax.rng_bit_generator`` on CPU: the same bits for the same key, shape,
    dtype and algorithm (module docstring: how). ``key`` is ``uint32[4]`` or ``uint64[2]``.
    Prefer ``ftrans.random`` (keys, ``split``, distributions) for new code, as JAX does.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> key = np.array([1, 2, 3, 4], np.uint32)
        >>> threefry = lax.RandomAlgorithm.RNG_THREE_FRY
        >>> new_key, bits = lax.rng_bit_generator(key, (4,), algorithm=threefry)
        >>> new_key                                  # the counter word advanced by 2 blocks
        array([1, 2, 5, 4], dtype=uint32)
        >>> bits
        array([1576285164, 2249660814,  740599976, 2425682526], dtype=uint32)
    """
    del out_sharding

    dtype = np.dtype(dtype)
    if dtype not in _BITS:
        raise TypeError(
            f"lax.rng_bit_generator: unsupported dtype {dtype}; use uint8, uint16, uint32 or "
            "uint64 (view or convert the bits afterwards)"
        )
    shape = tuple(operator.index(n) for n in ((shape,) if np.ndim(shape) == 0 else shape))
    try:
        algorithm = RandomAlgorithm(algorithm)
    except ValueError:
        raise TypeError(
            f"lax.rng_bit_generator: algorithm must be a lax.RandomAlgorithm, got {algorithm!r}"
        ) from None
    key = key if isinstance(key, Tracer | np.ndarray) else np.asarray(key)
    aval = get_aval(key)
    if (tuple(aval.shape), aval.dtype) == ((4,), _U32):
        state = (_join_words(key[0], key[1]), _join_words(key[2], key[3]))
    elif (tuple(aval.shape), aval.dtype) == ((2,), _U64):
        state = (key[0], key[1])
    else:
        raise TypeError(
            "lax.rng_bit_generator: key must be a uint32[4] (or uint64[2]) state, got "
            f"{aval.str_short()}"
        )
    with np.errstate(over="ignore"):  # counters and round keys wrap, as in XLA
        return _generate(*state, shape, dtype, algorithm, aval.dtype)


def _generate(key64, counter, shape, dtype, algorithm, state_dtype):
    import ftrans.numpy as fnp

    wide = dtype == _U64
    if algorithm is RandomAlgorithm.RNG_THREE_FRY:
        k0, k1 = _split_words(key64)
        bits, used = _threefry(k0, k1, counter, shape, wide)
    else:
        bits, used = _philox(key64, counter, shape, wide)
    if dtype.itemsize < 4:
        bits = fnp.asarray(bits, dtype=dtype)
    counter = counter + np.uint64(used)
    if state_dtype == _U64:
        new_key = fnp.stack([key64, counter])
    else:
        new_key = fnp.concatenate(
            [fnp.stack(_split_words(key64)), fnp.stack(_split_words(counter))]
        )
    return new_key, bits
