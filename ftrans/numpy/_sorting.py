"""Sorting and searching: lexsort, partition, argpartition, searchsorted, digitize."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import shape_of
from ftrans.numpy._util import normalize_axis, to_operand
from ftrans.primitives import reductions as red
from ftrans.primitives.indexing import take_along_axis as _take_along_axis


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in (float, int, bool, complex) else x


def lexsort(keys, axis=-1):
    """Indices that sort by the last key first, then the one before, ... (stable).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.lexsort(([1, 0, 1], [2, 2, 1])).tolist()
        [2, 1, 0]
    """
    if not core._stack:
        return np.lexsort(keys, axis=axis)
    keys = [_arr(k) for k in keys] if isinstance(keys, (list, tuple)) else list(_arr(keys))
    if not keys:
        raise TypeError("lexsort: need at least one key")
    shape = np.broadcast_shapes(*[shape_of(k) for k in keys])
    keys = [fnp.broadcast_to(k, shape) for k in keys]
    ax = normalize_axis(axis, len(shape))
    order = red.argsort(keys[0], axis=ax)
    for k in keys[1:]:  # stable sorts, least significant key first
        step = red.argsort(_take_along_axis(k, order, axis=ax), axis=ax)
        order = _take_along_axis(order, step, axis=ax)
    return order


def _check_kth(kth, n, name):
    if not isinstance(kth, (int, np.integer)):
        raise TypeError(f"{name}: kth must be a static integer, got {type(kth).__name__}")
    if not -n <= kth < n:
        raise ValueError(f"{name}: kth(={kth}) out of bounds for an axis of length {n}")


def _axis_length(a, axis):
    shape = shape_of(a)
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    return shape[normalize_axis(axis, len(shape))]


def partition(a, kth, axis=-1):
    """Elements reordered so that the one at ``kth`` is where sorting puts it, smaller ones
    before, larger ones after.

    Which order the two sides take is unspecified in NumPy; ftrans sorts them (so the result
    equals ``sort(a, axis)`` and the gradient follows each element, as for ``sort``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.partition([3.0, 1.0, 2.0], 1)[1])
        2.0
    """
    if not core._stack:
        return np.partition(a, kth, axis=axis)
    a = _arr(a)
    _check_kth(kth, _axis_length(a, axis), "partition")
    return fnp.sort(a, axis=axis)


def argpartition(a, kth, axis=-1):
    """Indices that `partition` ``a`` (ftrans returns the stable sorting order).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> int(fnp.argpartition([3.0, 1.0, 2.0], 0)[0])
        1
    """
    if not core._stack:
        return np.argpartition(a, kth, axis=axis)
    a = _arr(a)
    _check_kth(kth, _axis_length(a, axis), "argpartition")
    return fnp.argsort(a, axis=axis)


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion points of ``v`` into the sorted 1-d ``a`` that keep it sorted.

    ``method`` (JAX's keyword) is accepted and ignored: traced inputs always compare every
    pair, which ``jit`` fuses. The result is int64 (NumPy's intp; JAX gives int32).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.searchsorted([1.0, 2.0, 3.0], [2.0, 2.5], side="right").tolist()
        [2, 2]
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if not core._stack:
        return np.searchsorted(a, v, side=side, sorter=sorter)
    a, v = _arr(a), _arr(v)
    if len(shape_of(a)) != 1:
        raise ValueError(f"searchsorted: a must be 1-dimensional, got shape {shape_of(a)}")
    if sorter is not None:
        a = fnp.take(a, sorter)
    dtype = np.result_type(a.dtype, v.dtype)
    a, v = fnp.asarray(a).astype(dtype), fnp.asarray(v).astype(dtype)
    before = fnp.less if side == "left" else fnp.less_equal
    return fnp.sum(before(a, fnp.expand_dims(v, -1)), axis=-1, dtype=np.intp)


def digitize(x, bins, right=False, *, method=None):
    """Index of the bin each ``x`` falls in (``bins`` increasing or decreasing); ``method``
    (JAX's keyword for its search algorithm) is accepted and ignored.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.digitize([0.5, 1.5, 3.0], [1.0, 2.0, 3.0]).tolist()
        [0, 1, 3]
    """
    if not core._stack:
        return np.digitize(x, bins, right=right)
    bins = _arr(bins)
    if len(shape_of(bins)) != 1:
        raise ValueError(f"digitize: bins must be 1-dimensional, got shape {shape_of(bins)}")
    side = "left" if right else "right"
    n = shape_of(bins)[0]
    if n == 0:
        return fnp.zeros_like(x, dtype=np.intp)
    rising = searchsorted(bins, x, side=side)
    falling = n - searchsorted(fnp.flip(bins), x, side=side)
    return fnp.where(bins[-1] >= bins[0], rising, falling)
