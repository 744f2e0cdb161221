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


def _np_kwargs(initial=None, where=None, **kw):
    """NumPy's optional reduction keywords, passed only when given (NumPy has no None default)."""
    if initial is not None:
        kw["initial"] = initial
    if where is not None:
        kw["where"] = where
    return kw


def _no_out(name, out):
    if out is not None:
        raise ValueError(
            f"{name}: the out argument is not supported (ftrans arrays are immutable); use the "
            "returned array"
        )


def _masked(a, where, fill):
    """``a`` with the positions ``where`` is False replaced by ``fill`` (a reduction's
    identity), broadcasting ``where`` against ``a``."""
    if where is None:
        return a
    from ftrans.numpy._math import where as _where

    out = _where(where, a, a.dtype.type(fill))
    return cast(_prepare(out), a.dtype)


def _count(shape, axes, where, keepdims, dtype):
    if where is None:
        return dtype.type(int(np.prod([shape[i] for i in axes], dtype=np.int64)))
    from ftrans.numpy._math import where as _where

    ones = broadcast_to_shape(_where(where, dtype.type(1), dtype.type(0)), shape)
    return sum(ones, axis=axes, keepdims=keepdims)


def sum(  # noqa: A001
    a,
    axis=None,
    dtype=None,
    out=None,
    keepdims=False,
    initial=None,
    where=None,
    promote_integers=True,
):
    """Sum over ``axis`` (None: all axes), like ``numpy.sum``; ``where`` masks elements out,
    ``initial`` is added.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.sum(fnp.ones((2, 3)), axis=1).tolist()
        [3.0, 3.0]
        >>> float(fnp.sum(fnp.arange(4.0), where=fnp.arange(4) % 2 == 1, initial=10.0))
        14.0
    """
    if not core._stack:
        if out is None and initial is None and where is None:
            return np.sum(a, axis, dtype, None, keepdims)
        _no_out("sum", out)
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims, **_np_kwargs(initial, where))
    _no_out("sum", out)
    a = _prepare(a)
    a = cast(a, np.dtype(dtype) if dtype is not None else _sum_dtype(a.dtype))
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    a = _masked(a, where, 0)
    out = red.reduce_sum(a, axes=axes)
    if keepdims:
        out = _keepdims(out, shape, axes)
    return out if initial is None else ew.add(out, cast(_prepare(initial), out.aval.dtype))


def _float_dtype(dtype):
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis`` (of the elements ``where`` selects); integer inputs give
    float64, like NumPy."""
    if not core._stack:
        if out is None and where is None:
            return np.mean(a, axis, dtype, None, keepdims)
        _no_out("mean", out)
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims, **_np_kwargs(where=where))
    _no_out("mean", out)
    a = _prepare(a)
    dtype = np.dtype(dtype) if dtype is not None else _float_dtype(a.dtype)
    a = cast(a, dtype)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    count = _count(shape, axes, where, keepdims, dtype)
    total = sum(a, axis=axes, keepdims=keepdims, where=where)
    return ew.div(total, count)


def var(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    """Variance ``mean(|a - mean(a)|**2) * n / (n - ddof)``; ``correction`` is the array API's
    name for ``ddof``, ``mean`` a precomputed mean (kept dims), ``where`` a mask."""
    _no_out("var", out)
    if correction is not None:
        if ddof not in (0, None):
            raise ValueError("var: pass ddof or correction, not both")
        ddof = correction
    if not core._stack:
        kw = _np_kwargs(where=where)
        if mean is not None:
            kw["mean"] = mean
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, **kw)
    a = _prepare(a)
    dtype = np.dtype(dtype) if dtype is not None else _float_dtype(a.dtype)
    a = cast(a, dtype)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    if mean is None:
        center = globals()["mean"](a, axis=axes, keepdims=True, where=where)
    else:
        center = cast(_prepare(mean), dtype)
    centered = ew.sub(a, _broadcast_back(center, shape))
    if ew.is_complex_dtype(dtype):  # NumPy: mean(|a - mean|**2), a real result
        centered_re, centered_im = ew.real(centered), ew.imag(centered)
        squares = ew.add(ew.mul(centered_re, centered_re), ew.mul(centered_im, centered_im))
        dtype = ew.real_dtype(dtype)
    else:
        squares = ew.mul(centered, centered)
    total = sum(squares, axis=axes, keepdims=keepdims, where=where)
    if where is None:
        count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
        return ew.div(total, dtype.type(builtins.max(count - ddof, 0)))
    count = _count(shape, axes, where, keepdims, dtype)
    from ftrans.numpy._math import maximum

    return ew.div(total, maximum(ew.sub(count, dtype.type(ddof)), dtype.type(0)))


def _broadcast_back(x, shape):
    return broadcast_to_shape(x, shape)


def std(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    """Standard deviation, ``sqrt(var(...))`` (same keywords as `var`)."""
    _no_out("std", out)
    if not core._stack:
        if correction is not None:
            ddof = correction
        kw = _np_kwargs(where=where)
        if mean is not None:
            kw["mean"] = mean
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, **kw)
    return ew.sqrt(
        var(
            a,
            axis=axis,
            dtype=dtype,
            ddof=ddof,
            keepdims=keepdims,
            where=where,
            mean=mean,
            correction=correction,
        )
    )


def prod(
    a,
    axis=None,
    dtype=None,
    out=None,
    keepdims=False,
    initial=None,
    where=None,
    promote_integers=True,
):
    """Product over ``axis``; its gradient is exact at zeros (no division)."""
    if not core._stack:
        if out is None and initial is None and where is None:
            return np.prod(a, axis, dtype, None, keepdims)
        _no_out("prod", out)
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims, **_np_kwargs(initial, where))
    _no_out("prod", out)
    a = _prepare(a)
    a = cast(a, np.dtype(dtype) if dtype is not None else _sum_dtype(a.dtype))
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    a = _masked(a, where, 1)
    out = red.reduce_prod(a, axes=axes)
    if keepdims:
        out = _keepdims(out, shape, axes)
    return out if initial is None else ew.mul(out, cast(_prepare(initial), out.aval.dtype))


def _extremum(np_fn, prim_fn, name):
    combine = ew.max_ if name == "max" else ew.min_

    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if not core._stack:
            if out is None and initial is None and where is None:
                return np_fn(a, axis, None, keepdims)
            _no_out(name, out)
            return np_fn(a, axis=axis, keepdims=keepdims, **_np_kwargs(initial, where))
        _no_out(name, out)
        a = _prepare(a)
        shape = shape_of(a)
        axes = normalize_axes(axis, len(shape))
        if where is not None:
            if initial is None:
                raise ValueError(
                    f"reduction operation {name} does not have an identity, so to use a where "
                    "mask one has to specify 'initial'"
                )
            a = _masked(a, where, initial)
        if initial is None and builtins.any(shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        if builtins.any(shape[i] == 0 for i in axes):
            kept = (
                tuple(1 if i in axes else n for i, n in enumerate(shape))
                if keepdims
                else (tuple(n for i, n in enumerate(shape) if i not in axes))
            )
            return np.full(kept, initial, a.dtype)
        out = prim_fn(a, axes=axes)
        if keepdims:
            out = _keepdims(out, shape, axes)
        if initial is not None:
            out = combine(out, np.asarray(initial, a.dtype))
        return out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``numpy.{name}`` over ``axis`` (``where`` needs ``initial``); at ties the gradient is "
        "shared equally (JAX's rule)."
    )
    return fn


max = _extremum(np.max, red.reduce_max, "max")  # noqa: A001
min = _extremum(np.min, red.reduce_min, "min")  # noqa: A001
amax, amin = max, min


def _bool_reduction(np_fn, prim_fn, name):
    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        _no_out(name, out)
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims, **_np_kwargs(where=where))
        a = _prepare(a)
        if a.dtype != np.bool_:
            a = ew.ne(a, a.dtype.type(0))
        a = _masked(a, where, name == "all")
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
    def fn(a, axis=None, out=None, keepdims=False):
        _no_out(name, out)
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
    def fn(a, axis=None, dtype=None, out=None):
        _no_out(name, out)
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


def default_fill(dtype):
    """JAX's fill value for out-of-bounds reads: NaN for inexact dtypes, the most negative
    value for signed integers, the largest for unsigned ones, True for booleans."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.inexact):
        return dtype.type(np.nan)
    if dtype == np.bool_:
        return np.True_
    info = np.iinfo(dtype)
    return dtype.type(info.min if np.issubdtype(dtype, np.signedinteger) else info.max)


_MODES = (None, "fill", "clip", "wrap", "raise", "promise_in_bounds", "drop")


def bounded_index(idx, n, mode, name):
    """``(index, needs_fill)``: ``idx`` into an axis of length ``n`` under ``mode``.

    With ``needs_fill`` the index points one past the end where it was out of bounds, so the
    caller reads from the array padded with the fill value there.
    """
    from ftrans.numpy._math import clip, remainder
    from ftrans.numpy._math import where as _where

    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of 'fill', 'clip', 'wrap', got {mode!r}")
    if mode == "clip":
        return clip(idx, 0, builtins.max(n - 1, 0)), False
    if mode == "wrap":
        return remainder(idx, n), False
    if mode in ("raise", "promise_in_bounds"):
        return idx, False
    idx = _prepare(idx)
    wrapped = _where(ew.lt(idx, idx.dtype.type(0)), ew.add(idx, idx.dtype.type(n)), idx)
    valid = ew.bitwise_and(ew.ge(wrapped, idx.dtype.type(0)), ew.lt(wrapped, idx.dtype.type(n)))
    return _where(valid, wrapped, idx.dtype.type(n)), True


def _fill_padded(a, axis, fill_value):
    from ftrans.primitives.shape import pad

    value = default_fill(a.dtype) if fill_value is None else fill_value
    config = [(0, 0, 0)] * len(shape_of(a))
    config[axis] = (0, 1, 0)
    return pad(a, cast(_prepare(value), a.dtype), padding_config=config)


def take_along_axis(arr, indices, axis, mode=None, fill_value=None, *, wrap_negative_indices=True):
    """``numpy.take_along_axis``: pick values along ``axis`` with an index array.

    ``mode`` (JAX's keyword): ``"fill"`` (the default under a transformation: out-of-bounds
    reads give ``fill_value``, NaN for floats), ``"clip"`` or ``"wrap"``; eagerly the default
    is NumPy's (an IndexError for out-of-bounds indices). With ``wrap_negative_indices=False``
    negative indices count as out of bounds.
    """
    if not wrap_negative_indices:  # negative indices are out of bounds: move them past the end
        from ftrans.numpy._math import less
        from ftrans.numpy._math import where as _where

        indices = _prepare(indices)
        past_end = int(np.prod(shape_of(_prepare(arr)), dtype=np.int64))
        indices = _where(less(indices, 0), indices.dtype.type(past_end), indices)
        mode = mode or "fill"
    if not core._stack and mode is None:
        return np.take_along_axis(arr, indices, axis)
    arr = _prepare(arr)
    indices = _prepare(indices)
    if axis is None:
        arr = _reshape(arr, new_sizes=(int(np.prod(shape_of(arr), dtype=np.int64)),))
        indices = _reshape(indices, new_sizes=(int(np.prod(shape_of(indices), dtype=np.int64)),))
        axis = 0
    ax = normalize_axis(axis, len(shape_of(arr)))
    a_shape, i_shape = list(shape_of(arr)), list(shape_of(indices))
    if len(a_shape) != len(i_shape):
        raise ValueError(
            f"take_along_axis: indices of shape {tuple(i_shape)} must have the same number of "
            f"dimensions as arr of shape {tuple(a_shape)}"
        )
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    if mode is not None or core._stack:
        indices, fill = bounded_index(indices, a_shape[ax], mode or "fill", "take_along_axis")
        if fill:
            arr = _fill_padded(arr, ax, fill_value)
            a_shape = list(shape_of(arr))
    # Every axis but `ax` broadcasts between arr and indices.
    others = np.broadcast_shapes(
        tuple(a_shape[:ax] + [1] + a_shape[ax + 1 :]), tuple(i_shape[:ax] + [1] + i_shape[ax + 1 :])
    )
    i_target = others[:ax] + (i_shape[ax],) + others[ax + 1 :]
    a_target = others[:ax] + (a_shape[ax],) + others[ax + 1 :]
    indices = broadcast_to_shape(indices, i_target)
    arr = broadcast_to_shape(arr, a_target)
    if not core._stack:
        return np.take_along_axis(np.asarray(arr), np.asarray(indices), ax)
    return _take_along_axis(arr, indices, axis=ax)


def take(
    a,
    indices,
    axis=None,
    out=None,
    mode=None,
    unique_indices=False,
    indices_are_sorted=False,
    fill_value=None,
):
    """``numpy.take``: elements of ``a`` at ``indices`` along ``axis`` (flattened when None).

    ``mode``: NumPy's ``"raise"`` (the eager default), ``"wrap"``, ``"clip"``, or JAX's
    ``"fill"`` (the default under a transformation, where an IndexError cannot be raised:
    out-of-bounds reads give ``fill_value``, NaN for floats). It also lets a plain NumPy array
    be indexed by a traced index (``table[i]`` cannot be).

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> table = np.array([10.0, 20.0, 30.0])
        >>> float(ft.jit(lambda i: fnp.take(table, i))(2))
        30.0
        >>> fnp.take(table, [0, 5], mode="fill", fill_value=-1.0).tolist()
        [10.0, -1.0]
    """
    _no_out("take", out)
    if not core._stack and mode in (None, "raise", "wrap", "clip"):
        return np.take(a, indices, axis=axis, mode=mode or "raise")
    from ftrans.numpy._indexing import getitem

    a = _prepare(a)
    indices = _prepare(indices) if not isinstance(indices, (list, tuple)) else np.asarray(indices)
    if axis is None:
        a = _reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        axis = 0
    ax = normalize_axis(axis, len(shape_of(a)))
    if not np.issubdtype(indices.dtype, np.integer):
        raise IndexError(f"take: indices must be integers, got dtype {indices.dtype}")
    if mode is not None or core._stack:
        indices, fill = bounded_index(indices, shape_of(a)[ax], mode or "fill", "take")
        if fill:
            a = _fill_padded(a, ax, fill_value)
    if not core._stack:
        return np.take(np.asarray(a), np.asarray(indices), axis=ax)
    return getitem(a, (slice(None),) * ax + (indices,))
