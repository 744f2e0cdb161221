"""Statistics: median, quantile/percentile, the nan-ignoring reductions, average, cov,
corrcoef, ptp, histograms, bincount, count_nonzero, interp, cumulative_sum/prod."""

from __future__ import annotations

import builtins

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import cast, normalize_axes, normalize_axis, to_operand

_SCALARS = (float, int, bool, complex)
_METHODS = (
    "linear",
    "lower",
    "higher",
    "nearest",
    "midpoint",
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _float(a):
    return a if np.issubdtype(a.dtype, np.inexact) else cast(a, np.dtype(np.float64))


# ----------------------------------------------------------------------------- quantiles


def _moved(a, axis):
    """``a`` with the reduced axes flattened into one last axis; and the kept shape."""
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    kept = [i for i in range(len(shape)) if i not in axes]
    a = fnp.transpose(a, kept + list(axes))
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    return fnp.reshape(a, tuple(shape[i] for i in kept) + (n,)), axes, n


def _keep(out, shape, axes, q_ndim):
    """Reinsert the reduced axes as size 1 (after the leading ``q`` dims)."""
    lead = shape_of(out)[:q_ndim]
    rest = list(shape_of(out)[q_ndim:])
    for i in sorted(axes):
        rest.insert(i, 1)
    return fnp.reshape(out, tuple(lead) + tuple(rest))


def _quantile_sorted(s, n, q, method):
    """Quantiles ``q`` (any shape) of the sorted last axis of ``s`` (length ``n``)."""
    q = _float(_arr(q))
    qshape = shape_of(q)
    qf = fnp.reshape(q, (-1,))
    if method in ("linear", "lower", "higher", "nearest", "midpoint"):
        virtual = fnp.multiply(qf, float(n - 1))
    else:
        alpha, beta = {
            "interpolated_inverted_cdf": (0.0, 1.0),
            "hazen": (0.5, 0.5),
            "weibull": (0.0, 0.0),
            "median_unbiased": (1 / 3, 1 / 3),
            "normal_unbiased": (3 / 8, 3 / 8),
            "inverted_cdf": None,
            "averaged_inverted_cdf": None,
            "closest_observation": None,
        }[method] or (None, None)
        if alpha is None:
            virtual = None
        else:
            virtual = fnp.subtract(fnp.add(fnp.multiply(qf, n + 1 - alpha - beta), alpha), 1.0)
    if method in ("inverted_cdf", "averaged_inverted_cdf", "closest_observation"):
        nq = fnp.multiply(qf, float(n))
        if method == "closest_observation":
            # NumPy: the order statistic at n q - 1/2 (1-based), the even one at exact ties
            index = fnp.subtract(nq, 1.5)
            below = fnp.floor(index)
            keep = fnp.logical_and(
                fnp.equal(index, below), fnp.equal(fnp.remainder(below, 2.0), 0.0)
            )
            k = fnp.where(keep, below, fnp.add(below, 1.0))
            return _gather_q(s, cast(fnp.clip(k, 0, n - 1), np.dtype(np.int64)), qshape)
        k = fnp.ceil(nq)
        low = cast(fnp.clip(fnp.subtract(k, 1), 0, n - 1), np.dtype(np.int64))
        if method == "inverted_cdf":
            return _gather_q(s, low, qshape)
        high = cast(fnp.clip(k, 0, n - 1), np.dtype(np.int64))
        exact = fnp.equal(nq, k)
        a, b = _gather_q(s, low, qshape), _gather_q(s, high, qshape)
        mid = fnp.multiply(fnp.add(a, b), 0.5)
        return fnp.where(_expand_q(exact, qshape, s), mid, a)
    virtual = fnp.clip(virtual, 0.0, float(n - 1))
    below = fnp.floor(virtual)
    lo = cast(below, np.dtype(np.int64))
    hi = cast(fnp.minimum(fnp.add(below, 1.0), float(n - 1)), np.dtype(np.int64))
    frac = fnp.subtract(virtual, below)
    if method == "lower":
        return _gather_q(s, lo, qshape)
    if method == "higher":
        return _gather_q(s, cast(fnp.ceil(virtual), np.dtype(np.int64)), qshape)
    if method == "nearest":
        idx = cast(fnp.round(virtual), np.dtype(np.int64))  # NumPy: round half to even
        return _gather_q(s, idx, qshape)
    a, b = _gather_q(s, lo, qshape), _gather_q(s, hi, qshape)
    if method == "midpoint":
        same = fnp.equal(lo, hi)
        return fnp.where(_expand_q(same, qshape, s), a, fnp.multiply(fnp.add(a, b), 0.5))
    w = _expand_q(cast(frac, s.dtype) if np.issubdtype(s.dtype, np.floating) else frac, qshape, s)
    # NumPy's lerp: a + w (b - a), and b - (b - a)(1 - w) for w >= 1/2
    d = fnp.subtract(b, a)
    return fnp.where(
        fnp.greater_equal(w, 0.5),
        fnp.subtract(b, fnp.multiply(d, fnp.subtract(1.0, w))),
        fnp.add(a, fnp.multiply(d, w)),
    )


def _gather_q(s, idx, qshape):
    """``s[..., idx]`` with the ``q`` axis moved first and reshaped to ``qshape``."""
    taken = fnp.take(s, idx, axis=-1)  # (..., nq)
    taken = fnp.moveaxis(taken, -1, 0)
    return fnp.reshape(taken, qshape + shape_of(taken)[1:])


def _expand_q(v, qshape, s):
    lead = shape_of(s)[:-1]
    return fnp.reshape(v, qshape + (1,) * len(lead))


def _check_q(q, name, scale):
    if isinstance(q, Tracer):
        return
    qa = np.asarray(q, dtype=float)
    if ((qa < 0) | (qa > scale)).any():
        raise ValueError(f"{name}: q must be in the range [0, {scale}], got {q!r}")


def _quantile(a, q, axis, method, keepdims, nan_aware, name):
    a = _float(_arr(a))
    if method not in _METHODS:
        raise ValueError(f"{name}: method {method!r} is not one of {list(_METHODS)}")
    shape = shape_of(a)
    flat, axes, n = _moved(a, axis)
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile of an empty axis")
    q_ndim = len(fnp.shape(q))
    if not nan_aware:
        s = fnp.sort(flat, axis=-1)
        out = _quantile_sorted(s, n, q, method)
        out = fnp.where(fnp.any(fnp.isnan(flat), axis=-1), np.nan, out)  # NaN propagates
    else:
        # sort NaNs last, then interpolate within the first `count` elements of each row
        s = fnp.sort(flat, axis=-1)
        count = fnp.sum(fnp.logical_not(fnp.isnan(flat)), axis=-1)
        out = _nan_quantile_sorted(s, count, q, method)
    if keepdims:
        out = _keep(out, shape, axes, q_ndim)
    return out


def _nan_quantile_sorted(s, count, q, method):
    """Linear-family quantiles of each row's first ``count`` (traced) sorted values."""
    q = _float(_arr(q))
    qshape = shape_of(q)
    qf = fnp.reshape(q, (-1,) + (1,) * len(shape_of(count)))
    last = fnp.maximum(fnp.subtract(count, 1), 0)
    virtual = fnp.multiply(qf, cast(last, s.dtype))  # (nq, ...)
    below = fnp.floor(virtual)
    lo = cast(below, np.dtype(np.int64))
    hi = cast(fnp.minimum(fnp.add(below, 1.0), cast(last, s.dtype)), np.dtype(np.int64))
    if method == "higher":
        lo = hi = cast(fnp.ceil(virtual), np.dtype(np.int64))
    elif method == "nearest":
        lo = hi = cast(fnp.round(virtual), np.dtype(np.int64))
    elif method == "lower":
        hi = lo
    src = fnp.moveaxis(fnp.broadcast_to(s, (shape_of(qf)[0],) + shape_of(s)), 0, -2)

    def pick(idx):
        idx = fnp.expand_dims(fnp.moveaxis(idx, 0, -1), -1)  # (..., nq, 1)
        return fnp.moveaxis(fnp.take_along_axis(src, idx, axis=-1)[..., 0], -1, 0)

    a, b = pick(lo), pick(hi)
    if method == "midpoint":
        out = fnp.where(fnp.equal(lo, hi), a, fnp.multiply(fnp.add(a, b), 0.5))
    elif method == "linear":
        w = fnp.subtract(virtual, below)
        d = fnp.subtract(b, a)
        out = fnp.where(
            fnp.greater_equal(w, 0.5),
            fnp.subtract(b, fnp.multiply(d, fnp.subtract(1.0, w))),
            fnp.add(a, fnp.multiply(d, w)),
        )
    else:
        out = a
    out = fnp.where(fnp.equal(count, 0), np.nan, out)
    return fnp.reshape(out, qshape + shape_of(out)[1:])


def quantile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """The ``q``-th quantiles (``q`` in [0, 1]) along ``axis``, with NumPy's 13 methods.

    The gradient goes to the one or two order statistics each quantile interpolates between
    (sorting's gradient, as in JAX).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.quantile([1.0, 2.0, 3.0, 4.0], 0.5))
        2.5
    """
    _no_out("quantile", out)
    method = interpolation or method
    _check_q(q, "quantile", 1)
    if not core._stack:
        return np.quantile(a, q, axis=axis, method=method, keepdims=keepdims, weights=weights)
    if weights is not None:
        raise ValueError(
            "quantile: weights= works on concrete arrays only (outside transformations)"
        )
    return _quantile(a, q, axis, method, keepdims, False, "quantile")


def percentile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """The ``q``-th percentiles (``q`` in [0, 100]) along ``axis``; see
    [`quantile`][ftrans.numpy.quantile].

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.percentile([1.0, 2.0, 3.0, 4.0], 25))
        1.75
    """
    _no_out("percentile", out)
    _check_q(q, "percentile", 100)
    if not core._stack:
        return np.percentile(
            a, q, axis=axis, method=interpolation or method, keepdims=keepdims, weights=weights
        )
    return quantile(
        a, fnp.divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims
    )


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along ``axis`` (the mean of the two middle values for even counts).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.median([3.0, 1.0, 2.0]))
        2.0
    """
    _no_out("median", out)
    if not core._stack:
        return np.median(a, axis=axis, keepdims=keepdims)
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


def _nan_methods(method, name):
    if method not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise ValueError(
            f"{name}: traced inputs support the methods linear, lower, higher, nearest and "
            f"midpoint, got {method!r}"
        )


def nanquantile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """[`quantile`][ftrans.numpy.quantile] ignoring NaNs (NaN where a slice is all NaN).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanquantile([1.0, float("nan"), 3.0], 0.5))
        2.0
    """
    _no_out("nanquantile", out)
    method = interpolation or method
    _check_q(q, "nanquantile", 1)
    if not core._stack:
        return np.nanquantile(a, q, axis=axis, method=method, keepdims=keepdims, weights=weights)
    _nan_methods(method, "nanquantile")
    return _quantile(a, q, axis, method, keepdims, True, "nanquantile")


def nanpercentile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """`percentile` ignoring NaNs.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanpercentile([1.0, float("nan"), 3.0], 50))
        2.0
    """
    _no_out("nanpercentile", out)
    _check_q(q, "nanpercentile", 100)
    if not core._stack:
        return np.nanpercentile(
            a, q, axis=axis, method=interpolation or method, keepdims=keepdims, weights=weights
        )
    return nanquantile(
        a, fnp.divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims
    )


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`median` ignoring NaNs.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanmedian([1.0, float("nan"), 3.0]))
        2.0
    """
    _no_out("nanmedian", out)
    if not core._stack:
        return np.nanmedian(a, axis=axis, keepdims=keepdims)
    return nanquantile(a, 0.5, axis=axis, keepdims=keepdims)


def _no_out(name, out):
    if out is not None:
        raise ValueError(
            f"{name}: the out argument is not supported (ftrans arrays are immutable); use the "
            "returned array"
        )


# ----------------------------------------------------------------------------- nan reductions


def _nan_replaced(a, value):
    a = _arr(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return a
    return fnp.where(fnp.isnan(a), value, a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """`sum` treating NaNs as zero.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nansum([1.0, float("nan"), 2.0]))
        3.0
    """
    _no_out("nansum", out)
    if not core._stack:
        return np.nansum(
            a, axis=axis, dtype=dtype, keepdims=keepdims, **_opt(initial=initial, where=where)
        )
    return fnp.sum(
        _nan_replaced(a, 0), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where
    )


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """`prod` treating NaNs as one.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanprod([2.0, float("nan"), 3.0]))
        6.0
    """
    _no_out("nanprod", out)
    if not core._stack:
        return np.nanprod(
            a, axis=axis, dtype=dtype, keepdims=keepdims, **_opt(initial=initial, where=where)
        )
    return fnp.prod(
        _nan_replaced(a, 1), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where
    )


def _opt(**kw):
    return {k: v for k, v in kw.items() if v is not None}


def _nan_count(a, axis, keepdims, where=None):
    valid = fnp.logical_not(fnp.isnan(a))
    if where is not None:
        valid = fnp.logical_and(valid, where)
    return fnp.sum(valid, axis=axis, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """`mean` of the non-NaN elements (NaN for an all-NaN slice).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanmean([1.0, float("nan"), 2.0]))
        1.5
    """
    _no_out("nanmean", out)
    if not core._stack:
        return np.nanmean(a, axis=axis, dtype=dtype, keepdims=keepdims, **_opt(where=where))
    a = _arr(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return fnp.mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    total = nansum(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    count = _nan_count(a, axis, keepdims, where)
    return fnp.divide(total, cast(_arr(count), _arr(total).dtype))


def nanvar(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    where=None,
    *,
    mean=None,
    correction=None,
):
    """`var` of the non-NaN elements.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanvar([1.0, float("nan"), 3.0]))
        1.0
    """
    _no_out("nanvar", out)
    if correction is not None:
        ddof = correction
    if not core._stack:
        return np.nanvar(
            a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, **_opt(where=where, mean=mean)
        )
    a = _arr(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return fnp.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where)
    mu = nanmean(a, axis=axis, dtype=dtype, keepdims=True, where=where) if mean is None else mean
    centered = fnp.subtract(a, mu)
    if fnp.iscomplexobj(centered):
        sq = fnp.add(fnp.square(fnp.real(centered)), fnp.square(fnp.imag(centered)))
    else:
        sq = fnp.square(centered)
    total = nansum(sq, axis=axis, keepdims=keepdims, where=where)
    count = _nan_count(a, axis, keepdims, where)
    denom = fnp.maximum(fnp.subtract(count, ddof), 0)
    return fnp.divide(total, cast(_arr(denom), _arr(total).dtype))


def nanstd(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    where=None,
    *,
    mean=None,
    correction=None,
):
    """`std` of the non-NaN elements.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.nanstd([1.0, float("nan"), 3.0]))
        1.0
    """
    _no_out("nanstd", out)
    if correction is not None:
        ddof = correction
    if not core._stack:
        return np.nanstd(
            a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, **_opt(where=where, mean=mean)
        )
    return fnp.sqrt(
        nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, mean=mean)
    )


def _nan_extremum(np_fn, fn, fill, name):
    def reduce(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _no_out(name, out)
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims, **_opt(initial=initial, where=where))
        a = _arr(a)
        if not np.issubdtype(a.dtype, np.inexact):
            return fn(a, axis=axis, keepdims=keepdims, initial=initial, where=where)
        nan = fnp.isnan(a)
        out_ = fn(
            fnp.where(nan, fill, a), axis=axis, keepdims=keepdims, initial=initial, where=where
        )
        all_nan = fnp.all(nan, axis=axis, keepdims=keepdims)
        return fnp.where(all_nan, np.nan, out_) if initial is None else out_

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (
        f"``numpy.{name}``: the {'largest' if fill < 0 else 'smallest'} non-NaN element "
        "(NaN for an all-NaN slice).\n\n    Examples:\n        >>> import ftrans.numpy as fnp\n"
        f"        >>> float(fnp.{name}([1.0, float('nan'), 2.0]))\n"
        f"        {float(np_fn([1.0, np.nan, 2.0]))}\n"
    )
    return reduce


nanmax = _nan_extremum(np.nanmax, lambda *a, **k: fnp.max(*a, **k), -np.inf, "nanmax")
nanmin = _nan_extremum(np.nanmin, lambda *a, **k: fnp.min(*a, **k), np.inf, "nanmin")


def _nan_arg(np_fn, fn, fill, name):
    def arg(a, axis=None, out=None, keepdims=False):
        _no_out(name, out)
        if not core._stack:
            return np_fn(a, axis=axis, keepdims=keepdims)
        a = _arr(a)
        if not np.issubdtype(a.dtype, np.inexact):
            return fn(a, axis=axis, keepdims=keepdims)
        nan = fnp.isnan(a)
        idx = fn(fnp.where(nan, fill, a), axis=axis, keepdims=keepdims)
        return fnp.where(fnp.all(nan, axis=axis, keepdims=keepdims), -1, idx)

    arg.__name__ = arg.__qualname__ = name
    arg.__doc__ = (
        f"``numpy.{name}``, ignoring NaNs; an all-NaN slice gives -1 (JAX's rule: NumPy "
        "raises).\n\n    Examples:\n        >>> import ftrans.numpy as fnp\n"
        f"        >>> int(fnp.{name}([1.0, float('nan'), 2.0]))\n"
        f"        {int(np_fn([1.0, np.nan, 2.0]))}\n"
    )
    return arg


nanargmax = _nan_arg(np.nanargmax, lambda *a, **k: fnp.argmax(*a, **k), -np.inf, "nanargmax")
nanargmin = _nan_arg(np.nanargmin, lambda *a, **k: fnp.argmin(*a, **k), np.inf, "nanargmin")


def nancumsum(a, axis=None, dtype=None, out=None):
    """`cumsum` treating NaNs as zero.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.nancumsum([1.0, float("nan"), 2.0]).tolist()
        [1.0, 1.0, 3.0]
    """
    _no_out("nancumsum", out)
    if not core._stack:
        return np.nancumsum(a, axis=axis, dtype=dtype)
    return fnp.cumsum(_nan_replaced(a, 0), axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """`cumprod` treating NaNs as one.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.nancumprod([2.0, float("nan"), 3.0]).tolist()
        [2.0, 2.0, 6.0]
    """
    _no_out("nancumprod", out)
    if not core._stack:
        return np.nancumprod(a, axis=axis, dtype=dtype)
    return fnp.cumprod(_nan_replaced(a, 1), axis=axis, dtype=dtype)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """The array API's cumulative sum: ``axis`` is required for arrays of 2+ dimensions, and
    ``include_initial`` prepends a zero.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.cumulative_sum([1, 2, 3], include_initial=True).tolist()
        [0, 1, 3, 6]
    """
    return _cumulative(np.cumulative_sum, fnp.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """The array API's cumulative product (``include_initial`` prepends a one).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.cumulative_prod([1, 2, 3], include_initial=True).tolist()
        [1, 1, 2, 6]
    """
    return _cumulative(np.cumulative_prod, fnp.cumprod, 1, x, axis, dtype, include_initial)


def _cumulative(np_fn, fn, initial, x, axis, dtype, include_initial):
    if not core._stack:
        return np_fn(x, axis=axis, dtype=dtype, include_initial=include_initial)
    x = _arr(x)
    ndim = len(shape_of(x))
    if axis is None:
        if ndim > 1:
            raise ValueError(
                f"{np_fn.__name__}: axis must be given for an array of dimension {ndim}"
            )
        axis = 0
    if ndim == 0:
        x = fnp.reshape(x, (1,))
    out = fn(x, axis=axis, dtype=dtype)
    if include_initial:
        ax = normalize_axis(axis, len(shape_of(out)))
        shape = list(shape_of(out))
        shape[ax] = 1
        out = fnp.concatenate([fnp.full(tuple(shape), initial, out.dtype), out], axis=ax)
    return out


# ----------------------------------------------------------------------------- moments


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted mean along ``axis`` (``weights`` of ``a``'s shape, or 1-d along ``axis``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.average([1.0, 3.0], weights=[3.0, 1.0]))
        1.5
    """
    if not core._stack:
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    a = _arr(a)
    if weights is None:
        avg = fnp.mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = np.prod([shape_of(a)[i] for i in normalize_axes(axis, len(shape_of(a)))])
        return avg, fnp.full(fnp.shape(avg), count, _arr(avg).dtype)
    w = _arr(weights)
    if shape_of(w) != shape_of(a):
        if axis is None:
            raise TypeError("average: axis must be specified when shapes of a and weights differ")
        if len(shape_of(w)) != 1:
            raise TypeError("average: 1D weights expected when shapes of a and weights differ")
        ax = normalize_axis(axis, len(shape_of(a)))
        if shape_of(w)[0] != shape_of(a)[ax]:
            raise ValueError("average: length of weights not compatible with specified axis")
        view = [1] * len(shape_of(a))
        view[ax] = -1
        w = fnp.broadcast_to(fnp.reshape(w, tuple(view)), shape_of(a))
    dtype = np.result_type(a.dtype, w.dtype, np.float64 if a.dtype.kind in "biu" else a.dtype)
    a, w = cast(a, dtype), cast(w, dtype)
    scale = fnp.sum(w, axis=axis, keepdims=keepdims)
    avg = fnp.divide(fnp.sum(fnp.multiply(a, w), axis=axis, keepdims=keepdims), scale)
    return (avg, fnp.broadcast_to(scale, fnp.shape(avg))) if returned else avg


def ptp(a, axis=None, out=None, keepdims=False):
    """Peak to peak: ``max - min`` along ``axis``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.ptp([1.0, 5.0, 2.0]))
        4.0
    """
    _no_out("ptp", out)
    if not core._stack:
        return np.ptp(a, axis=axis, keepdims=keepdims)
    return fnp.subtract(
        fnp.max(a, axis=axis, keepdims=keepdims), fnp.min(a, axis=axis, keepdims=keepdims)
    )


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """Covariance matrix of the variables in the rows (``rowvar``) or columns of ``m``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.cov([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]).tolist()
        [[1.0, -1.0], [-1.0, 1.0]]
    """
    if not core._stack:
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    m = _arr(m)
    if len(shape_of(m)) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {shape_of(m)})")
    x = fnp.atleast_2d(m)
    if not rowvar and shape_of(x)[0] != 1:
        x = fnp.transpose(x)
    if y is not None:
        yy = fnp.atleast_2d(_arr(y))
        if not rowvar and shape_of(yy)[0] != 1:
            yy = fnp.transpose(yy)
        x = fnp.concatenate([x, yy], axis=0)
    dtype = dtype or np.result_type(x.dtype, np.float64)  # NumPy computes cov in float64
    x = cast(x, np.dtype(dtype))
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = cast(_arr(fweights), x.dtype)
    if aweights is not None:
        aw = cast(_arr(aweights), x.dtype)
        w = aw if w is None else fnp.multiply(w, aw)
    n = shape_of(x)[1]
    if w is None:
        avg = fnp.mean(x, axis=1, keepdims=True)
        fact = float(n - ddof)
        xc = fnp.subtract(x, avg)
        c = fnp.divide(fnp.matmul(xc, fnp.conj(fnp.transpose(xc))), fact)
    else:
        w_sum = fnp.sum(w)
        avg = fnp.divide(fnp.sum(fnp.multiply(x, w), axis=1, keepdims=True), w_sum)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = fnp.subtract(w_sum, ddof)
        else:
            fact = fnp.subtract(
                w_sum, fnp.divide(fnp.multiply(ddof, fnp.sum(fnp.multiply(w, aw))), w_sum)
            )
        xc = fnp.subtract(x, avg)
        c = fnp.divide(fnp.matmul(fnp.multiply(xc, w), fnp.conj(fnp.transpose(xc))), fact)
    return fnp.squeeze(c) if shape_of(c) == (1, 1) else c


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients, ``cov / sqrt(outer(diag(cov), diag(cov)))``, clipped to
    [-1, 1] (real part for complex).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.corrcoef([0.0, 1.0, 2.0], [2.0, 1.0, 0.0]).tolist()
        [[1.0, -1.0], [-1.0, 1.0]]
    """
    if not core._stack:
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if len(shape_of(_arr(c))) == 0:
        return fnp.divide(c, c)
    d = fnp.diagonal(c)
    sd = fnp.sqrt(fnp.real(d))
    c = fnp.divide(fnp.divide(c, sd[:, None]), sd[None, :])
    if fnp.iscomplexobj(c):
        return fnp.clip(fnp.real(c), -1, 1) + 1j * fnp.clip(fnp.imag(c), -1, 1)
    return fnp.clip(c, -1, 1)


# ----------------------------------------------------------------------------- counting


def count_nonzero(a, axis=None, keepdims=False):
    """The number of nonzero elements along ``axis`` (int64).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> int(fnp.count_nonzero([0, 1, 2, 0]))
        2
    """
    if not core._stack:
        return np.count_nonzero(a, axis=axis, keepdims=keepdims)
    a = _arr(a)
    return fnp.sum(fnp.not_equal(a, 0), axis=axis, keepdims=keepdims, dtype=np.intp)


def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts (or summed ``weights``) of each value of the non-negative integers ``x``.

    Under a transformation the number of bins must be static: pass ``length=`` (JAX's
    keyword), values at or past it are dropped. Eagerly it defaults to ``max(x) + 1``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.bincount([0, 1, 1, 3]).tolist()
        [1, 2, 0, 1]
        >>> fnp.bincount([0, 1, 1], length=4).tolist()
        [1, 2, 0, 0]
    """
    if not core._stack:
        out = np.bincount(x, weights, minlength)
        if length is not None:
            out = (
                out[:length] if out.shape[0] >= length else np.pad(out, (0, length - out.shape[0]))
            )
        return out
    x = _arr(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"bincount: x must be an integer array, got dtype {x.dtype}")
    if len(shape_of(x)) != 1:
        raise ValueError(f"bincount: x must be 1-dimensional, got shape {shape_of(x)}")
    if length is None:
        if isinstance(x, Tracer):
            top = x.to_concrete(
                "bincount without length= (the number of bins depends on max(x)); pass length="
            )
        else:
            top = x
        length = builtins.max(int(np.max(top)) + 1 if np.size(top) else 0, minlength)
    if weights is None:
        w = fnp.ones(shape_of(x), np.intp)
    else:
        w = _arr(weights)
        if w.dtype.kind in "biu":
            w = cast(w, np.dtype(np.float64))
    idx = fnp.where(fnp.logical_and(fnp.greater_equal(x, 0), fnp.less(x, length)), x, length)
    out = fnp.at(fnp.zeros(length + 1, _arr(w).dtype))[idx].add(w)
    return out[:length]


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """The bin edges `histogram` uses (``bins`` a count, or the edges themselves).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.histogram_bin_edges([0.0, 1.0], bins=2).tolist()
        [0.0, 0.5, 1.0]
    """
    if not core._stack:
        return np.histogram_bin_edges(a, bins, range, weights)
    a = fnp.ravel(_arr(a))
    if isinstance(bins, str):
        raise ValueError("histogram_bin_edges: string bin rules need concrete data; pass a count")
    if np.ndim(bins) == 1 or isinstance(bins, Tracer):
        return _arr(bins)
    bins = int(bins)
    if range is None:
        lo, hi = fnp.min(a), fnp.max(a)
    else:
        lo, hi = range
    dtype = np.result_type(a.dtype, np.float64 if a.dtype.kind in "biu" else a.dtype)
    lo = fnp.asarray(lo).astype(dtype)
    hi = fnp.asarray(hi).astype(dtype)
    same = fnp.equal(lo, hi)
    lo, hi = fnp.where(same, fnp.subtract(lo, 0.5), lo), fnp.where(same, fnp.add(hi, 0.5), hi)
    return fnp.linspace(lo, hi, bins + 1, dtype=dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """Counts (or summed weights) of ``a`` in each bin, and the bin edges; the last bin is
    closed on the right.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [v.tolist() for v in fnp.histogram([0.0, 0.2, 1.0], bins=2)]
        [[2, 1], [0.0, 0.5, 1.0]]
    """
    if not core._stack:
        return np.histogram(a, bins, range, weights=weights, density=density)
    a = fnp.ravel(_arr(a))
    edges = histogram_bin_edges(a, bins, range)
    n = shape_of(edges)[0] - 1
    idx = fnp.subtract(fnp.searchsorted(edges, a, side="right"), 1)
    idx = fnp.where(fnp.equal(a, edges[-1]), n - 1, idx)  # the last bin includes its edge
    outside = fnp.logical_or(fnp.less(a, edges[0]), fnp.greater(a, edges[-1]))
    idx = fnp.where(outside, n, idx)
    w = fnp.ones(shape_of(a), np.intp) if weights is None else fnp.ravel(_arr(weights))
    counts = fnp.at(fnp.zeros(n + 1, _arr(w).dtype))[idx].add(w)[:n]
    if density:
        widths = fnp.diff(edges)
        counts = fnp.divide(fnp.divide(counts, widths), fnp.sum(counts))
    return counts, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """A D-dimensional histogram of ``sample`` of shape ``(N, D)``; returns the counts and the
    list of edges per dimension.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> h, edges = fnp.histogramdd(fnp.array([[0.0, 0.0], [1.0, 1.0]]), bins=2)
        >>> h.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if not core._stack:
        return np.histogramdd(sample, bins, range, density, weights)
    if isinstance(sample, (list, tuple)):  # NumPy: a sequence of D coordinate arrays
        sample = fnp.stack([fnp.ravel(_arr(c)) for c in sample], axis=-1)
    sample = _arr(sample)
    if len(shape_of(sample)) == 1:
        sample = fnp.reshape(sample, (-1, 1))
    n, d = shape_of(sample)
    bins_list = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = list(range) if range is not None else [None] * d
    edges = [histogram_bin_edges(sample[:, i], bins_list[i], ranges[i]) for i in builtins.range(d)]
    sizes = [shape_of(e)[0] - 1 for e in edges]
    flat = None
    inside = None
    for i, e in enumerate(edges):
        col = sample[:, i]
        k = fnp.subtract(fnp.searchsorted(e, col, side="right"), 1)
        k = fnp.where(fnp.equal(col, e[-1]), sizes[i] - 1, k)
        ok = fnp.logical_and(fnp.greater_equal(col, e[0]), fnp.less_equal(col, e[-1]))
        inside = ok if inside is None else fnp.logical_and(inside, ok)
        flat = k if flat is None else fnp.add(fnp.multiply(flat, sizes[i]), k)
    total = int(np.prod(sizes))
    flat = fnp.where(inside, flat, total)
    w = fnp.ones(n) if weights is None else cast(_arr(weights), np.dtype(np.float64))
    counts = fnp.at(fnp.zeros(total + 1, _arr(w).dtype))[flat].add(w)[:total]
    counts = fnp.reshape(counts, tuple(sizes))
    if density:
        vol = None
        for i, e in enumerate(edges):
            width = fnp.diff(e)
            shape = [1] * d
            shape[i] = -1
            width = fnp.reshape(width, tuple(shape))
            vol = width if vol is None else fnp.multiply(vol, width)
        counts = fnp.divide(fnp.divide(counts, vol), fnp.sum(counts))
    return counts, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """A 2-d histogram of the points ``(x, y)``: counts and the x and y edges.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> h, ex, ey = fnp.histogram2d([0.0, 1.0], [0.0, 1.0], bins=2)
        >>> h.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if not core._stack:
        return np.histogram2d(x, y, bins, range, density, weights)
    sample = fnp.stack([fnp.ravel(_arr(x)), fnp.ravel(_arr(y))], axis=1)
    counts, edges = histogramdd(sample, bins, range, weights, density)
    return counts, edges[0], edges[1]


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``.

    Differentiable in ``x``, ``xp`` and ``fp``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.interp([0.5, 1.5, 3.0], [0.0, 1.0, 2.0], [0.0, 10.0, 20.0]).tolist()
        [5.0, 15.0, 20.0]
    """
    if not core._stack:
        return np.interp(x, xp, fp, left, right, period)
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if len(shape_of(xp)) != 1 or shape_of(xp) != shape_of(fp):
        raise ValueError(
            f"interp: xp and fp must be 1-d arrays of the same length, got shapes "
            f"{shape_of(xp)} and {shape_of(fp)}"
        )
    complex_fp = fnp.iscomplexobj(fp)
    dtype = np.result_type(x.dtype, xp.dtype, np.float64 if x.dtype.kind in "biu" else x.dtype)
    x, xp = cast(x, dtype), cast(xp, dtype)
    if not complex_fp:
        fp = cast(fp, np.result_type(fp.dtype, dtype))
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = builtins.abs(period)
        x = fnp.mod(x, period)
        xp = fnp.mod(xp, period)
        order = fnp.argsort(xp)
        xp, fp = fnp.take(xp, order), fnp.take(fp, order)
        xp = fnp.concatenate([fnp.subtract(xp[-1:], period), xp, fnp.add(xp[0:1], period)])
        fp = fnp.concatenate([fp[-1:], fp, fp[0:1]])
        left = right = None
    n = shape_of(xp)[0]
    i = fnp.clip(fnp.searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1 = fnp.take(xp, i - 1), fnp.take(xp, i)
    f0, f1 = fnp.take(fp, i - 1), fnp.take(fp, i)
    dx = fnp.subtract(x1, x0)
    safe = fnp.where(fnp.equal(dx, 0), 1.0, dx)
    t = fnp.divide(fnp.subtract(x, x0), safe)
    out = fnp.add(f0, fnp.multiply(t, fnp.subtract(f1, f0)))
    out = fnp.where(fnp.equal(dx, 0), f1, out)
    if period is None:
        lo = fp[0] if left is None else left
        hi = fp[-1] if right is None else right
        out = fnp.where(fnp.less(x, xp[0]), lo, out)
        out = fnp.where(fnp.greater(x, xp[-1]), hi, out)
        out = fnp.where(fnp.equal(x, xp[-1]), fp[-1], out)
    return out
