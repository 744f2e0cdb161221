"""Norms: norm (NumPy's vector and matrix orders), vector_norm and matrix_norm (NumPy 2)."""

# ruff: noqa: A002  (NumPy's argument name `ord`)

from __future__ import annotations

import numpy as np

from ftrans.core import shape_of
from ftrans.errors import ShapeError
from ftrans.numpy._reductions import max as _max
from ftrans.numpy._reductions import min as _min
from ftrans.numpy._reductions import sum as _sum
from ftrans.numpy._shape import moveaxis
from ftrans.numpy._util import cast, normalize_axis
from ftrans.numpy.linalg._common import operand, tracing, where
from ftrans.primitives import elementwise as ew
from ftrans.primitives import linalg as P
from ftrans.primitives.shape import reshape

_VECTOR_ORDERS = "None, 2, 1, inf, -inf, 0 or any other number p"
_MATRIX_ORDERS = "None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf"


def _safe_sqrt(s):
    """``sqrt(s)`` whose derivative at ``s = 0`` is 0 instead of ``inf * 0 = nan``: the norm
    then has the subgradient 0 at the origin (the double-``where`` trick)."""
    positive = ew.gt(s, ew.const(0, s))
    safe = ew.select(positive, s, np.ones(shape_of(s), s.dtype))
    return ew.select(positive, ew.sqrt(safe), np.zeros(shape_of(s), s.dtype))


def _squared_modulus(x):
    """``|x|²`` elementwise, real: ``re² + im²`` for complex ``x`` (smooth at 0, unlike abs)."""
    if not ew.is_complex_dtype(x.dtype):
        return ew.mul(x, x)
    re, im = ew.real(x), ew.imag(x)
    return ew.add(ew.mul(re, re), ew.mul(im, im))


def _two_norm(x, axis, keepdims):
    return _safe_sqrt(_sum(_squared_modulus(x), axis=axis, keepdims=keepdims))


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _two_norm(x, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(
            f"norm: invalid order {ord!r} for vectors (at {where()}); use {_VECTOR_ORDERS}."
        )
    if ord == np.inf:
        return _max(ew.abs_(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(ew.abs_(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        real = ew.real_dtype(x.dtype)
        nonzero = ew.convert_element_type(ew.ne(x, ew.const(0, x)), new_dtype=real)
        return _sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(ew.abs_(x), axis=axis, keepdims=keepdims)
    # (sum |x|^p)^(1/p); at the origin the value is 0 with derivative 0, like the 2-norm
    modulus = ew.abs_(x)  # real, also for complex x
    total = _sum(ew.pow_(modulus, ew.const(ord, modulus)), axis=axis, keepdims=keepdims)
    positive = ew.gt(total, ew.const(0, total))
    safe = ew.select(positive, total, np.ones(shape_of(total), total.dtype))
    root = ew.pow_(safe, ew.const(1.0 / float(ord), safe))
    return ew.select(positive, root, np.zeros(shape_of(total), total.dtype))


def _singular_values(x, row, col):
    return P.svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)[0]


def _matrix_norm(x, ord, row, col):
    if ord == 2:
        return _max(_singular_values(x, row, col), axis=-1)
    if ord == -2:
        return _min(_singular_values(x, row, col), axis=-1)
    if ord == "nuc":
        return _sum(_singular_values(x, row, col), axis=-1)
    if ord in (None, "fro", "f"):
        return _two_norm(x, (row, col), False)
    if ord in (1, -1):  # largest/smallest column sum
        sums = _sum(ew.abs_(x), axis=row)
        return (_max if ord == 1 else _min)(sums, axis=col - (col > row))
    if ord in (np.inf, -np.inf):  # largest/smallest row sum
        sums = _sum(ew.abs_(x), axis=col)
        return (_max if ord == np.inf else _min)(sums, axis=row - (row > col))
    raise ValueError(
        f"norm: invalid order {ord!r} for matrices (at {where()}); use {_MATRIX_ORDERS}."
    )


def norm(x, ord=None, axis=None, keepdims=False):
    r"""Vector or matrix norm, like ``numpy.linalg.norm``.

    ``axis`` an int: vector norms (``ord`` None/2, 1, inf, -inf, 0, or any p); ``axis`` a pair:
    matrix norms (None/'fro', 'nuc', 1, -1, 2, -2, inf, -inf); ``axis=None``: the whole array's
    2-norm when ``ord`` is None, else a vector norm of a 1-D or matrix norm of a 2-D ``x``.
    The 2-norm, Frobenius and p-norms have derivative 0 at the origin (a subgradient) instead
    of NaN; ``inf``/``max`` orders split ties like ``max``. Complex ``x`` gives a real norm
    (of the moduli ``|x|``, as in NumPy), and its gradient follows ftrans's convention
    $\partial f / \partial x - i \, \partial f / \partial y$ ($\bar x / \lVert x \rVert$ for the
    2-norm).

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft
        >>> import ftrans.numpy as fnp
        >>> float(fnp.linalg.norm(np.array([3.0, 4.0])))
        5.0
        >>> ft.grad(fnp.linalg.norm)(np.zeros(2)).tolist()
        [0.0, 0.0]
        >>> z = np.array([3.0 + 4.0j, 0.0])
        >>> ft.jit(fnp.linalg.norm)(z), ft.grad(fnp.linalg.norm)(z).tolist()
        (array(5.), [(0.6-0.8j), 0j])
    """
    x = operand(x)
    nd = len(shape_of(x))
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, nd) for a in axis)
    else:
        axes = (normalize_axis(axis, nd),)
    if ord is not None or axis is not None:
        if len(axes) not in (1, 2):
            raise ShapeError(
                f"norm: ord={ord!r} needs a vector (1 axis) or a matrix (2 axes), but x has "
                f"shape {shape_of(x)} and axis={axis!r} (at {where()}); pass axis=int or "
                "axis=(row, col)."
            )
        if len(axes) == 2 and axes[0] == axes[1]:
            raise ValueError(f"norm: duplicate axes {axis!r} (at {where()}).")
    if not tracing():
        return np.linalg.norm(x, ord, axis, keepdims)
    if not np.issubdtype(x.dtype, np.inexact):
        x = cast(x, np.dtype(np.float64))
    if ord is None and axis is None:
        out = _two_norm(x, None, False)
    elif len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    else:
        out = _matrix_norm(x, ord, *axes)
    if keepdims:
        kept = tuple(1 if i in axes else s for i, s in enumerate(shape_of(x)))
        out = reshape(out, new_sizes=kept)
    return out


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector norm over ``axis`` (None: all elements; a tuple: those axes as one vector), like
    ``numpy.linalg.vector_norm``."""
    x = operand(x)
    if not tracing():
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    shape = shape_of(x)
    nd = len(shape)
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, nd) for a in axis)
    else:
        axes = (normalize_axis(axis, nd),)
    rest = [i for i in range(nd) if i not in axes]
    size = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    if axes:
        x = moveaxis(x, axes, tuple(range(nd - len(axes), nd)))
    flat = reshape(x, new_sizes=(*[shape[i] for i in rest], size))
    out = norm(flat, ord=ord, axis=-1)
    if keepdims:
        out = reshape(out, new_sizes=tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return out


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm of the last two axes, like ``numpy.linalg.matrix_norm``."""
    x = operand(x)
    if len(shape_of(x)) < 2:
        raise ShapeError(
            f"matrix_norm: x must be a matrix or a stack of matrices (..., m, n), got shape "
            f"{shape_of(x)} (at {where()}); use vector_norm for vectors."
        )
    if not tracing():
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)
