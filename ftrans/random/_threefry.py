"""The ``threefry2x32`` primitive: the Threefry-2x32 block cipher (20 rounds) on uint32 arrays.

Every random number of [`ftrans.random`][ftrans.random] starts here. It is one primitive (as in
JAX), not a chain of ~115 elementwise ``uint32`` equations, so that eagerly and under ``jit`` alike
the hash runs as one in-place NumPy kernel: cache-sized slices, every operation writing into a
buffer it owns (``out=``), the constant key schedule folded into Python ints, and the slices spread
over ``ftrans.get_num_threads()`` threads. Batching broadcasts like any elementwise primitive; the
outputs are integers, so their derivative is zero.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ftrans.compiler.fusion import get_num_threads
from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero
from ftrans.errors import ShapeError
from ftrans.primitives._batch import align_elementwise

# Threefry-2x32 constants (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", 2011).
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
KEY_PARITY = 0x1BD11BDA
_MASK = 0xFFFFFFFF
_U32 = np.dtype(np.uint32)

_SLICE = 1 << 15  # blocks per slice: few enough NumPy calls, buffers that stay in cache


def _word(value: int) -> np.ndarray:
    # A 0-d uint32 array: NumPy takes it as an operand about twice as fast as a Python int.
    return np.array(value & _MASK, _U32)


_SHIFTS = {r: (_word(r), _word(32 - r)) for pair in ROTATIONS for r in pair}
_BLOCK_NUMBERS = [_word(b + 1) for b in range(5)]


def _rounds(x0, x1, schedule, tmp):
    """The 20 rounds on ``x0, x1`` in place (key already added); ``schedule`` = (k0, k1, k2),
    Python ints or uint32 arrays."""
    add, xor, shl, shr, bit_or = (
        np.add,
        np.bitwise_xor,
        np.left_shift,
        np.right_shift,
        np.bitwise_or,
    )
    scalar = type(schedule[0]) is int and type(schedule[1]) is int
    words = [_word(k) for k in schedule] if scalar else schedule
    for block in range(5):
        for r in ROTATIONS[block % 2]:
            left, right = _SHIFTS[r]
            add(x0, x1, x0)
            shl(x1, left, tmp)
            shr(x1, right, x1)
            bit_or(x1, tmp, x1)
            xor(x1, x0, x1)
        # Key injection after every four rounds; the block number breaks the symmetry between
        # injections. With a scalar schedule both additions to x1 are one (mod 2**32).
        add(x0, words[(block + 1) % 3], x0)
        if scalar:
            add(x1, _word(schedule[(block + 2) % 3] + block + 1), x1)
        else:
            add(x1, words[(block + 2) % 3], x1)
            add(x1, _BLOCK_NUMBERS[block], x1)


def hash_into(k0, k1, x0, x1, out0, out1, tmp=None):
    """Threefry-2x32 of ``(k0, k1)`` and ``(x0, x1)`` into the uint32 arrays ``out0, out1``.

    Each input is a Python int or a uint32 array of the outputs' length; ``tmp`` is scratch of
    that length (allocated when None). The eager samplers call this on buffers they reuse.
    """
    if type(k0) is int and type(k1) is int:
        schedule = (k0, k1, k0 ^ k1 ^ KEY_PARITY)
    else:
        k2 = np.bitwise_xor(k0, k1, dtype=_U32)
        np.bitwise_xor(k2, KEY_PARITY, k2)
        schedule = (k0, k1, k2)
    for out, x, k in ((out0, x0, k0), (out1, x1, k1)):
        if type(x) is int and type(k) is int:
            out.fill((x + k) & _MASK)
        else:
            np.add(x, k, out, dtype=_U32)
    _rounds(out0, out1, schedule, np.empty(len(out0), _U32) if tmp is None else tmp)


def _hash_slice(words, start, stop, out0, out1):
    """Hash entries ``start:stop`` of the flattened, broadcast inputs into ``out0/out1``."""
    k0, k1, x0, x1 = (w if type(w) is int else w[start:stop] for w in words)
    hash_into(k0, k1, x0, x1, out0[start:stop], out1[start:stop])


def _flat_word(w, shape, n):
    """A Python int for a single value; otherwise the input broadcast and flattened."""
    if w.size == 1:
        return int(w.reshape(()))
    return np.broadcast_to(w, shape).reshape(n)


def _threefry_impl(k0, k1, x0, x1):
    words = [np.asarray(w) for w in (k0, k1, x0, x1)]
    shape = np.broadcast_shapes(*[w.shape for w in words])
    n = math.prod(shape)
    out0 = np.empty(n, _U32)
    out1 = np.empty(n, _U32)
    if n:
        flat = [_flat_word(w, shape, n) for w in words]
        starts = range(0, n, _SLICE)
        pool = _thread_pool() if len(starts) > 1 else None
        if pool is None:
            for s in starts:
                _hash_slice(flat, s, min(s + _SLICE, n), out0, out1)
        else:
            list(pool.map(lambda s: _hash_slice(flat, s, min(s + _SLICE, n), out0, out1), starts))
    return [out0.reshape(shape), out1.reshape(shape)]


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _thread_pool() -> ThreadPoolExecutor | None:
    """A pool of ``ftrans.get_num_threads()`` workers, or None for single-threaded runs."""
    global _pool, _pool_size
    threads = get_num_threads()
    if threads == 1 or threading.current_thread().name.startswith("ftrans-random"):
        return None
    with _pool_lock:
        if _pool is None or _pool_size != threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ftrans-random")
            _pool_size = threads
        return _pool


def _threefry_aval(k0, k1, x0, x1):
    avals = (k0, k1, x0, x1)
    if any(a.dtype != _U32 for a in avals):
        raise TypeError(
            "threefry2x32 takes uint32 key and counter words, got "
            + ", ".join(a.dtype.name for a in avals)
        )
    try:
        shape = np.broadcast_shapes(*[a.shape for a in avals])
    except ValueError:
        raise ShapeError(
            "threefry2x32: key and counter words of shapes "
            + " ".join(str(a.shape) for a in avals)
            + " do not broadcast together"
        ) from None
    return [ShapedArray(shape, _U32), ShapedArray(shape, _U32)]


def _threefry_jvp(primals, tangents):
    outs = threefry2x32_p.bind(*primals)
    return outs, [Zero.like(o) for o in outs]


def _threefry_batch(vals, dims):
    vals, out_dim = align_elementwise(vals, dims)
    return threefry2x32_p.bind(*vals), [out_dim, out_dim]


threefry2x32_p = Primitive("threefry2x32", multiple_results=True)
numpy_only("random bits: in-place NumPy kernels", threefry2x32_p)
threefry2x32_p.impl = _threefry_impl
threefry2x32_p.abstract_eval = _threefry_aval
threefry2x32_p.jvp = _threefry_jvp
threefry2x32_p.batch = _threefry_batch
