"""LU factorization with partial pivoting, and pivots -> permutation, as primitives.

``lu(a)`` for a stack ``(..., m, n)`` returns ``[lu, pivots, permutation]`` like
``jax.lax.linalg.lu``: ``lu`` packs the unit-lower ``L`` (below the diagonal, ``(m, k)``) and the
upper ``U`` (``(k, n)``, ``k = min(m, n)``); ``pivots`` (int32, ``(..., k)``) are LAPACK's row
interchanges, 0-based (row ``i`` was swapped with row ``pivots[i]``); ``permutation`` (int32,
``(..., m)``) is their product, so ``a[..., permutation, :] == L @ U``.

NumPy has no ``getrf``. When SciPy is installed its LAPACK ``getrf`` factors each matrix (it is
50-150x faster than any Python loop for small matrices); otherwise the implementation is a
right-looking blocked Doolittle elimination over the whole stack at once (panels of ``_PANEL``
columns eliminated column by column, then one triangular solve and one matrix product for the
trailing matrix). Both give LAPACK's pivots. A zero pivot column is left as is, as LAPACK does
(no error: ``U`` is then singular).

JVP (square case): with ``P a = L U`` and ``X = L⁻¹ (P da) U⁻¹``, ``dL = L · strict_lower(X)``
and ``dU = upper(X) · U``. For a tall ``a`` the rows below the square block satisfy
``L₂ U = A₂``, so ``dL₂ = (dA₂ - L₂ dU) U⁻¹``; for a wide ``a`` the columns right of it satisfy
``L U₂ = A₂``, so ``dU₂ = L⁻¹ (dA₂ - dL U₂)``. Pivots and permutation are integers (no
tangent). The rule is written with triangular solves, products, gathers and masks, so reverse
mode and higher orders follow.

Neither primitive has a ``lower`` rule: ``jit`` calls the implementation, as for the other
decompositions.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives import elementwise as ew
from ftrans.primitives.indexing import take_along_axis
from ftrans.primitives.linalg import batch_in_front, mm, mT, triangular_solve
from ftrans.primitives.shape import broadcast_in_dim, concatenate, slice_

_PANEL = 32  # columns eliminated one at a time before a blocked (BLAS 3) trailing update


# ----------------------------------------------------------------------------- implementation


def _unit_lower_solve(l11, b):
    """``L⁻¹ b`` for unit-lower (B, p, p) ``l11`` and (B, p, q) ``b``."""
    p = l11.shape[-1]
    t = np.tril(l11, -1) + np.eye(p, dtype=l11.dtype)
    return np.linalg.solve(t, b)


def _scipy_getrf():
    """SciPy's LAPACK ``?getrf`` wrappers by dtype, or None without SciPy."""
    try:
        from scipy.linalg import lapack
    except ImportError:  # pragma: no cover - SciPy is optional
        return None
    return {
        np.dtype(np.float64): lapack.dgetrf,
        np.dtype(np.float32): lapack.sgetrf,
        np.dtype(np.complex128): lapack.zgetrf,
        np.dtype(np.complex64): lapack.cgetrf,
    }


#: ``{dtype: getrf}`` from SciPy, or None (then the NumPy elimination runs). Tests set it to None.
GETRF = _scipy_getrf()


def _lu_lapack(a, getrf):
    *lead, m, n = a.shape
    k = min(m, n)
    flat = a.reshape(-1, m, n)
    packed = np.empty_like(flat)
    pivots = np.empty((flat.shape[0], k), np.int32)
    for i, matrix in enumerate(flat):
        packed[i], pivots[i], info = getrf(matrix)
        if info < 0:  # pragma: no cover - an argument error cannot come from a valid array
            raise ValueError(f"lu: LAPACK getrf rejected argument {-info}")
    pivots = pivots.reshape((*lead, k))
    return [packed.reshape(a.shape), pivots, _pivots_impl(pivots, permutation_size=m)]


def _lu_impl(a):
    a = np.asarray(a)
    getrf = GETRF.get(a.dtype) if GETRF is not None else None
    if getrf is not None and a.size:
        return _lu_lapack(a, getrf)
    return _lu_numpy(a)


def _lu_numpy(a):
    *lead, m, n = a.shape
    k = min(m, n)
    lu = np.array(a.reshape(-1, m, n), dtype=a.dtype, copy=True)
    count = lu.shape[0]
    pivots = np.zeros((count, k), np.int32)
    perm = np.tile(np.arange(m, dtype=np.int32), (count, 1))
    rows = np.arange(count)
    for start in range(0, k, _PANEL):
        stop = min(start + _PANEL, k)
        for j in range(start, stop):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p
            swap = p != j
            if swap.any():
                r, pr = rows[swap], p[swap]
                row_j = lu[r, j].copy()
                lu[r, j] = lu[r, pr]
                lu[r, pr] = row_j
                perm_j = perm[r, j].copy()
                perm[r, j] = perm[r, pr]
                perm[r, pr] = perm_j
            pivot = lu[:, j, j]
            safe = np.where(pivot == 0, 1, pivot)  # a zero pivot means a zero column: keep it
            lu[:, j + 1 :, j] /= safe[:, None]
            lu[:, j + 1 :, j + 1 : stop] -= (
                lu[:, j + 1 :, j : j + 1] * lu[:, j : j + 1, j + 1 : stop]
            )
        if stop < n:  # the block row of U right of the panel, then the trailing matrix
            lu[:, start:stop, stop:] = _unit_lower_solve(
                lu[:, start:stop, start:stop], lu[:, start:stop, stop:]
            )
            if stop < m:
                lu[:, stop:, stop:] -= lu[:, stop:, start:stop] @ lu[:, start:stop, stop:]
    return [
        lu.reshape(a.shape),
        pivots.reshape((*lead, k)),
        perm.reshape((*lead, m)),
    ]


def _lu_aval(a):
    if a.ndim < 2:
        raise ShapeError(f"lu: expected a stack of matrices (..., m, n), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.inexact):
        raise TypeError(f"lu: expected a floating-point or complex matrix, got {a.dtype}")
    *lead, m, n = a.shape
    k = min(m, n)
    return [
        a,
        ShapedArray((*lead, k), np.dtype(np.int32)),
        ShapedArray((*lead, m), np.dtype(np.int32)),
    ]


# ----------------------------------------------------------------------------- JVP


def _masked(x, mask):
    return ew.mul(x, np.asarray(mask, x.dtype))


def _block(x, rows, cols):
    """``x[..., r0:r1, c0:c1]``."""
    nd = len(shape_of(x))
    lead = shape_of(x)[:-2]
    return slice_(x, (0,) * (nd - 2) + (rows[0], cols[0]), (*lead, rows[1], cols[1]))


def _permute_rows(x, perm):
    """``x[..., perm, :]`` for an integer ``perm`` of shape ``(..., m)`` (a gather; linear)."""
    shape = shape_of(x)
    nd = len(shape)
    index = broadcast_in_dim(perm, shape=shape, broadcast_dimensions=tuple(range(nd - 1)))
    return take_along_axis(x, index, axis=nd - 2)


def _lu_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    lu, pivots, perm = lu_p.bind(a)
    *_, m, n = shape_of(a)
    k = min(m, n)
    dap = _permute_rows(ew.instantiate_zero(t) if type(t) is Zero else t, perm)
    square = _block(lu, (0, k), (0, k))
    strict = np.tril(np.ones((k, k)), -1)
    l1 = ew.add(_masked(square, strict), np.eye(k, dtype=lu.dtype))
    u1 = _masked(square, np.triu(np.ones((k, k))))
    da1 = _block(dap, (0, k), (0, k))
    y = triangular_solve(l1, da1, lower=True, unit_diagonal=True)  # L⁻¹ dA
    x = mT(triangular_solve(u1, mT(y), lower=False, transpose_a=True))  # L⁻¹ dA U⁻¹
    dl1 = mm(l1, _masked(x, strict))
    du1 = mm(_masked(x, np.triu(np.ones((k, k)))), u1)
    dlu = ew.add(dl1, du1)
    nd = len(shape_of(a))
    if m > n:
        l2 = _block(lu, (k, m), (0, k))
        rhs = ew.sub(_block(dap, (k, m), (0, n)), mm(l2, du1))
        dl2 = mT(triangular_solve(u1, mT(rhs), lower=False, transpose_a=True))
        dlu = concatenate([dlu, dl2], dimension=nd - 2)
    elif m < n:
        u2 = _block(lu, (0, k), (k, n))
        rhs = ew.sub(_block(dap, (0, m), (k, n)), mm(dl1, u2))
        du2 = triangular_solve(l1, rhs, lower=True, unit_diagonal=True)
        dlu = concatenate([dlu, du2], dimension=nd - 1)
    return [lu, pivots, perm], [dlu, Zero.like(pivots), Zero.like(perm)]


lu_p = Primitive("lu", multiple_results=True)
numpy_only("LAPACK through NumPy (numba's np.linalg has no LU factorisation)", lu_p)
lu_p.impl = _lu_impl
lu_p.abstract_eval = _lu_aval
lu_p.jvp = _lu_jvp
lu_p.batch = batch_in_front(lu_p)


def lu(a):
    """``[lu, pivots, permutation]`` of ``a`` (..., m, n): see the module docstring."""
    return lu_p.bind(a)


# ------------------------------------------------------------------------ pivots to permutation


def _pivots_impl(pivots, *, permutation_size):
    pivots = np.asarray(pivots)
    *lead, k = pivots.shape
    flat = pivots.reshape(-1, k)
    count = flat.shape[0]
    perm = np.tile(np.arange(permutation_size, dtype=np.int32), (count, 1))
    rows = np.arange(count)
    if flat.size and (flat.min() < 0 or flat.max() >= permutation_size):
        raise IndexError(
            f"lu_pivots_to_permutation: pivots must lie in [0, {permutation_size}), got values "
            f"from {flat.min()} to {flat.max()}"
        )
    if count <= k:  # few matrices: plain Python swaps are cheapest
        for row, piv in zip(perm, flat.tolist(), strict=True):
            order = list(range(permutation_size))
            for j, p in enumerate(piv):
                order[j], order[p] = order[p], order[j]
            row[:] = order
    else:  # many small matrices: one vectorised swap per pivot column
        for j in range(k):
            p = flat[:, j]
            here = perm[rows, j].copy()
            perm[rows, j] = perm[rows, p]
            perm[rows, p] = here
    return perm.reshape((*lead, permutation_size))


def _pivots_aval(pivots, *, permutation_size):
    if pivots.ndim < 1 or not np.issubdtype(pivots.dtype, np.integer):
        raise TypeError(
            f"lu_pivots_to_permutation: pivots must be an integer array (..., k), got "
            f"{pivots.dtype}{list(pivots.shape)}"
        )
    if pivots.shape[-1] > permutation_size:
        raise ShapeError(
            f"lu_pivots_to_permutation: {pivots.shape[-1]} pivots do not fit a permutation of "
            f"size {permutation_size}; permutation_size must be at least pivots.shape[-1]"
        )
    return ShapedArray((*pivots.shape[:-1], permutation_size), np.dtype(np.int32))


def _pivots_jvp(primals, tangents, *, permutation_size):
    out = lu_pivots_to_permutation_p.bind(primals[0], permutation_size=permutation_size)
    return out, Zero.like(out)


lu_pivots_to_permutation_p = Primitive("lu_pivots_to_permutation")
numpy_only("LAPACK: NumPy calls it already", lu_pivots_to_permutation_p)
lu_pivots_to_permutation_p.impl = _pivots_impl
lu_pivots_to_permutation_p.abstract_eval = _pivots_aval
lu_pivots_to_permutation_p.jvp = _pivots_jvp
lu_pivots_to_permutation_p.batch = batch_in_front(lu_pivots_to_permutation_p)


def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation (int32, ``(..., permutation_size)``) that LAPACK-style ``pivots`` make:
    start from ``arange(permutation_size)`` and swap entries ``i`` and ``pivots[..., i]`` in
    order."""
    return lu_pivots_to_permutation_p.bind(pivots, permutation_size=int(permutation_size))
