"""Functions whose result size depends on values: nonzero, argwhere, flatnonzero, extract,
compress, unique and the set operations, isin.

Eagerly each is NumPy's. Under a transformation the values are abstract, so the size must be
given (``size=``, JAX's keyword): the result is then truncated or padded with ``fill_value`` to
exactly ``size`` entries. Without ``size=`` a traced input raises a ConcretizationError saying
so.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ConcretizationError
from ftrans.numpy._util import cast, to_operand

_SCALARS = (float, int, bool, complex)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _needs_size(x, name):
    """Concrete values of ``x`` (a tracer), or a ConcretizationError that names ``size=``."""
    try:
        return np.asarray(x.to_concrete(f"{name} (its result's size depends on the values)"))
    except ConcretizationError as err:
        raise ConcretizationError(
            f"{err} Pass size=N (and optionally fill_value=) to {name} to fix the result's size."
        ) from None


def _fit(values, size, fill):
    """A concrete 1-d ``values`` truncated or padded with ``fill`` to ``size`` entries."""
    values = np.asarray(values)
    if size is None:
        return values
    if values.shape[0] >= size:
        return values[:size]
    pad = np.full((size - values.shape[0],) + values.shape[1:], fill, values.dtype)
    return np.concatenate([values, pad])


def _positions(mask, size):
    """Flat positions of the first ``size`` True entries of the traced 1-d ``mask``, with
    ``n`` (one past the end) where there are fewer."""
    csum = fnp.cumsum(cast(mask, np.dtype(np.intp)))
    slots = np.arange(size)
    return fnp.sum(fnp.less_equal(csum[None, :], slots[:, None]), axis=1, dtype=np.intp)


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements, one array per dimension.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [i.tolist() for i in fnp.nonzero([0, 3, 0, 4])]
        [[1, 3]]
        >>> [i.tolist() for i in fnp.nonzero([0, 3, 0, 4], size=3, fill_value=-1)]
        [[1, 3, -1]]
    """
    if isinstance(a, Tracer) and size is None:
        a = _needs_size(a, "nonzero")
    if not isinstance(a, Tracer):
        a = np.asarray(a)
        if a.ndim == 0:
            raise ValueError("nonzero: calling nonzero on 0d arrays is not allowed; use atleast_1d")
        out = np.nonzero(a)
        if size is None:
            return out
        fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * a.ndim
        return tuple(_fit(i, size, 0 if f is None else f) for i, f in zip(out, fills, strict=True))
    shape = shape_of(a)
    if not shape:
        raise ValueError("nonzero: calling nonzero on 0d arrays is not allowed; use atleast_1d")
    flat = fnp.not_equal(fnp.ravel(a), 0)
    n = shape_of(flat)[0]
    pos = _positions(flat, size)
    valid = fnp.less(pos, n)
    coords = fnp.unravel_index(fnp.minimum(pos, max(n - 1, 0)), shape)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(shape)
    return tuple(
        fnp.where(valid, c, 0 if f is None else f) for c, f in zip(coords, fills, strict=True)
    )


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of the flattened ``a``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.flatnonzero([[0, 1], [2, 0]]).tolist()
        [1, 2]
    """
    if not core._stack and size is None:
        return np.flatnonzero(a)
    return nonzero(fnp.ravel(_arr(a)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements as an ``(N, ndim)`` array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.argwhere([[0, 1], [2, 0]]).tolist()
        [[0, 1], [1, 0]]
    """
    if not core._stack and size is None:
        return np.argwhere(a)
    a = _arr(a)
    if not shape_of(a):
        a = fnp.reshape(a, (1,))
        return fnp.reshape(
            fnp.stack(nonzero(a, size=size, fill_value=fill_value), -1)[:, :0], (-1, 0)
        )
    return fnp.stack(nonzero(a, size=size, fill_value=fill_value), axis=-1)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of the flattened ``arr`` where the flattened ``condition`` is nonzero.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.extract([True, False, True], [1, 2, 3]).tolist()
        [1, 3]
    """
    if not core._stack and size is None:
        return np.extract(condition, arr)
    arr = fnp.ravel(_arr(arr))
    idx = flatnonzero(condition, size=size, fill_value=-1)
    out = fnp.take(arr, fnp.maximum(idx, 0))
    return fnp.where(fnp.less(idx, 0), fill_value, out) if size is not None else out


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of ``a`` along ``axis`` where the 1-d ``condition`` is True.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.compress([False, True], [[1, 2], [3, 4]], axis=0).tolist()
        [[3, 4]]
    """
    if out is not None:
        raise ValueError("compress: out is not supported (ftrans arrays are immutable)")
    if not core._stack and size is None:
        return np.compress(condition, a, axis=axis)
    a = _arr(a)
    if axis is None:
        a, axis = fnp.ravel(a), 0
    cond = _arr(condition)
    if len(shape_of(cond)) != 1:
        raise ValueError(f"compress: condition must be 1-d, got shape {shape_of(cond)}")
    n = shape_of(a)[axis]
    if shape_of(cond)[0] > n:
        raise ValueError(f"compress: condition has {shape_of(cond)[0]} entries for an axis of {n}")
    idx = nonzero(cond, size=size, fill_value=-1)[0]
    out_ = fnp.take(a, fnp.maximum(idx, 0), axis=axis)
    if size is None:
        return out_
    shape = [1] * len(shape_of(a))
    shape[axis] = -1
    return fnp.where(fnp.reshape(fnp.less(idx, 0), tuple(shape)), fill_value, out_)


# ----------------------------------------------------------------------------- unique


def _sorted_flags(x, equal_nan):
    """``(order, sorted, first)``: the stable sorting permutation of the 1-d ``x``, the sorted
    values, and a mask of the first element of each run of equal values."""
    order = fnp.argsort(x)
    s = fnp.take(x, order)
    differs = fnp.not_equal(s[1:], s[:-1])
    if equal_nan and np.issubdtype(s.dtype, np.inexact):
        differs = fnp.logical_and(
            differs, fnp.logical_not(fnp.logical_and(fnp.isnan(s[1:]), fnp.isnan(s[:-1])))
        )
    first = fnp.concatenate([np.ones(min(shape_of(s)[0], 1), bool), differs])
    return order, s, first


def _pick(s, keep, size, fill_value):
    """The elements of the sorted ``s`` where ``keep`` holds, as exactly ``size`` entries."""
    n = shape_of(s)[0]
    pos = _positions(keep, size)
    valid = fnp.less(pos, n)
    vals = fnp.take(s, fnp.minimum(pos, max(n - 1, 0))) if n else fnp.zeros(size, s.dtype)
    if fill_value is None:  # the smallest kept value, 0 if none is kept
        fill_value = fnp.where(valid[0], vals[0], 0) if n else 0
    return fnp.where(valid, vals, fill_value), pos, valid


def unique(
    ar,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    *,
    equal_nan=True,
    size=None,
    fill_value=None,
    sorted=True,  # noqa: A002  (JAX's keyword)
):
    """The sorted unique elements of ``ar`` (optionally first indices, inverse, counts).

    Under a transformation pass ``size=`` (and ``axis=None``): the values are padded with
    ``fill_value`` (default: the smallest unique value), the indices with 0 and the counts
    with 0.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unique([3, 1, 3, 2]).tolist()
        [1, 2, 3]
        >>> fnp.unique([3, 1, 3], size=3, fill_value=0).tolist()
        [1, 3, 0]
    """
    if isinstance(ar, Tracer) and size is None:
        ar = _needs_size(ar, "unique")
    if not isinstance(ar, Tracer):
        res = np.unique(ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan)
        if size is None:
            return res
        if axis is not None:
            raise ValueError("unique: size= is supported with axis=None only")
        parts = list(res) if isinstance(res, tuple) else [res]
        vals = parts[0]
        fill = fill_value if fill_value is not None else (vals.min() if vals.size else 0)
        out = [_fit(vals, size, fill)]
        k = 1
        if return_index:
            out.append(_fit(parts[k], size, 0))
            k += 1
        if return_inverse:
            out.append(parts[k])
            k += 1
        if return_counts:
            out.append(_fit(parts[k], size, 0))
        return tuple(out) if len(out) > 1 else out[0]
    if axis is not None:
        raise ValueError("unique: traced input supports axis=None only (with size=)")
    x = fnp.ravel(_arr(ar))
    n = shape_of(x)[0]
    order, s, first = _sorted_flags(x, equal_nan)
    vals, pos, valid = _pick(s, first, size, fill_value)
    out = [vals]
    if return_index:
        idx = fnp.take(order, fnp.minimum(pos, max(n - 1, 0)))
        out.append(fnp.where(valid, idx, 0))
    group = fnp.subtract(fnp.cumsum(cast(first, np.dtype(np.intp))), 1)
    if return_inverse:
        inv = fnp.at(fnp.zeros(n, np.intp))[order].set(group)
        out.append(fnp.reshape(inv, shape_of(_arr(ar))) if len(shape_of(_arr(ar))) > 1 else inv)
    if return_counts:
        slot = fnp.where(fnp.less(group, size), group, size)
        counts = fnp.at(fnp.zeros(size + 1, np.intp))[slot].add(1)[:size]
        out.append(counts)
    return tuple(out) if len(out) > 1 else out[0]


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    """The array API's unique: values, first indices, inverse indices (shaped like ``x``) and
    counts.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unique_all([2, 1, 2]).counts.tolist()
        [1, 2]
    """
    v, i, inv, c = unique(x, True, True, True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueAllResult(v, i, fnp.reshape(inv, fnp.shape(x)), c)


def unique_counts(x, /, *, size=None, fill_value=None):
    """The array API's unique values and their counts.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unique_counts([2, 1, 2]).counts.tolist()
        [1, 2]
    """
    v, c = unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueCountsResult(v, c)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """The array API's unique values and the inverse indices (shaped like ``x``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unique_inverse([2, 1, 2]).inverse_indices.tolist()
        [1, 0, 1]
    """
    v, inv = unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value)
    return UniqueInverseResult(v, fnp.reshape(inv, fnp.shape(x)))


def unique_values(x, /, *, size=None, fill_value=None):
    """The array API's sorted unique values.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.unique_values([2, 1, 2]).tolist()
        [1, 2]
    """
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


# ----------------------------------------------------------------------------- set operations


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Whether each element of ``element`` appears in ``test_elements``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isin([1, 2, 3], [2, 3]).tolist()
        [False, True, True]
    """
    if not core._stack:
        return np.isin(
            element, test_elements, assume_unique=assume_unique, invert=invert, kind=kind
        )
    e = _arr(element)
    t = fnp.ravel(_arr(test_elements))
    hit = fnp.any(fnp.equal(fnp.expand_dims(e, -1), t), axis=-1)
    return fnp.logical_not(hit) if invert else hit


def _set_result(name, np_fn, size, fill_value, default_fill, *arrays, **kw):
    """Eager: NumPy's answer fitted to ``size``; traced: None (the caller computes it)."""
    if any(isinstance(a, Tracer) for a in arrays):
        if size is None:
            for a in arrays:
                if isinstance(a, Tracer):
                    _needs_size(a, name)
        return None
    res = np_fn(*arrays, **kw)
    if size is None:
        return res
    vals = res[0] if isinstance(res, tuple) else res
    fill = fill_value
    if fill is None:
        fill = (vals.min() if vals.size else 0) if default_fill == "min" else 0
    if isinstance(res, tuple):
        return (_fit(vals, size, fill),) + tuple(_fit(r, size, 0) for r in res[1:])
    return _fit(vals, size, fill)


def _concat_sorted(*arrays):
    x = fnp.concatenate([fnp.ravel(_arr(a)) for a in arrays])
    return _sorted_flags(x, True)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values in either array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.union1d([1, 3], [2, 3]).tolist()
        [1, 2, 3]
    """
    got = _set_result("union1d", np.union1d, size, fill_value, "min", ar1, ar2)
    if got is not None:
        return got
    return unique(
        fnp.concatenate([fnp.ravel(_arr(ar1)), fnp.ravel(_arr(ar2))]),
        size=size,
        fill_value=fill_value,
    )


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """The sorted unique values in both arrays (with ``return_indices``, where they are).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.intersect1d([1, 3, 4], [3, 1, 5]).tolist()
        [1, 3]
    """
    got = _set_result(
        "intersect1d",
        np.intersect1d,
        size,
        fill_value,
        "min",
        ar1,
        ar2,
        assume_unique=assume_unique,
        return_indices=return_indices,
    )
    if got is not None:
        return got
    x1, x2 = fnp.ravel(_arr(ar1)), fnp.ravel(_arr(ar2))
    order, s, first = _sorted_flags(x1, True)
    keep = fnp.logical_and(first, isin(s, x2))
    vals, pos, valid = _pick(s, keep, size, fill_value)
    if not return_indices:
        return vals
    n1 = shape_of(x1)[0]
    i1 = fnp.where(valid, fnp.take(order, fnp.minimum(pos, max(n1 - 1, 0))), 0)
    # the first position of each value in ar2
    matches = fnp.equal(fnp.expand_dims(vals, -1), x2)
    i2 = fnp.where(valid, fnp.argmax(matches, axis=-1), 0)
    return vals, i1, i2


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ``ar1`` that are not in ``ar2``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.setdiff1d([1, 2, 3, 2], [2]).tolist()
        [1, 3]
    """
    got = _set_result(
        "setdiff1d", np.setdiff1d, size, fill_value, "zero", ar1, ar2, assume_unique=assume_unique
    )
    if got is not None:
        return got
    x1, x2 = fnp.ravel(_arr(ar1)), fnp.ravel(_arr(ar2))
    _, s, first = _sorted_flags(x1, True)
    keep = fnp.logical_and(first, isin(s, x2, invert=True))
    return _pick(s, keep, size, fill_value if fill_value is not None else 0)[0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values in exactly one of the arrays.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.setxor1d([1, 2, 3], [2, 3, 4]).tolist()
        [1, 4]
    """
    got = _set_result(
        "setxor1d", np.setxor1d, size, fill_value, "zero", ar1, ar2, assume_unique=assume_unique
    )
    if got is not None:
        return got
    x1, x2 = fnp.ravel(_arr(ar1)), fnp.ravel(_arr(ar2))
    _, s, first = _concat_sorted(x1, x2)
    keep = fnp.logical_and(first, fnp.logical_xor(isin(s, x1), isin(s, x2)))
    return _pick(s, keep, size, fill_value if fill_value is not None else 0)[0]
