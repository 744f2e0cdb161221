"""``ftrans.scipy.linalg``: ``jax.scipy.linalg``'s functions, differentiable, batched, jittable.

Everything is composed from the primitives of [`ftrans.primitives.linalg`][ftrans.primitives.linalg]
and `ftrans.primitives.linalg_lu` through ``ftrans.numpy`` and ``ftrans.lax``; no function here has
derivative rules of its own. Matrices are float32/float64 or complex64/complex128 (ints become
float64) and may carry leading batch dimensions ``(..., n, n)`` everywhere, as in
``jax.scipy.linalg``. The ``overwrite_*``/``check_finite``/``lwork``/``debug`` arguments of SciPy
are accepted and ignored.

``expm`` is scaling and squaring with the [13/13] Padé approximant (Higham 2005), written in
traceable operations: its derivative is the derivative of the algorithm, which is how Al-Mohy &
Higham (2009) compute the Fréchet derivative, so ``expm_frechet`` is ``jvp(expm)`` and second
derivatives come for free.
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans import lax
from ftrans.api import jvp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, UnsupportedError, format_frame, user_frame
from ftrans.lax_linalg import solve_triangular as _solve_triangular
from ftrans.numpy._util import tracing

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "circulant",
    "det",
    "eigh",
    "eigh_tridiagonal",
    "expm",
    "expm_frechet",
    "hankel",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "polar",
    "qr",
    "solve",
    "solve_triangular",
    "sqrtm",
    "svd",
    "toeplitz",
]

#: jax.scipy.linalg names ftrans does not have, and what to use instead.
_MISSING = {
    "schur": "the real Schur form needs LAPACK gees, which NumPy does not expose; for symmetric "
    "matrices use eigh",
    "rsf2csf": "there is no schur; for symmetric matrices use eigh",
    "hessenberg": "NumPy exposes no gehrd; use qr or eigh",
    "funm": "there is no schur to build it on; for symmetric matrices use eigh: "
    "v @ diag(f(w)) @ v.T",
    "qr_multiply": "use q, r = qr(a, mode='economic') and multiply by q",
    "solve_sylvester": "no Schur decomposition is available; for small n solve the Kronecker "
    "system (kron(I, A) + kron(B.T, I)) vec(X) = vec(C) with ftrans.numpy.linalg.solve",
    **{
        name: f"it builds a constant matrix from integers; use scipy.linalg.{name} (NumPy "
        "output) or write it with ftrans.numpy"
        for name in (
            "companion",
            "convolution_matrix",
            "dft",
            "fiedler",
            "fiedler_companion",
            "hadamard",
            "helmert",
            "hilbert",
            "invhilbert",
            "invpascal",
            "leslie",
            "pascal",
        )
    },
}


def __getattr__(name: str):
    if name in _MISSING:
        raise AttributeError(
            f"ftrans.scipy.linalg has no {name!r} (jax.scipy.linalg does): {_MISSING[name]}."
        )
    raise AttributeError(f"module 'ftrans.scipy.linalg' has no attribute {name!r}")


# ----------------------------------------------------------------------------- helpers


def _at() -> str:
    return format_frame(user_frame())


def _as_float(fname: str, argname: str, x):
    """``x`` as an array (lists too) of a floating or complex dtype (ints and bools ->
    float64, float16 -> float32)."""
    if not isinstance(x, (Tracer, np.ndarray)):
        x = np.asarray(x)
    if x.dtype == np.float16:
        x = fnp.asarray(x, dtype=np.float32)
    elif not np.issubdtype(x.dtype, np.inexact):
        x = fnp.asarray(x, dtype=np.float64)
    return x


def _real_only(fname: str, argname: str, x):
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(
            f"{fname}: complex {argname} is not supported (got {x.dtype}, at {_at()}); split it "
            "into real and imaginary parts."
        )
    return x


def _mH(x):
    """The conjugate transpose of the last two axes."""
    t = fnp.swapaxes(x, -1, -2)
    return fnp.conj(t) if np.issubdtype(t.dtype, np.complexfloating) else t


def _matrix(fname: str, argname: str, x, *, square: bool = False):
    x = _as_float(fname, argname, x)
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(
            f"{fname}: {argname} must be a matrix or a stack of matrices (..., m, n), got shape "
            f"{shape} (at {_at()})."
        )
    if square and shape[-1] != shape[-2]:
        raise ShapeError(
            f"{fname}: {argname} must be square in its last two dimensions (..., n, n), got "
            f"shape {shape} (at {_at()})."
        )
    return x


def _tril(x, k=0):
    m, n = shape_of(x)[-2:]
    return x * np.tril(np.ones((m, n), x.dtype), k)


def _triu(x, k=0):
    m, n = shape_of(x)[-2:]
    return x * np.triu(np.ones((m, n), x.dtype), k)


def _rhs(fname: str, n: int, b):
    """``b`` as (..., n, k) and whether it was a vector (n,): SciPy's (and JAX's) rule."""
    b = _as_float(fname, "b", b)
    sb = shape_of(b)
    vector = len(sb) == 1
    if not sb or sb[0 if vector else -2] != n:
        raise ShapeError(
            f"{fname}: b {sb} does not fit a matrix of order {n}: b must be ({n},) or "
            f"(..., {n}, k) (at {_at()})."
        )
    return (b[:, None] if vector else b), vector


def _broadcast(fname, a, b):
    sa, sb = shape_of(a), shape_of(b)
    try:
        lead = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"{fname}: the batch dimensions of a {sa} and b {sb} do not broadcast (at {_at()})."
        ) from None
    return fnp.broadcast_to(a, lead + sa[-2:]), fnp.broadcast_to(b, lead + sb[-2:])


def _same_dtype(a, b):
    dtype = np.result_type(a.dtype, b.dtype)
    return fnp.asarray(a, dtype=dtype), fnp.asarray(b, dtype=dtype)


# ----------------------------------------------------------------------------- Cholesky


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """The Cholesky factor of a symmetric positive definite ``a``, like
    ``scipy.linalg.cholesky``: upper ``U`` (``a = Uᵀ U``) by default, lower ``L`` (``a = L Lᵀ``)
    with ``lower=True``. Only that triangle of ``a`` is read; the other triangle of the result
    is zero. Batched over leading dimensions.

    A matrix that is not positive definite raises ``numpy.linalg.LinAlgError`` (JAX returns NaN).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]])).tolist()
        [[2.0, 1.0], [0.0, 2.0]]
    """
    a = _matrix("cholesky", "a", a, square=True)
    if lower:
        return lax.linalg.cholesky(a, symmetrize_input=False)
    return _mH(lax.linalg.cholesky(_mH(a), symmetrize_input=False))


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """``(c, lower)`` for [`cho_solve`][ftrans.scipy.linalg.cho_solve]: ``c`` is
    [`cholesky`][ftrans.scipy.linalg.cholesky] ``(a, lower)`` (with zeros in the other triangle,
    unlike SciPy's arbitrary entries there).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> c, low = linalg.cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]), lower=True)
        >>> c.tolist(), low
        ([[2.0, 0.0], [1.0, 2.0]], True)
    """
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)``: two triangular solves.

    ``b`` is (n,) or (..., n, k); batch dimensions of ``c`` and ``b`` broadcast.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> linalg.cho_solve(linalg.cho_factor(a), np.array([6.0, 7.0])).tolist()
        [1.0, 1.0]
    """
    try:
        if isinstance(c_and_lower, (np.ndarray, Tracer)):
            raise TypeError
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise TypeError(
            f"cho_solve: the first argument must be the pair (c, lower) that cho_factor returns "
            f"(at {_at()})."
        ) from None
    c = _matrix("cho_solve", "c", c, square=True)
    n = shape_of(c)[-1]
    b, vector = _rhs("cho_solve", n, b)
    c, b = _same_dtype(c, b)
    c, b = _broadcast("cho_solve", c, b)
    # lower: L Lᴴ x = b; upper: Uᴴ U x = b
    solve_t = lax.linalg.triangular_solve
    y = solve_t(c, b, left_side=True, lower=lower, transpose_a=not lower, conjugate_a=not lower)
    x = solve_t(c, y, left_side=True, lower=lower, transpose_a=lower, conjugate_a=lower)
    return x[..., 0] if vector else x


def solve_triangular(
    a,
    b,
    trans=0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    debug=None,
    check_finite: bool = True,
):
    """Solve ``a x = b`` (``trans=1``/``'T'``: ``aᵀ x = b``) for triangular ``a``, like
    ``scipy.linalg.solve_triangular``: only the ``lower`` (default upper) triangle of ``a`` is
    read; ``unit_diagonal`` takes its diagonal to be ones. ``b`` is (n,) or (..., n, k).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> a = np.array([[2.0, 1.0], [0.0, 1.0]])
        >>> linalg.solve_triangular(a, np.array([4.0, 2.0])).tolist()
        [1.0, 2.0]
    """
    a = _as_float("solve_triangular", "a", a)
    b = _as_float("solve_triangular", "b", b)
    return _solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


# ----------------------------------------------------------------------------- LU


def _permutation_matrix(perm, dtype):
    """``p`` with ``p[..., i, j] = (perm[..., j] == i)``, so that ``a = p @ l @ u``."""
    m = shape_of(perm)[-1]
    return fnp.asarray(perm[..., None, :] == np.arange(m)[:, None], dtype=dtype)


def _l_and_u(packed):
    m, n = shape_of(packed)[-2:]
    k = min(m, n)
    low = _tril(packed[..., :, :k], -1) + np.eye(m, k, dtype=packed.dtype)
    up = _triu(packed[..., :k, :])
    return low, up


def lu(a, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """LU decomposition with partial pivoting, like ``scipy.linalg.lu``: ``(p, l, u)`` with
    ``a = p @ l @ u`` (``p`` a permutation matrix, ``l`` unit lower (m, k), ``u`` upper (k, n),
    ``k = min(m, n)``), or ``(p @ l, u)`` with ``permute_l=True``. Differentiable in ``a``
    (where the pivot order does not change). Batched over leading dimensions.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> p, l, u = linalg.lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> p.tolist(), u.tolist()
        ([[0.0, 1.0], [1.0, 0.0]], [[3.0, 4.0], [0.0, 0.6666666666666667]])
    """
    a = _matrix("lu", "a", a)
    packed, _, perm = lax.linalg.lu(a)
    low, up = _l_and_u(packed)
    p = _permutation_matrix(perm, a.dtype)
    if permute_l:
        return p @ low, up
    return p, low, up


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """``(lu, piv)`` for [`lu_solve`][ftrans.scipy.linalg.lu_solve], like
    ``scipy.linalg.lu_factor``: ``lu`` packs ``l`` (strictly below the diagonal) and ``u``; ``piv``
    (int32) are LAPACK's 0-based row interchanges (row ``i`` was swapped with row ``piv[i]``).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> lu, piv = linalg.lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> piv.tolist()
        [1, 1]
    """
    a = _matrix("lu_factor", "a", a)
    packed, pivots, _ = lax.linalg.lu(a)
    return packed, pivots


def lu_solve(lu_and_piv, b, trans: int = 0, overwrite_b: bool = False, check_finite: bool = True):
    """Solve ``a x = b`` (``trans=1``: ``aᵀ x = b``; ``2``: ``aᴴ x = b``) given
    ``(lu, piv) = lu_factor(a)``.

    ``b`` is (n,) or (..., n, k); batch dimensions broadcast. Differentiable in ``lu`` and
    ``b``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> linalg.lu_solve(linalg.lu_factor(a), np.array([3.0, 4.0])).tolist()
        [1.0, 1.0]
    """
    try:
        if isinstance(lu_and_piv, (np.ndarray, Tracer)):
            raise TypeError
        packed, pivots = lu_and_piv
    except (TypeError, ValueError):
        raise TypeError(
            f"lu_solve: the first argument must be the pair (lu, piv) that lu_factor returns "
            f"(at {_at()})."
        ) from None
    if trans not in (0, 1, 2, "N", "T", "C"):
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r} (at {_at()}).")
    transpose = trans in (1, 2, "T", "C")
    conjugate = trans in (2, "C")
    packed = _matrix("lu_solve", "lu", packed, square=True)
    n = shape_of(packed)[-1]
    perm = lax.linalg.lu_pivots_to_permutation(pivots, n)
    b, vector = _rhs("lu_solve", n, b)
    packed, b = _same_dtype(packed, b)
    packed, b = _broadcast("lu_solve", packed, b)
    lead = shape_of(b)[:-2]
    perm = fnp.broadcast_to(perm, lead + (n,))
    index = fnp.broadcast_to(perm[..., :, None], shape_of(b))
    solve_t = lax.linalg.triangular_solve
    if not transpose:  # l u x = b[perm]
        y = fnp.take_along_axis(b, index, axis=-2)
        y = solve_t(packed, y, left_side=True, lower=True, unit_diagonal=True)
        x = solve_t(packed, y, left_side=True, lower=False)
    else:  # uᵀ lᵀ (pᵀ x) = b, and (pᵀ x)[j] = x[perm[j]]
        c = conjugate  # trans=2: aᴴ x = b
        z = solve_t(packed, b, left_side=True, lower=False, transpose_a=True, conjugate_a=c)
        z = solve_t(
            packed,
            z,
            left_side=True,
            lower=True,
            transpose_a=True,
            conjugate_a=c,
            unit_diagonal=True,
        )
        inverse = fnp.broadcast_to(fnp.argsort(perm, axis=-1)[..., :, None], shape_of(b))
        x = fnp.take_along_axis(z, inverse, axis=-2)
    return x[..., 0] if vector else x


# ----------------------------------------------------------------------------- solve, inv, det

_ASSUME_A = ("gen", "sym", "her", "pos")


def solve(
    a,
    b,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    debug: bool = False,
    check_finite: bool = True,
    assume_a: str = "gen",
):
    """Solve ``a x = b``, like ``jax.scipy.linalg.solve``: ``assume_a='pos'`` factors ``a`` by
    Cholesky (reading its ``lower``, default upper, triangle); ``'gen'``, ``'sym'`` and
    ``'her'`` use the general LU solve on all of ``a`` (as JAX does; SciPy's ``'sym'`` reads one
    triangle, which is the same for a symmetric ``a``).

    ``b`` is (n,) or (..., n, k); batch dimensions broadcast.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> linalg.solve(a, np.array([6.0, 7.0]), assume_a="pos").tolist()
        [1.0, 1.0]
    """
    if assume_a not in _ASSUME_A:
        raise ValueError(
            f"solve: assume_a must be one of {list(_ASSUME_A)}, got {assume_a!r} (at {_at()})."
        )
    a = _matrix("solve", "a", a, square=True)
    n = shape_of(a)[-1]
    b2, vector = _rhs("solve", n, b)
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower=lower), b2[..., 0] if vector else b2)
    a, b2 = _same_dtype(a, b2)
    a, b2 = _broadcast("solve", a, b2)
    x = fnp.linalg.solve(a, b2)
    return x[..., 0] if vector else x


def inv(a, overwrite_a: bool = False, check_finite: bool = True):
    """The inverse of square ``a`` (batched), like ``scipy.linalg.inv``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return fnp.linalg.inv(_matrix("inv", "a", a, square=True))


def det(a, overwrite_a: bool = False, check_finite: bool = True):
    """The determinant of square ``a`` (batched), like ``scipy.linalg.det``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> float(linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]])))
        5.0
    """
    return fnp.linalg.det(_matrix("det", "a", a, square=True))


# ----------------------------------------------------------------------------- eigenproblems


def _index_pair(fname, subset, n, *, inclusive):
    try:
        lo, hi = (int(i) for i in subset)
    except (TypeError, ValueError):
        raise TypeError(
            f"{fname}: the index range must be a pair of ints, got {subset!r}"
        ) from None
    stop = hi + 1 if inclusive else hi
    if not 0 <= lo < stop <= n:
        raise ValueError(
            f"{fname}: index range {tuple(subset)!r} is out of range for {n} eigenvalues "
            f"(need 0 <= lo <= hi < {n}; at {_at()})."
        )
    return lo, stop


def eigh(
    a,
    b=None,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    turbo: bool = True,
    eigvals=None,
    type: int = 1,  # noqa: A002  (SciPy's name)
    check_finite: bool = True,
    subset_by_index=None,
):
    """Eigenvalues ``w`` (ascending) and eigenvectors ``v`` of symmetric ``a``, like
    ``scipy.linalg.eigh``: ``(w, v)``, or ``w`` with ``eigvals_only``. Only the ``lower``
    (default) or upper triangle of ``a`` is read. ``subset_by_index=(lo, hi)`` (inclusive, as
    in SciPy; ``eigvals`` is its old name) keeps those eigenpairs. The generalized problem
    (``b``) is not supported, as in JAX.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True).tolist()
        [1.0, 3.0]
    """
    if b is not None:
        raise UnsupportedError(
            f"eigh: the generalized problem a v = w b v (b=) is not supported (at {_at()}); "
            "with b = L Lᵀ (cholesky) solve the standard problem for L⁻¹ a L⁻ᵀ instead."
        )
    if type != 1:
        raise UnsupportedError(f"eigh: only type=1 is supported, got type={type!r}")
    a = _matrix("eigh", "a", a, square=True)
    uplo = "L" if lower else "U"
    subset = subset_by_index if subset_by_index is not None else eigvals
    if eigvals_only and subset is None:
        return fnp.linalg.eigvalsh(a, UPLO=uplo)
    w, v = fnp.linalg.eigh(a, UPLO=uplo)
    if subset is not None:
        lo, stop = _index_pair("eigh", subset, shape_of(a)[-1], inclusive=True)
        w, v = w[..., lo:stop], v[..., lo:stop]
    return w if eigvals_only else (w, v)


def eigh_tridiagonal(
    d, e, *, eigvals_only: bool = False, select: str = "a", select_range=None, tol=None
):
    """Eigenvalues (and, beyond JAX, eigenvectors) of the symmetric tridiagonal matrix with
    diagonal ``d`` (n,) and off-diagonal ``e`` (n-1,), like ``scipy.linalg.eigh_tridiagonal``.

    ``select='a'`` gives all, ``select='i'`` those with indices ``select_range[0] <= i <=
    select_range[1]``; ``select='v'`` (by value) has a value-dependent size and is not supported
    (as in JAX). Computed by a dense symmetric eigensolver on the assembled matrix (O(n³)),
    differentiable in ``d`` and ``e``; ``tol`` is ignored.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> w = linalg.eigh_tridiagonal(np.array([2.0, 2.0]), np.array([1.0]), eigvals_only=True)
        >>> w.tolist()
        [1.0, 3.0]
    """
    d = _real_only("eigh_tridiagonal", "d", _as_float("eigh_tridiagonal", "d", d))
    e = _real_only("eigh_tridiagonal", "e", _as_float("eigh_tridiagonal", "e", e))
    n = shape_of(d)[-1] if shape_of(d) else 0
    if len(shape_of(d)) != 1 or shape_of(e) != (max(n - 1, 0),):
        raise ShapeError(
            f"eigh_tridiagonal: d must be (n,) and e (n-1,), got {shape_of(d)} and {shape_of(e)} "
            f"(at {_at()})."
        )
    if select not in ("a", "i", "v"):
        raise ValueError(f"eigh_tridiagonal: select must be 'a', 'i' or 'v', got {select!r}")
    if select == "v":
        raise UnsupportedError(
            "eigh_tridiagonal: select='v' (eigenvalues in a value range) returns a "
            "value-dependent number of eigenvalues; compute all (select='a') and mask them."
        )
    d, e = _same_dtype(d, e)
    e_full = fnp.concatenate([e, fnp.zeros((1,), d.dtype)]) if n else e  # e[i] at (i, i+1)
    t = d[:, None] * np.eye(n, dtype=d.dtype)
    t = t + e_full[:, None] * np.eye(n, k=1, dtype=d.dtype)
    t = t + e_full[None, :] * np.eye(n, k=-1, dtype=d.dtype)
    subset = None
    if select == "i":
        if select_range is None:
            raise ValueError("eigh_tridiagonal: select='i' needs select_range=(lo, hi)")
        subset = select_range
    return eigh(t, eigvals_only=eigvals_only, subset_by_index=subset)


def svd(
    a,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
):
    """Singular value decomposition, like ``scipy.linalg.svd``: ``(u, s, vh)`` with
    ``a = u @ diag(s) @ vh``, or ``s`` without ``compute_uv``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.svd(np.diag([1.0, 3.0]), compute_uv=False).tolist()
        [3.0, 1.0]
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"svd: lapack_driver must be 'gesdd' or 'gesvd', got {lapack_driver!r}")
    a = _matrix("svd", "a", a)
    out = fnp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


_QR_MODES = ("full", "r", "economic")


def qr(
    a,
    overwrite_a: bool = False,
    lwork=None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
):
    """QR decomposition, like ``scipy.linalg.qr``: ``(q, r)`` with ``mode='full'`` (``q`` is
    (m, m)) or ``'economic'`` (``q`` is (m, k)); ``mode='r'`` returns ``(r,)`` (a 1-tuple, as
    SciPy and JAX do). Column pivoting is not available.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> q, r = linalg.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
        >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]]), np.allclose(q.T @ q, np.eye(2))
        (True, True)
    """
    if mode not in _QR_MODES:
        raise ValueError(f"qr: mode must be one of {list(_QR_MODES)}, got {mode!r} (at {_at()}).")
    if pivoting:
        raise UnsupportedError(
            f"qr: pivoting=True (column-pivoted QR) is not available in ftrans (at {_at()})."
        )
    a = _matrix("qr", "a", a)
    if mode != "r":
        return lax.linalg.qr(a, full_matrices=mode == "full")
    # r of the complete decomposition is the reduced one with zero rows below (differentiable)
    *lead, m, n = shape_of(a)
    _, r = lax.linalg.qr(a, full_matrices=False)
    if m > n:
        r = fnp.concatenate([r, fnp.zeros((*lead, m - n, n), r.dtype)], axis=-2)
    return (r,)


def polar(a, side: str = "right", *, method: str = "qdwh", eps=None, max_iterations=None):
    """Polar decomposition ``(u, p)`` of ``a`` (m, n), like ``jax.scipy.linalg.polar``:
    ``a = u p`` (``side='right'``, ``p`` (n, n)) or ``a = p u`` (``'left'``, ``p`` (m, m)), with
    ``u`` orthonormal and ``p`` symmetric positive semidefinite. Computed from the thin SVD for
    either ``method`` (``'qdwh'`` or ``'svd'``; ``eps``/``max_iterations`` are ignored).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> u, p = linalg.polar(np.array([[0.0, 2.0], [3.0, 0.0]]))
        >>> u.round(12).tolist(), p.round(12).tolist()
        ([[0.0, 1.0], [1.0, 0.0]], [[3.0, 0.0], [0.0, 2.0]])
    """
    if side not in ("right", "left"):
        raise ValueError(f"polar: side must be 'right' or 'left', got {side!r}")
    if method not in ("qdwh", "svd"):
        raise ValueError(f"polar: method must be 'qdwh' or 'svd', got {method!r}")
    a = _matrix("polar", "a", a)
    u, s, vh = fnp.linalg.svd(a, full_matrices=False)
    unitary = u @ vh
    s = fnp.asarray(s, dtype=a.dtype)
    if side == "right":
        posdef = (_mH(vh) * s[..., None, :]) @ vh
    else:
        posdef = (u * s[..., None, :]) @ _mH(u)
    return unitary, posdef


# ----------------------------------------------------------------------------- matrix functions

# [13/13] Padé coefficients of exp (Higham 2005, table 10.4) and its scaling threshold θ₁₃.
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


_SQRTM_STEPS = 16  # enough for condition numbers up to ~1e12 with determinant scaling


def _concrete(x):
    """The NumPy value behind ``x`` if it has one (eager use, eager ``grad``), else None."""
    if isinstance(x, Tracer):
        try:
            return np.asarray(x.to_concrete(""))
        except Exception:
            return None
    return np.asarray(x)


def _concrete_max(x):
    """``max(x)`` as a Python int if ``x`` has a concrete value, else None."""
    value = _concrete(x)
    if value is None or not np.all(np.isfinite(value)):
        return None
    return int(np.max(value)) if value.size else 0


def expm(A, *, upper_triangular: bool = False, max_squarings: int = 16):
    """The matrix exponential ``e^A`` of square ``A`` (batched), like
    ``jax.scipy.linalg.expm``.

    Scaling and squaring with the [13/13] Padé approximant: ``s = ceil(log2(‖A‖₁ / θ₁₃))``
    (at least 0), ``r = q(A/2ˢ)⁻¹ p(A/2ˢ)``, then ``s`` squarings (Higham 2005; backward error
    below the unit roundoff). Like JAX, more than ``max_squarings`` squarings give NaN. Written in
    traceable operations, so derivatives of every order are derivatives of the algorithm (the
    Al-Mohy & Higham 2009 Fréchet derivative; see
    [`expm_frechet`][ftrans.scipy.linalg.expm_frechet]). Under ``jit``/``vmap`` all
    ``max_squarings`` squarings are evaluated and selected per matrix; eagerly only the needed ones.
    ``upper_triangular`` is accepted (the general algorithm is used).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> np.round(linalg.expm(np.array([[0.0, 1.0], [0.0, 0.0]])), 12).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    A = _matrix("expm", "A", A, square=True)
    n = shape_of(A)[-1]
    dtype = A.dtype
    norm = lax.stop_gradient(fnp.max(fnp.sum(fnp.abs(A), axis=-2), axis=-1))
    safe = fnp.where(norm > 0, norm, 1.0)
    s = fnp.maximum(fnp.ceil(fnp.log2(safe / _THETA13)), 0.0)
    s = fnp.where(norm > 0, s, 0.0)
    scale = fnp.asarray(fnp.exp2(-s), dtype=dtype)[..., None, None]
    X = A * scale
    eye = np.eye(n, dtype=dtype)
    b = _PADE13
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X2 @ X4
    U = X @ (
        X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * eye
    )
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * eye
    R = fnp.linalg.solve(V - U, V + U)
    steps = _concrete_max(s)  # None: traced, or an infinite/NaN norm (the result is NaN)
    steps = max_squarings if steps is None else min(steps, max_squarings)
    s_col = s[..., None, None]
    for i in range(steps):
        R = fnp.where(s_col > i, R @ R, R)
    return fnp.where(s_col > max_squarings, np.nan, R)


def expm_frechet(A, E, *, method=None, compute_expm: bool = True):
    r"""The Fréchet derivative $L(A, E) = \frac{d}{dt} e^{A + tE} \big|_{t=0}$ with $e^A$, like
    ``jax.scipy.linalg.expm_frechet``: ``(expm(A), L)``, or ``L`` alone without
    ``compute_expm``. It is ``jvp(expm, (A,), (E,))``: the derivative of the scaling-and-squaring
    algorithm, as in Al-Mohy & Higham (2009). ``method`` is accepted for SciPy compatibility.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> a = np.diag([1.0, 2.0])
        >>> _, frechet = linalg.expm_frechet(a, np.eye(2))
        >>> np.allclose(frechet, np.diag(np.exp([1.0, 2.0])))
        True
    """
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(
            f"expm_frechet: method must be None, 'SPS' or 'blockEnlarge', got {method!r}"
        )
    A = _matrix("expm_frechet", "A", A, square=True)
    E = _matrix("expm_frechet", "E", E, square=True)
    if shape_of(A) != shape_of(E):
        raise ShapeError(
            f"expm_frechet: A {shape_of(A)} and E {shape_of(E)} must have the same shape "
            f"(at {_at()})."
        )
    A, E = _same_dtype(A, E)
    value, frechet = jvp(expm, (A,), (E,))
    return (value, frechet) if compute_expm else frechet


def sqrtm(A, blocksize: int = 1):
    """The principal square root ``X`` (``X @ X = A``) of a real square ``A`` whose eigenvalues
    avoid the closed negative real axis (then ``X`` is real), like ``scipy.linalg.sqrtm``.

    Computed by the scaled product form of the Denman-Beavers iteration (Higham, *Functions of
    Matrices*, eq. 6.29): ``X ← μX(I + μ⁻²M⁻¹)/2``, ``M ← (I + (μ²M + μ⁻²M⁻¹)/2)/2`` with
    ``μ = |det M|^(-1/2n)``, up to 16 steps (eagerly it stops once ``M = I``), all traceable:
    derivatives are those of the converged iteration (the solution of ``X dX + dX X = dA``).
    Relative accuracy is about ``cond(A) · eps`` (SciPy's Schur method does better on very
    ill-conditioned matrices). Unlike JAX (which always returns complex), the result is real; a
    matrix with negative real eigenvalues has no real square root and raises eagerly (under
    ``jit`` the result is then meaningless).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> np.round(linalg.sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]])), 12).tolist()
        [[2.0, 0.0], [0.0, 3.0]]
    """
    A = _matrix("sqrtm", "A", A, square=True)
    n = shape_of(A)[-1]
    eye = np.eye(n, dtype=A.dtype)
    X, M = A, A
    tol = 10 * n * np.finfo(A.dtype).eps
    done = 0
    for _ in range(_SQRTM_STEPS):
        _, logdet = fnp.linalg.slogdet(M)
        mu = fnp.exp(-logdet / (2 * n))[..., None, None]
        M_inv = fnp.linalg.inv(M)
        X = mu * (X @ (eye + M_inv / (mu * mu))) / 2
        M = (eye + (mu * mu * M + M_inv / (mu * mu)) / 2) / 2
        # with concrete values stop two steps after M reaches I (the second step lets the
        # derivative, which converges at the same rate, settle too); traced: all steps
        gap = _concrete(fnp.max(fnp.abs(M - eye)))
        if gap is not None and (done or gap < tol):
            done += 1
            if done == 2:
                break
    if not tracing():
        residual = np.max(np.abs(X @ X - A)) / max(np.max(np.abs(A)), np.finfo(A.dtype).tiny)
        if not residual < np.sqrt(np.finfo(A.dtype).eps):  # not converged at all
            raise ValueError(
                f"sqrtm: the square-root iteration did not converge (relative residual "
                f"{residual:.2e}, at {_at()}): A has eigenvalues on or near the negative real "
                "axis, so its principal square root is complex or does not exist."
            )
    return X


# ----------------------------------------------------------------------------- special matrices


def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (each made at least 2-D), like
    ``scipy.linalg.block_diag``; no argument gives an empty (1, 0) matrix.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.block_diag(np.ones((1, 1)), 2 * np.ones((1, 2))).tolist()
        [[1.0, 0.0, 0.0], [0.0, 2.0, 2.0]]
    """
    if not arrs:
        return np.zeros((1, 0))
    blocks = []
    for i, x in enumerate(arrs):
        x = fnp.asarray(x) if not isinstance(x, Tracer) else x
        if x.ndim > 2:
            raise ShapeError(f"block_diag: argument {i} has {x.ndim} dimensions; at most 2 allowed")
        blocks.append(fnp.atleast_2d(x))
    dtype = np.result_type(*[b.dtype for b in blocks])
    total = sum(shape_of(b)[1] for b in blocks)
    rows, before = [], 0
    for b in blocks:
        r, c = shape_of(b)
        parts = [fnp.zeros((r, before), dtype), fnp.asarray(b, dtype=dtype)]
        parts.append(fnp.zeros((r, total - before - c), dtype))
        rows.append(fnp.concatenate(parts, axis=1))
        before += c
    return fnp.concatenate(rows, axis=0)


def _vector_operand(x):
    return fnp.asarray(x) if not isinstance(x, Tracer) else x


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` and first row ``r`` (``r[0]`` ignored;
    ``r = conj(c)`` by default), like ``jax.scipy.linalg.toeplitz``; leading dimensions of ``c`` and
    ``r`` are batch dimensions.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.toeplitz(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0])).tolist()
        [[1.0, 4.0], [2.0, 1.0], [3.0, 2.0]]
    """
    c = _vector_operand(c)
    r = fnp.conj(c) if r is None else _vector_operand(r)
    if c.ndim == 0 or r.ndim == 0:
        c, r = fnp.atleast_1d(c), fnp.atleast_1d(r)
    m, n = shape_of(c)[-1], shape_of(r)[-1]
    lead = np.broadcast_shapes(shape_of(c)[:-1], shape_of(r)[:-1])
    dtype = np.result_type(c.dtype, r.dtype)
    c = fnp.broadcast_to(fnp.asarray(c, dtype=dtype), lead + (m,))
    r = fnp.broadcast_to(fnp.asarray(r, dtype=dtype), lead + (n,))
    values = fnp.concatenate([fnp.flip(c, axis=-1), r[..., 1:]], axis=-1)  # c[m-1] .. c[0] r[1:]
    index = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return fnp.take(values, index, axis=-1)


def hankel(c, r=None):
    """The Hankel matrix with first column ``c`` and last row ``r`` (``r[0]`` ignored; zeros by
    default), like ``scipy.linalg.hankel`` (1-D ``c`` and ``r``).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.hankel(np.array([1.0, 2.0, 3.0])).tolist()
        [[1.0, 2.0, 3.0], [2.0, 3.0, 0.0], [3.0, 0.0, 0.0]]
    """
    c = fnp.ravel(_vector_operand(c))
    r = fnp.zeros_like(c) if r is None else fnp.ravel(_vector_operand(r))
    m, n = shape_of(c)[0], shape_of(r)[0]
    dtype = np.result_type(c.dtype, r.dtype)
    values = fnp.concatenate([fnp.asarray(c, dtype=dtype), fnp.asarray(r[1:], dtype=dtype)])
    index = np.arange(m)[:, None] + np.arange(n)[None, :]
    return fnp.take(values, index, axis=0)


def circulant(c):
    """The circulant matrix with first column ``c`` (..., n), like ``scipy.linalg.circulant``:
    ``C[i, j] = c[(i - j) mod n]``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import linalg
        >>> linalg.circulant(np.array([1.0, 2.0, 3.0])).tolist()
        [[1.0, 3.0, 2.0], [2.0, 1.0, 3.0], [3.0, 2.0, 1.0]]
    """
    c = fnp.atleast_1d(_vector_operand(c))
    n = shape_of(c)[-1]
    index = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return fnp.take(c, index, axis=-1)
