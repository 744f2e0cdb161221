"""Shape primitives: broadcast, reshape, transpose, squeeze, rev, slice, pad, concatenate.

All are linear, so each has a transpose rule; their JVPs apply the same op to the tangent.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import native_rule
from ftrans.compiler.numpy_rules import expression_lowering
from ftrans.core import Primitive, ShapedArray, Zero, get_aval, is_undefined, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import batch_size, moveaxis, physical_axis, to_front
from ftrans.primitives.elementwise import instantiate_zero, sub


def _linear_jvp(primitive):
    """JVP of a primitive that is linear in all of its array arguments."""

    def jvp(primals, tangents, **params):
        out = primitive.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, Zero.like(out)
        return out, primitive.bind(*[instantiate_zero(t) for t in tangents], **params)

    return jvp


def _linear_unary(name, impl, abstract_eval, transpose):
    p = Primitive(name, linear=True)
    p.impl = impl
    p.abstract_eval = abstract_eval
    p.jvp = _linear_jvp(p)
    p.transpose = transpose
    return p


# ----------------------------------------------------------------------------- broadcast_in_dim


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_aval(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim or any(
        x.shape[i] not in (1, shape[d]) for i, d in enumerate(broadcast_dimensions)
    ):
        raise ShapeError(
            f"cannot broadcast shape {x.shape} to {shape} along dimensions {broadcast_dimensions}"
        )
    return ShapedArray(shape, x.dtype)


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    from ftrans.primitives.reductions import reduce_sum

    in_shape = x.aval.shape
    new_dims = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    stretched = tuple(
        d for i, d in enumerate(broadcast_dimensions) if in_shape[i] == 1 and shape[d] != 1
    )
    summed = (
        reduce_sum(ct, axes=tuple(sorted(new_dims + stretched))) if new_dims or stretched else ct
    )
    if stretched:
        summed = reshape(summed, new_sizes=in_shape)
    return [summed]


broadcast_in_dim_p = _linear_unary(
    "broadcast_in_dim", _broadcast_in_dim_impl, _broadcast_in_dim_aval, _broadcast_in_dim_transpose
)


def _broadcast_in_dim_batch(vals, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    size = shape_of(x)[d]
    return broadcast_in_dim(
        moveaxis(x, d, 0),
        shape=(size, *shape),
        broadcast_dimensions=(0, *[b + 1 for b in broadcast_dimensions]),
    ), 0


broadcast_in_dim_p.batch = _broadcast_in_dim_batch


@native_rule(broadcast_in_dim_p)
def _broadcast_in_dim_native(g, eqn, x, *, shape, broadcast_dimensions):
    if int(np.prod(shape)) > x.size:
        x = g.computed(x)  # computed once, not once per copy
    src = [(d, x.shape[k] == 1 and shape[d] != 1) for k, d in enumerate(broadcast_dimensions)]
    return g.view(x, shape, lambda idx: tuple(0 if one else idx[d] for d, one in src))


def broadcast_in_dim(x, *, shape, broadcast_dimensions):
    return broadcast_in_dim_p.bind(
        x, shape=tuple(shape), broadcast_dimensions=tuple(broadcast_dimensions)
    )


# ----------------------------------------------------------------------------- reshape


def _reshape_aval(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise ShapeError(f"cannot reshape an array of shape {x.shape} into shape {new_sizes}")
    return ShapedArray(new_sizes, x.dtype)


reshape_p = _linear_unary(
    "reshape",
    lambda x, *, new_sizes: np.reshape(x, new_sizes),
    _reshape_aval,
    lambda ct, x, *, new_sizes: [reshape(ct, new_sizes=x.aval.shape)],
)


def _reshape_batch(vals, dims, *, new_sizes):
    (x,), (d,) = vals, dims
    size = shape_of(x)[d]
    return reshape(moveaxis(x, d, 0), new_sizes=(size, *new_sizes)), 0


reshape_p.batch = _reshape_batch


@native_rule(reshape_p)
def _reshape_native(g, eqn, x, **_):
    return g.reshaped(x, eqn.outputs[0].aval.shape)


def reshape(x, *, new_sizes):
    return reshape_p.bind(x, new_sizes=tuple(new_sizes))


# ----------------------------------------------------------------------------- transpose


def _transpose_aval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise ShapeError(f"permutation {permutation} does not fit an array of rank {x.ndim}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype)


transpose_p = _linear_unary(
    "transpose",
    lambda x, *, permutation: np.transpose(x, permutation),
    _transpose_aval,
    lambda ct, x, *, permutation: [transpose(ct, permutation=tuple(np.argsort(permutation)))],
)


def _transpose_batch(vals, dims, *, permutation):
    (x,), (d,) = vals, dims
    perm = (d, *[physical_axis(p, d) for p in permutation])
    return transpose(x, permutation=perm), 0


transpose_p.batch = _transpose_batch


@native_rule(transpose_p)
def _transpose_native(g, eqn, x, *, permutation):
    inverse = np.argsort(permutation)
    shape = eqn.outputs[0].aval.shape
    return g.view(x, shape, lambda idx: tuple(idx[k] for k in inverse))


def transpose(x, *, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


# ----------------------------------------------------------------------------- squeeze


def _squeeze_aval(x, *, dimensions):
    if any(x.shape[d] != 1 for d in dimensions):
        raise ShapeError(f"cannot squeeze dimensions {dimensions} of shape {x.shape}: not size 1")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i not in dimensions), x.dtype)


squeeze_p = _linear_unary(
    "squeeze",
    lambda x, *, dimensions: np.squeeze(x, axis=dimensions),
    _squeeze_aval,
    lambda ct, x, *, dimensions: [reshape(ct, new_sizes=x.aval.shape)],
)


def _squeeze_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    physical = tuple(physical_axis(a, d) for a in dimensions)
    return squeeze(x, dimensions=physical), d - sum(a < d for a in dimensions)


squeeze_p.batch = _squeeze_batch

native_rule(squeeze_p)(lambda g, eqn, x, **_: g.reshaped(x, eqn.outputs[0].aval.shape))


def squeeze(x, *, dimensions):
    return squeeze_p.bind(x, dimensions=tuple(dimensions))


# ----------------------------------------------------------------------------- rev


rev_p = _linear_unary(
    "rev",
    lambda x, *, dimensions: np.flip(x, axis=dimensions),
    lambda x, *, dimensions: x,
    lambda ct, x, *, dimensions: [rev(ct, dimensions=dimensions)],
)


def _rev_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return rev(x, dimensions=tuple(physical_axis(a, d) for a in dimensions)), d


rev_p.batch = _rev_batch


@native_rule(rev_p)
def _rev_native(g, eqn, x, *, dimensions):
    flip = [d in dimensions for d in range(len(x.shape))]

    def source(idx):
        return tuple(
            (n - 1 - i if isinstance(i, int) else f"({n - 1} - {i})") if f else i
            for i, n, f in zip(idx, x.shape, flip, strict=True)
        )

    return g.view(x, x.shape, source)


def rev(x, *, dimensions):
    return rev_p.bind(x, dimensions=tuple(dimensions))


# ----------------------------------------------------------------------------- slice


def _slice_impl(x, *, start_indices, limit_indices, strides):
    return x[
        tuple(
            slice(s, e, st) for s, e, st in zip(start_indices, limit_indices, strides, strict=True)
        )
    ]


def _slice_aval(x, *, start_indices, limit_indices, strides):
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise ShapeError(f"slice of rank {len(start_indices)} applied to shape {x.shape}")
    shape = []
    for s, e, st, n in zip(start_indices, limit_indices, strides, x.shape, strict=True):
        if not 0 <= s <= e <= n or st < 1:
            raise ShapeError(f"slice [{s}:{e}:{st}] out of range for a dimension of size {n}")
        shape.append(max(0, -(-(e - s) // st)))
    return ShapedArray(shape, x.dtype)


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    config = []
    for s, st, n, m in zip(start_indices, strides, shape, ct.shape, strict=True):
        last = s + (m - 1) * st + 1 if m else s
        config.append((s, n - last, st - 1) if m else (n, 0, 0))
    zero = np.zeros((), x.aval.dtype)
    if any(m == 0 for m in ct.shape):
        return [np.zeros(shape, x.aval.dtype)]
    return [pad(ct, zero, padding_config=tuple(config))]


slice_p = _linear_unary("slice", _slice_impl, _slice_aval, _slice_transpose)


def _slice_batch(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = vals, dims
    size = shape_of(x)[d]
    starts = list(start_indices)
    limits = list(limit_indices)
    steps = list(strides)
    starts.insert(d, 0)
    limits.insert(d, size)
    steps.insert(d, 1)
    return slice_(x, starts, limits, steps), d


slice_p.batch = _slice_batch


@native_rule(slice_p)
def _slice_native(g, eqn, x, *, start_indices, limit_indices, strides):
    steps = strides or (1,) * len(start_indices)
    return g.view(
        x,
        eqn.outputs[0].aval.shape,
        lambda idx: tuple(
            g.ix_add(g.ix_mul(i, st), s) for i, s, st in zip(idx, start_indices, steps, strict=True)
        ),
    )


def slice_(x, start_indices, limit_indices, strides=None):
    strides = (1,) * len(start_indices) if strides is None else tuple(strides)
    return slice_p.bind(
        x, start_indices=tuple(start_indices), limit_indices=tuple(limit_indices), strides=strides
    )


# ----------------------------------------------------------------------------- pad


def _pad_impl(x, padding_value, *, padding_config):
    x = np.asarray(x)
    shape = tuple(
        lo + hi + n + max(0, n - 1) * interior
        for (lo, hi, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out = np.full(shape, padding_value, dtype=x.dtype)
    index = tuple(
        slice(lo, lo + n + max(0, n - 1) * interior, interior + 1)
        for (lo, hi, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out[index] = x
    return out


def _pad_aval(x, padding_value, *, padding_config):
    if len(padding_config) != x.ndim:
        raise ShapeError(f"padding config of rank {len(padding_config)} for shape {x.shape}")
    if padding_value.shape != ():
        raise ShapeError("the padding value must be a scalar")
    if any(v < 0 for c in padding_config for v in c):
        raise ShapeError(f"negative padding {padding_config} is not supported")
    return ShapedArray(
        tuple(
            lo + hi + n + max(0, n - 1) * interior
            for (lo, hi, interior), n in zip(padding_config, x.shape, strict=True)
        ),
        x.dtype,
    )


def _pad_transpose(ct, x, padding_value, *, padding_config):
    from ftrans.primitives.reductions import reduce_sum

    shape = x.aval.shape if is_undefined(x) else shape_of(x)
    starts = [lo for lo, _, _ in padding_config]
    limits = [
        lo + n + max(0, n - 1) * i for (lo, _, i), n in zip(padding_config, shape, strict=True)
    ]
    strides = [i + 1 for _, _, i in padding_config]
    ct_x = slice_(ct, starts, limits, strides)
    ct_x_out = ct_x if is_undefined(x) else None
    ct_value = None
    if is_undefined(padding_value):
        all_axes = tuple(range(len(shape)))
        ct_value = sub(reduce_sum(ct, axes=all_axes), reduce_sum(ct_x, axes=all_axes))
    return [ct_x_out, ct_value]


pad_p = Primitive("pad", linear=True)
pad_p.impl = _pad_impl
pad_p.abstract_eval = _pad_aval
pad_p.jvp = _linear_jvp(pad_p)
pad_p.transpose = _pad_transpose


def _pad_batch(vals, dims, *, padding_config):
    from ftrans.primitives.elementwise import select

    (x, value), (dx, dv) = vals, dims
    size = batch_size(vals, dims)
    x = to_front(x, dx, size)
    config = ((0, 0, 0), *padding_config)
    if dv is None:
        return pad(x, value, padding_config=config), 0
    # A batched padding value: pad with zeros, then write each example's value where the
    # padding is, using a mask made by padding ones with zeros.
    out = pad(x, np.zeros((), get_aval(x).dtype), padding_config=config)
    out_shape = shape_of(out)
    inside = _pad_impl(np.ones(shape_of(x)[1:], bool), False, padding_config=padding_config)
    values = broadcast_in_dim(value, shape=out_shape, broadcast_dimensions=(0,))
    return select(np.broadcast_to(inside, out_shape), out, values), 0


pad_p.batch = _pad_batch


@native_rule(pad_p)
def _pad_native(g, eqn, x, value, *, padding_config):
    fill = g.elem(g.computed(value), ())

    def fn(idx):
        tests, src = [], []
        for i, (lo, _, interior), n in zip(idx, padding_config, x.shape, strict=True):
            j, step = g.ix_add(i, -lo), interior + 1
            if isinstance(j, int):
                if j < 0 or j % step or j // step >= n:
                    return fill
                src.append(j // step)
                continue
            tests.append(f"0 <= {j} < {(n - 1) * step + 1}")
            if step > 1:
                tests.append(f"{j} % {step} == 0")
                j = f"({j} // {step})"
            src.append(j)
        inner = g.elem(x, tuple(src))
        return f"({inner} if {' and '.join(tests)} else {fill})" if tests else inner

    return g.lazy(eqn.outputs[0].aval.shape, x.dtype, fn, 1 + x.cost)


def pad(x, padding_value, *, padding_config):
    return pad_p.bind(x, padding_value, padding_config=tuple(tuple(c) for c in padding_config))


# ----------------------------------------------------------------------------- concatenate


def _concatenate_aval(*xs, dimension):
    first = xs[0]
    for x in xs[1:]:
        if (
            x.dtype != first.dtype
            or x.ndim != first.ndim
            or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != dimension)
        ):
            raise ShapeError(
                f"cannot concatenate {first.str_short()} and {x.str_short()} along axis {dimension}"
            )
    shape = list(first.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, first.dtype)


def _concatenate_transpose(ct, *xs, dimension):
    cts = []
    start = 0
    ndim = len(ct.shape)
    for x in xs:
        n = (x.aval.shape if is_undefined(x) else shape_of(x))[dimension]
        if is_undefined(x):
            starts = [0] * ndim
            limits = list(ct.shape)
            starts[dimension] = start
            limits[dimension] = start + n
            cts.append(slice_(ct, starts, limits))
        else:
            cts.append(None)
        start += n
    return cts


concatenate_p = Primitive("concatenate", linear=True)
concatenate_p.impl = lambda *xs, dimension: np.concatenate(xs, axis=dimension)
concatenate_p.abstract_eval = _concatenate_aval
concatenate_p.jvp = _linear_jvp(concatenate_p)
concatenate_p.transpose = _concatenate_transpose


def _concatenate_batch(vals, dims, *, dimension):
    size = batch_size(vals, dims)
    moved = [to_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
    return concatenate(moved, dimension=dimension + 1), 0


concatenate_p.batch = _concatenate_batch


@native_rule(concatenate_p)
def _concatenate_native(g, eqn, *xs, dimension):
    starts = np.cumsum([0] + [x.shape[dimension] for x in xs]).tolist()

    def at(k, idx):
        shifted = (*idx[:dimension], g.ix_add(idx[dimension], -starts[k]), *idx[dimension + 1 :])
        return g.elem(xs[k], shifted)

    def fn(idx):
        i = idx[dimension]
        if isinstance(i, int):
            k = int(np.searchsorted(starts, i, side="right")) - 1
            return at(k, idx)
        expr = at(len(xs) - 1, idx)
        for k in range(len(xs) - 2, -1, -1):
            expr = f"({at(k, idx)} if {i} < {starts[k + 1]} else {expr})"
        return expr

    return g.lazy(eqn.outputs[0].aval.shape, xs[0].dtype, fn, 1 + sum(x.cost for x in xs))


def concatenate(xs, *, dimension):
    return concatenate_p.bind(*xs, dimension=dimension)


# ----------------------------------------------------------------------------- lowering


def _lower_reshape(eqn, args):
    if not hasattr(eqn.inputs[0], "id"):
        return None  # a literal: no methods to call
    return f"{args[0]}.reshape({tuple(eqn.outputs[0].aval.shape)!r})"


def _lower_transpose(eqn, args):
    if not hasattr(eqn.inputs[0], "id"):
        return None
    return f"{args[0]}.transpose({tuple(eqn.params['permutation'])!r})"


def _lower_broadcast(eqn, args):
    (x,) = eqn.inputs
    shape = tuple(eqn.params["shape"])
    expanded = [1] * len(shape)
    for src, dst in enumerate(eqn.params["broadcast_dimensions"]):
        expanded[dst] = x.aval.shape[src]
    if tuple(expanded) == tuple(x.aval.shape):
        src = args[0]
    elif hasattr(x, "id"):
        src = f"{args[0]}.reshape({tuple(expanded)!r})"
    else:
        return None
    return f"np.broadcast_to({src}, {shape!r})"


def _install_lowerings():
    """Shape operations as NumPy methods written into the generated code (views, no copies),
    instead of calls through the implementations."""
    reshape_p.lower = expression_lowering(_lower_reshape)
    squeeze_p.lower = expression_lowering(_lower_reshape)
    transpose_p.lower = expression_lowering(_lower_transpose)
    broadcast_in_dim_p.lower = expression_lowering(_lower_broadcast)


_install_lowerings()
