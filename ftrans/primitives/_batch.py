"""Helpers shared by the batching rules that stand beside each primitive."""

from __future__ import annotations

import numpy as np

from ftrans.core import Tracer, shape_of


def moveaxis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to ``dst`` (one ``transpose``; nothing when already there)."""
    if src == dst:
        return x
    from ftrans.primitives.shape import transpose

    perm = list(range(len(shape_of(x))))
    perm.pop(src)
    perm.insert(dst, src)
    return transpose(x, permutation=tuple(perm))


def batch_size(vals, dims) -> int:
    for v, d in zip(vals, dims, strict=True):
        if d is not None:
            return shape_of(v)[d]
    raise ValueError("no batched operand")


def to_front(x, d, size, logical_shape=None):
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast to have one."""
    if d is None:
        from ftrans.primitives.shape import broadcast_in_dim

        shape = shape_of(x) if logical_shape is None else logical_shape
        own = shape_of(x)
        dims = tuple(range(1 + len(shape) - len(own), 1 + len(shape)))
        return broadcast_in_dim(x, shape=(size, *shape), broadcast_dimensions=dims)
    return moveaxis(x, d, 0)


def logical_shape(x, d):
    s = shape_of(x)
    return s if d is None else s[:d] + s[d + 1 :]


def elementwise_rule(primitive):
    """Batching for elementwise primitives, which broadcast like NumPy.

    When every batched operand already has the output's rank and the batch axis in the same
    place, and unbatched operands cannot misalign (NumPy aligns them with axes after the batch
    axis), the primitive runs as it is. Otherwise batched operands get their batch axis first
    (padded with size-1 axes to the output's rank) and unbatched ones broadcast from the right.
    """
    bind = primitive.bind

    def rule(vals, dims, **params):
        if len(vals) == 1:  # unary: nothing to align
            x = vals[0]
            if isinstance(x, Tracer):
                return bind(x, **params), dims[0]
            return primitive.impl(x, **params), dims[0]
        if len(vals) == 2:  # the common cases, decided from ranks alone
            x, y = vals
            dx, dy = dims
            nx = x.ndim if type(x) is np.ndarray else len(shape_of(x))
            ny = y.ndim if type(y) is np.ndarray else len(shape_of(y))
            if dy is None:
                out_dim = dx if ny < nx - dx else None
            elif dx is None:
                out_dim = dy if nx < ny - dy else None
            else:
                out_dim = dx if dx == dy and nx == ny else None
            if out_dim is not None:
                if isinstance(x, Tracer) or isinstance(y, Tracer):
                    return bind(x, y, **params), out_dim
                return primitive.impl(x, y, **params), out_dim  # plain arrays: skip bind
        vals, out_dim = align_elementwise(vals, dims)
        return bind(*vals, **params), out_dim

    return rule


def align_elementwise(vals, dims):
    """Operands of a broadcasting elementwise primitive, arranged so it can run as it is.

    Returns ``(vals, out_dim)``. When every batched operand has the output's rank and the batch
    axis in one place, and no unbatched operand can misalign (it is a scalar, or the batch axis
    leads), nothing moves. Otherwise batched operands get their batch axis first (padded with
    size-1 axes to the output's rank) and unbatched ones broadcast from the right.
    """
    shapes = [logical_shape(v, d) for v, d in zip(vals, dims, strict=True)]
    rank = max(len(s) for s in shapes)
    batched = [d for d in dims if d is not None]
    first = batched[0]
    if all(d == first for d in batched) and all(
        len(s) == rank if d is not None else (first == 0 or not s)
        for s, d in zip(shapes, dims, strict=True)
    ):
        return vals, first
    moved = []
    for v, d, s in zip(vals, dims, shapes, strict=True):
        if d is None:
            moved.append(v)
            continue
        v = moveaxis(v, d, 0)
        if len(s) < rank:
            from ftrans.primitives.shape import reshape

            v = reshape(v, new_sizes=(shape_of(v)[0],) + (1,) * (rank - len(s)) + s)
        moved.append(v)
    return moved, 0


def physical_axis(axis: int, d: int) -> int:
    """Where logical ``axis`` lives in a value whose batch axis is at ``d``."""
    return axis + (axis >= d)


def reduce_rule(primitive):
    """Batching for reductions with an ``axes`` parameter."""

    def rule(vals, dims, *, axes, **params):
        (x,), (d,) = vals, dims
        new_axes = tuple(physical_axis(a, d) for a in axes)
        out_dim = d - sum(a < d for a in axes)
        return primitive.bind(x, axes=new_axes, **params), out_dim

    return rule


def single_axis_rule(primitive, *, keeps_axis: bool):
    """Batching for primitives with one ``axis`` parameter (cumulative ops, argmax, argsort)."""

    def rule(vals, dims, *, axis, **params):
        (x,), (d,) = vals, dims
        out = primitive.bind(x, axis=physical_axis(axis, d), **params)
        return out, (d if keeps_axis else d - (axis < d))

    return rule
