"""NumPy 2's array-API members of ``numpy.linalg`` (matrix_transpose, trace, diagonal, outer,
vecdot, matmul, tensordot, cross) and cond / matrix_rank, composed from existing functions."""

from __future__ import annotations

import numpy as np

from ftrans.core import shape_of
from ftrans.errors import ShapeError
from ftrans.numpy import _linalg as products
from ftrans.numpy._math import multiply, subtract
from ftrans.numpy._reductions import sum as _sum
from ftrans.numpy._shape import moveaxis, stack, swapaxes
from ftrans.numpy._util import normalize_axis
from ftrans.numpy.linalg._common import float_operands, matrix, operand, tracing, where
from ftrans.numpy.linalg._norm import norm
from ftrans.primitives import elementwise as ew
from ftrans.primitives import linalg as P
from ftrans.primitives.shape import broadcast_in_dim, reshape, slice_


def matrix_transpose(x, /):
    """Swap the last two axes, like ``numpy.linalg.matrix_transpose``."""
    x = matrix("matrix_transpose", "x", x)
    if not tracing():
        return np.linalg.matrix_transpose(x)
    return swapaxes(x, -1, -2)


def trace(x, /, *, offset=0, dtype=None):
    """Sum along a diagonal of the last two axes, like ``numpy.linalg.trace``."""
    x = matrix("trace", "x", x)
    if not tracing():
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return products.trace(x, offset, -2, -1, dtype)


def diagonal(x, /, *, offset=0):
    """A diagonal of the last two axes, like ``numpy.linalg.diagonal``."""
    x = matrix("diagonal", "x", x)
    if not tracing():
        return np.linalg.diagonal(x, offset=offset)
    return products.diagonal(x, offset, -2, -1)


def outer(x1, x2, /):
    """Outer product of two vectors, like ``numpy.linalg.outer`` (1-D only)."""
    x1, x2 = operand(x1), operand(x2)
    for name, x in (("x1", x1), ("x2", x2)):
        if len(shape_of(x)) != 1:
            raise ShapeError(
                f"outer: {name} must be 1-D, got shape {shape_of(x)} (at {where()}); use "
                "ftrans.numpy.outer to flatten, or x1[..., :, None] * x2[..., None, :]."
            )
    if not tracing():
        return np.linalg.outer(x1, x2)
    return products.outer(x1, x2)


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis`` with broadcasting, like ``numpy.linalg.vecdot``."""
    x1, x2 = operand(x1), operand(x2)
    if not tracing():
        return np.linalg.vecdot(x1, x2, axis=axis)
    return _sum(multiply(x1, x2), axis=axis)


def matmul(x1, x2, /):
    """Matrix product, like ``numpy.linalg.matmul`` (``ftrans.numpy.matmul``)."""
    return products.matmul(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """Tensor contraction, like ``numpy.linalg.tensordot`` (``ftrans.numpy.tensordot``)."""
    return products.tensordot(x1, x2, axes)


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis``, like ``numpy.linalg.cross``."""
    x1, x2 = operand(x1), operand(x2)
    for name, x in (("x1", x1), ("x2", x2)):
        s = shape_of(x)
        if not s or s[normalize_axis(axis, len(s))] != 3:
            raise ShapeError(
                f"cross: {name} must have size 3 along axis {axis}, got shape {s} (at {where()})."
            )
    if not tracing():
        return np.linalg.cross(x1, x2, axis=axis)
    a = moveaxis(x1, axis, -1)
    b = moveaxis(x2, axis, -1)

    a0, a1, a2 = (_last_axis_item(a, i) for i in range(3))
    b0, b1, b2 = (_last_axis_item(b, i) for i in range(3))
    out = stack(
        [
            subtract(multiply(a1, b2), multiply(a2, b1)),
            subtract(multiply(a2, b0), multiply(a0, b2)),
            subtract(multiply(a0, b1), multiply(a1, b0)),
        ],
        axis=-1,
    )
    return moveaxis(out, -1, axis)


def cond(x, p=None):
    """Condition number, like ``numpy.linalg.cond``: ``s_max / s_min`` for ``p`` None/2 (and the
    inverse ratio for -2), else ``norm(x, p) * norm(inv(x), p)``. Under transformations an
    infinite condition number is not patched from NaN to inf as NumPy does."""
    x = matrix("cond", "x", x, square=p not in (None, 2, -2))
    if not tracing():
        return np.linalg.cond(x, p)
    (x,) = float_operands("cond", x)
    if p in (None, 2, -2):
        s = P.svd(x, compute_uv=False)[0]
        k = shape_of(s)[-1]
        top = _last_axis_item(s, 0)
        bottom = _last_axis_item(s, k - 1)
        return ew.div(bottom, top) if p == -2 else ew.div(top, bottom)
    return ew.mul(norm(x, p, axis=(-2, -1)), norm(P.inverse(x), p, axis=(-2, -1)))


def _last_axis_item(s, i):
    shape = shape_of(s)
    start = (0,) * (len(shape) - 1) + (i,)
    return reshape(slice_(s, start, (*shape[:-1], i + 1)), new_sizes=shape[:-1])


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Numerical rank (singular values above ``tol``), like ``numpy.linalg.matrix_rank``;
    an integer, so its derivative is zero."""
    A = operand(A)
    if not tracing():
        return np.linalg.matrix_rank(A, tol, hermitian, rtol=rtol)
    if len(shape_of(A)) < 2:
        raise ShapeError(
            f"matrix_rank: under transformations A must be a (stack of) matrix, got shape "
            f"{shape_of(A)} (at {where()})."
        )
    (A,) = float_operands("matrix_rank", A)
    s = P.svd(A, compute_uv=False)[0]
    shape = shape_of(s)
    if tol is None:
        rel = max(shape_of(A)[-2:]) * float(np.finfo(A.dtype).eps) if rtol is None else rtol
        top = _last_axis_item(s, 0)
        cut = ew.mul(top, np.asarray(rel, s.dtype))
    else:
        cut = np.asarray(tol, s.dtype)
    cut_shape = shape_of(cut)
    if cut_shape not in ((), tuple(shape[:-1])):
        raise ShapeError(
            f"matrix_rank: tol must be a scalar or one value per matrix {tuple(shape[:-1])}, got "
            f"shape {cut_shape} (at {where()})."
        )
    cut = broadcast_in_dim(cut, shape=shape, broadcast_dimensions=tuple(range(len(cut_shape))))
    large = ew.convert_element_type(ew.gt(s, cut), new_dtype=np.int64)
    return _sum(large, axis=-1)
