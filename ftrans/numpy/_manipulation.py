"""Array manipulation beyond the basics: pad, diag, tril/triu, insert/delete, rot90, block,
splitting and stacking variants, kron, diff, gradient.

Functions whose result layout depends only on shapes and static arguments compute that layout
with NumPy on index arrays, then move the data with one ``gather`` (so every transformation
applies and the gradient is the matching scatter).
"""

from __future__ import annotations

import builtins

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import cast, normalize_axis, to_operand
from ftrans.primitives import shape as sh

_SCALARS = (float, int, bool, complex)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _gather_flat(a, ids):
    """``ravel(a)[ids]`` for a concrete integer array ``ids``."""
    return fnp.take(fnp.ravel(a), np.asarray(ids, np.intp))


def _static(x, name):
    if isinstance(x, Tracer):
        return x.to_concrete(f"{name} (it fixes the output's shape)")
    return x


# ----------------------------------------------------------------------------- pad


def _pad_widths(pad_width, ndim):
    widths = np.asarray(_static(pad_width, "pad(pad_width=...)"))
    if not np.issubdtype(widths.dtype, np.integer):
        raise TypeError(f"pad: pad_width must be integers, got dtype {widths.dtype}")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width of shape {widths.shape} does not broadcast to ({ndim}, 2) for an "
            f"array of dimension {ndim}"
        ) from None
    if (widths < 0).any():
        raise ValueError("pad: index can't contain negative values (pad_width)")
    return [(int(lo), int(hi)) for lo, hi in widths]


def _per_axis(value, ndim, name):
    """A ``(before, after)`` pair per axis from NumPy's scalar/pair/per-axis spellings."""
    if isinstance(value, Tracer) or (not isinstance(value, (list, tuple)) and np.ndim(value) == 0):
        return [(value, value)] * ndim
    arr = np.asarray(value, dtype=object)
    try:
        arr = np.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: {name} does not broadcast to ({ndim}, 2)") from None
    return [tuple(row) for row in arr]


def _take_axis(a, idx, axis):
    return fnp.take(a, np.asarray(idx, np.intp), axis=axis)


def _edge_block(a, axis, start, width):
    """Rows ``start`` (a 0-d index) of ``a`` along ``axis`` repeated ``width`` times."""
    return _take_axis(a, np.full(width, start), axis)


def _reflect_indices(n, lo, hi, symmetric):
    idx = np.arange(-lo, n + hi)
    if symmetric:
        period = 2 * n
        j = idx % period
        return np.where(j >= n, period - 1 - j, j)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    j = idx % period
    return np.where(j >= n, period - j, j)


def _odd_side(a, axis, n, lo, hi, symmetric):
    """``reflect_type='odd'``: 2 * edge - the even reflection, extended chunk by chunk."""
    out = a
    left_done = right_done = 0
    while left_done < lo or right_done < hi:
        # like NumPy, both sides of one round reflect what was valid when the round began
        cur = shape_of(out)[axis]
        period = builtins.max(cur if symmetric else cur - 1, 1)
        if left_done < lo:
            k = builtins.min(lo - left_done, period)
            src = np.arange(k, 0, -1) - (1 if symmetric else 0)
            edge = _take_axis(out, [0], axis)
            chunk = fnp.subtract(fnp.multiply(edge, 2), _take_axis(out, src, axis))
            out = fnp.concatenate([chunk, out], axis=axis)
            left_done += k
            shift = k
        else:
            shift = 0
        if right_done < hi:
            k = builtins.min(hi - right_done, period)
            last = shift + cur - 1
            src = last - np.arange(1, k + 1) + (1 if symmetric else 0)
            edge = _take_axis(out, [last], axis)
            chunk = fnp.subtract(fnp.multiply(edge, 2), _take_axis(out, src, axis))
            out = fnp.concatenate([out, chunk], axis=axis)
            right_done += k
    return out


_STATS = {"maximum": "max", "minimum": "min", "mean": "mean", "median": "median"}


def _stat_pad(a, axis, lo, hi, mode, stat_length):
    n = shape_of(a)[axis]
    lo_len, hi_len = stat_length
    lo_len = n if lo_len is None else builtins.min(int(lo_len), n)
    hi_len = n if hi_len is None else builtins.min(int(hi_len), n)
    if (lo and lo_len == 0) or (hi and hi_len == 0):
        raise ValueError("pad: stat_length of 0 yields no value for padding")
    reduce = getattr(fnp, _STATS[mode])
    pieces = []
    for count, region, width in ((lo, np.arange(lo_len), lo), (hi, np.arange(n - hi_len, n), hi)):
        if not count:
            pieces.append(None)
            continue
        stat = reduce(_take_axis(a, region, axis), axis=axis, keepdims=True)
        if np.issubdtype(a.dtype, np.integer) and mode in ("mean", "median"):
            stat = fnp.round(stat)
        stat = cast(_arr(stat), a.dtype)
        pieces.append(fnp.repeat(stat, width, axis=axis))
    parts = [p for p in (pieces[0], a, pieces[1]) if p is not None]
    return fnp.concatenate(parts, axis=axis) if len(parts) > 1 else a


def _ramp_pad(a, axis, lo, hi, end_values):
    n = shape_of(a)[axis]
    parts = []
    for width, end, edge_at, left in (
        (lo, end_values[0], 0, True),
        (hi, end_values[1], n - 1, False),
    ):
        if not width:
            continue
        edge = _take_axis(a, [edge_at], axis)
        shape = [1] * len(shape_of(a))
        shape[axis] = width
        counts = np.arange(width, dtype=np.float64).reshape(shape)
        end = fnp.asarray(end)
        # NumPy's linspace(end, edge, width, endpoint=False): start + arange * step
        step = fnp.divide(fnp.subtract(edge, end), float(width))
        ramp = fnp.add(fnp.multiply(counts, step), end)
        if not left:
            ramp = fnp.flip(ramp, axis)
        if np.issubdtype(a.dtype, np.integer):
            ramp = fnp.floor(ramp)
        parts.append((left, cast(_arr(ramp), a.dtype)))
    out = [p for left, p in parts if left] + [a] + [p for left, p in parts if not left]
    return fnp.concatenate(out, axis=axis) if len(out) > 1 else a


def _callable_pad(a, widths, func, kwargs):
    from ftrans.mapping import vmap

    out = fnp.pad(a, widths)  # zeros where the function writes
    for axis, (lo, hi) in enumerate(widths):
        moved = fnp.moveaxis(out, axis, -1)
        rows = fnp.reshape(moved, (-1, shape_of(moved)[-1]))
        done = vmap(lambda row, axis=axis, lo=lo, hi=hi: func(row, (lo, hi), axis, kwargs))(rows)
        out = fnp.moveaxis(fnp.reshape(done, shape_of(moved)), -1, axis)
    return out


def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` in every mode: constant, edge, linear_ramp, maximum, mean, median, minimum,
    reflect, symmetric, wrap, empty, or a function.

    A function (JAX's contract, not NumPy's in-place one) takes ``(row, (before, after), axis,
    kwargs)`` and returns the padded row; it runs under ``vmap`` over the rows of each axis.
    ``mode="empty"`` pads with zeros.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.pad([1.0, 2.0, 3.0], (2, 1), mode="reflect").tolist()
        [3.0, 2.0, 1.0, 2.0, 3.0, 2.0]
        >>> fnp.pad([1, 2], 1, constant_values=9).tolist()
        [9, 1, 2, 9]
    """
    if isinstance(mode, str) and mode == "empty":
        mode = "constant"  # ftrans never hands out uninitialised memory
    if not core._stack:
        return np.pad(array, pad_width, mode, **kwargs)
    a = _arr(array)
    ndim = len(shape_of(a))
    widths = _pad_widths(pad_width, ndim)
    allowed = {
        "constant": {"constant_values"},
        "edge": set(),
        "wrap": set(),
        "empty": set(),
        "reflect": {"reflect_type"},
        "symmetric": {"reflect_type"},
        "linear_ramp": {"end_values"},
        "maximum": {"stat_length"},
        "minimum": {"stat_length"},
        "mean": {"stat_length"},
        "median": {"stat_length"},
    }
    if callable(mode):
        return _callable_pad(a, widths, mode, kwargs)
    if mode not in allowed:
        raise ValueError(f"pad: mode {mode!r} is not supported; choose one of {sorted(allowed)}")
    unknown = set(kwargs) - allowed[mode]
    if unknown:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(unknown)}")
    if mode in ("constant", "empty"):
        values = _per_axis(kwargs.get("constant_values", 0), ndim, "constant_values")
        out = a
        for axis, ((lo, hi), (vlo, vhi)) in enumerate(zip(widths, values, strict=True)):
            if not (lo or hi):
                continue
            for width, value, before in ((lo, vlo, True), (hi, vhi, False)):
                if not width:
                    continue
                value = cast(_arr(to_operand(value)), a.dtype)
                config = [(0, 0, 0)] * ndim
                config[axis] = (width, 0, 0) if before else (0, width, 0)
                out = sh.pad(out, value, padding_config=config)
        return out
    out = a
    for axis, (lo, hi) in enumerate(widths):
        if not (lo or hi):
            continue
        n = shape_of(out)[axis]
        if n == 0:
            raise ValueError(f"pad: can't extend empty axis {axis} using mode {mode!r}")
        if mode == "edge":
            parts = [_edge_block(out, axis, 0, lo), out, _edge_block(out, axis, n - 1, hi)]
            out = fnp.concatenate([p for p in parts if shape_of(p)[axis]], axis=axis)
        elif mode == "wrap":
            out = _take_axis(out, np.arange(-lo, n + hi) % n, axis)
        elif mode in ("reflect", "symmetric"):
            symmetric = mode == "symmetric"
            if kwargs.get("reflect_type", "even") == "odd":
                out = _odd_side(out, axis, n, lo, hi, symmetric)
            else:
                out = _take_axis(out, _reflect_indices(n, lo, hi, symmetric), axis)
        elif mode == "linear_ramp":
            ends = _per_axis(kwargs.get("end_values", 0), ndim, "end_values")[axis]
            out = _ramp_pad(out, axis, lo, hi, ends)
        else:
            stat = _per_axis(kwargs.get("stat_length"), ndim, "stat_length")[axis]
            out = _stat_pad(out, axis, lo, hi, mode, stat)
    return out


# ----------------------------------------------------------------------------- diagonals


def diag(v, k=0):
    """The ``k``-th diagonal of a 2-d array, or a 2-d array with 1-d ``v`` on that diagonal.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.diag([1.0, 2.0]).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
        >>> fnp.diag([[1, 2], [3, 4]], k=1).tolist()
        [2]
    """
    if not core._stack:
        return np.diag(v, k)
    v = _arr(v)
    shape = shape_of(v)
    if len(shape) == 2:
        return fnp.diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got shape {shape}")
    n = shape[0] + builtins.abs(k)
    mask = np.eye(n, k=k, dtype=bool)
    if k >= 0:
        col = fnp.reshape(fnp.pad(v, (0, k)), (n, 1))
        full = fnp.broadcast_to(col, (n, n))
    else:
        row = fnp.reshape(fnp.pad(v, (0, -k)), (1, n))
        full = fnp.broadcast_to(row, (n, n))
    return fnp.where(mask, full, fnp.zeros((), v.dtype))


def diagflat(v, k=0):
    """A 2-d array with the flattened ``v`` on its ``k``-th diagonal.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.diagflat([[1, 2]]).tolist()
        [[1, 0], [0, 2]]
    """
    if not core._stack:
        return np.diagflat(v, k)
    return diag(fnp.ravel(v), k)


def _triangle(m, k, lower, name):
    m = _arr(m)
    shape = shape_of(m)
    if len(shape) < 1:
        raise ValueError(f"{name}: input must be at least 1-d, got a 0-d array")
    if len(shape) == 1:  # NumPy broadcasts a vector to a square matrix first
        m = fnp.broadcast_to(m, (shape[0], shape[0]))
        shape = shape_of(m)
    rows, cols = shape[-2:]
    mask = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    return fnp.where(mask, m, fnp.zeros((), m.dtype))


def tril(m, k=0):
    """The lower triangle of (the last two axes of) ``m``: zeros above the ``k``-th diagonal.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.tril([[1, 2], [3, 4]]).tolist()
        [[1, 0], [3, 4]]
    """
    if not core._stack:
        return np.tril(m, k)
    return _triangle(m, k, True, "tril")


def triu(m, k=0):
    """The upper triangle of (the last two axes of) ``m``: zeros below the ``k``-th diagonal.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.triu([[1, 2], [3, 4]]).tolist()
        [[1, 2], [0, 4]]
    """
    if not core._stack:
        return np.triu(m, k)
    return _triangle(m, k, False, "triu")


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle of an ``(n, m)`` array (static sizes).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.tril_indices(2)]
        [[0, 1, 1], [0, 0, 1]]
    """
    return np.tril_indices(n, k, m)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle of an ``(n, m)`` array (static sizes).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.triu_indices(2)]
        [[0, 0, 1], [0, 1, 1]]
    """
    return np.triu_indices(n, k, m)


def tril_indices_from(arr, k=0):
    """`tril_indices` for the shape of the 2-d ``arr`` (which may be traced).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.tril_indices_from(fnp.ones((2, 2)))]
        [[0, 1, 1], [0, 0, 1]]
    """
    shape = fnp.shape(arr)
    if len(shape) != 2:
        raise ValueError(f"tril_indices_from: input array must be 2-d, got shape {shape}")
    return np.tril_indices(shape[0], k, shape[1])


def triu_indices_from(arr, k=0):
    """`triu_indices` for the shape of the 2-d ``arr`` (which may be traced).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.triu_indices_from(fnp.ones((2, 2)))]
        [[0, 0, 1], [0, 1, 1]]
    """
    shape = fnp.shape(arr)
    if len(shape) != 2:
        raise ValueError(f"triu_indices_from: input array must be 2-d, got shape {shape}")
    return np.triu_indices(shape[0], k, shape[1])


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an ``(n,) * ndim`` array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.diag_indices(2)]
        [[0, 1], [0, 1]]
    """
    return np.diag_indices(n, ndim)


def diag_indices_from(arr):
    """`diag_indices` for the (square) shape of ``arr``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.diag_indices_from(fnp.ones((2, 2)))]
        [[0, 1], [0, 1]]
    """
    shape = fnp.shape(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: all dimensions of arr must be equal, got {shape}")
    return np.diag_indices(shape[0], len(shape))


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where ``mask_func(ones((n, n)), k)`` is nonzero (e.g. ``fnp.triu``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.mask_indices(2, fnp.triu)]
        [[0, 0, 1], [0, 1, 1]]
    """
    out = np.nonzero(np.asarray(mask_func(np.ones((n, n), int), k)) != 0)
    if size is not None:
        out = tuple(np.resize(np.pad(i, (0, builtins.max(0, size - i.size))), size) for i in out)
    return out


def fill_diagonal(a, val, wrap=False, *, inplace=False):
    """``a`` with ``val`` written on its main diagonal (a new array: the update is functional).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fill_diagonal(fnp.zeros((2, 2)), 5.0).tolist()
        [[5.0, 0.0], [0.0, 5.0]]
    """
    if inplace:
        raise ValueError(
            "fill_diagonal: ftrans arrays are immutable, inplace=True is not supported; use the "
            "returned array (a = fnp.fill_diagonal(a, val))"
        )
    if not core._stack:
        out = np.array(a, copy=True)
        np.fill_diagonal(out, val, wrap=wrap)
        return out
    a = _arr(a)
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError(f"fill_diagonal: array must be at least 2-d, got shape {shape}")
    marker = np.zeros(shape, bool)
    np.fill_diagonal(marker, True, wrap=wrap)
    positions = np.flatnonzero(marker)
    values = fnp.ravel(cast(_arr(val), a.dtype))
    count = shape_of(values)[0]
    if count != positions.size:
        values = fnp.take(values, np.arange(positions.size) % builtins.max(count, 1))
    return fnp.reshape(fnp.at(fnp.ravel(a))[positions].set(values), shape)


# ----------------------------------------------------------------------------- stacking, splitting


def atleast_1d(*arys):
    """Each argument viewed with at least one dimension (a list for several arguments).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.atleast_1d(1.0).shape, len(fnp.atleast_1d(1.0, [2.0]))
        ((1,), 2)
    """
    if not core._stack:
        return np.atleast_1d(*arys)
    out = [fnp._shape.atleast_1d(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*arys):
    """Each argument viewed with at least two dimensions (a 1-d array becomes a row).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.atleast_2d([1.0, 2.0]).shape
        (1, 2)
    """
    if not core._stack:
        return np.atleast_2d(*arys)
    out = [fnp._shape.atleast_2d(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def _atleast_3d_one(a):
    a = _arr(a)
    s = shape_of(a)
    if len(s) == 0:
        return fnp.reshape(a, (1, 1, 1))
    if len(s) == 1:
        return fnp.reshape(a, (1, s[0], 1))
    if len(s) == 2:
        return fnp.reshape(a, s + (1,))
    return a


def atleast_3d(*arys):
    """Each argument viewed with at least three dimensions (``(n,)`` becomes ``(1, n, 1)``,
    ``(m, n)`` becomes ``(m, n, 1)``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.atleast_3d([1.0, 2.0]).shape
        (1, 2, 1)
    """
    if not core._stack:
        return np.atleast_3d(*arys)
    out = [_atleast_3d_one(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def column_stack(tup):
    """Stack 1-d arrays as columns (2-d arrays are joined as they are).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.column_stack(([1, 2], [3, 4])).tolist()
        [[1, 3], [2, 4]]
    """
    if not core._stack and not builtins.any(isinstance(a, Tracer) for a in tup):
        return np.column_stack(tup)
    cols = []
    for a in tup:
        a = _arr(a)
        s = shape_of(a)
        cols.append(fnp.reshape(a, (s[0] if s else 1, 1)) if len(s) < 2 else a)
    return fnp.concatenate(cols, axis=1)


def dstack(tup, dtype=None):
    """Stack arrays along the third axis (after `atleast_3d`).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.dstack(([1, 2], [3, 4])).shape
        (1, 2, 2)
    """
    if not core._stack and not builtins.any(isinstance(a, Tracer) for a in tup):
        return np.dstack(tup) if dtype is None else np.dstack(tup).astype(dtype)
    return fnp.concatenate([_atleast_3d_one(a) for a in tup], axis=2, dtype=dtype)


def _split_along(name, ary, indices_or_sections, axis, min_ndim):
    a = _arr(ary)
    if len(shape_of(a)) < min_ndim:
        raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions")
    return fnp.split(a, indices_or_sections, axis=axis)


def hsplit(ary, indices_or_sections):
    """`split` along axis 1 (axis 0 for 1-d arrays).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [p.tolist() for p in fnp.hsplit(fnp.arange(4), 2)]
        [[0, 1], [2, 3]]
    """
    if not core._stack:
        return np.hsplit(ary, indices_or_sections)
    a = _arr(ary)
    return _split_along("hsplit", a, indices_or_sections, 1 if len(shape_of(a)) > 1 else 0, 1)


def vsplit(ary, indices_or_sections):
    """`split` along axis 0 of an array of 2 or more dimensions.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [p.shape for p in fnp.vsplit(fnp.ones((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    if not core._stack:
        return np.vsplit(ary, indices_or_sections)
    return _split_along("vsplit", ary, indices_or_sections, 0, 2)


def dsplit(ary, indices_or_sections):
    """`split` along axis 2 of an array of 3 or more dimensions.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [p.shape for p in fnp.dsplit(fnp.ones((1, 1, 4)), 2)]
        [(1, 1, 2), (1, 1, 2)]
    """
    if not core._stack:
        return np.dsplit(ary, indices_or_sections)
    return _split_along("dsplit", ary, indices_or_sections, 2, 3)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [p.tolist() for p in fnp.unstack(fnp.arange(4).reshape(2, 2))]
        [[0, 1], [2, 3]]
    """
    if not core._stack:
        return np.unstack(x, axis=axis)
    x = _arr(x)
    ax = normalize_axis(axis, len(shape_of(x)))
    return tuple(fnp.squeeze(p, ax) for p in fnp.split(x, shape_of(x)[ax], axis=ax))


def concat(arrays, /, *, axis=0):
    """The array API's name for `concatenate`.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.concat([fnp.ones(2), fnp.zeros(1)]).tolist()
        [1.0, 1.0, 0.0]
    """
    return fnp.concatenate(arrays, axis=axis)


def _block_depth(x):
    if isinstance(x, list):
        if not x:
            raise ValueError("block: lists cannot be empty")
        depths = {_block_depth(e) for e in x}
        if len(depths) != 1:
            raise ValueError("block: list depths are mismatched")
        return 1 + depths.pop()
    if isinstance(x, tuple):
        raise TypeError("block: arrays must be nested lists, not tuples")
    return 0


def _block_ndim(x):
    return builtins.max(_block_ndim(e) for e in x) if isinstance(x, list) else len(fnp.shape(x))


def _block(x, depth, ndim):
    if not isinstance(x, list):
        a = _arr(x)
        s = shape_of(a)
        return fnp.reshape(a, (1,) * (ndim - len(s)) + s) if len(s) < ndim else a
    parts = [_block(e, depth - 1, ndim) for e in x]
    return fnp.concatenate(parts, axis=-depth)


def block(arrays):
    """An array assembled from nested lists of blocks (the innermost lists join along the last
    axis, the next level along the one before, ...).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.block([[fnp.eye(2), fnp.zeros((2, 1))]]).shape
        (2, 3)
    """
    if not core._stack:
        return np.block(arrays)
    depth = _block_depth(arrays)
    if depth == 0:
        return _arr(arrays)
    ndim = builtins.max(depth, _block_ndim(arrays))
    return _block(arrays, depth, ndim)


# ----------------------------------------------------------------------------- insert, delete, ...


def _axis_or_flat(a, axis):
    if axis is None:
        return fnp.ravel(a), 0
    return a, normalize_axis(axis, len(shape_of(a)))


def append(arr, values, axis=None):
    """``values`` joined to the end of ``arr`` (both flattened when ``axis`` is None).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.append([1, 2], [[3]]).tolist()
        [1, 2, 3]
    """
    if not core._stack:
        return np.append(arr, values, axis=axis)
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        return fnp.concatenate([fnp.ravel(arr), fnp.ravel(values)])
    return fnp.concatenate([arr, values], axis=axis)


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the index or indices ``obj`` (static).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.insert([1.0, 2.0], 1, 9.0).tolist()
        [1.0, 9.0, 2.0]
    """
    if not core._stack:
        return np.insert(arr, obj, values, axis=axis)
    obj = _static(obj, "insert(obj=...)")
    arr, values = _arr(arr), _arr(values)
    values = cast(values, arr.dtype)
    # NumPy decides where each value goes; run it on element ids and gather the data.
    n = _size(shape_of(arr))
    ids = np.arange(n).reshape(shape_of(arr))
    value_ids = n + np.arange(_size(shape_of(values))).reshape(shape_of(values))
    where = np.insert(ids, obj, value_ids, axis=axis)
    return _gather_flat(fnp.concatenate([fnp.ravel(arr), fnp.ravel(values)]), where)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries at the index, slice or indices ``obj`` (static) along ``axis``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.delete([1, 2, 3, 4], [0, 2]).tolist()
        [2, 4]
    """
    if not core._stack:
        return np.delete(arr, obj, axis=axis)
    obj = _static(obj, "delete(obj=...)")
    arr = _arr(arr)
    ids = np.arange(_size(shape_of(arr))).reshape(shape_of(arr))
    return _gather_flat(arr, np.delete(ids, obj, axis=axis))


def resize(a, new_shape):
    """A ``new_shape`` array filled with ``a``'s elements, repeated cyclically.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.resize([1, 2, 3], (2, 2)).tolist()
        [[1, 2], [3, 1]]
    """
    if not core._stack:
        return np.resize(a, new_shape)
    a = _arr(a)
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if _size(shape_of(a)) == 0:
        return fnp.zeros(new_shape, a.dtype)
    return _gather_flat(a, np.resize(np.arange(_size(shape_of(a))), new_shape))


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first towards the
    second).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.rot90([[1, 2], [3, 4]]).tolist()
        [[2, 4], [1, 3]]
    """
    if not core._stack:
        return np.rot90(m, k, axes)
    m = _arr(m)
    ndim = len(shape_of(m))
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    a0, a1 = normalize_axis(axes[0], ndim), normalize_axis(axes[1], ndim)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return fnp.flip(fnp.flip(m, a0), a1)
    perm = list(range(ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return fnp.transpose(fnp.flip(m, a1), perm)
    return fnp.flip(fnp.transpose(m, perm), a1)


def rollaxis(a, axis, start=0):
    """Move ``axis`` to before position ``start`` (prefer `moveaxis`).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.rollaxis(fnp.ones((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    if not core._stack:
        return np.rollaxis(a, axis, start)
    a = _arr(a)
    ndim = len(shape_of(a))
    axis = normalize_axis(axis, ndim)
    if not -ndim <= start <= ndim:
        raise np.exceptions.AxisError(f"rollaxis: start {start} out of range for {ndim} dims")
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    return fnp.moveaxis(a, axis, start) if axis != start else a


def trim_zeros(filt, trim="fb", axis=None):
    """``filt`` without its leading (``'f'``) and/or trailing (``'b'``) zeros (concrete values:
    the result's length depends on them).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.trim_zeros([0, 1, 2, 0]).tolist()
        [1, 2]
    """
    if isinstance(filt, Tracer):
        nonzero = np.asarray(
            fnp.not_equal(filt, 0).to_concrete("trim_zeros (its result length depends on values)")
        )
    else:
        if not core._stack:
            return (
                np.trim_zeros(np.asarray(filt), trim, axis)
                if axis is not None
                else (np.trim_zeros(np.asarray(filt), trim))
            )
        nonzero = np.asarray(filt) != 0
    idx = np.flatnonzero(nonzero)
    lo = int(idx[0]) if idx.size and "f" in trim.lower() else (len(nonzero) if not idx.size else 0)
    hi = int(idx[-1]) + 1 if idx.size and "b" in trim.lower() else len(nonzero)
    return _arr(filt)[lo:hi]


# ----------------------------------------------------------------------------- differences


def _diff_edge(e, a, ax):
    e = _arr(e)
    if not shape_of(e):
        shape = list(shape_of(a))
        shape[ax] = 1
        e = fnp.broadcast_to(e, tuple(shape))
    return e


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """``n``-th discrete difference along ``axis``, ``a[1:] - a[:-1]`` repeated ``n`` times.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.diff([1, 4, 9, 16]).tolist()
        [3, 5, 7]
    """
    if not core._stack:
        if prepend is None and append is None:
            return np.diff(a, n, axis)
        kw = {}
        if prepend is not None:
            kw["prepend"] = prepend
        if append is not None:
            kw["append"] = append
        return np.diff(a, n=n, axis=axis, **kw)
    a = _arr(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    ndim = len(shape_of(a))
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, ndim)
    if prepend is not None or append is not None:
        edges = [_diff_edge(prepend, a, ax)] if prepend is not None else []
        edges.append(a)
        if append is not None:
            edges.append(_diff_edge(append, a, ax))
        a = fnp.concatenate(edges, axis=ax)
    is_bool = a.dtype == np.bool_
    for _ in range(n):
        length = shape_of(a)[ax]
        hi = fnp.take(a, np.arange(1, length), axis=ax) if length else a
        lo = fnp.take(a, np.arange(0, builtins.max(length - 1, 0)), axis=ax)
        a = fnp.not_equal(hi, lo) if is_bool else fnp.subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened ``ary``, with optional values
    before and after.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.ediff1d([1, 2, 4], to_begin=0).tolist()
        [0, 1, 2]
    """
    if not core._stack:
        return np.ediff1d(ary, to_end=to_end, to_begin=to_begin)
    flat = fnp.ravel(_arr(ary))
    parts = []
    if to_begin is not None:
        parts.append(fnp.ravel(cast(_arr(to_begin), flat.dtype)))
    parts.append(diff(flat))
    if to_end is not None:
        parts.append(fnp.ravel(cast(_arr(to_end), flat.dtype)))
    return fnp.concatenate(parts) if len(parts) > 1 else parts[0]


def _gradient_axis(f, ax, h, edge_order):
    n = shape_of(f)[ax]
    if n < edge_order + 1:
        raise ValueError(
            f"gradient: shape of the array along axis {ax} is too small to calculate a numerical "
            f"gradient, at least (edge_order + 1) = {edge_order + 1} elements are required"
        )

    def at(idx):
        return fnp.take(f, np.asarray(idx, np.intp), axis=ax)

    def along(v):  # a 1-d array of length m laid out along ax
        shape = [1] * len(shape_of(f))
        shape[ax] = -1
        return fnp.reshape(v, tuple(shape))

    uniform = not isinstance(h, (np.ndarray, Tracer)) or len(shape_of(_arr(h))) == 0
    if uniform:
        interior = fnp.divide(
            fnp.subtract(at(np.arange(2, n)), at(np.arange(0, n - 2))), fnp.multiply(h, 2.0)
        )
        if edge_order == 1:
            first = fnp.divide(fnp.subtract(at([1]), at([0])), h)
            last = fnp.divide(fnp.subtract(at([n - 1]), at([n - 2])), h)
        else:
            first = fnp.divide(
                fnp.add(
                    fnp.add(fnp.multiply(at([0]), -1.5), fnp.multiply(at([1]), 2.0)),
                    fnp.multiply(at([2]), -0.5),
                ),
                h,
            )
            last = fnp.divide(
                fnp.add(
                    fnp.add(fnp.multiply(at([n - 3]), 0.5), fnp.multiply(at([n - 2]), -2.0)),
                    fnp.multiply(at([n - 1]), 1.5),
                ),
                h,
            )
    else:
        x = _arr(h)
        if shape_of(x) != (n,):
            raise ValueError(
                f"gradient: coordinates along axis {ax} must have shape ({n},), got {shape_of(x)}"
            )
        dx = diff(x)
        dx1 = along(fnp.take(dx, np.arange(0, n - 2)))
        dx2 = along(fnp.take(dx, np.arange(1, n - 1)))
        a = fnp.divide(fnp.negative(dx2), fnp.multiply(dx1, fnp.add(dx1, dx2)))
        b = fnp.divide(fnp.subtract(dx2, dx1), fnp.multiply(dx1, dx2))
        c = fnp.divide(dx1, fnp.multiply(dx2, fnp.add(dx1, dx2)))
        interior = fnp.add(
            fnp.add(
                fnp.multiply(a, at(np.arange(0, n - 2))), fnp.multiply(b, at(np.arange(1, n - 1)))
            ),
            fnp.multiply(c, at(np.arange(2, n))),
        )
        d = [fnp.take(dx, i) for i in range(builtins.min(2, n - 1))]
        e = [fnp.take(dx, i) for i in (n - 2, n - 3) if i >= 0]
        if edge_order == 1:
            first = fnp.divide(fnp.subtract(at([1]), at([0])), d[0])
            last = fnp.divide(fnp.subtract(at([n - 1]), at([n - 2])), e[0])
        else:
            d1, d2 = d[0], d[1]
            a0 = fnp.negative(
                fnp.divide(fnp.add(fnp.multiply(d1, 2.0), d2), fnp.multiply(d1, fnp.add(d1, d2)))
            )
            b0 = fnp.divide(fnp.add(d1, d2), fnp.multiply(d1, d2))
            c0 = fnp.negative(fnp.divide(d1, fnp.multiply(d2, fnp.add(d1, d2))))
            first = fnp.add(
                fnp.add(fnp.multiply(a0, at([0])), fnp.multiply(b0, at([1]))),
                fnp.multiply(c0, at([2])),
            )
            e1, e2 = e[1], e[0]  # dx[-2], dx[-1]
            a1 = fnp.divide(e2, fnp.multiply(e1, fnp.add(e1, e2)))
            b1 = fnp.negative(fnp.divide(fnp.add(e2, e1), fnp.multiply(e1, e2)))
            c1 = fnp.divide(fnp.add(fnp.multiply(e2, 2.0), e1), fnp.multiply(e2, fnp.add(e1, e2)))
            last = fnp.add(
                fnp.add(fnp.multiply(a1, at([n - 3])), fnp.multiply(b1, at([n - 2]))),
                fnp.multiply(c1, at([n - 1])),
            )
    return fnp.concatenate([first, interior, last], axis=ax)


def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, one-sided (order ``edge_order``) at the ends;
    spacings are scalars or coordinate arrays, one per axis (NumPy's formulas).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.gradient([1.0, 4.0, 9.0, 16.0]).tolist()
        [3.0, 4.0, 6.0, 7.0]
    """
    if not core._stack:
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    f = _arr(f)
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2")
    ndim = len(shape_of(f))
    axes = (
        tuple(range(ndim))
        if axis is None
        else tuple(
            normalize_axis(x, ndim) for x in (axis if isinstance(axis, (tuple, list)) else (axis,))
        )
    )
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0 and not isinstance(varargs[0], Tracer):
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"gradient: invalid number of spacing arguments ({len(varargs)})")
    if not np.issubdtype(f.dtype, np.inexact):
        f = cast(f, np.dtype(np.float64))
    out = [_gradient_axis(f, ax, h, edge_order) for ax, h in zip(axes, spacing, strict=True)]
    return out[0] if len(out) == 1 else tuple(out)


# ----------------------------------------------------------------------------- products


def kron(a, b):
    """Kronecker product: blocks of ``b`` scaled by the elements of ``a``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.kron([1, 10], [1, 2]).tolist()
        [1, 2, 10, 20]
    """
    if not core._stack:
        return np.kron(a, b)
    a, b = _arr(a), _arr(b)
    nd = builtins.max(len(shape_of(a)), len(shape_of(b)))
    a = fnp.reshape(a, (1,) * (nd - len(shape_of(a))) + shape_of(a))
    b = fnp.reshape(b, (1,) * (nd - len(shape_of(b))) + shape_of(b))
    sa, sb = shape_of(a), shape_of(b)
    inter_a = tuple(x for s in sa for x in (s, 1))
    inter_b = tuple(x for s in sb for x in (1, s))
    prod = fnp.multiply(fnp.reshape(a, inter_a), fnp.reshape(b, inter_b))
    return fnp.reshape(prod, tuple(x * y for x, y in zip(sa, sb, strict=True)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of vectors of 2 or 3 components (along ``axisa``/``axisb``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).tolist()
        [0.0, 0.0, 1.0]
    """
    if not core._stack:
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = fnp.moveaxis(_arr(a), axisa, -1)
    b = fnp.moveaxis(_arr(b), axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            "incompatible dimensions for cross product (dimension must be 2 or 3), got "
            f"{na} and {nb}"
        )
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    a2 = a[..., 2] if na == 3 else None
    b2 = b[..., 2] if nb == 3 else None
    z = fnp.subtract(fnp.multiply(a0, b1), fnp.multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    zero = 0.0
    a2 = zero if a2 is None else a2
    b2 = zero if b2 is None else b2
    x = fnp.subtract(fnp.multiply(a1, b2), fnp.multiply(a2, b1))
    y = fnp.subtract(fnp.multiply(a2, b0), fnp.multiply(a0, b2))
    x, y, z = fnp.broadcast_arrays(x, y, z)
    out = fnp.stack([x, y, z], axis=-1)
    return fnp.moveaxis(out, -1, axisc)


def matrix_transpose(x, /):
    """Swap the last two axes.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.matrix_transpose(fnp.ones((2, 3, 4))).shape
        (2, 4, 3)
    """
    if not core._stack:
        return np.matrix_transpose(x)
    x = _arr(x)
    if len(shape_of(x)) < 2:
        raise ValueError(f"matrix_transpose: x must be at least 2-d, got shape {shape_of(x)}")
    return fnp.swapaxes(x, -1, -2)


def matvec(x1, x2, /):
    """Batched matrix-vector product ``x1 @ x2`` over the last axes.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.matvec(fnp.eye(2), [1.0, 2.0]).tolist()
        [1.0, 2.0]
    """
    if not core._stack:
        return np.matvec(x1, x2)
    return fnp.matmul(x1, fnp.expand_dims(_arr(x2), -1))[..., 0]


def vecmat(x1, x2, /):
    """Batched vector-matrix product ``conj(x1) @ x2`` over the last axes.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.vecmat([1.0, 2.0], fnp.eye(2)).tolist()
        [1.0, 2.0]
    """
    if not core._stack:
        return np.vecmat(x1, x2)
    return fnp.matmul(fnp.expand_dims(fnp.conj(_arr(x1)), -2), x2)[..., 0, :]


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """``sum(conj(x1) * x2, axis)``: vector dot products over ``axis``, broadcasting the rest.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.vecdot([1.0, 2.0], [3.0, 4.0]))
        11.0
    """
    if not core._stack:
        out = np.vecdot(x1, x2, axis=axis)
    else:
        out = fnp.sum(fnp.multiply(fnp.conj(_arr(x1)), _arr(x2)), axis=axis)
    return out if preferred_element_type is None else fnp.astype(out, preferred_element_type)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (at ``x``, or spacing ``dx``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.trapezoid([1.0, 2.0, 3.0]))
        4.0
    """
    if not core._stack:
        return np.trapezoid(y, x=x, dx=dx, axis=axis)
    y = _arr(y)
    ax = normalize_axis(axis, len(shape_of(y)))
    n = shape_of(y)[ax]
    if x is None:
        d = dx
    else:
        x = _arr(x)
        d = diff(x, axis=axis if len(shape_of(x)) > 1 else -1)
        if len(shape_of(x)) == 1:
            shape = [1] * len(shape_of(y))
            shape[ax] = n - 1
            d = fnp.reshape(d, tuple(shape))
    hi = fnp.take(y, np.arange(1, n), axis=ax)
    lo = fnp.take(y, np.arange(0, builtins.max(n - 1, 0)), axis=ax)
    return fnp.sum(fnp.multiply(d, fnp.add(hi, lo)), axis=ax) * 0.5


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """``p`` with jumps larger than ``discont`` (default ``period / 2``) between neighbours
    along ``axis`` replaced by their ``period``-complement.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [round(v, 4) for v in fnp.unwrap([0.0, 3.0, 6.5]).tolist()]
        [0.0, 3.0, 0.2168]
    """
    if not core._stack:
        return np.unwrap(p, discont=discont, axis=axis, period=period)
    p = _arr(p)
    if not np.issubdtype(p.dtype, np.inexact):
        p = cast(p, np.dtype(np.float64))
    ax = normalize_axis(axis, len(shape_of(p)))
    if discont is None:
        discont = period / 2
    half = period / 2
    dd = diff(p, axis=ax)
    ddmod = fnp.subtract(fnp.mod(fnp.add(dd, half), period), half)
    if np.issubdtype(p.dtype, np.floating):
        ddmod = fnp.where(fnp.logical_and(fnp.equal(ddmod, -half), fnp.greater(dd, 0)), half, ddmod)
    correct = fnp.subtract(ddmod, dd)
    correct = fnp.where(fnp.less(fnp.abs(dd), builtins.max(discont, half)), 0.0, correct)
    first = fnp.take(p, np.arange(1), axis=ax)
    rest = fnp.take(p, np.arange(1, shape_of(p)[ax]), axis=ax)
    return fnp.concatenate([first, fnp.add(rest, fnp.cumsum(correct, axis=ax))], axis=ax)
