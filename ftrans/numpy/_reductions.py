"""Reductions (sum, mean, var, prod, max, argmax, any, ...), cumulative ops and sorting."""

from __future__ import annotations

import builtins
import functools

import numpy as np

from ftrans import core
from ftrans.core import shape_of
from ftrans.numpy._util import (
    broadcast_to_shape,
    cast,
    normalize_axes,
    normalize_axis,
    to_operand,
)
from ftrans.primitives import elementwise as ew
from ftrans.primitives import reductions as red
from ftrans.primitives.indexing import take_along_axis as _take_along_axis
from ftrans.primitives.shape import reshape as _reshape


@functools.lru_cache(maxsize=256)
def _sum_dtype(dtype):
    return np.sum(np.zeros(1, dtype)).dtype


def _keepdims(out, shape, axes):
    return _reshape(out, new_sizes=tuple(1 if i in axes else s for i, s in enumerate(shape)))


def _prepare(a, dtype=None):
    a = to_operand(a)
    if type(a) in (float, int, bool, complex):
        a = np.asarray(a)
    if dtype is not None:
        a = cast(a, np.dtype(dtype))
    return a


def sum(a, axis=None, dtype=None, keepdims=False):  # noqa: A001
    """Sum over ``axis`` (None: all axes), like ``numpy.sum``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.sum(fnp.ones((2, 3)), axis=1).tolist()
        [3.0, 3.0]
    """
    if not core._stack:
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = _prepare(a)
    a = cast(a, np.dtype(dtype) if dtype is not None else _sum_dtype(a.dtype))
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    out = red.reduce_sum(a, axes=axes)
    return _keepdims(out, shape, axes) if keepdims else out


def _float_dtype(dtype):
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def mean(a, axis=None, dtype=None, keepdims=False):
    """Arithmetic mean over ``axis``; integer inputs give float64, like NumPy."""
    if not core._stack:
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = _prepare(a)
    dtype = np.dtype(dtype) if dtype is not None else _float_dtype(a.dtype)
    a = cast(a, dtype)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    total = sum(a, axis=axes, keepdims=keepdims)
    return ew.div(total, dtype.type(count))


def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """Variance ``mean(|a - mean(a)|**2) * n / (n - ddof)``."""
    if not core._stack:
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    a = _prepare(a)
    dtype = np.dtype(dtype) if dtype is not None else _float_dtype(a.dtype)
    a = cast(a, dtype)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    centered = ew.sub(a, _broadcast_back(mean(a, axis=axes, keepdims=True), shape))
    if ew.is_complex_dtype(dtype):  # NumPy: mean(|a - mean|**2), a real result
        centered_re, centered_im = ew.real(centered), ew.imag(centered)
        squares = ew.add(ew.mul(centered_re, centered_re), ew.mul(centered_im, centered_im))
        dtype = ew.real_dtype(dtype)
    else:
        squares = ew.mul(centered, centered)
    return ew.div(
        sum(squares, axis=axes, keepdims=keepdims), dtype.type(builtins.max(count - ddof, 0))
    )


def _broadcast_back(x, shape):
    return broadcast_to_shape(x, shape)


def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """Standard deviation, ``sqrt(var(...))``."""
    if not core._stack:
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return ew.sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def prod(a, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; its gradient is exact at zeros (no division)."""
    if not core._stack:
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = _prepare(a)
    a = cast(a, np.dtype(dtype) if dtype is not None else _sum_dtype(a.dtype))
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    out = red.reduce_prod(a, axes=axes)
    return _keepdims(out, shape, axes) if keepdims else out


def _extremum(np_fn, prim_fn, name):
    def fn(a, axis=None, keepdims=False):
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims)
        a = _prepare(a)
        shape = shape_of(a)
        axes = normalize_axes(axis, len(shape))
        if builtins.any(shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        out = prim_fn(a, axes=axes)
        return _keepdims(out, shape, axes) if keepdims else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``numpy.{name}`` over ``axis``; at ties the gradient is shared equally (JAX's rule)."
    )
    return fn


max = _extremum(np.max, red.reduce_max, "max")  # noqa: A001
min = _extremum(np.min, red.reduce_min, "min")  # noqa: A001
amax, amin = max, min


def _bool_reduction(np_fn, prim_fn, name):
    def fn(a, axis=None, keepdims=False):
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims)
        a = _prepare(a)
        if a.dtype != np.bool_:
            a = ew.ne(a, a.dtype.type(0))
        shape = shape_of(a)
        axes = normalize_axes(axis, len(shape))
        out = prim_fn(a, axes=axes)
        return _keepdims(out, shape, axes) if keepdims else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``: logical reduction over ``axis``."
    return fn


any = _bool_reduction(np.any, red.reduce_or, "any")  # noqa: A001
all = _bool_reduction(np.all, red.reduce_and, "all")  # noqa: A001


def _arg_reduction(np_fn, prim_fn, name):
    def fn(a, axis=None, keepdims=False):
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims)
        a = _prepare(a)
        shape = shape_of(a)
        if axis is None:
            flat = _reshape(a, new_sizes=(int(np.prod(shape, dtype=np.int64)),))
            out = prim_fn(flat, axis=0)
            return _reshape(out, new_sizes=(1,) * len(shape)) if keepdims else out
        ax = normalize_axis(axis, len(shape))
        out = prim_fn(a, axis=ax)
        return _keepdims(out, shape, (ax,)) if keepdims else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``: index of the extremum along ``axis`` (integer, no gradient)."
    return fn


argmax = _arg_reduction(np.argmax, red.argmax, "argmax")
argmin = _arg_reduction(np.argmin, red.argmin, "argmin")


def _cumulative(np_fn, prim_fn, name, dtype_rule):
    def fn(a, axis=None, dtype=None):
        if not core._stack:
            return np_fn(a, axis=axis, dtype=dtype)
        a = _prepare(a)
        a = cast(a, np.dtype(dtype) if dtype is not None else dtype_rule(a.dtype))
        if axis is None:
            a = _reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
            axis = 0
        return prim_fn(a, axis=normalize_axis(axis, len(shape_of(a))))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` along ``axis`` (None: over the flattened array)."
    return fn


cumsum = _cumulative(np.cumsum, red.cumsum, "cumsum", _sum_dtype)
cumprod = _cumulative(np.cumprod, red.cumprod, "cumprod", _sum_dtype)


def argsort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis`` (always stable)."""
    if not core._stack:
        if descending:
            a = np.asarray(a)
            ax = normalize_axis(axis, a.ndim) if axis is not None else None
            if ax is None:
                a, ax = a.ravel(), 0
            return red._argsort_impl(a, ax, True)
        return np.argsort(a, axis=axis, kind="stable")
    a = _prepare(a)
    if axis is None:
        a = _reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        axis = 0
    return red.argsort(a, axis=normalize_axis(axis, len(shape_of(a))), descending=descending)


def sort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Sorted copy of ``a`` along ``axis``; the gradient follows each element to its place."""
    if not core._stack:
        out = np.sort(a, axis=axis, kind="stable")
        if descending:
            out = np.flip(out, axis=-1 if axis is None else axis)
        return out
    a = _prepare(a)
    if axis is None:
        a = _reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        axis = 0
    ax = normalize_axis(axis, len(shape_of(a)))
    order_idx = red.argsort(a, axis=ax, descending=descending)
    return _take_along_axis(a, order_idx, axis=ax)


def take_along_axis(arr, indices, axis):
    """``numpy.take_along_axis``: pick values along ``axis`` with an index array."""
    if not core._stack:
        return np.take_along_axis(arr, indices, axis)
    arr = _prepare(arr)
    indices = _prepare(indices)
    if axis is None:
        arr = _reshape(arr, new_sizes=(int(np.prod(shape_of(arr), dtype=np.int64)),))
        axis = 0
    ax = normalize_axis(axis, len(shape_of(arr)))
    a_shape, i_shape = list(shape_of(arr)), list(shape_of(indices))
    if len(a_shape) != len(i_shape):
        raise ValueError(
            f"take_along_axis: indices of shape {tuple(i_shape)} must have the same number of "
            f"dimensions as arr of shape {tuple(a_shape)}"
        )
    # Every axis but `ax` broadcasts between arr and indices.
    others = np.broadcast_shapes(
        tuple(a_shape[:ax] + [1] + a_shape[ax + 1 :]), tuple(i_shape[:ax] + [1] + i_shape[ax + 1 :])
    )
    i_target = others[:ax] + (i_shape[ax],) + others[ax + 1 :]
    a_target = others[:ax] + (a_shape[ax],) + others[ax + 1 :]
    indices = broadcast_to_shape(indices, i_target)
    arr = broadcast_to_shape(arr, a_target)
    return _take_along_axis(arr, indices, axis=ax)


def take(a, indices, axis=None):
    """``numpy.take``: elements of ``a`` at ``indices`` along ``axis`` (flattened when None).

    It also lets a plain NumPy array be indexed by a traced index (``table[i]`` cannot be).

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> table = np.array([10.0, 20.0, 30.0])
        >>> float(ft.jit(lambda i: fnp.take(table, i))(2))
        30.0
    """
    if not core._stack:
        return np.take(a, indices, axis=axis)
    from ftrans.numpy._indexing import getitem

    a = _prepare(a)
    indices = _prepare(indices) if not isinstance(indices, (list, tuple)) else np.asarray(indices)
    if axis is None:
        a = _reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        axis = 0
    ax = normalize_axis(axis, len(shape_of(a)))
    return getitem(a, (slice(None),) * ax + (indices,))
