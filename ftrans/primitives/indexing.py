"""Integer-array indexing: ``gather``, and the scatters behind ``x.at[idx].set/add/...``.

Canonical form: ``indices`` are integer arrays of one shape S, one per operand axis in ``axes``.
``gather`` returns ``S + (the other axes of x, in order)``; scatters take ``updates`` of that
shape. ``ftrans.numpy`` turns NumPy-style indexing into this form and back.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import native_rule
from ftrans.core import Primitive, ShapedArray, Tracer, Zero, get_aval, is_undefined
from ftrans.errors import ShapeError
from ftrans.primitives._batch import (
    batch_size,
    logical_shape,
    moveaxis,
    physical_axis,
    to_front,
)
from ftrans.primitives.elementwise import (
    add,
    convert_element_type,
    div,
    eq,
    instantiate_zero,
    mul,
    select,
    zeros_like_aval,
)


def _front(x, axes):
    """A view of x with the indexed axes moved to the front."""
    if axes == tuple(range(len(axes))):
        return x
    return np.moveaxis(x, axes, tuple(range(len(axes))))


def _gathered_shape(x, indices, axes):
    if len(indices) != len(axes) or not indices:
        raise ShapeError(f"gather needs one index array per axis in {axes}, got {len(indices)}")
    shape = indices[0].shape
    for i in indices:
        if i.shape != shape or not np.issubdtype(i.dtype, np.integer):
            raise ShapeError("gather index arrays must be integer arrays of one shape")
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(f"gather axes {axes} do not fit an array of shape {x.shape}")
    return tuple(shape) + tuple(s for d, s in enumerate(x.shape) if d not in axes)


# ----------------------------------------------------------------------------- gather

gather_p = Primitive("gather", linear=True)
gather_p.impl = lambda x, *indices, axes: _front(np.asarray(x), axes)[tuple(indices)]
gather_p.abstract_eval = lambda x, *indices, axes: ShapedArray(
    _gathered_shape(x, indices, axes), x.dtype
)


def _gather_jvp(primals, tangents, *, axes):
    x, *indices = primals
    return gather(x, *indices, axes=axes), gather(tangents[0], *indices, axes=axes)


def _gather_transpose(ct, x, *indices, axes):
    zeros = zeros_like_aval(x.aval)
    return [scatter_add(zeros, ct, *indices, axes=axes)] + [None] * len(indices)


gather_p.jvp = _gather_jvp
gather_p.transpose = _gather_transpose


def _source_index(g, x_shape, indices, axes, s_idx, rest_idx):
    """The operand index read (gather) or written (scatter) for index position ``s_idx``."""
    full, rest = [None] * len(x_shape), iter(rest_idx)
    for a, index in zip(axes, indices, strict=True):
        full[a] = g.wrapped_index(g.elem(index, s_idx), x_shape[a])
    return tuple(next(rest) if f is None else f for f in full)


@native_rule(gather_p)
def _gather_native(g, eqn, x, *indices, axes):
    indices = [g.computed(i) for i in indices]
    n = len(indices[0].shape)
    return g.view(
        x,
        eqn.outputs[0].aval.shape,
        lambda idx: _source_index(g, x.shape, indices, axes, idx[:n], idx[n:]),
    )


def _iota(size, index_shape):
    """Index array selecting example b along a leading batch axis: shape (size, *index_shape)."""
    column = np.arange(size).reshape((size,) + (1,) * len(index_shape))
    return np.broadcast_to(column, (size, *index_shape))


def _batched_indices(indices, dims, size):
    index_shape = next(logical_shape(i, d) for i, d in zip(indices, dims, strict=True))
    moved = [to_front(i, d, size, index_shape) for i, d in zip(indices, dims, strict=True)]
    return moved, index_shape


def _gather_batch(vals, dims, *, axes):
    x, *indices = vals
    dx, *di = dims
    if all(d is None for d in di):  # only the operand is batched: its axis just rides along
        axes2 = tuple(physical_axis(a, dx) for a in axes)
        out = gather(x, *indices, axes=axes2)
        rest = [a for a in range(len(get_aval(x).shape)) if a not in axes2]
        return out, len(get_aval(indices[0]).shape) + rest.index(dx)
    size = batch_size(vals, dims)
    moved, index_shape = _batched_indices(indices, di, size)
    if dx is None:  # one operand, a batch of index arrays
        return gather(x, *moved, axes=axes), 0
    x = moveaxis(x, dx, 0)
    return gather(x, _iota(size, index_shape), *moved, axes=(0, *[a + 1 for a in axes])), 0


gather_p.batch = _gather_batch


def gather(x, *indices, axes):
    return gather_p.bind(x, *indices, axes=tuple(axes))


def take_along_axis(x, indices, *, axis):
    """``numpy.take_along_axis`` for index arrays whose shape matches x except along ``axis``."""
    shape = get_aval(indices).shape
    ndim = len(shape)
    index_arrays = []
    for d in range(ndim):
        if d == axis:
            index_arrays.append(indices)
        else:
            view = [1] * ndim
            view[d] = shape[d]
            index_arrays.append(np.broadcast_to(np.arange(shape[d]).reshape(view), shape))
    return gather(x, *index_arrays, axes=tuple(range(ndim)))


# ----------------------------------------------------------------------------- scatters


def _scatter_aval(x, updates, *indices, axes):
    expected = _gathered_shape(x, indices, axes)
    if updates.shape != expected or updates.dtype != x.dtype:
        raise ShapeError(
            f"scatter updates must be {x.dtype}{list(expected)}, got {updates.str_short()}"
        )
    return x


def _scatter_impl(apply):
    def impl(x, updates, *indices, axes):
        out = np.array(x, copy=True)
        apply(_front(out, axes), tuple(indices), updates)
        return out

    return impl


def _assign(view, index, updates):
    view[index] = updates


def _scatter_primitive(name, apply, *, linear=False):
    p = Primitive(name, linear=linear)
    p.impl = _scatter_impl(apply)
    p.abstract_eval = _scatter_aval
    p.batch = _scatter_batch(p)
    return p


def _scatter_batch(primitive):
    # Give every operand a leading batch axis and index it with an iota: one scatter.
    def rule(vals, dims, *, axes):
        x, updates, *indices = vals
        dx, du, *di = dims
        size = batch_size(vals, dims)
        x = to_front(x, dx, size)
        moved, index_shape = _batched_indices(indices, di, size)
        updates = to_front(updates, du, size)
        new_axes = (0, *[a + 1 for a in axes])
        return primitive.bind(x, updates, _iota(size, index_shape), *moved, axes=new_axes), 0

    return rule


def _native_scatter(primitive, combine):
    @native_rule(primitive)
    def rule(g, eqn, x, updates, *indices, axes):
        indices = [g.computed(i) for i in indices]
        updates = g.computed(updates)
        n = len(indices[0].shape)
        return g.write_at(
            x,
            updates,
            lambda idx: _source_index(g, x.shape, indices, axes, idx[:n], idx[n:]),
            combine,
        )


def _linear_scatter_jvp(primitive):
    def jvp(primals, tangents, *, axes):
        x, updates, *indices = primals
        tx, tu = tangents[0], tangents[1]
        out = primitive.bind(x, updates, *indices, axes=axes)
        if type(tx) is Zero and type(tu) is Zero:
            return out, Zero.like(out)
        return out, primitive.bind(instantiate_zero(tx), instantiate_zero(tu), *indices, axes=axes)

    return jvp


scatter_add_p = _scatter_primitive("scatter_add", np.add.at, linear=True)
_native_scatter(scatter_add_p, "({0} + {1})")
scatter_add_p.jvp = _linear_scatter_jvp(scatter_add_p)
scatter_add_p.transpose = lambda ct, x, updates, *indices, axes: (
    [
        ct if is_undefined(x) else None,
        gather(ct, *indices, axes=axes) if is_undefined(updates) else None,
    ]
    + [None] * len(indices)
)


def scatter_add(x, updates, *indices, axes):
    return scatter_add_p.bind(x, updates, *indices, axes=tuple(axes))


def _scatter_transpose(ct, x, updates, *indices, axes):
    updates_aval = updates.aval if is_undefined(updates) else get_aval(updates)
    ct_x = None
    if is_undefined(x):
        ct_x = scatter(ct, zeros_like_aval(updates_aval), *indices, axes=axes)
    ct_updates = None
    if is_undefined(updates):
        # With repeated positions only the write that survives receives the cotangent: number
        # the updates, scatter the numbers, and keep the slots whose number came back.
        x_aval = x.aval if is_undefined(x) else get_aval(x)
        n_index = len(get_aval(indices[0]).shape)
        index_shape = updates_aval.shape[:n_index]
        numbers = np.arange(int(np.prod(index_shape, dtype=np.int64))).reshape(index_shape)
        rest = updates_aval.shape[n_index:]
        numbers = np.broadcast_to(
            numbers.reshape(index_shape + (1,) * len(rest)), updates_aval.shape
        )
        slots = np.full(x_aval.shape, -1, dtype=np.int64)
        winner = scatter(slots, np.array(numbers), *indices, axes=axes)
        won = eq(gather(winner, *indices, axes=axes), numbers)
        gathered = gather(ct, *indices, axes=axes)
        ct_updates = select(won, gathered, zeros_like_aval(updates_aval))
    return [ct_x, ct_updates] + [None] * len(indices)


scatter_p = _scatter_primitive("scatter", _assign, linear=True)
_native_scatter(scatter_p, None)
scatter_p.jvp = _linear_scatter_jvp(scatter_p)
scatter_p.transpose = _scatter_transpose


def scatter(x, updates, *indices, axes):
    """``x`` with ``updates`` written at ``indices`` (repeated indices: the last write wins)."""
    return scatter_p.bind(x, updates, *indices, axes=tuple(axes))


def _require_unique(indices, x_shape, axes):
    if any(isinstance(i, Tracer) for i in indices):
        return  # traced indices: uniqueness cannot be checked; documented assumption
    if any(x_shape[d] == 0 for d in range(len(x_shape)) if d not in axes):
        return  # nothing is written at all
    dims = tuple(x_shape[a] for a in axes)
    wrapped = tuple(np.asarray(i).ravel() % max(d, 1) for i, d in zip(indices, dims, strict=True))
    flat = np.ravel_multi_index(wrapped, dims)
    if len(np.unique(flat)) != flat.size:
        raise ValueError(
            "x.at[idx].multiply(v) is differentiable only when idx has no repeated positions "
            "(as in JAX); combine repeated factors first, e.g. with x.at[unique_idx].multiply("
            "prod_of_factors)."
        )


def _scatter_mul_jvp(primals, tangents, *, axes):
    x, updates, *indices = primals
    tx, tu = tangents[0], tangents[1]
    aval = get_aval(x)
    out = scatter_mul(x, updates, *indices, axes=axes)
    factors = scatter_mul(np.ones(aval.shape, aval.dtype), updates, *indices, axes=axes)
    t_out = None
    if type(tx) is not Zero:
        t_out = mul(tx, factors)
    if type(tu) is not Zero:
        _require_unique(indices, aval.shape, axes)
        spread = scatter_add(zeros_like_aval(aval), tu, *indices, axes=axes)
        term = mul(x, spread)
        t_out = term if t_out is None else add(t_out, term)
    return out, t_out


scatter_mul_p = _scatter_primitive("scatter_mul", np.multiply.at)
_native_scatter(scatter_mul_p, "({0} * {1})")
scatter_mul_p.jvp = _scatter_mul_jvp


def scatter_mul(x, updates, *indices, axes):
    return scatter_mul_p.bind(x, updates, *indices, axes=tuple(axes))


def _scatter_extremum_jvp(primitive):
    # Tangent of the winner; ties between x and updates (or among updates) share it equally.
    def jvp(primals, tangents, *, axes):
        x, updates, *indices = primals
        tx, tu = tangents[0], tangents[1]
        aval = get_aval(x)
        out = primitive.bind(x, updates, *indices, axes=axes)
        dtype = aval.dtype
        hit_x = convert_element_type(eq(x, out), new_dtype=dtype)
        hit_u = convert_element_type(eq(updates, gather(out, *indices, axes=axes)), new_dtype=dtype)
        zeros = zeros_like_aval(aval)
        count = add(hit_x, scatter_add(zeros, hit_u, *indices, axes=axes))
        total = None
        if type(tx) is not Zero:
            total = mul(tx, hit_x)
        if type(tu) is not Zero:
            term = scatter_add(zeros, mul(tu, hit_u), *indices, axes=axes)
            total = term if total is None else add(total, term)
        return out, div(total, count)

    return jvp


scatter_max_p = _scatter_primitive("scatter_max", np.maximum.at)
_native_scatter(scatter_max_p, "np.maximum({0}, {1})")
scatter_max_p.jvp = _scatter_extremum_jvp(scatter_max_p)
scatter_min_p = _scatter_primitive("scatter_min", np.minimum.at)
_native_scatter(scatter_min_p, "np.minimum({0}, {1})")
scatter_min_p.jvp = _scatter_extremum_jvp(scatter_min_p)


def scatter_max(x, updates, *indices, axes):
    return scatter_max_p.bind(x, updates, *indices, axes=tuple(axes))


def scatter_min(x, updates, *indices, axes):
    return scatter_min_p.bind(x, updates, *indices, axes=tuple(axes))
