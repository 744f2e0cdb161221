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

:func:`box_muller` is the traced definition (``jit``, ``vmap``, and inside any transformation).
:func:`normal_eager` computes the same numbers outside every transformation with the same IEEE
operations in the same order, on cache-sized slices with ``out=`` buffers and the hash kernel
called directly, so eager and traced draws are equal bit for bit (the tests check it).
"""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as fnp
from ftrans.compiler.fusion import get_num_threads
from ftrans.random._prng import hash_counters
from ftrans.random._threefry import _thread_pool, hash_into

_F64 = np.dtype(np.float64)
_U32 = np.dtype(np.uint32)
_RADIUS_SCALE = float(2**20)  # high word -> top 32 of the 52 bits
_UNIT_52 = 2.0**-52
_UNIT_32 = 2.0**-32
_SLICE = 1 << 14  # angle blocks per slice (2x that many pairs)
_MAX_SLICES = 4  # traced: larger outputs take larger slices (the program stays short)


def blocks_needed(n: int) -> int:
    """How many hash blocks ``n`` normals take (the counters run from 0 to this minus one)."""
    pairs = (n + 1) // 2
    return pairs + (pairs + 1) // 2


def box_muller(key, n: int):
    """``n`` standard normal float64 draws as traced ``ftrans.numpy`` operations.

    The pairs go in the same slices as in :func:`normal_eager` (at most ``_MAX_SLICES`` of
    them): under ``jit`` every intermediate is then slice-sized, so the compiled code reuses a
    few cache-sized buffers instead of allocating (and page-faulting) full-size arrays.
    """
    pairs = (n + 1) // 2
    half = (pairs + 1) // 2
    size = max(_SLICE, -(-half // _MAX_SLICES))
    firsts, seconds = [], []
    for start in range(0, half, size):
        stop = min(start + size, half)
        m_a = stop - start
        m_b = max(0, min(stop, pairs - half) - start)
        counters = np.concatenate(
            [
                np.arange(start, stop, dtype=_U32),
                np.arange(half + start, half + start + m_b, dtype=_U32),
            ]
        )
        high, low = hash_counters(key, counters)
        angle_high, angle_low = hash_counters(
            key, np.arange(pairs + start, pairs + stop, dtype=_U32)
        )
        words = angle_high if not m_b else fnp.concatenate([angle_high, angle_low[:m_b]])
        z0, z1 = _box_muller_pairs(high, low, words)
        firsts.append((z0[:m_a], z0[m_a:]))
        seconds.append((z1[:m_a], z1[m_a:]))
    pieces = [a for a, _ in firsts] + [b for _, b in firsts if b.shape[0]]
    pieces += [a for a, _ in seconds] + [b for _, b in seconds if b.shape[0]]
    z = pieces[0] if len(pieces) == 1 else fnp.concatenate(pieces)
    return z if 2 * pairs == n else z[:n]


def _box_muller_pairs(high, low, words):
    """Both normals of each pair from its radius block ``(high, low)`` and angle ``words``."""
    top = fnp.astype(fnp.right_shift(low, 12), _F64)
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
        scratch = _Scratch(min(_SLICE, half))
        for s in starts[group::workers]:
            _box_muller_slice(k0, k1, pairs, half, s, min(s + _SLICE, half), out, scratch)

    if workers == 1:
        run(0)
    else:
        list(pool.map(run, range(workers)))
    return out if 2 * pairs == n else out[:n]


class _Scratch:
    """Buffers for one slice of up to ``size`` angle blocks (``2 * size`` pairs), reused across
    slices: fresh arrays for each would mostly cost page faults."""

    def __init__(self, size: int):
        self.counters, self.high, self.low, self.tmp = (np.empty(2 * size, _U32) for _ in range(4))
        self.angle_words = np.empty(2 * size, _U32)
        self.radius, self.t, self.t_squared, self.scale = (
            np.empty(2 * size, _F64) for _ in range(4)
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
    np.right_shift(low, 12, low)
    np.multiply(high, _RADIUS_SCALE, radius)
    np.add(radius, low, radius)
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
