"""Index helpers and functional selection: r_/c_/s_/mgrid/ogrid, ix_, indices,
unravel_index/ravel_multi_index, choose/select/piecewise, put/place/put_along_axis,
apply_along_axis, vectorize, packbits, logspace/geomspace."""

from __future__ import annotations

import functools
import re

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import cast, normalize_axis, to_operand

_SCALARS = (float, int, bool, complex)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _has_tracer(items):
    return any(isinstance(i, Tracer) for i in items)


# ----------------------------------------------------------------------------- r_, c_, s_, grids


class _Concatenator:
    """``r_[...]`` / ``c_[...]``: slices become ranges, arrays are joined along an axis."""

    def __init__(self, numpy_obj, axis, ndmin, trans1d):
        self._numpy = numpy_obj
        self._axis, self._ndmin, self._trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not _has_tracer(items):
            return self._numpy[key]
        axis, ndmin, trans1d = self._axis, self._ndmin, self._trans1d
        parts = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                if i != 0:
                    raise ValueError("r_/c_: a string directive must come first")
                nums = [int(v) for v in re.findall(r"-?\d+", item)]
                if item in ("r", "c"):
                    raise ValueError("r_/c_: the matrix directives 'r'/'c' are not supported")
                axis = nums[0] if nums else axis
                ndmin = nums[1] if len(nums) > 1 else ndmin
                trans1d = nums[2] if len(nums) > 2 else trans1d
                continue
            if isinstance(item, slice):
                parts.append(np.r_[item])
                continue
            a = _arr(item)
            s = shape_of(a)
            if len(s) < ndmin:
                new = [1] * (ndmin - len(s))
                t = trans1d if trans1d >= 0 else ndmin + trans1d - len(s) + 1
                shape = list(new)
                shape[t:t] = list(s)
                a = fnp.reshape(a, tuple(shape[:ndmin]) if len(shape) > ndmin else tuple(shape))
            parts.append(a)
        parts = [fnp.atleast_1d(p) for p in parts]
        return fnp.concatenate(parts, axis=axis)


r_ = _Concatenator(np.r_, 0, 1, -1)
c_ = _Concatenator(np.c_, -1, 2, 0)
s_ = np.s_
index_exp = np.index_exp
mgrid = np.mgrid
ogrid = np.ogrid


def ix_(*args):
    """Open-mesh index arrays from 1-d sequences (``x[ix_(rows, cols)]`` picks a block).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [a.shape for a in fnp.ix_([0, 1], [2, 3, 4])]
        [(2, 1), (1, 3)]
    """
    if not _has_tracer(args):
        return np.ix_(*args)
    out = []
    n = len(args)
    for k, a in enumerate(args):
        a = _arr(a)
        if len(shape_of(a)) != 1:
            raise ValueError(f"ix_: cross index must be 1 dimensional, got shape {shape_of(a)}")
        shape = [1] * n
        shape[k] = shape_of(a)[0]
        out.append(fnp.reshape(a, tuple(shape)))
    return tuple(out)


def indices(dimensions, dtype=int, sparse=False):
    """The grid of indices of an array of shape ``dimensions`` (static).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.indices((2, 2)).tolist()
        [[[0, 0], [1, 1]], [[0, 1], [0, 1]]]
    """
    return np.indices(dimensions, dtype, sparse)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function(*indices(shape))``: the function gets one coordinate array per axis.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fromfunction(lambda i, j: i + j, (2, 2)).tolist()
        [[0.0, 1.0], [1.0, 2.0]]
    """
    return function(*np.indices(shape, dtype=dtype), **kwargs)


def unravel_index(indices, shape):
    """Coordinates in an array of ``shape`` of the flat ``indices``.

    Traced out-of-range indices are clipped into range (JAX's rule; NumPy raises eagerly).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [c.tolist() for c in fnp.unravel_index([5, 1], (2, 3))]
        [[1, 0], [2, 1]]
    """
    if not isinstance(indices, Tracer):
        return np.unravel_index(indices, shape)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    size = int(np.prod(shape, dtype=np.int64))
    idx = fnp.where(fnp.less(indices, 0), fnp.add(indices, size), indices)
    idx = fnp.clip(idx, 0, max(size - 1, 0))
    out = []
    for dim in reversed(shape):
        out.append(fnp.remainder(idx, dim))
        idx = fnp.floor_divide(idx, dim)
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat indices of the coordinate arrays ``multi_index`` in an array of shape ``dims``.

    ``mode`` is ``"raise"`` (eager check; traced indices are clipped), ``"wrap"`` or
    ``"clip"``, per dimension or for all.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.ravel_multi_index(([1, 0], [2, 1]), (2, 3)).tolist()
        [5, 1]
    """
    if not _has_tracer(multi_index):
        return np.ravel_multi_index(multi_index, dims, mode=mode, order=order)
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(
            f"ravel_multi_index: got {len(multi_index)} index arrays for {len(dims)} dimensions"
        )
    modes = [mode] * len(dims) if isinstance(mode, str) else list(mode)
    coords = []
    for c, d, md in zip(multi_index, dims, modes, strict=True):
        c = _arr(c)
        if not np.issubdtype(c.dtype, np.integer):
            raise TypeError(f"ravel_multi_index: indices must be integers, got dtype {c.dtype}")
        coords.append(fnp.remainder(c, d) if md == "wrap" else fnp.clip(c, 0, d - 1))
    if order == "F":
        coords, dims = coords[::-1], dims[::-1]
    elif order != "C":
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    flat = coords[0]
    for c, d in zip(coords[1:], dims[1:], strict=True):
        flat = fnp.add(fnp.multiply(flat, d), c)
    return cast(_arr(flat), np.dtype(np.intp))


# ----------------------------------------------------------------------------- selection


def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` for every position (broadcasting ``a`` and the choices).

    ``mode`` is ``"raise"`` (eager check; traced indices are clipped, as JAX does),
    ``"wrap"`` or ``"clip"``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.choose([0, 1, 0], [[1, 2, 3], [10, 20, 30]]).tolist()
        [1, 20, 3]
    """
    if out is not None:
        raise ValueError("choose: out is not supported (ftrans arrays are immutable)")
    items = list(choices) if not isinstance(choices, (np.ndarray, Tracer)) else choices
    if not core._stack:
        return np.choose(a, items, mode=mode)
    a = _arr(a)
    if not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"choose: a must be an integer array, got dtype {a.dtype}")
    if isinstance(items, list):
        stacked = fnp.stack(fnp.broadcast_arrays(*[_arr(c) for c in items]))
    else:
        stacked = _arr(items)
    n = shape_of(stacked)[0]
    idx = fnp.remainder(a, n) if mode == "wrap" else fnp.clip(a, 0, n - 1)
    shape = np.broadcast_shapes(shape_of(idx), shape_of(stacked)[1:])
    stacked = fnp.broadcast_to(stacked, (n,) + shape)
    idx = fnp.broadcast_to(idx, shape)
    return fnp.take_along_axis(stacked, fnp.expand_dims(idx, 0), axis=0)[0]


def select(condlist, choicelist, default=0):
    """The element of the first choice whose condition holds, else ``default``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> x = fnp.arange(5.0)
        >>> fnp.select([x < 2, x > 3], [x, x * 10], default=-1.0).tolist()
        [0.0, 1.0, -1.0, -1.0, 40.0]
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not core._stack and not _has_tracer(list(condlist) + list(choicelist)):
        return np.select(condlist, choicelist, default)
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    choices = [_arr(c) for c in choicelist]
    out = _arr(default)
    dtype = np.result_type(*[c.dtype for c in choices], out.dtype if shape_of(out) else out)
    out = cast(out, dtype)
    for cond, choice in reversed(list(zip(condlist, choices, strict=True))):
        cond = _arr(cond)
        if cond.dtype != np.bool_:
            raise TypeError(f"select: condlist entries must be boolean, got dtype {cond.dtype}")
        out = fnp.where(cond, cast(choice, dtype), out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i](x)`` where ``condlist[i]`` holds (later conditions win), constants for
    non-callable entries; one extra function is the default.

    Every function runs on all of ``x`` (the results are then selected), as in JAX, so its
    gradient is that of the chosen piece.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> x = fnp.array([-1.0, 2.0])
        >>> fnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * v]).tolist()
        [1.0, 4.0]
    """
    if not core._stack and not _has_tracer([x, *condlist] if isinstance(condlist, list) else [x]):
        return np.piecewise(np.asarray(x), condlist, funclist, *args, **kw)
    x = _arr(x)
    if isinstance(condlist, (np.ndarray, Tracer)) and len(shape_of(condlist)) == len(shape_of(x)):
        condlist = [condlist]
    condlist = [_arr(c) for c in condlist]
    n = len(condlist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(
            f"piecewise: with {n} condition(s), funclist must have {n} or {n + 1} entries, got "
            f"{len(funclist)}"
        )

    def value(f):
        v = f(x, *args, **kw) if callable(f) else f
        return cast(fnp.broadcast_to(_arr(v), shape_of(x)), x.dtype)

    if len(funclist) == n + 1:
        out = value(funclist[-1])
        funclist = funclist[:-1]
    else:
        out = fnp.zeros(shape_of(x), x.dtype)
    for cond, f in zip(condlist, funclist, strict=True):
        out = fnp.where(cond, value(f), out)
    return out


def _cycled(values, n, dtype):
    values = fnp.ravel(cast(_arr(values), dtype))
    k = shape_of(values)[0]
    if k == n:
        return values
    if k == 0:
        raise ValueError("cannot place an empty array of values")
    return fnp.take(values, np.arange(n) % k)


def _no_inplace(name, inplace):
    if inplace:
        raise ValueError(
            f"{name}: ftrans arrays are immutable, so inplace=True is not supported; use the "
            f"returned array (a = fnp.{name}(a, ...))"
        )


def put(a, ind, v, mode=None, *, inplace=False):
    """``a`` with the flat positions ``ind`` set to ``v`` (cycled), as a new array.

    ``mode``: ``"raise"``/None (eager check; traced indices are clipped), ``"wrap"``,
    ``"clip"``. Repeated positions keep the last value.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.put(fnp.zeros(4), [0, 2], [1.0, 2.0]).tolist()
        [1.0, 0.0, 2.0, 0.0]
    """
    _no_inplace("put", inplace)
    if not core._stack and not _has_tracer([a, ind, v]):
        out = np.array(a, copy=True)
        np.put(out, ind, v, mode=mode or "raise")
        return out
    a = _arr(a)
    size = int(np.prod(shape_of(a), dtype=np.int64))
    ind = fnp.ravel(_arr(ind))
    if mode == "wrap":
        ind = fnp.remainder(ind, size)
    elif mode == "clip":
        ind = fnp.clip(ind, 0, size - 1)
    values = _cycled(v, shape_of(ind)[0], a.dtype)
    return fnp.reshape(fnp.at(fnp.ravel(a))[ind].set(values), shape_of(a))


def place(arr, mask, vals, *, inplace=False):
    """``arr`` with the positions where ``mask`` is True set to ``vals`` (cycled), as a new array
    (the mask must be concrete).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.place(fnp.zeros(3), [True, False, True], [7.0]).tolist()
        [7.0, 0.0, 7.0]
    """
    _no_inplace("place", inplace)
    if not core._stack and not _has_tracer([arr, mask, vals]):
        out = np.array(arr, copy=True)
        np.place(out, mask, vals)
        return out
    arr = _arr(arr)
    if isinstance(mask, Tracer):
        mask = mask.to_concrete("place(mask=...) (the number of places depends on it)")
    pos = np.flatnonzero(np.asarray(mask))
    if pos.size == 0:
        return arr
    values = _cycled(vals, pos.size, arr.dtype)
    return fnp.reshape(fnp.at(fnp.ravel(arr))[pos].set(values), shape_of(arr))


def put_along_axis(arr, indices, values, axis, inplace=False, *, mode=None):
    """``arr`` with ``values`` written where [`take_along_axis`][ftrans.numpy.take_along_axis] would
    read, as a new array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.put_along_axis(fnp.zeros((2, 2)), fnp.array([[1], [0]]), 5.0, axis=1).tolist()
        [[0.0, 5.0], [5.0, 0.0]]
    """
    _no_inplace("put_along_axis", inplace)
    if not core._stack and not _has_tracer([arr, indices, values]):
        out = np.array(arr, copy=True)
        np.put_along_axis(out, np.asarray(indices), values, axis)
        return out
    arr, indices = _arr(arr), _arr(indices)
    if axis is None:
        arr_flat = fnp.ravel(arr)
        return fnp.reshape(put_along_axis(arr_flat, fnp.ravel(indices), values, 0), shape_of(arr))
    nd = len(shape_of(arr))
    ax = normalize_axis(axis, nd)
    if len(shape_of(indices)) != nd:
        raise ValueError(
            f"put_along_axis: indices of shape {shape_of(indices)} must have as many dimensions "
            f"as arr of shape {shape_of(arr)}"
        )
    shape = list(
        np.broadcast_shapes(
            tuple(1 if i == ax else s for i, s in enumerate(shape_of(arr))),
            tuple(1 if i == ax else s for i, s in enumerate(shape_of(indices))),
        )
    )
    shape[ax] = shape_of(indices)[ax]
    idx = []
    for d in range(nd):
        if d == ax:
            idx.append(fnp.broadcast_to(indices, tuple(shape)))
        else:
            view = [1] * nd
            view[d] = shape[d]
            idx.append(np.broadcast_to(np.arange(shape[d]).reshape(view), shape))
    vals = fnp.broadcast_to(cast(_arr(values), arr.dtype), tuple(shape))
    return fnp.at(arr)[tuple(idx)].set(vals)


# ----------------------------------------------------------------------------- function application


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-d slice of ``arr`` along ``axis`` (JAX's ``vmap``
    construction, so ``func1d`` sees traced slices; its output dims replace ``axis``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.apply_along_axis(fnp.sum, 1, fnp.ones((2, 3))).tolist()
        [3.0, 3.0]
    """
    if not core._stack:
        return np.apply_along_axis(func1d, axis, arr, *args, **kwargs)
    from ftrans.mapping import vmap

    arr = _arr(arr)
    nd = len(shape_of(arr))
    ax = normalize_axis(axis, nd)

    def fn(row):
        return func1d(row, *args, **kwargs)

    for _ in range(ax):
        fn = vmap(fn, in_axes=0, out_axes=0)
    for _ in range(nd - ax - 1):
        fn = vmap(fn, in_axes=-1, out_axes=-1)
    return fn(arr)


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied for each axis in turn, keeping the number of dimensions.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.apply_over_axes(fnp.sum, fnp.ones((2, 3)), [0, 1]).tolist()
        [[6.0]]
    """
    if not core._stack:
        return np.apply_over_axes(func, a, axes)
    a = _arr(a)
    nd = len(shape_of(a))
    for axis in [axes] if isinstance(axes, int) else axes:
        ax = normalize_axis(axis, nd)
        res = _arr(func(a, ax))
        if len(shape_of(res)) == nd - 1:
            res = fnp.expand_dims(res, ax)
        elif len(shape_of(res)) != nd:
            raise ValueError(
                "apply_over_axes: function is not returning an array of the correct shape"
            )
        a = res
    return a


_CORE = r"\((\w*(?:,\s*\w+)*)\)"


def _parse_signature(signature):
    m = re.fullmatch(
        rf"\s*({_CORE}(?:,\s*{_CORE})*)\s*->\s*({_CORE}(?:,\s*{_CORE})*)\s*", signature
    )
    if not m:
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = signature.split("->")

    def dims(part):
        return [
            tuple(d.strip() for d in g.split(",") if d.strip())
            for g in re.findall(r"\(([^)]*)\)", part)
        ]

    return dims(ins), dims(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """``pyfunc`` broadcast over its array arguments by ``vmap`` (JAX's ``vectorize``).

    Without ``signature`` the function is applied to scalars; with a gufunc signature like
    ``"(n),(n)->()"`` to the core dimensions named there. ``excluded`` names positional
    indices or keywords passed through unchanged. Unlike ``numpy.vectorize``, ``pyfunc`` gets
    traced values (write it with ``ftrans.numpy``), which makes the result differentiable.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> dot = fnp.vectorize(lambda a, b: fnp.sum(a * b), signature="(n),(n)->()")
        >>> dot(fnp.ones((2, 3)), fnp.arange(3.0)).tolist()
        [3.0, 3.0]
    """
    from ftrans.mapping import vmap

    in_dims, _ = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        fixed_kw = {k: v for k, v in kwargs.items() if k in excluded}
        kw = {k: v for k, v in kwargs.items() if k not in excluded}
        if kw:
            raise TypeError("vectorize: keyword arguments must be listed in excluded=")
        pos = [i for i in range(len(args)) if i not in excluded]
        arrays = [_arr(args[i]) for i in pos]
        if in_dims is not None and len(in_dims) != len(arrays):
            raise TypeError(
                f"vectorize: signature {signature!r} has {len(in_dims)} inputs, got {len(arrays)}"
            )
        cores = in_dims or [()] * len(arrays)
        sizes: dict = {}
        loops = []
        for a, names in zip(arrays, cores, strict=True):
            s = shape_of(a)
            if len(s) < len(names):
                raise ValueError(
                    f"vectorize: input of shape {s} has fewer dimensions than its core dims {names}"
                )
            for name, n in zip(names, s[len(s) - len(names) :], strict=True):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}")
            loops.append(s[: len(s) - len(names)])
        loop = np.broadcast_shapes(*loops) if loops else ()
        flat = []
        for a, ls in zip(arrays, loops, strict=True):
            core_shape = shape_of(a)[len(ls) :]
            a = fnp.broadcast_to(a, loop + core_shape)
            flat.append(fnp.reshape(a, (-1,) + core_shape) if loop else a)

        def call(*xs):
            full = list(args)
            for i, x in zip(pos, xs, strict=True):
                full[i] = x
            return pyfunc(*full, **fixed_kw)

        if not loop:
            return call(*flat)
        res = vmap(call)(*flat)

        def unflat(r):
            return fnp.reshape(r, loop + shape_of(_arr(r))[1:])

        return tuple(unflat(r) for r in res) if isinstance(res, tuple) else unflat(res)

    return wrapped


# ----------------------------------------------------------------------------- bits, spacing


def packbits(a, axis=None, bitorder="big"):
    """Bits of a boolean or integer array packed into uint8 (groups of 8 along ``axis``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.packbits([1, 0, 1]).tolist()
        [160]
    """
    if not core._stack:
        return np.packbits(a, axis=axis, bitorder=bitorder)
    a = _arr(a)
    if a.dtype.kind not in "biu":
        raise TypeError(f"packbits: expected an integer or boolean array, got dtype {a.dtype}")
    if bitorder not in ("big", "little"):
        raise ValueError("packbits: bitorder must be 'big' or 'little'")
    if axis is None:
        a, axis = fnp.ravel(a), 0
    ax = normalize_axis(axis, len(shape_of(a)))
    bits = cast(fnp.not_equal(a, 0), np.dtype(np.uint8))
    n = shape_of(bits)[ax]
    pad = [(0, 0)] * len(shape_of(bits))
    pad[ax] = (0, (-n) % 8)
    bits = fnp.moveaxis(fnp.pad(bits, pad), ax, -1)
    groups = fnp.reshape(bits, shape_of(bits)[:-1] + (-1, 8))
    weights = np.array([128, 64, 32, 16, 8, 4, 2, 1], np.uint8)
    if bitorder == "little":
        weights = weights[::-1].copy()
    packed = fnp.sum(fnp.multiply(groups, weights), axis=-1, dtype=np.uint8)
    return fnp.moveaxis(packed, -1, ax)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of a uint8 array, as a uint8 array of 0s and 1s (8 per element along ``axis``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unpackbits(fnp.array([160], dtype=fnp.uint8)).tolist()
        [1, 0, 1, 0, 0, 0, 0, 0]
    """
    if not core._stack:
        return np.unpackbits(a, axis=axis, count=count, bitorder=bitorder)
    a = _arr(a)
    if a.dtype != np.uint8:
        raise TypeError(
            f"unpackbits: expected an input array of unsigned byte dtype, got {a.dtype}"
        )
    if axis is None:
        a, axis = fnp.ravel(a), 0
    ax = normalize_axis(axis, len(shape_of(a)))
    shifts = (
        np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" else np.arange(8, dtype=np.uint8)
    )
    bits = fnp.bitwise_and(fnp.right_shift(fnp.expand_dims(a, -1), shifts), np.uint8(1))
    bits = fnp.moveaxis(bits, ax, -2)
    bits = fnp.reshape(bits, shape_of(bits)[:-2] + (-1,))
    if count is not None:
        bits = bits[..., :count] if count >= 0 else bits[..., : shape_of(bits)[-1] + count]
    return fnp.moveaxis(bits, -1, ax)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.logspace(0, 2, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    if not _has_tracer([start, stop, base]):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    y = fnp.linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = fnp.power(base, y)
    return out if dtype is None else fnp.asarray(out).astype(dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [round(v, 9) for v in fnp.geomspace(1, 1000, 4).tolist()]
        [1.0, 10.0, 100.0, 1000.0]
    """
    if not _has_tracer([start, stop]):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    start, stop = _arr(start), _arr(stop)
    sign = fnp.sign(start)
    y = fnp.logspace(
        fnp.log10(fnp.abs(start)), fnp.log10(fnp.abs(stop)), num, endpoint, 10.0, None, axis
    )
    out = fnp.multiply(fnp.expand_dims(sign, axis) if shape_of(sign) else sign, y)
    return out if dtype is None else fnp.asarray(out).astype(dtype)
