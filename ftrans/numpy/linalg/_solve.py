"""Solves, inverses, determinants and products: solve, inv, det, slogdet, pinv, lstsq,
matrix_power, multi_dot. Each is a primitive or a short composition of primitives."""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from ftrans.core import shape_of
from ftrans.errors import ShapeError
from ftrans.numpy._linalg import matmul
from ftrans.numpy._util import broadcast_to_shape
from ftrans.numpy.linalg._common import (
    call_numpy,
    concrete_or_none,
    float_operands,
    matrix,
    operand,
    tracing,
    where,
)
from ftrans.primitives import elementwise as ew
from ftrans.primitives import linalg as P
from ftrans.primitives.reductions import reduce_sum
from ftrans.primitives.shape import reshape

_NOT_SQUARE = "For a non-square system use lstsq (least squares) or pinv."


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


def _broadcast_lead(fname, a, b):
    """``a`` and ``b`` with their leading (batch) dimensions broadcast together."""
    sa, sb = shape_of(a), shape_of(b)
    try:
        lead = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"{fname}: the leading (batch) dimensions of a {sa} and b {sb} do not broadcast "
            f"(at {where()}); stacks of matrices must have equal or size-1 batch dimensions."
        ) from None
    return broadcast_to_shape(a, lead + sa[-2:]), broadcast_to_shape(b, lead + sb[-2:])


def solve(a, b):
    """Solve ``a x = b`` for ``x``, like ``numpy.linalg.solve`` (NumPy 2 rules: a 1-D ``b`` is a
    vector, otherwise ``b`` is a stack of (n, k) matrices; batch dimensions broadcast).

    A singular ``a`` raises ``numpy.linalg.LinAlgError`` naming its shape, eagerly, under
    ``grad`` and under ``jit`` alike. One LU factorization (LAPACK ``gesv``) forward, one more
    for the reverse pass (``solve(aᵀ, ·)``).

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> fnp.linalg.solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0])).tolist()
        [0.5, 0.25]
    """
    a = matrix("solve", "a", a, square=True, fix=_NOT_SQUARE)
    b = operand(b)
    sa, sb = shape_of(a), shape_of(b)
    vector = len(sb) == 1
    if len(sb) == 0 or sb[-1 if vector else -2] != sa[-1]:
        raise ShapeError(
            f"solve: b {sb} does not fit a {sa} (at {where()}): b must be a vector of length "
            f"{sa[-1]} or a stack of matrices (..., {sa[-1]}, k). To solve for several vectors "
            "at once, put them in the columns of b."
        )
    if not tracing():
        return call_numpy("solve", np.linalg.solve, sa, a, b)
    a, b = float_operands("solve", a, b)
    if vector:
        b = reshape(b, new_sizes=(sb[0], 1))
    a, b = _broadcast_lead("solve", a, b)
    x = P.solve(a, b)
    return reshape(x, new_sizes=shape_of(x)[:-1]) if vector else x


def inv(a):
    """The inverse of ``a``, like ``numpy.linalg.inv``; singular ``a`` raises LinAlgError."""
    a = matrix("inv", "a", a, square=True, fix="For a non-square matrix use pinv.")
    if not tracing():
        return call_numpy("inv", np.linalg.inv, a.shape, a)
    (a,) = float_operands("inv", a)
    return P.inverse(a)


def slogdet(a):
    r"""Sign and natural log of ``|det a|``, like ``numpy.linalg.slogdet``.

    Stable (an LU factorization, no overflow);
    $d \log\lvert\det a\rvert = \operatorname{tr}(a^{-1} \, da)$, so its gradient is $a^{-\top}$.
    At a singular matrix the value is ``(0, -inf)`` and the derivative raises LinAlgError (it
    would need $a^{-1}$).

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft
        >>> import ftrans.numpy as fnp
        >>> ft.grad(lambda a: fnp.linalg.slogdet(a)[1])(np.diag([2.0, 4.0])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    a = matrix("slogdet", "a", a, square=True)
    if not tracing():
        return call_numpy("slogdet", np.linalg.slogdet, a.shape, a)
    (a,) = float_operands("slogdet", a)
    sign, logabsdet = P.slogdet(a)
    return SlogdetResult(sign, logabsdet)


def det(a):
    r"""The determinant, like ``numpy.linalg.det``: ``sign * exp(logabsdet)`` of
    [`slogdet`][ftrans.numpy.linalg.slogdet] under transformations (so its gradient is
    $\det(a) \, a^{-\top}$)."""
    a = matrix("det", "a", a, square=True)
    if not tracing():
        return call_numpy("det", np.linalg.det, a.shape, a)
    sign, logabsdet = slogdet(a)
    scale = ew.exp(logabsdet)
    if sign.dtype != scale.dtype:  # complex a: a complex sign, a real modulus
        scale = ew.convert_element_type(scale, new_dtype=sign.dtype)
    return ew.mul(sign, scale)


def _pinv_rcond(rcond, rtol, shape, dtype):
    if rcond is not None and rtol is not _NO_VALUE:
        raise ValueError("pinv: rcond and rtol cannot both be set")
    if rcond is not None:
        return rcond
    if rtol is _NO_VALUE:
        return 1e-15
    if rtol is None:
        return max(shape[-2:]) * float(np.finfo(dtype).eps)
    return rtol


class _NoValue:
    def __repr__(self):
        return "<no value>"


_NO_VALUE = _NoValue()


def pinv(a, rcond=None, hermitian=False, *, rtol=_NO_VALUE):
    """The Moore-Penrose pseudo-inverse, like ``numpy.linalg.pinv`` (singular values below
    ``rcond`` times the largest count as zero).

    The derivative is the Golub-Pereyra formula, exact where the numerical rank does not change
    (it does not divide by singular-value gaps, so repeated singular values are fine).
    """
    a = matrix("pinv", "a", a)
    if not tracing():
        kwargs = {} if rtol is _NO_VALUE else {"rtol": rtol}
        return call_numpy("pinv", np.linalg.pinv, a.shape, a, rcond, hermitian, **kwargs)
    (a,) = float_operands("pinv", a)
    cutoff = _pinv_rcond(rcond, rtol, shape_of(a), a.dtype)
    if np.ndim(cutoff) != 0:
        raise ValueError(f"pinv: rcond must be a scalar under transformations (at {where()}).")
    return P.pinv(a, rcond=float(cutoff))


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a x ≈ b``: ``(x, residuals, rank, s)`` like
    ``numpy.linalg.lstsq`` (``a`` is one (m, n) matrix; ``b`` is (m,) or (m, k)).

    ``x = pinv(a) b`` with NumPy's cutoff (``rcond=None``: machine epsilon times ``max(m, n)``),
    so derivatives follow [`pinv`][ftrans.numpy.linalg.pinv]. ``residuals`` is the squared residual
    norm per column when ``m > n`` and ``a`` has full rank, else empty, as in NumPy; under ``jit``
    or ``vmap``, where the rank is not known while tracing, it is computed whenever ``m > n``.
    """
    a = operand(a)
    b = operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2:
        raise ShapeError(
            f"lstsq: a must be one matrix (m, n), got shape {sa} (at {where()}); for a stack of "
            "least-squares problems use pinv(a) @ b."
        )
    if len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise ShapeError(
            f"lstsq: b {sb} does not fit a {sa} (at {where()}): b must be ({sa[0]},) or "
            f"({sa[0]}, k), with as many rows as a."
        )
    if not tracing():
        return call_numpy("lstsq", np.linalg.lstsq, sa, a, b, rcond)
    a, b = float_operands("lstsq", a, b)
    m, n = sa
    cutoff = float(np.finfo(a.dtype).eps) * max(m, n) if rcond is None else float(rcond)
    x = matmul(P.pinv(a, rcond=cutoff), b)
    (s,) = P.svd(a, compute_uv=False)
    large = ew.gt(s, ew.mul(_first(s), ew.const(cutoff, s)))
    rank = reduce_sum(ew.convert_element_type(large, new_dtype=np.int32), axes=(0,))
    known_rank = concrete_or_none(rank)
    empty = np.zeros((0,), ew.real_dtype(a.dtype))
    if m <= n or (known_rank is not None and int(known_rank) < n):
        residuals = empty
    else:
        r = ew.sub(b, matmul(a, x))
        if ew.is_complex_dtype(r.dtype):
            r2 = ew.add(ew.mul(ew.real(r), ew.real(r)), ew.mul(ew.imag(r), ew.imag(r)))
        else:
            r2 = ew.mul(r, r)
        residuals = reduce_sum(r2, axes=(0,))
        if len(sb) == 1:
            residuals = reshape(residuals, new_sizes=(1,))
    return x, residuals, rank, s


def _first(s):
    """``s[0]`` broadcast against ``s`` (the largest singular value)."""
    from ftrans.primitives.shape import broadcast_in_dim, slice_

    top = reshape(slice_(s, (0,), (1,)), new_sizes=())
    return broadcast_in_dim(top, shape=shape_of(s), broadcast_dimensions=())


def matrix_power(a, n):
    """``a`` raised to the integer power ``n`` by repeated squaring, like
    ``numpy.linalg.matrix_power`` (``n < 0`` inverts first; ``n = 0`` gives the identity)."""
    a = matrix("matrix_power", "a", a, square=True)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(
            f"matrix_power: the exponent must be an integer, got {n!r} (at {where()})."
        ) from None
    if not tracing():
        return call_numpy("matrix_power", np.linalg.matrix_power, a.shape, a, n)
    if n == 0:
        eye = np.eye(shape_of(a)[-1], dtype=a.dtype)
        return np.array(np.broadcast_to(eye, shape_of(a)))
    if n < 0:
        a = inv(a)
        n = -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    # binary decomposition, in NumPy's order of products
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _chain_order(dims):
    """Cheapest parenthesization of a matrix chain with dimensions ``dims`` (dynamic
    programming): ``split[i][j]`` is where to split the product of matrices i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


def multi_dot(arrays, *, out=None):
    """The product of two or more arrays in the cheapest order, like
    ``numpy.linalg.multi_dot`` (the first may be 1-D, a row; the last 1-D, a column)."""
    arrays = [operand(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {len(arrays)}.")
    shapes = [shape_of(x) for x in arrays]
    for i, s in enumerate(shapes):
        edge = i in (0, len(shapes) - 1)
        if len(s) != 2 and not (edge and len(s) == 1):
            raise ShapeError(
                f"multi_dot: array {i} has shape {s} (at {where()}); every array must be 2-D "
                "except the first and last, which may be 1-D."
            )
    if not tracing():
        return np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise TypeError(f"multi_dot: out= is not supported under transformations (at {where()}).")
    first_1d, last_1d = len(shapes[0]) == 1, len(shapes[-1]) == 1
    if first_1d:
        arrays[0] = reshape(arrays[0], new_sizes=(1, shapes[0][0]))
    if last_1d:
        arrays[-1] = reshape(arrays[-1], new_sizes=(shapes[-1][0], 1))
    mats = [shape_of(x) for x in arrays]
    for i in range(len(mats) - 1):
        if mats[i][1] != mats[i + 1][0]:
            raise ShapeError(
                f"multi_dot: array {i} {shapes[i]} and array {i + 1} {shapes[i + 1]} are not "
                f"aligned: {mats[i][1]} != {mats[i + 1][0]} (at {where()})."
            )
    split = _chain_order([mats[0][0]] + [m[1] for m in mats])

    def product(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    result = product(0, len(arrays) - 1)
    if first_1d and last_1d:
        return reshape(result, new_sizes=())
    if first_1d:
        return reshape(result, new_sizes=shape_of(result)[1:])
    if last_1d:
        return reshape(result, new_sizes=shape_of(result)[:1])
    return result


def tensorinv(a, ind=2):
    """The inverse of ``a`` as a linear map from its last ``a.ndim - ind`` axes to its first
    ``ind``, like ``numpy.linalg.tensorinv``: one ``inv`` of a reshaped matrix."""
    a = operand(a)
    shape = shape_of(a)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind} (at {where()}).")
    rows = int(np.prod(shape[:ind], dtype=np.int64))
    cols = int(np.prod(shape[ind:], dtype=np.int64))
    if rows != cols:
        raise ShapeError(
            f"tensorinv: a of shape {shape} with ind={ind} maps {cols} values to {rows}: the "
            f"product of the first {ind} dimensions must equal that of the rest (at {where()})."
        )
    if not tracing():
        return call_numpy("tensorinv", np.linalg.tensorinv, shape, a, ind)
    return reshape(inv(reshape(a, new_sizes=(rows, cols))), new_sizes=shape[ind:] + shape[:ind])


def tensorsolve(a, b, axes=None):
    """Solve the tensor equation ``tensordot(a, x, axes=x.ndim) = b`` for ``x``, like
    ``numpy.linalg.tensorsolve``: one ``solve`` of a reshaped system."""
    from ftrans.numpy._shape import transpose as _transpose

    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if axes is not None:
        order = [k for k in range(len(sa)) if k not in [k % len(sa) for k in axes]]
        order += [k % len(sa) for k in axes]
    else:
        order = list(range(len(sa)))
    moved = tuple(sa[k] for k in order)
    x_shape = moved[len(sb) :]
    size = int(np.prod(x_shape, dtype=np.int64))
    if int(np.prod(moved, dtype=np.int64)) != size * size or moved[: len(sb)] != sb:
        raise ShapeError(
            f"tensorsolve: a {sa} and b {sb} do not make a square system: a's leading dimensions "
            f"must be b's {sb} and the rest must hold as many values (at {where()})."
        )
    if not tracing():
        return call_numpy("tensorsolve", np.linalg.tensorsolve, sa, a, b, axes)
    if axes is not None:
        a = _transpose(a, order)
    matrix_a = reshape(a, new_sizes=(size, size))
    return reshape(solve(matrix_a, reshape(b, new_sizes=(size,))), new_sizes=x_shape)
