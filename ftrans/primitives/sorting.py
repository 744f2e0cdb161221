"""Sorting: ``sort`` (several operands, several keys), ``sort_key_val``, ``top_k``.

The permutation comes from an integer-valued primitive (``argsort`` for one key, ``lexsort``
below for several); every operand is then gathered by it, so derivatives follow the elements
(as in JAX) through ``gather``'s rules.
"""

from __future__ import annotations

import operator

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Tracer, Zero, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import batch_size, to_front
from ftrans.primitives.indexing import take_along_axis
from ftrans.primitives.reductions import argsort
from ftrans.primitives.shape import slice_


def _lexsort_impl(*keys, axis):
    # np.lexsort sorts by its last key first: pass the primary key last; stable
    return np.lexsort([np.asarray(k) for k in keys[::-1]], axis=axis).astype(np.int64)


def _lexsort_aval(*keys, axis):
    shape = keys[0].shape
    if any(k.shape != shape for k in keys):
        raise ShapeError(f"sort: keys must share one shape, got {[k.shape for k in keys]}")
    return ShapedArray(shape, np.int64)


def _lexsort_jvp(primals, tangents, *, axis):
    out = lexsort_p.bind(*primals, axis=axis)
    return out, Zero.like(out)


def _lexsort_batch(vals, dims, *, axis):
    size = batch_size(vals, dims)
    moved = [to_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
    return lexsort_p.bind(*moved, axis=axis + 1), 0


lexsort_p = Primitive("lexsort")
numpy_only("sorting: NumPy's sort kernels", lexsort_p)
lexsort_p.impl = _lexsort_impl
lexsort_p.abstract_eval = _lexsort_aval
lexsort_p.jvp = _lexsort_jvp
lexsort_p.batch = _lexsort_batch


def _array(x):
    return x if isinstance(x, Tracer | np.ndarray) else np.asarray(x)


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort along ``dimension``, as ``jax.lax.sort``: one array, or a sequence of arrays sorted
    together by the first ``num_keys`` of them (lexicographically). Always stable. NaNs sort
    last.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> keys, vals = lax.sort((np.array([2, 1, 2, 0]), np.array([10., 20., 30., 40.])))
        >>> keys, vals
        (array([0, 1, 2, 2]), array([40., 20., 10., 30.]))
    """
    del is_stable  # NumPy's stable sort is used always
    single = not isinstance(operand, (tuple, list))
    operands = [_array(operand)] if single else [_array(x) for x in operand]
    if not operands:
        raise ValueError("sort needs at least one operand")
    shape = shape_of(operands[0])
    if any(shape_of(x) != shape for x in operands):
        raise ShapeError(
            f"sort: operands must share one shape, got {[shape_of(x) for x in operands]}"
        )
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and {len(operands)}")
    if not shape:
        return operands[0] if single else tuple(operands)
    axis = operator.index(dimension) % len(shape)
    if num_keys == 1:
        perm = argsort(operands[0], axis=axis)
    else:
        perm = lexsort_p.bind(*operands[:num_keys], axis=axis)
    out = [take_along_axis(x, perm, axis=axis) for x in operands]
    return out[0] if single else tuple(out)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """``values`` reordered as ``keys`` sort: ``(sorted keys, values)``."""
    return sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)


def top_k(operand, k, *, axis=-1):
    """The ``k`` largest entries along ``axis`` (descending; ties: lower index first) and their
    indices (int32), as ``jax.lax.top_k``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.top_k(np.array([1.0, 3.0, 3.0, 2.0]), 2)
        (array([3., 3.]), array([1, 2], dtype=int32))
    """
    x = _array(operand)
    shape = shape_of(x)
    if not shape:
        raise ValueError("top_k needs an operand of rank >= 1")
    axis = operator.index(axis) % len(shape)
    k = operator.index(k)
    if not 0 <= k <= shape[axis]:
        raise ValueError(f"top_k: k={k} must be between 0 and {shape[axis]} (the axis length)")
    if type(x) is np.ndarray:  # eager: NumPy directly (the same stable order as below)
        return _top_k_eager(x, k, axis)
    perm = argsort(x, axis=axis, descending=True)
    limits = list(shape)
    limits[axis] = k
    idx = slice_(perm, [0] * len(shape), limits)
    values = take_along_axis(x, idx, axis=axis)
    from ftrans.primitives.elementwise import convert_element_type

    return values, convert_element_type(idx, new_dtype=np.int32)


def _top_k_eager(x, k, axis):
    """``top_k`` by NumPy: ``argpartition`` around the (k+1)-th largest picks the k largest
    (O(n)) and, at the partition point, the largest element left out; a sort orders the k
    (by index first when some of them tie). When the element left out equals the k-th value (a
    tie the pick may have broken the wrong way) or NaNs are involved, a full stable sort
    decides, so the result always equals the traced path's (lower index first)."""
    last = x.ndim - 1
    if axis != last:
        values, idx = _top_k_eager(np.moveaxis(x, axis, -1), k, last)
        return np.moveaxis(values, -1, axis), np.moveaxis(idx, -1, axis)
    n = x.shape[-1]
    if 0 < k and 4 * k < n and x.dtype.kind in "iuf":
        if x.ndim == 1:
            take = lambda a, i: a[i]
        else:
            take = lambda a, i: np.take_along_axis(a, i, axis=-1)
        parts = np.argpartition(x, n - k - 1, axis=-1)[..., n - k - 1 :]
        gathered = take(x, parts)  # the largest element left out, then the k picked
        picked, values = parts[..., 1:], gathered[..., 1:]
        order = np.argsort(values, axis=-1)[..., ::-1]
        top = take(values, order)
        first, kth = top[..., 0], top[..., -1]  # a NaN among the k sorts first
        # unambiguous when no NaN was picked (NaNs order differently in the two sorts) and
        # everything left out is below the k-th value (False for a NaN left out)
        if x.ndim == 1:
            exact = first == first and gathered[0] < kth
        else:
            exact = bool((first == first).all()) and bool((gathered[..., 0] < kth).all())
        if exact:
            if k == 1 or (top[..., 1:] != top[..., :-1]).all():
                return top, take(picked, order).astype(np.int32)
            # ties among the k: index order first, then a stable descending sort
            picked = np.sort(picked, axis=-1)
            values = take(x, picked)
            order = (k - 1 - np.argsort(values[..., ::-1], axis=-1, kind="stable"))[..., ::-1]
            return take(values, order), take(picked, order).astype(np.int32)
    flipped = np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    idx = n - 1 - flipped
    return np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


def approx_max_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
):
    """``top_k`` (exact, so any ``recall_target`` is met)."""
    del recall_target, reduction_input_size_override, aggregate_to_topk
    return top_k(operand, k, axis=reduction_dimension)


def approx_min_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
):
    """The ``k`` smallest entries and their indices (exact)."""
    del recall_target, reduction_input_size_override, aggregate_to_topk
    from ftrans.primitives.elementwise import neg

    x = _array(operand)
    values, idx = top_k(neg(x), k, axis=reduction_dimension)
    return neg(values), idx
