"""Standard normal draws by the Box-Muller transform, traced and as an eager in-place kernel.

Layout of the random bits for ``pairs = ceil(n / 2)`` pairs of normals and
``half = ceil(pairs / 2)``:

* pair ``j`` takes its radius from Threefry block ``j``: 52 bits, ``u1 = (high * 2**20 +
  (low >> 12) + 1/2) * 2**-52`` in the open interval (0, 1);
* its angle from one 32-bit word of block ``pairs + (j mod half)``: the high word for
  ``j < half``, the low word after; ``u2 = word * 2**-32`` in [0, 1);
* ``t = tan(pi u2 - pi/2)`` gives cos and sin of ``2 pi u2`` without cancellation, and the pair
  is ``sqrt(-2 log u1) / (1 + t**2) * (1 - t**2, 2 t)``; the output is all first members, then
  all second members.

That is 1.5 hash blocks per pair (the hash is most of the cost); the angle's 32 bits put it on a
grid of ``2 pi * 2**-32``, far below anything a float64 sample can show.

:func:`box_muller` is the definition, in ``ftrans.numpy`` operations. :func:`normal_eager`
computes the same numbers with the same IEEE operations in the same order, on cache-sized slices
with ``out=`` buffers and the hash kernel called directly, so the two agree bit for bit (the
tests check it). The primitive ``threefry_normal`` (key in, ``n`` draws out) runs
:func:`normal_eager` eagerly and inside ``jit``'s compiled code alike: staged as whole-array
operations, the sampler's full-size intermediates made the compiled call page-fault its way
through fresh memory on every call. Its batching rule maps :func:`box_muller` over the keys, and
its derivative is zero.
"""

from __future__ import annotations

import math
import threading

import numpy as np

import ftrans.numpy as fnp
from ftrans.compiler.fusion import get_num_threads
from ftrans.core import Primitive, ShapedArray, Zero
from ftrans.primitives._batch import moveaxis
from ftrans.random._prng import hash_counters
from ftrans.random._threefry import _thread_pool, hash_into

_F64 = np.dtype(np.float64)
_U32 = np.dtype(np.uint32)
_RADIUS_SCALE = float(2**20)  # high word -> top 32 of the 52 bits
_UNIT_52 = 2.0**-52
_UNIT_12 = 2.0**-12
_UNIT_32 = 2.0**-32
_SLICE = 1 << 14  # angle blocks per slice (2x that many pairs)


def blocks_needed(n: int) -> int:
    """How many hash blocks ``n`` normals take (the counters run from 0 to this minus one)."""
    pairs = (n + 1) // 2
    return pairs + (pairs + 1) // 2


def box_muller(key, n: int):
    """``n`` standard normal float64 draws as traced ``ftrans.numpy`` operations."""
    pairs = (n + 1) // 2
    half = (pairs + 1) // 2
    high, low = hash_counters(key, np.arange(pairs, dtype=_U32))
    angle_high, angle_low = hash_counters(key, np.arange(pairs, pairs + half, dtype=_U32))
    # pairs below half take the high angle words, the others the low ones
    first = _box_muller_pairs(high[:half], low[:half], angle_high)
    if pairs == half:
        return fnp.concatenate(first)[:n]
    second = _box_muller_pairs(high[half:], low[half:], angle_low[: pairs - half])
    z = fnp.concatenate([first[0], second[0], first[1], second[1]])
    return z if 2 * pairs == n else z[:n]


def _box_muller_pairs(high, low, words):
    """Both normals of each pair from its radius block ``(high, low)`` and angle ``words``."""
    # floor(low * 2**-12) is low >> 12 exactly, as float operations that jit fuses
    top = fnp.floor(fnp.astype(low, _F64) * _UNIT_12)
    u1 = (fnp.astype(high, _F64) * _RADIUS_SCALE + top + 0.5) * _UNIT_52
    radius = fnp.sqrt(-2.0 * fnp.log(u1))
    u2 = fnp.astype(words, _F64) * _UNIT_32
    # cos and sin of the angle 2 psi from t = tan(psi), psi uniform on [-pi/2, pi/2): one
    # transcendental call instead of two, and no cancellation (absolute error ~1e-16).
    t = fnp.tan(math.pi * u2 - math.pi / 2)
    t_squared = t * t
    scaled = radius / (1.0 + t_squared)
    return scaled * (1.0 - t_squared), scaled * (t + t)


def normal_eager(key: np.ndarray, n: int) -> np.ndarray:
    """:func:`box_muller` for a concrete key, outside every transformation (same numbers)."""
    pairs = (n + 1) // 2
    half = (pairs + 1) // 2
    k0, k1 = int(key[0]), int(key[1])
    out = np.empty(2 * pairs, _F64)
    starts = range(0, half, _SLICE)
    pool = _thread_pool() if len(starts) > 1 else None
    workers = 1 if pool is None else min(get_num_threads(), len(starts))

    def run(group):  # every worker takes every workers-th slice, with its own buffers
        scratch = _scratch(min(_SLICE, half))
        for s in starts[group::workers]:
            _box_muller_slice(k0, k1, pairs, half, s, min(s + _SLICE, half), out, scratch)

    if workers == 1:
        run(0)
    else:
        list(pool.map(run, range(workers)))
    return out if 2 * pairs == n else out[:n]


_local = threading.local()


def _scratch(size: int) -> _Scratch:
    """Buffers for slices of ``size`` angle blocks. Each thread keeps one full-size set (about
    2 MB) between calls: fresh buffers every call would mostly cost page faults."""
    if size < _SLICE:
        return _Scratch(size)
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = _Scratch(_SLICE)
    return scratch


class _Scratch:
    """Buffers for one slice of up to ``size`` angle blocks (``2 * size`` pairs), reused across
    slices."""

    def __init__(self, size: int):
        self.counters, self.high, self.low, self.tmp = (np.empty(2 * size, _U32) for _ in range(4))
        self.angle_words = np.empty(2 * size, _U32)
        self.radius, self.t, self.t_squared, self.scale, self.top = (
            np.empty(2 * size, _F64) for _ in range(5)
        )
        self.positions = np.arange(size, dtype=_U32)


def _box_muller_slice(k0, k1, pairs, half, start, stop, out, scratch):
    """Pairs ``start:stop`` and ``half+start:half+stop`` (those below ``pairs``) into ``out``."""
    m_a = stop - start
    m_b = max(0, min(stop, pairs - half) - start)  # pairs of the second group in this slice
    m = m_a + m_b
    # radius blocks: the pairs' own counters; angle blocks: pairs + start ... pairs + stop
    counters, high, low, tmp = (
        b[:m] for b in (scratch.counters, scratch.high, scratch.low, scratch.tmp)
    )
    np.add(scratch.positions[:m_a], start, counters[:m_a])
    np.add(scratch.positions[:m_b], half + start, counters[m_a:])
    hash_into(k0, k1, counters, 0, high, low, tmp)
    words = scratch.angle_words  # high words, then low words; m_b <= m_a
    np.add(counters[:m_a], pairs, counters[:m_a])
    hash_into(k0, k1, counters[:m_a], 0, words[:m_a], words[m_a : 2 * m_a], tmp[:m_a])
    # the radius, as box_muller computes it
    radius, t, t_squared = scratch.radius[:m], scratch.t[:m], scratch.t_squared[:m]
    top = scratch.top[:m]
    np.multiply(low, _UNIT_12, top)
    np.floor(top, top)
    np.multiply(high, _RADIUS_SCALE, radius)
    np.add(radius, top, radius)
    np.add(radius, 0.5, radius)
    np.multiply(radius, _UNIT_52, radius)
    np.log(radius, radius)
    np.multiply(radius, -2.0, radius)
    np.sqrt(radius, radius)
    # the angle: group A's words are the high words, group B's the first m_b low words
    np.multiply(words[:m], _UNIT_32, t)
    np.multiply(t, math.pi, t)
    np.subtract(t, math.pi / 2, t)
    np.tan(t, t)
    np.multiply(t, t, t_squared)
    scale = scratch.scale[:m]
    np.add(t_squared, 1.0, scale)
    np.divide(radius, scale, radius)
    np.subtract(1.0, t_squared, t_squared)
    np.add(t, t, t)
    for first, count, offset in ((start, m_a, 0), (half + start, m_b, m_a)):
        if count:
            part = slice(offset, offset + count)
            np.multiply(radius[part], t_squared[part], out[first : first + count])
            np.multiply(radius[part], t[part], out[pairs + first : pairs + first + count])


# ----------------------------------------------------------------------------- the primitive


def _threefry_normal_aval(key, *, n):
    if key.dtype != _U32 or key.shape != (2,):
        raise TypeError(f"threefry_normal takes a uint32[2] key, got {key.str_short()}")
    return ShapedArray((n,), _F64)


def _threefry_normal_jvp(primals, tangents, *, n):
    out = threefry_normal_p.bind(*primals, n=n)
    return out, Zero.like(out)


def _threefry_normal_batch(vals, dims, *, n):
    from ftrans.mapping import vmap

    keys = moveaxis(vals[0], dims[0], 0)
    return vmap(lambda key: box_muller(key, n))(keys), 0


threefry_normal_p = Primitive("threefry_normal")
threefry_normal_p.impl = lambda key, *, n: normal_eager(np.asarray(key), n)
threefry_normal_p.abstract_eval = _threefry_normal_aval
threefry_normal_p.jvp = _threefry_normal_jvp
threefry_normal_p.batch = _threefry_normal_batch
