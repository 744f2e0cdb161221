"""Shape manipulation: reshape, transpose, moveaxis, expand_dims, squeeze, broadcast_to,
concatenate, stack, split, tile, repeat, flip, roll."""

from __future__ import annotations

import builtins
import itertools

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError
from ftrans.numpy._util import (
    broadcast_to_shape,
    cast,
    normalize_axes,
    normalize_axis,
    to_operand,
)
from ftrans.primitives import shape as sh


def _arr(a):
    a = to_operand(a)
    return np.asarray(a) if type(a) in (float, int, bool, complex) else a


def _resolve_shape(newshape, size, old_shape):
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    newshape = [int(d) for d in newshape]
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise ShapeError(f"can only specify one unknown dimension in reshape to {tuple(newshape)}")
    if unknown:
        known = int(np.prod([d for d in newshape if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ShapeError(
                f"cannot reshape array of shape {old_shape} into shape {tuple(newshape)}"
            )
        newshape[unknown[0]] = size // known
    if int(np.prod(newshape, dtype=np.int64)) != size:
        raise ShapeError(
            f"cannot reshape array of size {size} (shape {old_shape}) into shape {tuple(newshape)}"
        )
    return tuple(newshape)


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """Array with the same data in a new shape (one dimension may be -1); ``order="F"`` reads
    and writes the elements in column-major order."""
    shape = newshape if shape is None else shape
    if not core._stack:
        return np.reshape(a, shape, order=order)
    if order not in ("C", "F", "A"):
        raise ValueError(f"reshape: order must be 'C', 'F' or 'A', got {order!r}")
    a = _arr(a)
    old = shape_of(a)
    new = _resolve_shape(shape, int(np.prod(old, dtype=np.int64)), old)
    if (order == "F" and len(old) > 1) or (order == "F" and len(new) > 1):
        # column-major: reverse the axes, reshape to the reversed shape, reverse back
        flipped = transpose(a) if len(old) > 1 else a
        out = (
            sh.reshape(flipped, new_sizes=new[::-1]) if new[::-1] != shape_of(flipped) else flipped
        )
        return transpose(out) if len(new) > 1 else out
    return a if new == old else sh.reshape(a, new_sizes=new)


def ravel(a, order="C"):
    """The array flattened to one dimension (column-major with ``order="F"``)."""
    if not core._stack:
        return np.ravel(a, order=order)
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    """Permute axes (reverse them when ``axes`` is None)."""
    if not core._stack:
        return np.transpose(a, axes)
    a = _arr(a)
    ndim = len(shape_of(a))
    perm = (
        tuple(range(ndim))[::-1] if axes is None else tuple(normalize_axis(x, ndim) for x in axes)
    )
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"axes {axes} don't match an array of dimension {ndim}")
    return a if perm == tuple(range(ndim)) else sh.transpose(a, permutation=perm)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def moveaxis(a, source, destination):
    """Move axes to new positions; the others keep their order."""
    if not core._stack:
        return np.moveaxis(a, source, destination)
    a = _arr(a)
    ndim = len(shape_of(a))
    src = [normalize_axis(s, ndim) for s in np.atleast_1d(source)]
    dst = [normalize_axis(d, ndim) for d in np.atleast_1d(destination)]
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(a, order)


def swapaxes(a, axis1, axis2):
    """Exchange two axes."""
    if not core._stack:
        return np.swapaxes(a, axis1, axis2)
    a = _arr(a)
    ndim = len(shape_of(a))
    perm = list(range(ndim))
    i, j = normalize_axis(axis1, ndim), normalize_axis(axis2, ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def expand_dims(a, axis):
    """Insert size-1 axes at the given positions."""
    if not core._stack:
        return np.expand_dims(a, axis)
    a = _arr(a)
    shape = list(shape_of(a))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape) + len(axes)
    for ax in sorted(normalize_axis(x, ndim) for x in axes):
        shape.insert(ax, 1)
    return sh.reshape(a, new_sizes=tuple(shape))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    if not core._stack:
        return np.squeeze(a, axis=axis)
    a = _arr(a)
    shape = shape_of(a)
    if axis is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = normalize_axes(axis, len(shape))
        bad = [d for d in dims if shape[d] != 1]
        if bad:
            raise ValueError(
                f"cannot select an axis to squeeze out which has size not equal to one "
                f"(axis {bad[0]} of shape {shape})"
            )
    return sh.squeeze(a, dimensions=dims) if dims else a


def broadcast_to(array, shape):
    """Broadcast to ``shape`` with NumPy's rules."""
    if not core._stack:
        return np.broadcast_to(array, shape)
    a = _arr(array)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    try:
        target = np.broadcast_shapes(shape_of(a), shape)
    except ValueError:
        target = None
    if target != shape:
        raise ShapeError(f"cannot broadcast an array of shape {shape_of(a)} to shape {shape}")
    return broadcast_to_shape(a, shape)


def broadcast_arrays(*args):
    """Broadcast all arguments against each other."""
    if not core._stack:
        return np.broadcast_arrays(*args)
    arrays = [_arr(a) for a in args]
    shape = np.broadcast_shapes(*[shape_of(a) for a in arrays])
    return tuple(broadcast_to_shape(a, shape) for a in arrays)


def atleast_1d(a):
    if not core._stack:
        return np.atleast_1d(a)
    a = _arr(a)
    return reshape(a, (1,)) if not shape_of(a) else a


def atleast_2d(a):
    if not core._stack:
        return np.atleast_2d(a)
    a = _arr(a)
    s = shape_of(a)
    return reshape(a, (1,) * (2 - len(s)) + s) if len(s) < 2 else a


def _common(arrays):
    arrays = [_arr(a) for a in arrays]
    dtype = np.result_type(*[a.dtype for a in arrays])
    return [cast(a, dtype) for a in arrays]


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis (``axis=None`` flattens first)."""
    if not core._stack and not any(isinstance(a, Tracer) for a in arrays):
        return np.concatenate(arrays, axis=axis, dtype=dtype)
    arrays = _common(arrays)
    if dtype is not None:
        arrays = [cast(a, np.dtype(dtype)) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    first = shape_of(arrays[0])
    if not first:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis(axis, len(first))
    for a in arrays[1:]:
        s = shape_of(a)
        if len(s) != len(first) or any(x != y for i, (x, y) in enumerate(zip(s, first)) if i != ax):
            raise ShapeError(
                f"concatenate: all input array dimensions except axis {ax} must match; got "
                f"shapes {[shape_of(b) for b in arrays]}"
            )
    if len(arrays) == 1:
        return arrays[0]
    return sh.concatenate(arrays, dimension=ax)


def stack(arrays, axis=0, out=None, dtype=None):
    """Join arrays of one shape along a new axis (converted to ``dtype`` if given)."""
    if out is not None:
        raise ValueError("stack: out is not supported (ftrans arrays are immutable)")
    if not core._stack and not any(isinstance(a, Tracer) for a in arrays):
        return np.stack(arrays, axis=axis, dtype=dtype)
    arrays = _common(arrays)
    if dtype is not None:
        arrays = [cast(a, np.dtype(dtype)) for a in arrays]
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all input arrays must have the same shape, got {sorted(shapes)}")
    ndim = len(shapes.pop()) + 1
    ax = normalize_axis(axis, ndim)
    return concatenate([expand_dims(a, ax) for a in arrays], axis=ax)


def hstack(tup, dtype=None):
    """Join arrays along their second axis (the first for 1-d arrays)."""
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if len(shape_of(arrays[0])) == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    """Join arrays along the first axis, after making them at least 2-d."""
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def split(ary, indices_or_sections, axis=0):
    """Split into sub-arrays: ``n`` equal sections, or at the given indices."""
    if not core._stack:
        return np.split(ary, indices_or_sections, axis=axis)
    a = _arr(ary)
    shape = shape_of(a)
    ax = normalize_axis(axis, len(shape))
    n = shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError("array split does not result in an equal division")
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0] + [min(int(i), n) for i in indices_or_sections] + [n]
    pieces = []
    for lo, hi in itertools.pairwise(bounds):
        hi = max(lo, hi)
        starts = [0] * len(shape)
        limits = list(shape)
        starts[ax], limits[ax] = lo, hi
        pieces.append(sh.slice_(a, starts, limits))
    return pieces


def array_split(ary, indices_or_sections, axis=0):
    """Like `split`, but sections may differ in size by one."""
    if not core._stack:
        return np.array_split(ary, indices_or_sections, axis=axis)
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(_arr(ary))[normalize_axis(axis, len(shape_of(_arr(ary))))]
        sections = int(indices_or_sections)
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        indices_or_sections = list(np.cumsum(sizes)[:-1])
    return split(ary, indices_or_sections, axis=axis)


def flip(m, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    if not core._stack:
        return np.flip(m, axis=axis)
    a = _arr(m)
    axes = normalize_axes(axis, len(shape_of(a)))
    return sh.rev(a, dimensions=axes) if axes else a


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def roll(a, shift, axis=None):
    """Shift elements cyclically along ``axis`` (flattened when None)."""
    if not core._stack:
        return np.roll(a, shift, axis=axis)
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = (
        np.broadcast_to(shift, np.shape(axis)).tolist()
        if isinstance(axis, (tuple, list))
        else [shift]
    )
    axes = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    for s, ax in zip(shifts, axes, strict=True):
        ax = normalize_axis(ax, len(shape_of(a)))
        n = shape_of(a)[ax]
        if n == 0:
            continue
        k = int(s) % n
        if k:
            first, second = split(a, [n - k], axis=ax)
            a = concatenate([second, first], axis=ax)
    return a


def tile(A, reps):
    """Repeat the whole array ``reps`` times along each axis."""
    if not core._stack:
        return np.tile(A, reps)
    a = _arr(A)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    shape = shape_of(a)
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    a = reshape(a, shape)
    # Interleave a new axis of size r before each axis, broadcast, then merge the pairs.
    expanded = []
    for r, s in zip(reps, shape, strict=True):
        expanded += [r, s]
    dims = tuple(range(1, 2 * ndim, 2))
    b = sh.broadcast_in_dim(a, shape=tuple(expanded), broadcast_dimensions=dims)
    return reshape(b, tuple(r * s for r, s in zip(reps, shape, strict=True)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None).

    With ``total_repeat_length`` (JAX's keyword) the output length is fixed, so ``repeats``
    may be traced: extra elements are dropped, missing ones repeat the last element.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.repeat([1, 2], [2, 1]).tolist()
        [1, 1, 2]
        >>> fnp.repeat([1, 2], [2, 1], total_repeat_length=5).tolist()
        [1, 1, 2, 2, 2]
    """
    if not core._stack and total_repeat_length is None:
        return np.repeat(a, repeats, axis=axis)
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = normalize_axis(axis, len(shape_of(a)))
    shape = shape_of(a)
    if total_repeat_length is not None:
        from ftrans.numpy._math import less_equal, minimum
        from ftrans.numpy._reductions import cumsum, take
        from ftrans.numpy._reductions import sum as _sum

        length = int(total_repeat_length)
        reps = _arr(repeats)
        if not shape_of(reps):
            reps = broadcast_to(reps, (shape[ax],))
        ends = cumsum(reps)
        slots = np.arange(length)
        index = _sum(less_equal(reshape(ends, (1, -1)), slots[:, None]), axis=1, dtype=np.intp)
        index = minimum(index, builtins.max(shape[ax] - 1, 0))
        return take(a, index, axis=ax)
    if isinstance(repeats, Tracer):
        repeats = repeats.to_concrete(
            "repeat() with traced repeats (the output shape depends on it); pass "
            "total_repeat_length= to fix the output length"
        )
    repeats = np.asarray(repeats)
    if repeats.ndim == 0:
        r = int(repeats)
        expanded = shape[: ax + 1] + (r,) + shape[ax + 1 :]
        dims = tuple(range(ax + 1)) + tuple(range(ax + 2, len(shape) + 1))
        b = sh.broadcast_in_dim(a, shape=expanded, broadcast_dimensions=dims)
        return reshape(b, shape[:ax] + (shape[ax] * r,) + shape[ax + 1 :])
    from ftrans.primitives.indexing import gather

    index = np.repeat(np.arange(shape[ax]), repeats)
    moved = moveaxis(a, ax, 0)
    return moveaxis(gather(moved, index, axes=(0,)), 0, ax)
