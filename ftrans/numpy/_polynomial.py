"""Polynomials (coefficients highest power first, as ``numpy.poly*``), convolution and
correlation of 1-d sequences, the Vandermonde matrix, and the window functions."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import cast, to_operand

_SCALARS = (float, int, bool, complex)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _vector(x, name, what="input"):
    x = _arr(x)
    if len(shape_of(x)) == 0:
        x = fnp.reshape(x, (1,))
    if len(shape_of(x)) != 1:
        raise ValueError(f"{name}: {what} must be 1-d, got shape {shape_of(x)}")
    return x


# ----------------------------------------------------------------------------- convolution


def _conv_full(a, v):
    """The full convolution of 1-d ``a`` (length n) and ``v`` (length m) as one matrix product
    with the banded matrix ``V[k, i] = v[k - i]`` (built with one gather)."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    length = n + m - 1
    padded = fnp.pad(v, (n - 1, n - 1))
    rows = np.arange(length)[:, None] - np.arange(n)[None, :] + (n - 1)
    band = fnp.take(padded, rows)
    return fnp.matmul(band, a)


def _conv_mode(full, n, m, mode, name):
    if mode == "full":
        return full
    if mode == "same":
        size = max(n, m)
        start = (min(n, m) - 1) // 2
    elif mode == "valid":
        size = max(n, m) - min(n, m) + 1
        start = min(n, m) - 1
    else:
        raise ValueError(f"{name}: mode must be one of 'full', 'same', 'valid', got {mode!r}")
    return full[start : start + size]


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-d sequences (``mode`` full, same or valid).

    ``precision`` is accepted for JAX compatibility and ignored (NumPy computes at the
    operands' precision); ``preferred_element_type`` sets the result dtype.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).tolist()
        [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    if not core._stack:
        out = np.convolve(a, v, mode)
        return out if preferred_element_type is None else out.astype(preferred_element_type)
    a, v = _vector(a, "convolve", "a"), _vector(v, "convolve", "v")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0 or m == 0:
        raise ValueError("convolve: inputs cannot be empty")
    dtype = np.result_type(a.dtype, v.dtype)
    a, v = cast(a, dtype), cast(v, dtype)
    full = _conv_full(a, v) if n <= m else _conv_full(v, a)
    out = _conv_mode(full, n, m, mode, "convolve")
    return out if preferred_element_type is None else cast(out, np.dtype(preferred_element_type))


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-d sequences, ``c[k] = sum_n a[n + k] conj(v[n])``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).tolist()
        [3.5]
    """
    if not core._stack:
        out = np.correlate(a, v, mode)
        return out if preferred_element_type is None else out.astype(preferred_element_type)
    a, v = _vector(a, "correlate", "a"), _vector(v, "correlate", "v")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0 or m == 0:
        raise ValueError("correlate: inputs cannot be empty")
    full = convolve(a, fnp.conj(fnp.flip(v)), "full")
    if n < m:  # NumPy swaps the operands and reverses the result
        full = fnp.flip(convolve(v, fnp.conj(fnp.flip(a)), "full"))
        full = fnp.conj(full) if fnp.iscomplexobj(full) else full
    out = _conv_mode(full, n, m, mode, "correlate")
    return out if preferred_element_type is None else cast(out, np.dtype(preferred_element_type))


# ----------------------------------------------------------------------------- polynomials


def polyval(p, x, *, unroll=16):
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's rule.

    ``unroll`` (JAX's keyword) is accepted and ignored: the loop is unrolled while tracing.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polyval([1.0, 0.0, -1.0], [2.0, 3.0]).tolist()
        [3.0, 8.0]
    """
    if not core._stack:
        return np.polyval(p, x)
    p, x = _arr(p), _arr(x)
    n = shape_of(p)[0] if shape_of(p) else 1
    y = fnp.zeros_like(x, dtype=np.result_type(p.dtype, x.dtype))
    for i in range(n):
        y = fnp.add(fnp.multiply(y, x), p[i] if shape_of(p) else p)
    return y


def _pad_front(a, n):
    k = shape_of(a)[0]
    return fnp.pad(a, (n - k, 0)) if k < n else a


def polyadd(a1, a2):
    """Sum of two polynomials.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polyadd([1, 2], [1, 0, 0]).tolist()
        [1, 1, 2]
    """
    if not core._stack:
        return np.polyadd(a1, a2)
    a1, a2 = _vector(a1, "polyadd"), _vector(a2, "polyadd")
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return fnp.add(_pad_front(a1, n), _pad_front(a2, n))


def polysub(a1, a2):
    """Difference of two polynomials.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polysub([1, 2], [1, 0, 0]).tolist()
        [-1, 1, 2]
    """
    if not core._stack:
        return np.polysub(a1, a2)
    a1, a2 = _vector(a1, "polysub"), _vector(a2, "polysub")
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return fnp.subtract(_pad_front(a1, n), _pad_front(a2, n))


def polymul(a1, a2, *, trim_leading_zeros=False):
    """Product of two polynomials (the convolution of their coefficients).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polymul([1, 1], [1, -1]).tolist()
        [1, 0, -1]
    """
    if not core._stack:
        return np.polymul(a1, a2)
    return convolve(_vector(a1, "polymul"), _vector(a2, "polymul"))


def polyder(p, m=1):
    """The ``m``-th derivative of a polynomial.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polyder([1, 0, 0]).tolist()
        [2, 0]
    """
    if not core._stack:
        return np.polyder(p, m)
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive (see polyint)")
    p = _vector(p, "polyder")
    for _ in range(m):
        n = shape_of(p)[0]
        if n <= 1:
            return fnp.zeros(1, p.dtype)
        p = fnp.multiply(p[:-1], np.arange(n - 1, 0, -1))
    return p


def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative of a polynomial, with integration constants ``k``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.polyint([3.0, 2.0]).tolist()
        [1.5, 2.0, 0.0]
    """
    if not core._stack:
        return np.polyint(p, m, k)
    if m < 0:
        raise ValueError("polyint: order of integral must be positive (see polyder)")
    p = _vector(p, "polyint")
    if k is None:
        ks = [0.0] * m
    elif isinstance(k, Tracer) or np.ndim(k) == 0:
        ks = [k] * m
    else:
        ks = list(k)
        if len(ks) == 1:
            ks = ks * m
        if len(ks) != m:
            raise ValueError(f"polyint: k must be a scalar or a sequence of length m={m}")
    if not np.issubdtype(p.dtype, np.inexact):
        p = cast(p, np.dtype(np.float64))
    for i in range(m):
        n = shape_of(p)[0]
        p = fnp.concatenate(
            [fnp.divide(p, np.arange(n, 0, -1).astype(float)), fnp.reshape(_arr(ks[i]), (1,))]
        )
    return p


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of polynomial division ``u / v`` (static lengths).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [r.tolist() for r in fnp.polydiv([1.0, 0.0, -1.0], [1.0, 1.0])]
        [[1.0, -1.0], [0.0]]
    """
    if not core._stack:
        return np.polydiv(u, v)
    u, v = _vector(u, "polydiv"), _vector(v, "polydiv")
    dtype = np.result_type(u.dtype, v.dtype, np.float64 if u.dtype.kind in "biu" else u.dtype)
    u, v = cast(u, dtype), cast(v, dtype)
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = fnp.divide(1.0, v[0])
    r = u
    q = []
    for k in range(max(m - n + 1, 0)):
        d = fnp.multiply(scale, r[k])
        q.append(d)
        r = fnp.concatenate(
            [r[:k], fnp.subtract(r[k : k + n + 1], fnp.multiply(d, v)), r[k + n + 1 :]]
        )
    quotient = fnp.stack(q) if q else fnp.zeros(1, dtype)
    # NumPy then strips further leading (near-)zeros of the remainder, a value-dependent
    # length; here the remainder keeps the static length max(n, 1)
    rem = r[max(m - n + 1, 0) :] if m >= n else r
    if shape_of(rem)[0] == 0:
        rem = fnp.zeros(1, dtype)
    return quotient, rem


def poly(seq_of_zeros):
    """The coefficients of the monic polynomial with the given roots (or of a square
    matrix's characteristic polynomial, concrete matrices only).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.poly([1.0, 2.0]).tolist()
        [1.0, -3.0, 2.0]
    """
    if not isinstance(seq_of_zeros, Tracer) and not core._stack:
        return np.poly(seq_of_zeros)
    z = _arr(seq_of_zeros)
    shape = shape_of(z)
    if len(shape) == 2 and shape[0] == shape[1] and shape[0] > 0:
        z = fnp.linalg.eigvals(z)
    elif len(shape) != 1:
        raise ValueError(f"poly: input must be 1d or non-empty square 2d array, got {shape}")
    out = fnp.ones(1, np.result_type(z.dtype, np.float64 if z.dtype.kind in "biu" else z.dtype))
    for i in range(shape_of(z)[0]):
        out = convolve(out, fnp.stack([fnp.ones((), out.dtype), fnp.negative(z[i])]))
    return out


def roots(p, *, strip_zeros=True):
    """The roots of a polynomial: the eigenvalues of its companion matrix.

    Leading zeros are stripped (which needs concrete coefficients under ``jit``; pass
    ``strip_zeros=False`` to keep the shape static); trailing zeros give roots at 0.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> sorted(fnp.roots([1.0, -3.0, 2.0]).real.round(6).tolist())
        [1.0, 2.0]
    """
    if not isinstance(p, Tracer):
        return np.roots(p)
    p = _vector(p, "roots")
    if strip_zeros:
        conc = p.to_concrete("roots(strip_zeros=True)") if isinstance(p, Tracer) else p
        nz = np.flatnonzero(np.asarray(conc))
        if nz.size == 0:
            return np.array([])
        trailing = shape_of(p)[0] - 1 - int(nz[-1])
        p = p[int(nz[0]) : int(nz[-1]) + 1]
    else:
        trailing = 0
    n = shape_of(p)[0]
    if n < 2:
        return fnp.zeros(trailing, complex)
    dtype = np.result_type(p.dtype, np.float64 if p.dtype.kind in "biu" else p.dtype)
    p = cast(p, dtype)
    companion = fnp.concatenate(
        [fnp.reshape(fnp.divide(fnp.negative(p[1:]), p[0]), (1, n - 1)), np.eye(n - 2, n - 1)],
        axis=0,
    )
    r = fnp.linalg.eigvals(companion)
    return fnp.concatenate([r, fnp.zeros(trailing, r.dtype)]) if trailing else r


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree ``deg`` (coefficients highest power first).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [round(c, 6) for c in fnp.polyfit([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1).tolist()]
        [2.0, 1.0]
    """
    if not core._stack:
        return np.polyfit(x, y, deg, rcond, full, w, cov)
    x, y = _arr(x), _arr(y)
    deg = int(deg)
    order = deg + 1
    dtype = np.result_type(x.dtype, y.dtype, np.float64 if x.dtype.kind in "biu" else x.dtype)
    x, y = cast(x, dtype), cast(y, dtype)
    n = shape_of(x)[0]
    if rcond is None:
        rcond = n * np.finfo(dtype).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = cast(_arr(w), dtype)
        lhs = fnp.multiply(lhs, w[:, None])
        rhs = fnp.multiply(rhs, w if len(shape_of(rhs)) == 1 else w[:, None])
    scale = fnp.sqrt(fnp.sum(fnp.square(lhs), axis=0))
    lhs = fnp.divide(lhs, scale)
    c, resids, rank, s = fnp.linalg.lstsq(lhs, rhs, rcond=rcond)
    c = fnp.divide(c, scale if len(shape_of(c)) == 1 else scale[:, None])
    if full:
        return c, resids, rank, s, rcond
    if cov:
        inv = fnp.linalg.inv(fnp.matmul(fnp.transpose(lhs), lhs))
        inv = fnp.divide(inv, fnp.outer(scale, scale))
        fac = 1.0 if cov == "unscaled" else fnp.divide(resids, float(n - order))
        if len(shape_of(c)) == 1:
            return c, fnp.multiply(inv, fac)
        return c, fnp.multiply(inv[:, :, None], fac)
    return c


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.vander([2, 3], 3).tolist()
        [[4, 2, 1], [9, 3, 1]]
    """
    if not core._stack:
        return np.vander(x, N, increasing)
    x = _vector(x, "vander", "x")
    n = shape_of(x)[0] if N is None else int(N)
    powers = range(n) if increasing else range(n - 1, -1, -1)
    cols = [fnp.power(x, k) if k else fnp.ones_like(x) for k in powers]
    if not cols:
        return fnp.zeros((shape_of(x)[0], 0), x.dtype)
    return fnp.stack(cols, axis=1)


# ----------------------------------------------------------------------------- windows


def bartlett(M):
    """The Bartlett (triangular) window of ``M`` points.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.bartlett(3).tolist()
        [0.0, 1.0, 0.0]
    """
    return np.bartlett(int(M))


def blackman(M):
    """The Blackman window of ``M`` points.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.blackman(3).round(6).tolist()
        [-0.0, 1.0, -0.0]
    """
    return np.blackman(int(M))


def hamming(M):
    """The Hamming window of ``M`` points.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.hamming(3).round(6).tolist()
        [0.08, 1.0, 0.08]
    """
    return np.hamming(int(M))


def hanning(M):
    """The Hann window of ``M`` points.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.hanning(3).tolist()
        [0.0, 1.0, 0.0]
    """
    return np.hanning(int(M))


def kaiser(M, beta):
    """The Kaiser window of ``M`` points and shape ``beta`` (``beta`` may be traced).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.kaiser(3, 0.0).tolist()
        [1.0, 1.0, 1.0]
    """
    M = int(M)
    if not isinstance(beta, Tracer):
        return np.kaiser(M, beta)
    if M == 1:
        return fnp.ones(1)
    n = np.arange(M)
    alpha = (M - 1) / 2.0
    r = np.sqrt(np.maximum(1 - ((n - alpha) / alpha) ** 2, 0.0))
    return fnp.divide(fnp.i0(fnp.multiply(beta, r)), fnp.i0(beta))
