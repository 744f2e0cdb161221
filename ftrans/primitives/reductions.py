"""Reductions along axes, cumulative ops and argsort."""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import native_rule, numpy_only
from ftrans.compiler.numpy_rules import expression_lowering
from ftrans.core import Primitive, ShapedArray, Zero, get_aval
from ftrans.errors import ShapeError
from ftrans.primitives._batch import reduce_rule, single_axis_rule
from ftrans.primitives.elementwise import (
    convert_element_type,
    div,
    eq,
    mul,
    select,
    zeros_like_aval,
)
from ftrans.primitives.shape import (
    broadcast_in_dim,
    concatenate,
    reshape,
    rev,
    slice_,
    transpose,
)


def _reduced_aval(x, *, axes, dtype=None):
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(f"reduction axes {axes} out of range for shape {x.shape}")
    shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    return ShapedArray(shape, x.dtype if dtype is None else dtype)


def _keep_dims(x_shape, out, axes):
    """Broadcast a reduced result back to ``x_shape``."""
    kept = tuple(i for i in range(len(x_shape)) if i not in axes)
    return broadcast_in_dim(out, shape=x_shape, broadcast_dimensions=kept)


def _as_array(x, dtype):
    return np.asarray(x, dtype=dtype)


# ----------------------------------------------------------------------------- sum

reduce_sum_p = Primitive("reduce_sum", linear=True)
reduce_sum_p.impl = lambda x, *, axes: _as_array(np.sum(x, axis=axes), np.asarray(x).dtype)
reduce_sum_p.abstract_eval = _reduced_aval
reduce_sum_p.jvp = lambda primals, tangents, *, axes: (
    reduce_sum(primals[0], axes=axes),
    reduce_sum(tangents[0], axes=axes),
)
reduce_sum_p.transpose = lambda ct, x, *, axes: [_keep_dims(x.aval.shape, ct, axes)]
reduce_sum_p.batch = reduce_rule(reduce_sum_p)
native_rule(reduce_sum_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "({0} + {1})", lambda d: 0)
)


def reduce_sum(x, *, axes):
    return reduce_sum_p.bind(x, axes=tuple(axes))


# ----------------------------------------------------------------------------- max / min


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _extremum_jvp(primitive):
    # The tangent is the mean of the tangents at the positions attaining the extremum (JAX's
    # convention for ties).
    def jvp(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        out = primitive.bind(x, axes=axes)
        shape = get_aval(x).shape
        location = convert_element_type(eq(x, _keep_dims(shape, out, axes)), new_dtype=t.dtype)
        counts = reduce_sum(location, axes=axes)
        return out, div(reduce_sum(mul(t, location), axes=axes), counts)

    return jvp


def _extremum(name, impl):
    p = Primitive(name)
    p.impl = lambda x, *, axes: _as_array(impl(x, axis=axes), np.asarray(x).dtype)
    p.abstract_eval = _reduced_aval
    p.jvp = _extremum_jvp(p)
    p.batch = reduce_rule(p)
    return p


reduce_max_p = _extremum("reduce_max", np.max)
reduce_min_p = _extremum("reduce_min", np.min)
native_rule(reduce_max_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "np.maximum({0}, {1})", _lowest)
)
native_rule(reduce_min_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "np.minimum({0}, {1})", _highest)
)


def reduce_max(x, *, axes):
    return reduce_max_p.bind(x, axes=tuple(axes))


def reduce_min(x, *, axes):
    return reduce_min_p.bind(x, axes=tuple(axes))


# ----------------------------------------------------------------------------- prod


def _exclusive_products(x, axis, n):
    """Product of all other entries along ``axis`` (size n), without dividing (safe at zeros)."""
    ndim = len(get_aval(x).shape)
    one = np.ones((), get_aval(x).dtype)

    def shift_right(c):
        starts = [0] * ndim
        limits = list(get_aval(c).shape)
        limits[axis] = n - 1
        ones_shape = list(get_aval(c).shape)
        ones_shape[axis] = 1
        ones = np.broadcast_to(one, ones_shape)
        return concatenate([ones, slice_(c, starts, limits)], dimension=axis)

    left = shift_right(cumprod(x, axis=axis))
    right = rev(shift_right(cumprod(rev(x, dimensions=(axis,)), axis=axis)), dimensions=(axis,))
    return mul(left, right)


def _reduce_prod_jvp(primals, tangents, *, axes):
    (x,), (t,) = primals, tangents
    out = reduce_prod(x, axes=axes)
    aval = get_aval(x)
    if not axes:
        return out, t
    keep = [i for i in range(aval.ndim) if i not in axes]
    perm = keep + list(axes)
    n = int(np.prod([aval.shape[a] for a in axes], dtype=np.int64))
    flat_shape = tuple(aval.shape[i] for i in keep) + (n,)
    xs = reshape(transpose(x, permutation=perm), new_sizes=flat_shape)
    ts = reshape(transpose(t, permutation=perm), new_sizes=flat_shape)
    if n == 0:
        return out, reduce_sum(ts, axes=(len(keep),))
    others = _exclusive_products(xs, len(keep), n)
    return out, reduce_sum(mul(ts, others), axes=(len(keep),))


reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.impl = lambda x, *, axes: _as_array(np.prod(x, axis=axes), np.asarray(x).dtype)
reduce_prod_p.abstract_eval = _reduced_aval
reduce_prod_p.jvp = _reduce_prod_jvp
reduce_prod_p.batch = reduce_rule(reduce_prod_p)
native_rule(reduce_prod_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "({0} * {1})", lambda d: 1)
)


def reduce_prod(x, *, axes):
    return reduce_prod_p.bind(x, axes=tuple(axes))


# ----------------------------------------------------------------------------- boolean, arg


def _zero_jvp(primitive):
    def jvp(primals, tangents, **params):
        out = primitive.bind(*primals, **params)
        return out, Zero.like(out)

    return jvp


def _bool_reduction(name, impl):
    p = Primitive(name)
    p.impl = lambda x, *, axes: np.asarray(impl(x, axis=axes))
    p.abstract_eval = lambda x, *, axes: _reduced_aval(x, axes=axes, dtype=np.bool_)
    p.jvp = _zero_jvp(p)
    p.batch = reduce_rule(p)
    return p


reduce_and_p = _bool_reduction("reduce_and", np.all)
reduce_or_p = _bool_reduction("reduce_or", np.any)
native_rule(reduce_and_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "({0} & {1})", lambda d: True)
)
native_rule(reduce_or_p)(
    lambda g, eqn, x, *, axes: g.reduction(eqn, x, axes, "({0} | {1})", lambda d: False)
)


def reduce_and(x, *, axes):
    return reduce_and_p.bind(x, axes=tuple(axes))


def reduce_or(x, *, axes):
    return reduce_or_p.bind(x, axes=tuple(axes))


def _arg_reduction(name, impl):
    p = Primitive(name)
    p.impl = lambda x, *, axis, index_dtype: np.asarray(impl(x, axis=axis), dtype=index_dtype)
    p.abstract_eval = lambda x, *, axis, index_dtype: _reduced_aval(
        x, axes=(axis,), dtype=index_dtype
    )
    p.jvp = _zero_jvp(p)
    p.batch = single_axis_rule(p, keeps_axis=False)
    return p


argmax_p = _arg_reduction("argmax", np.argmax)
argmin_p = _arg_reduction("argmin", np.argmin)
numpy_only("arg reductions: not yet written natively", argmax_p, argmin_p)


def argmax(x, *, axis, index_dtype=np.int64):
    return argmax_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


def argmin(x, *, axis, index_dtype=np.int64):
    return argmin_p.bind(x, axis=axis, index_dtype=np.dtype(index_dtype))


# ----------------------------------------------------------------------------- cumulative


def _cumulative_impl(np_fn):
    def impl(x, *, axis, reverse=False):
        x = np.asarray(x)
        if reverse:
            return np.flip(np_fn(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return np_fn(x, axis=axis, dtype=x.dtype)

    return impl


def _axis_aval(x, *, axis, reverse=False):
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"axis {axis} out of range for shape {x.shape}")
    return x


cumsum_p = Primitive("cumsum", linear=True)
cumsum_p.impl = _cumulative_impl(np.cumsum)
cumsum_p.abstract_eval = _axis_aval
cumsum_p.batch = single_axis_rule(cumsum_p, keeps_axis=True)
native_rule(cumsum_p)(
    lambda g, eqn, x, *, axis, reverse: g.cumulative(x, axis, reverse, "({0} + {1})")
)
cumsum_p.jvp = lambda primals, tangents, *, axis, reverse: (
    cumsum(primals[0], axis=axis, reverse=reverse),
    cumsum(tangents[0], axis=axis, reverse=reverse),
)
cumsum_p.transpose = lambda ct, x, *, axis, reverse: [cumsum(ct, axis=axis, reverse=not reverse)]


def cumsum(x, *, axis, reverse=False):
    return cumsum_p.bind(x, axis=axis, reverse=reverse)


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    # out_i = prod_{j<=i} x_j, so d out_i = sum_{j<=i} t_j * prod_{k<=i, k!=j} x_k. Build the
    # (n, n) matrix of those products with a cumprod over a copy of x whose diagonal is 1:
    # division-free, so it stays exact at zeros, and it is traceable for higher orders.
    (x,), (t,) = primals, tangents
    out = cumprod(x, axis=axis, reverse=reverse)
    aval = get_aval(x)
    n = aval.shape[axis]
    if n == 0:
        return out, t
    ndim = aval.ndim
    # Put the cumulative axis last and add a trailing axis j: x2[..., i, j] = x_i.
    perm = [d for d in range(ndim) if d != axis] + [axis]
    inv = tuple(np.argsort(perm))
    xl = transpose(x, permutation=perm)
    tl = transpose(t, permutation=perm)
    shape2 = tuple(get_aval(xl).shape) + (n,)
    x2 = broadcast_in_dim(xl, shape=shape2, broadcast_dimensions=tuple(range(ndim)))
    diagonal = np.eye(n, dtype=bool)
    x2 = select(np.broadcast_to(diagonal, shape2), np.ones(shape2, aval.dtype), x2)
    products = cumprod(x2, axis=ndim - 1, reverse=reverse)
    order = np.arange(n)
    mask = order[None, :] <= order[:, None] if not reverse else order[None, :] >= order[:, None]
    weights = select(np.broadcast_to(mask, shape2), products, zeros_like_aval(get_aval(products)))
    t2 = broadcast_in_dim(tl, shape=shape2, broadcast_dimensions=tuple(range(ndim - 1)) + (ndim,))
    tangent = reduce_sum(mul(weights, t2), axes=(ndim,))
    return out, transpose(tangent, permutation=inv)


cumprod_p = Primitive("cumprod")
cumprod_p.impl = _cumulative_impl(np.cumprod)
cumprod_p.abstract_eval = _axis_aval
cumprod_p.batch = single_axis_rule(cumprod_p, keeps_axis=True)
native_rule(cumprod_p)(
    lambda g, eqn, x, *, axis, reverse: g.cumulative(x, axis, reverse, "({0} * {1})")
)
cumprod_p.jvp = _cumprod_jvp


def cumprod(x, *, axis, reverse=False):
    return cumprod_p.bind(x, axis=axis, reverse=reverse)


def _cumextremum_jvp(primitive):
    # The running extremum at i equals x_j for the last j <= i attaining it (first reached, kept
    # while not exceeded); its tangent is t at that position, found by a cummax over indices.
    def jvp(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        out = primitive.bind(x, axis=axis, reverse=reverse)
        aval = get_aval(x)
        n = aval.shape[axis]
        shape = [1] * aval.ndim
        shape[axis] = n
        positions = np.broadcast_to(np.arange(n).reshape(shape), aval.shape)
        hits = eq(x, out)
        fill = np.full(aval.shape, -1 if not reverse else n, dtype=np.int64)
        marked = select(hits, positions, fill)
        source = (cummax if not reverse else cummin)(marked, axis=axis, reverse=reverse)
        from ftrans.primitives.indexing import take_along_axis

        return out, take_along_axis(t, source, axis=axis)

    return jvp


def _cummax_impl(np_ufunc):
    def impl(x, *, axis, reverse=False):
        x = np.asarray(x)
        if reverse:
            return np.flip(np_ufunc.accumulate(np.flip(x, axis), axis=axis), axis)
        return np_ufunc.accumulate(x, axis=axis)

    return impl


cummax_p = Primitive("cummax")
cummax_p.impl = _cummax_impl(np.maximum)
cummax_p.abstract_eval = _axis_aval
cummax_p.batch = single_axis_rule(cummax_p, keeps_axis=True)
cummax_p.jvp = _cumextremum_jvp(cummax_p)
cummin_p = Primitive("cummin")
cummin_p.impl = _cummax_impl(np.minimum)
cummin_p.abstract_eval = _axis_aval
cummin_p.batch = single_axis_rule(cummin_p, keeps_axis=True)
cummin_p.jvp = _cumextremum_jvp(cummin_p)
native_rule(cummax_p)(
    lambda g, eqn, x, *, axis, reverse: g.cumulative(x, axis, reverse, "np.maximum({0}, {1})")
)
native_rule(cummin_p)(
    lambda g, eqn, x, *, axis, reverse: g.cumulative(x, axis, reverse, "np.minimum({0}, {1})")
)


def cummax(x, *, axis, reverse=False):
    return cummax_p.bind(x, axis=axis, reverse=reverse)


def cummin(x, *, axis, reverse=False):
    return cummin_p.bind(x, axis=axis, reverse=reverse)


# ----------------------------------------------------------------------------- argsort

argsort_p = Primitive("argsort")
argsort_p.impl = lambda x, *, axis, descending: _argsort_impl(x, axis, descending)
argsort_p.abstract_eval = lambda x, *, axis, descending: ShapedArray(x.shape, np.int64)
argsort_p.batch = single_axis_rule(argsort_p, keeps_axis=True)
numpy_only("sorting: NumPy's sort kernels", argsort_p)
argsort_p.jvp = _zero_jvp(argsort_p)


def _argsort_impl(x, axis, descending):
    x = np.asarray(x)
    if descending:
        n = x.shape[axis]
        flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        return np.flip(n - 1 - flipped, axis)
    return np.argsort(x, axis=axis, kind="stable")


def argsort(x, *, axis, descending=False):
    return argsort_p.bind(x, axis=axis, descending=descending)


# ----------------------------------------------------------------------------- lowering


def _reduction_lowering(ufunc_name):
    """``np.<ufunc>.reduce`` over the axes: what ``np.sum``/``np.max`` call, minus their Python
    wrappers. Floating dtypes only (integer sums would widen); a full reduction of a non-empty
    axis set gives a NumPy scalar, which the generated code treats as a 0-d array."""

    def rule(eqn, args):
        (x,) = eqn.inputs
        axes = eqn.params["axes"]
        if x.aval.dtype.kind not in "fc" or not axes or not hasattr(x, "id"):
            return None  # integer sums widen; literals go through the implementation
        return f"np.{ufunc_name}.reduce({args[0]}, axis={tuple(axes)!r})"

    return rule


def _install_lowerings():
    reduce_sum_p.lower = expression_lowering(_reduction_lowering("add"))
    reduce_max_p.lower = expression_lowering(_reduction_lowering("maximum"))
    reduce_min_p.lower = expression_lowering(_reduction_lowering("minimum"))


_install_lowerings()
