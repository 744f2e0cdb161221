"""``dynamic_slice`` and ``dynamic_update_slice``: slices at traced start indices.

Start indices are scalar integer operands (so they may be tracers). As in JAX, a negative start
counts from the end (when ``allow_negative_indices``), and every start is then clamped so the
slice lies inside the operand: ``0 <= start <= n - size``. Out of range never raises.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import native_rule
from ftrans.core import Primitive, ShapedArray, Tracer, Zero, get_aval, is_undefined, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import batch_size, to_front
from ftrans.primitives.elementwise import (
    add,
    convert_element_type,
    instantiate_zero,
    lt,
    max_,
    min_,
    select,
    zeros_like_aval,
)
from ftrans.primitives.indexing import gather, scatter
from ftrans.primitives.shape import broadcast_in_dim


def _clamped(starts, shape, sizes, allow_negative):
    out = []
    for s, n, k, neg in zip(starts, shape, sizes, allow_negative, strict=True):
        s = int(s)
        if neg and s < 0:
            s += n
        out.append(min(max(s, 0), n - k))
    return out


def _check_starts(x, starts, sizes, name):
    if len(starts) != x.ndim:
        raise ShapeError(
            f"{name}: {len(starts)} start indices for an operand of rank {x.ndim} "
            f"(shape {x.shape}); give one per dimension"
        )
    for s in starts:
        if s.shape != () or not np.issubdtype(s.dtype, np.integer):
            raise TypeError(f"{name}: start indices must be integer scalars, got {s.str_short()}")
    if len(sizes) != x.ndim or any(not 0 <= k <= n for k, n in zip(sizes, x.shape, strict=True)):
        raise ShapeError(
            f"{name}: slice sizes {tuple(sizes)} do not fit in an operand of shape {x.shape}"
        )


def _traced_starts(starts, shape, sizes, allow_negative):
    """Wrapped and clamped starts as traceable int64 values (for the batched rules)."""
    out = []
    for s, n, k, neg in zip(starts, shape, sizes, allow_negative, strict=True):
        s = convert_element_type(s, new_dtype=np.int64)
        if neg:
            s = select(lt(s, np.int64(0)), add(s, np.int64(n)), s)
        out.append(min_(max_(s, np.int64(0)), np.int64(n - k)))
    return out


def _window_indices(starts, dims, size, shape, sizes, allow_negative):
    """Index arrays (size, *sizes) selecting each example's window (batched starts)."""
    starts = [to_front(s, d, size) for s, d in zip(starts, dims, strict=True)]  # (B,)
    starts = _traced_starts(starts, shape, sizes, allow_negative)
    full = (size, *sizes)
    out = [np.broadcast_to(np.arange(size).reshape((size,) + (1,) * len(sizes)), full)]
    for axis, (s, k) in enumerate(zip(starts, sizes, strict=True)):
        view = [1] * (len(sizes) + 1)
        view[axis + 1] = k
        offsets = np.broadcast_to(np.arange(k).reshape(view), full)
        out.append(add(broadcast_in_dim(s, shape=full, broadcast_dimensions=(0,)), offsets))
    return out


# ----------------------------------------------------------------------------- dynamic_slice


def _dynamic_slice_impl(x, *starts, slice_sizes, allow_negative):
    x = np.asarray(x)
    lo = _clamped(starts, x.shape, slice_sizes, allow_negative)
    return x[tuple(slice(s, s + k) for s, k in zip(lo, slice_sizes, strict=True))]


def _dynamic_slice_aval(x, *starts, slice_sizes, allow_negative):
    _check_starts(x, starts, slice_sizes, "dynamic_slice")
    return ShapedArray(tuple(slice_sizes), x.dtype)


def _dynamic_slice_jvp(primals, tangents, **params):
    x, *starts = primals
    out = dynamic_slice_p.bind(x, *starts, **params)
    if type(tangents[0]) is Zero:
        return out, Zero.like(out)
    return out, dynamic_slice_p.bind(tangents[0], *starts, **params)


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes, allow_negative):
    zeros = zeros_like_aval(x.aval)
    ct = instantiate_zero(ct) if type(ct) is Zero else ct
    out = dynamic_update_slice_p.bind(zeros, ct, *starts, allow_negative=allow_negative)
    return [out] + [None] * len(starts)


def _dynamic_slice_batch(vals, dims, *, slice_sizes, allow_negative):
    x, *starts = vals
    dx, *ds = dims
    size = batch_size(vals, dims)
    shape = tuple(get_aval(x).shape)
    if all(d is None for d in ds):  # one window for every example: slice the batch axis whole
        starts = list(starts)
        starts.insert(dx, np.int64(0))
        sizes = list(slice_sizes)
        sizes.insert(dx, shape[dx])
        negs = list(allow_negative)
        negs.insert(dx, False)
        return dynamic_slice_p.bind(
            x, *starts, slice_sizes=tuple(sizes), allow_negative=tuple(negs)
        ), dx
    x = to_front(x, dx, size)
    logical = tuple(shape_of(x)[1:])
    indices = _window_indices(starts, ds, size, logical, slice_sizes, allow_negative)
    return gather(x, *indices, axes=tuple(range(len(logical) + 1))), 0


dynamic_slice_p = Primitive("dynamic_slice", linear=True)
dynamic_slice_p.impl = _dynamic_slice_impl
dynamic_slice_p.abstract_eval = _dynamic_slice_aval
dynamic_slice_p.jvp = _dynamic_slice_jvp
dynamic_slice_p.transpose = _dynamic_slice_transpose
dynamic_slice_p.batch = _dynamic_slice_batch


def _native_starts(g, starts, shape, sizes, allow_negative):
    """Each start wrapped (if negative and allowed) and clamped into range, named once."""
    out = []
    for start, n, k, neg in zip(starts, shape, sizes, allow_negative, strict=True):
        e = g.elem(g.computed(start), ())
        if neg:
            e = f"({e} + {n} if {e} < 0 else {e})"
        out.append(g.name_expr(f"min(max({e}, 0), {n - k})"))
    return out


@native_rule(dynamic_slice_p)
def _dynamic_slice_native(g, eqn, x, *starts, slice_sizes, allow_negative):
    at = _native_starts(g, starts, x.shape, slice_sizes, allow_negative)
    return g.view(
        x, slice_sizes, lambda idx: tuple(g.ix_add(i, s) for i, s in zip(idx, at, strict=True))
    )


# ----------------------------------------------------------------------------- dynamic_update_slice


def _dynamic_update_slice_impl(x, update, *starts, allow_negative):
    x = np.asarray(x)
    update = np.asarray(update)
    lo = _clamped(starts, x.shape, update.shape, allow_negative)
    out = x.copy()
    out[tuple(slice(s, s + k) for s, k in zip(lo, update.shape, strict=True))] = update
    return out


def _dynamic_update_slice_aval(x, update, *starts, allow_negative):
    if update.dtype != x.dtype:
        raise TypeError(
            f"dynamic_update_slice: update {update.str_short()} must have the operand's dtype "
            f"{x.dtype}"
        )
    if update.ndim != x.ndim:
        raise ShapeError(
            f"dynamic_update_slice: update of rank {update.ndim} for an operand of rank {x.ndim}"
        )
    _check_starts(x, starts, update.shape, "dynamic_update_slice")
    return x


def _dynamic_update_slice_jvp(primals, tangents, **params):
    x, update, *starts = primals
    tx, tu = tangents[0], tangents[1]
    out = dynamic_update_slice_p.bind(x, update, *starts, **params)
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero.like(out)
    t = dynamic_update_slice_p.bind(instantiate_zero(tx), instantiate_zero(tu), *starts, **params)
    return out, t


def _dynamic_update_slice_transpose(ct, x, update, *starts, allow_negative):
    u_aval = update.aval if is_undefined(update) else get_aval(update)
    ct_x = ct_u = None
    if is_undefined(x):
        ct_x = dynamic_update_slice_p.bind(
            ct, zeros_like_aval(u_aval), *starts, allow_negative=allow_negative
        )
    if is_undefined(update):
        ct_u = dynamic_slice_p.bind(
            ct, *starts, slice_sizes=tuple(u_aval.shape), allow_negative=allow_negative
        )
    return [ct_x, ct_u] + [None] * len(starts)


def _dynamic_update_slice_batch(vals, dims, *, allow_negative):
    x, update, *starts = vals
    dx, du, *ds = dims
    size = batch_size(vals, dims)
    x_shape = tuple(shape_of(x)) if dx is None else tuple(np.delete(shape_of(x), dx))
    x = to_front(x, dx, size)
    update = to_front(update, du, size)
    if all(d is None for d in ds):
        return dynamic_update_slice_p.bind(
            x, update, np.int64(0), *starts, allow_negative=(False, *allow_negative)
        ), 0
    sizes = tuple(shape_of(update)[1:])
    indices = _window_indices(starts, ds, size, x_shape, sizes, allow_negative)
    return scatter(x, update, *indices, axes=tuple(range(len(x_shape) + 1))), 0


dynamic_update_slice_p = Primitive("dynamic_update_slice", linear=True)
dynamic_update_slice_p.impl = _dynamic_update_slice_impl
dynamic_update_slice_p.abstract_eval = _dynamic_update_slice_aval
dynamic_update_slice_p.jvp = _dynamic_update_slice_jvp
dynamic_update_slice_p.transpose = _dynamic_update_slice_transpose
dynamic_update_slice_p.batch = _dynamic_update_slice_batch


@native_rule(dynamic_update_slice_p)
def _dynamic_update_slice_native(g, eqn, x, update, *starts, allow_negative):
    at = _native_starts(g, starts, x.shape, update.shape, allow_negative)
    return g.write_at(
        x, g.computed(update), lambda idx: [g.ix_add(i, s) for i, s in zip(idx, at, strict=True)]
    )


# ----------------------------------------------------------------------------- public functions


def _negatives(flag, n):
    if isinstance(flag, bool | np.bool_):
        return (bool(flag),) * n
    flag = tuple(bool(f) for f in flag)
    if len(flag) != n:
        raise ValueError(f"allow_negative_indices has {len(flag)} entries for {n} dimensions")
    return flag


def _start_list(start_indices, name):
    """A sequence of scalars, or a 1-D integer array, as a list of scalar operands."""
    if isinstance(start_indices, Tracer | np.ndarray) and len(shape_of(start_indices)) == 1:
        n = shape_of(start_indices)[0]
        if isinstance(start_indices, np.ndarray):
            return [start_indices[i] for i in range(n)]
        return [gather(start_indices, np.asarray(i), axes=(0,)) for i in range(n)]
    try:
        starts = list(start_indices)
    except TypeError:
        raise TypeError(
            f"{name}: start_indices must be a sequence of integer scalars or a 1-D integer "
            f"array, got {start_indices!r}"
        ) from None
    return [s if isinstance(s, Tracer) else np.asarray(s) for s in starts]


def _eager_window(shape, starts, sizes, allow_negative):
    """The clamped slices of a call with plain integer starts and valid sizes (else None)."""
    if len(starts) != len(shape) or len(sizes) != len(shape) or type(allow_negative) is not bool:
        return None
    window = []
    for s, k, n in zip(starts, sizes, shape):
        if type(s) is not int:
            if not (
                isinstance(s, np.integer)
                or (type(s) is np.ndarray and s.shape == () and s.dtype.kind in "iu")
            ):
                return None
            s = int(s)
        if type(k) is not int:
            if not isinstance(k, np.integer):
                return None
            k = int(k)
        if not 0 <= k <= n:
            return None
        if s < 0 and allow_negative:
            s += n
        s = 0 if s < 0 else (n - k if s > n - k else s)
        window.append(slice(s, s + k))
    return tuple(window)


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    """``operand[s0:s0+k0, s1:s1+k1, ...]`` with traced starts ``s``, clamped into range as in
    JAX (negative starts count from the end).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.dynamic_slice(np.arange(10), (8,), (3,))  # clamped to start 7
        array([7, 8, 9])
    """
    if type(operand) is np.ndarray and type(start_indices) in (tuple, list):
        # eager: no transform can see this call, so slice directly (invalid calls fall
        # through to the checks below)
        window = _eager_window(operand.shape, start_indices, slice_sizes, allow_negative_indices)
        if window is not None:
            return operand[window]
    starts = _start_list(start_indices, "dynamic_slice")
    ndim = len(shape_of(operand))
    aval = get_aval(operand)
    params = dict(
        slice_sizes=tuple(int(k) for k in slice_sizes),
        allow_negative=_negatives(allow_negative_indices, ndim),
    )
    _dynamic_slice_aval(aval, *[get_aval(s) for s in starts], **params)
    return dynamic_slice_p.bind(operand, *starts, **params)


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    """``operand`` with ``update`` written at traced ``start_indices`` (clamped as in JAX).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.dynamic_update_slice(np.zeros(5), np.ones(2), (-1,))
        array([0., 0., 0., 1., 1.])
    """
    if (
        type(operand) is np.ndarray
        and type(update) is np.ndarray
        and type(start_indices) in (tuple, list)
        and update.dtype == operand.dtype
        and update.ndim == operand.ndim
    ):
        window = _eager_window(operand.shape, start_indices, update.shape, allow_negative_indices)
        if window is not None:
            out = operand.copy()
            out[window] = update
            return out
    starts = _start_list(start_indices, "dynamic_update_slice")
    ndim = len(shape_of(operand))
    params = dict(allow_negative=_negatives(allow_negative_indices, ndim))
    _dynamic_update_slice_aval(
        get_aval(operand), get_aval(update), *[get_aval(s) for s in starts], **params
    )
    return dynamic_update_slice_p.bind(operand, update, *starts, **params)
