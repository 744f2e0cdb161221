"""Windowed and monoid reductions, and the parallel prefix scan, written on primitives.

``reduce_window`` gathers every window of the padded (and base-dilated) operand into a trailing
axis with one ``gather`` of constant indices, then reduces that axis: ``reduce_sum`` for sums;
for max/min the element picked by ``argmax``/``argmin`` (the first one attaining the extremum,
which is where JAX's derivative of a windowed max goes); a fold of the user's function for any
other monoid. ``associative_scan`` is the work-efficient parallel prefix (combine neighbours,
scan the half-length sequence recursively, fill in the rest), so ``fn`` is called O(log n)
times on whole arrays. Derivatives, batching and lowering come from the primitives.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ftrans import tree
from ftrans.core import Tracer, get_aval, shape_of
from ftrans.primitives import elementwise as _ew
from ftrans.primitives import reductions as _red
from ftrans.primitives import shape as _shape
from ftrans.primitives.conv_api import explicit_padding, per_axis_ints
from ftrans.primitives.indexing import gather, take_along_axis


def _array(x):
    return x if isinstance(x, Tracer | np.ndarray) else np.asarray(x)


def _monoid(computation):
    """'add' / 'mul' / 'max' / 'min' when ``computation`` is one of the known binary ops."""
    from ftrans import numpy as fnp

    table = {  # lax.add, lax.mul, lax.max and lax.min are the elementwise primitives' binds
        "add": (_ew.add, fnp.add, operator.add, np.add),
        "mul": (_ew.mul, fnp.multiply, operator.mul, np.multiply),
        "max": (_ew.max_, fnp.maximum, np.maximum),
        "min": (_ew.min_, fnp.minimum, np.minimum),
    }
    for name, fns in table.items():
        if any(computation is f for f in fns):
            return name
    return None


def _identity(name, dtype):
    dtype = np.dtype(dtype)
    if name == "add":
        return np.zeros((), dtype)
    if name == "mul":
        return np.ones((), dtype)
    if dtype.kind == "f":
        return np.asarray(-np.inf if name == "max" else np.inf, dtype)
    if dtype.kind == "b":
        return np.asarray(name == "min", dtype)
    info = np.iinfo(dtype)
    return np.asarray(info.min if name == "max" else info.max, dtype)


def _is_identity(value, name, dtype) -> bool:
    if isinstance(value, Tracer):
        return False
    return bool(np.asarray(value, dtype) == _identity(name, dtype))


def _combine_init(out, init, name, computation):
    if name is not None and _is_identity(init, name, get_aval(out).dtype):
        return out
    init = init if isinstance(init, Tracer) else np.asarray(init, get_aval(out).dtype)
    return computation(
        _shape.broadcast_in_dim(init, shape=shape_of(out), broadcast_dimensions=()), out
    )


def fold(operand, axes, combine):
    """Reduce ``axes`` of ``operand`` by calling ``combine(acc, next)`` along them in order."""
    shape = shape_of(operand)
    keep = [d for d in range(len(shape)) if d not in axes]
    k = math.prod(shape[a] for a in axes)
    if k == 0:
        raise ValueError("fold over an empty axis needs an initial value")
    flat = _shape.reshape(
        _shape.transpose(operand, permutation=(*keep, *axes)),
        new_sizes=(*[shape[d] for d in keep], k),
    )
    return _fold_last(flat, combine)


def _take_last(x, i):
    shape = shape_of(x)
    starts = [0] * len(shape)
    limits = list(shape)
    starts[-1], limits[-1] = i, i + 1
    return _shape.squeeze(_shape.slice_(x, starts, limits), dimensions=(len(shape) - 1,))


def _fold_last(x, combine, acc=None):
    for i in range(shape_of(x)[-1]):
        item = _take_last(x, i)
        acc = item if acc is None else combine(acc, item)
    return acc


# ----------------------------------------------------------------------------- reduce_window


def _window_params(
    shape, window_dimensions, window_strides, padding, base_dilation, window_dilation
):
    n = len(shape)
    window = tuple(operator.index(w) for w in window_dimensions)
    if len(window) != n:
        raise ValueError(
            f"reduce_window: window_dimensions {window} has {len(window)} entries for an "
            f"operand of rank {n} (shape {tuple(shape)})"
        )
    rank = f"the operand has rank {n}"
    strides = per_axis_ints(window_strides, n, "reduce_window: window_strides", rank)
    base = per_axis_ints(base_dilation, n, "reduce_window: base_dilation", rank)
    wdil = per_axis_ints(window_dilation, n, "reduce_window: window_dilation", rank)
    pads = explicit_padding(padding, shape, window, strides, wdil, "reduce_window: padding", rank)
    return window, strides, pads, base, wdil


def reduce_window_shape_tuple(
    operand_shape,
    window_dimensions,
    window_strides,
    padding,
    base_dilation=None,
    window_dilation=None,
):
    """The output shape of [`reduce_window`][ftrans.lax.reduce_window].

    Example:
        >>> from ftrans import lax
        >>> lax.reduce_window_shape_tuple((4, 6), (2, 2), (2, 2), ((0, 0), (0, 0)))
        (2, 3)
    """
    window, strides, pads, base, wdil = _window_params(
        tuple(operand_shape),
        window_dimensions,
        window_strides,
        padding,
        base_dilation,
        window_dilation,
    )
    return _output_shape(operand_shape, window, strides, pads, base, wdil)


def _output_shape(operand_shape, window, strides, pads, base, wdil):
    out = []
    for n, w, s, (lo, hi), b, d in zip(
        operand_shape, window, strides, pads, base, wdil, strict=True
    ):
        span = (0 if n == 0 else (n - 1) * b + 1) + lo + hi
        eff = 0 if w == 0 else (w - 1) * d + 1
        out.append(0 if span < eff else (span - eff) // s + 1)
    return tuple(out)


def _gather_windows(x, init, window, strides, pads, base, wdil):
    """``(*out_shape, prod(window))``: every window of the padded, dilated ``x``."""
    from ftrans.lax_wrappers import pad

    shape = shape_of(x)
    padded = pad(x, init, [(lo, hi, b - 1) for (lo, hi), b in zip(pads, base, strict=True)])
    out_shape = reduce_window_shape_tuple(shape, window, strides, pads, base, wdil)
    n = len(shape)
    full = (*out_shape, *window)
    indices = []
    for d in range(n):
        q = np.arange(out_shape[d]).reshape([-1 if i == d else 1 for i in range(2 * n)])
        k = np.arange(window[d]).reshape([-1 if i == n + d else 1 for i in range(2 * n)])
        indices.append(np.broadcast_to(q * strides[d] + k * wdil[d], full))
    if 0 in full:
        dtype = get_aval(x).dtype
        return np.zeros((*out_shape, math.prod(window)), dtype), out_shape
    windows = gather(padded, *indices, axes=tuple(range(n)))
    return _shape.reshape(windows, new_sizes=(*out_shape, math.prod(window))), out_shape


def _pad_eager(x, init, pads, base):
    """``x`` padded with ``init`` (and base-dilated) by NumPy directly when the padding is
    plain (non-negative, no dilation), else through ``lax.pad``."""
    if all(b == 1 for b in base) and all(lo >= 0 and hi >= 0 for lo, hi in pads):
        if not any(lo or hi for lo, hi in pads):
            return x
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads, strict=True))
        out = np.full(shape, init, x.dtype)
        out[tuple(builtin_slice(lo, lo + n) for n, (lo, _) in zip(x.shape, pads))] = x
        return out
    from ftrans.lax_wrappers import pad

    return pad(x, init, [(lo, hi, b - 1) for (lo, hi), b in zip(pads, base, strict=True)])


builtin_slice = slice


def _reduce_window_eager(x, init, name, window, strides, pads, base, wdil):
    """No transform is watching: pad, then reduce one axis at a time by combining its
    ``window[d]`` strided slices with the ufunc (the separable form of an associative,
    commutative reduction: sum(window) ufunc calls on whole arrays, no window copies)."""
    padded = _pad_eager(x, init, pads, base)
    out_shape = _output_shape(x.shape, window, strides, pads, base, wdil)
    ufunc = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}[name]
    if 0 in out_shape or 0 in window:
        return np.full(out_shape, init, x.dtype)
    out = padded
    for d, (w, s, dil, m) in enumerate(zip(window, strides, wdil, out_shape, strict=True)):
        if w == 1 and s == 1 and out.shape[d] == m:
            continue
        index = [builtin_slice(None)] * x.ndim
        parts = []
        for k in range(w):
            index[d] = builtin_slice(k * dil, k * dil + (m - 1) * s + 1, s)
            parts.append(out[tuple(index)])
        acc = parts[0].copy() if len(parts) == 1 else ufunc(parts[0], parts[1])
        for part in parts[2:]:
            ufunc(acc, part, out=acc)
        out = acc
    if not _is_identity(init, name, x.dtype):
        out = ufunc(init, out)
    return np.asarray(out, x.dtype)


def reduce_window(
    operand,
    init_value,
    computation,
    window_dimensions,
    window_strides=None,
    padding="VALID",
    base_dilation=None,
    window_dilation=None,
):
    """Reduce every window of ``operand`` with the binary ``computation`` (a monoid with
    identity ``init_value``), as ``jax.lax.reduce_window``.

    ``lax.add``, ``lax.max``, ``lax.min``, ``lax.mul`` (and their ``ftrans.numpy``/``operator``
    forms) map to the fast reductions; any other function is folded over each window. The
    derivative of a windowed max goes to the first element attaining it, as in JAX.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> x = np.arange(16.0).reshape(4, 4)
        >>> lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), "VALID")
        array([[ 5.,  7.],
               [13., 15.]])
    """
    if isinstance(operand, (tuple, list, dict)):
        raise TypeError(
            "reduce_window: ftrans takes a single array operand (JAX's pytree form is not "
            "supported); reduce each array separately"
        )
    x = _array(operand)
    dtype = get_aval(x).dtype
    params = _window_params(
        shape_of(x), window_dimensions, window_strides, padding, base_dilation, window_dilation
    )
    name = _monoid(computation)
    pad_value = init_value if isinstance(init_value, Tracer) else np.asarray(init_value, dtype)
    if type(x) is np.ndarray and name is not None and not isinstance(pad_value, Tracer):
        return _reduce_window_eager(x, pad_value, name, *params)
    windows, out_shape = _gather_windows(x, pad_value, *params)
    last = len(out_shape)
    k = shape_of(windows)[-1]
    if k == 0:
        return _shape.broadcast_in_dim(pad_value, shape=out_shape, broadcast_dimensions=())
    if name == "add":
        out = _red.reduce_sum(windows, axes=(last,))
    elif name == "mul":
        out = _red.reduce_prod(windows, axes=(last,))
    elif name in ("max", "min"):
        arg = (_red.argmax if name == "max" else _red.argmin)(windows, axis=last)
        picked = take_along_axis(windows, _shape.reshape(arg, new_sizes=(*out_shape, 1)), axis=last)
        out = _shape.reshape(picked, new_sizes=out_shape)
    else:
        out = _fold_last(windows, computation)
    return _combine_init(out, pad_value, name, computation)


def _reduce_window_named(name, doc):
    def fn(
        operand,
        window_dimensions,
        window_strides,
        padding,
        base_dilation=None,
        window_dilation=None,
    ):
        x = _array(operand)
        computation = {"add": _ew.add, "max": _ew.max_, "min": _ew.min_}[name]
        return reduce_window(
            x,
            _identity(name, get_aval(x).dtype),
            computation,
            window_dimensions,
            window_strides,
            padding,
            base_dilation,
            window_dilation,
        )

    fn.__name__ = fn.__qualname__ = f"reduce_window_{name}"
    fn.__doc__ = doc
    return fn


reduce_window_sum = _reduce_window_named("add", "Sum over every window (see ``reduce_window``).")
reduce_window_sum.__name__ = reduce_window_sum.__qualname__ = "reduce_window_sum"
reduce_window_max = _reduce_window_named("max", "Maximum over every window.")
reduce_window_min = _reduce_window_named("min", "Minimum over every window.")


# ----------------------------------------------------------------------------- reduce


def reduce(operands, init_values, computation, dimensions, out_sharding=None):
    """Reduce ``dimensions`` of ``operands`` (an array or a pytree of arrays) with the monoid
    ``computation`` and identity ``init_values``, as ``jax.lax.reduce``.

    Known monoids (``lax.add``/``max``/``min``/``mul`` and their NumPy forms) on one array
    become ``reduce_sum``/``reduce_max``/...; other functions (and pytrees) are folded along
    the reduced dimensions, one call per element of them.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.reduce(np.arange(6.0).reshape(2, 3), 0.0, lax.add, (1,))
        array([ 3., 12.])
        >>> lax.reduce((np.array([3.0, 1.0, 2.0]), np.array([0, 1, 2])), (np.inf, 0),
        ...            lambda a, b: (lax.min(a[0], b[0]), lax.select(a[0] <= b[0], a[1], b[1])),
        ...            (0,))
        (array(1.), array(1))
    """
    del out_sharding
    leaves, treedef = tree.flatten(operands)
    inits = tree.leaves(init_values)
    if len(leaves) != len(inits):
        raise TypeError(
            f"reduce: {len(leaves)} operands but {len(inits)} init values; give one each"
        )
    leaves = [_array(x) for x in leaves]
    shape = shape_of(leaves[0])
    axes = tuple(sorted(operator.index(d) % max(len(shape), 1) for d in dimensions))
    name = _monoid(computation) if len(leaves) == 1 else None
    if name is not None:
        x = leaves[0]
        fn = {
            "add": _red.reduce_sum,
            "mul": _red.reduce_prod,
            "max": _red.reduce_max,
            "min": _red.reduce_min,
        }[name]
        if get_aval(x).dtype == np.bool_ and name in ("max", "min"):
            fn = _red.reduce_or if name == "max" else _red.reduce_and
        out = fn(x, axes=axes) if axes else x
        return _combine_init(out, inits[0], name, computation)
    keep = [d for d in range(len(shape)) if d not in axes]
    k = math.prod(shape[a] for a in axes)
    out_shape = tuple(shape[d] for d in keep)
    flats = [
        _shape.reshape(_shape.transpose(x, permutation=(*keep, *axes)), new_sizes=(*out_shape, k))
        for x in leaves
    ]
    acc = [
        _shape.broadcast_in_dim(
            i if isinstance(i, Tracer) else np.asarray(i, get_aval(x).dtype),
            shape=out_shape,
            broadcast_dimensions=(),
        )
        for i, x in zip(inits, leaves, strict=True)
    ]
    for j in range(k):
        items = [_take_last(f, j) for f in flats]
        result = computation(tree.unflatten(treedef, acc), tree.unflatten(treedef, items))
        acc = [_array(r) for r in tree.leaves(result)]
    return tree.unflatten(treedef, acc)


# ----------------------------------------------------------------------------- associative_scan


def _slice_axis(x, start, stop, step, axis):
    shape = shape_of(x)
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    stop = min(stop, shape[axis])
    starts[axis], limits[axis], strides[axis] = start, max(stop, start), step
    return _shape.slice_(x, starts, limits, strides)


def _interleave(a, b, axis):
    """``out[0::2] = a``, ``out[1::2] = b`` along ``axis`` (len(b) is len(a) or len(a) - 1)."""
    na, nb = shape_of(a)[axis], shape_of(b)[axis]
    if nb < na:  # give b one more element (a's last) and drop it afterwards
        b = _shape.concatenate([b, _slice_axis(a, na - 1, na, 1, axis)], dimension=axis)
    shape = list(shape_of(a))
    expanded = shape[: axis + 1] + [1] + shape[axis + 1 :]
    pair = _shape.concatenate(
        [_shape.reshape(a, new_sizes=expanded), _shape.reshape(b, new_sizes=expanded)],
        dimension=axis + 1,
    )
    merged = shape[:axis] + [2 * na] + shape[axis + 1 :]
    out = _shape.reshape(pair, new_sizes=merged)
    return out if nb == na else _slice_axis(out, 0, na + nb, 1, axis)


def associative_scan(fn, elems, reverse=False, axis=0):
    """Inclusive prefix scan of ``elems`` (a pytree of arrays of one length along ``axis``)
    with the associative ``fn``, as ``jax.lax.associative_scan``: ``out[i] = elems[0] ⊕ ... ⊕
    elems[i]`` (``reverse``: ``elems[i] ⊕ ... ⊕ elems[n-1]``).

    ``fn(a, b)`` receives pytrees of arrays holding many pairs at once (elementwise along
    ``axis``) and must return the same structure.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.associative_scan(lax.add, np.arange(1.0, 6.0))
        array([ 1.,  3.,  6., 10., 15.])
    """
    leaves, treedef = tree.flatten(elems)
    if not leaves:
        return elems
    leaves = [_array(x) for x in leaves]
    ndim = len(shape_of(leaves[0]))
    axis = operator.index(axis) % max(ndim, 1)
    lengths = {shape_of(x)[axis] for x in leaves}
    if len(lengths) != 1:
        raise ValueError(
            "associative_scan: every input needs one length along axis "
            f"{axis}, got {sorted(lengths)}"
        )
    if reverse:
        leaves = [_shape.rev(x, dimensions=(axis,)) for x in leaves]

    def combine(a, b):
        out = fn(tree.unflatten(treedef, a), tree.unflatten(treedef, b))
        out_leaves, out_def = tree.flatten(out)
        if out_def != treedef:
            raise TypeError(
                "associative_scan: fn must return the structure of its inputs "
                f"({treedef}), got {out_def}"
            )
        return [_array(x) for x in out_leaves]

    def scan(xs):
        n = shape_of(xs[0])[axis]
        if n < 2:
            return xs
        reduced = combine(
            [_slice_axis(x, 0, n - 1, 2, axis) for x in xs],
            [_slice_axis(x, 1, n, 2, axis) for x in xs],
        )
        odd = scan(reduced)  # prefixes ending at positions 1, 3, 5, ...
        m = shape_of(odd[0])[axis]
        if n % 2 == 0:
            even = combine(
                [_slice_axis(o, 0, m - 1, 1, axis) for o in odd],
                [_slice_axis(x, 2, n, 2, axis) for x in xs],
            )
        else:
            even = combine(odd, [_slice_axis(x, 2, n, 2, axis) for x in xs])
        even = [
            _shape.concatenate([_slice_axis(x, 0, 1, 1, axis), e], dimension=axis)
            for x, e in zip(xs, even, strict=True)
        ]
        return [_interleave(e, o, axis) for e, o in zip(even, odd, strict=True)]

    out = scan(leaves)
    if reverse:
        out = [_shape.rev(x, dimensions=(axis,)) for x in out]
    return tree.unflatten(treedef, out)


def cumlogsumexp(operand, axis=0, reverse=False):
    """``log(cumsum(exp(operand)))`` along ``axis``, computed stably (a scan of logaddexp).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> np.round(lax.cumlogsumexp(np.zeros(3)), 6)
        array([0.      , 0.693147, 1.098612])
    """
    x = _array(operand)
    if type(x) is np.ndarray and x.dtype.kind == "f":  # eager: one ufunc accumulate
        axis = operator.index(axis) % max(x.ndim, 1)
        if reverse:
            return np.flip(np.logaddexp.accumulate(np.flip(x, axis), axis=axis), axis)
        return np.logaddexp.accumulate(x, axis=axis)
    return associative_scan(_ew.logaddexp, x, reverse=reverse, axis=axis)
