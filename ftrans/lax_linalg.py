"""``ftrans.lax.linalg``: the linear-algebra primitives with ``jax.lax.linalg``'s signatures,
plus SciPy-style ``solve_triangular`` and the primitives ``ftrans.numpy.linalg`` is built on
(``eigvalsh``, ``inverse``, ``pinv``, ``slogdet``, ``solve``).

Like the rest of ``ftrans.lax`` these do no dtype promotion beyond ints to float64: operands are
real float32/float64 stacks of matrices ``(..., m, n)``; batch dimensions of two operands
broadcast. ``ftrans.numpy.linalg`` and ``ftrans.scipy.linalg`` are the user-facing layers.
As in JAX, ``eigh`` returns ``(v, w)`` (eigenvectors first) and ``triangular_solve`` solves
``x op(a) = b`` unless ``left_side=True``.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import shape_of
from ftrans.errors import ShapeError, UnsupportedError, format_frame, user_frame
from ftrans.numpy._util import broadcast_to_shape, cast, to_operand
from ftrans.primitives import elementwise as ew
from ftrans.primitives import linalg as P
from ftrans.primitives.linalg import eigvalsh, inverse, pinv, slogdet, solve
from ftrans.primitives.linalg_lu import lu as _lu
from ftrans.primitives.linalg_lu import lu_pivots_to_permutation as _pivots_to_permutation
from ftrans.primitives.shape import reshape, slice_

__all__ = [
    "cholesky",
    "eigh",
    "eigvalsh",
    "inverse",
    "lu",
    "lu_pivots_to_permutation",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "triangular_solve",
]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _at() -> str:
    return format_frame(user_frame())


def _float_matrix(name: str, x, *, square: bool = False):
    """``x`` as a real float operand of rank >= 2 (ints become float64), square if asked."""
    x = to_operand(x)
    x = np.asarray(x) if type(x) in (float, int, bool) else x
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(
            f"{name}: expected a matrix or a stack of matrices (..., m, n), got shape {shape} "
            f"(at {_at()})."
        )
    if square and shape[-1] != shape[-2]:
        raise ShapeError(
            f"{name}: expected square matrices (..., n, n), got shape {shape} (at {_at()})."
        )
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(
            f"{name}: complex matrices are not supported by ftrans.lax.linalg yet (got "
            f"{x.dtype}, at {_at()}); split into real and imaginary parts."
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = cast(x, np.float64)
    elif x.dtype == np.float16:
        raise TypeError(f"{name}: float16 is not supported by LAPACK (at {_at()}); use float32.")
    return x


def _symmetrized(x):
    return ew.mul(ew.add(x, P.mT(x)), ew.const(0.5, x))


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor ``L`` (``x = L Lᵀ``) of each matrix of ``x`` (..., n, n), like
    ``jax.lax.linalg.cholesky``: with ``symmetrize_input`` the factor of ``(x + xᵀ)/2``,
    otherwise of the symmetric matrix whose lower triangle is ``x``'s.

    A matrix that is not positive definite raises ``numpy.linalg.LinAlgError`` (JAX returns
    NaNs instead).

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]])).tolist()
        [[2.0, 0.0], [1.0, 2.0]]
    """
    x = _float_matrix("cholesky", x, square=True)
    return P.cholesky(_symmetrized(x) if symmetrize_input else x)


def eigh(
    x,
    *,
    lower: bool = True,
    symmetrize_input: bool = True,
    sort_eigenvalues: bool = True,
    subset_by_index=None,
):
    """Eigenvectors and eigenvalues ``(v, w)`` of symmetric matrices, ascending, like
    ``jax.lax.linalg.eigh`` (note the order: vectors first; ``x v = v diag(w)``).

    With ``symmetrize_input`` the decomposition of ``(x + xᵀ)/2``; otherwise of the symmetric
    matrix read from the ``lower`` (or upper) triangle. ``subset_by_index=(lo, hi)`` keeps
    eigenpairs ``lo <= i < hi`` (all are computed). ``sort_eigenvalues`` must be true (LAPACK
    sorts them).

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> v, w = lax.linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        >>> w.tolist()
        [1.0, 3.0]
    """
    if not sort_eigenvalues:
        raise ValueError(
            f"eigh: sort_eigenvalues=False is not supported (at {_at()}); eigenvalues always "
            "come in ascending order."
        )
    x = _float_matrix("eigh", x, square=True)
    if symmetrize_input:
        x = _symmetrized(x)
    elif not lower:
        x = P.mT(x)  # the primitive reads the lower triangle
    w, v = P.eigh(x)
    if subset_by_index is not None:
        lo, hi = _index_range("eigh", subset_by_index, shape_of(x)[-1])
        w, v = _last_axis(w, lo, hi), _last_axis(v, lo, hi)
    return v, w


def _index_range(name, subset, n):
    try:
        lo, hi = (int(i) for i in subset)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: subset_by_index must be a pair of ints (lo, hi), got {subset!r}"
        ) from None
    if not 0 <= lo <= hi <= n:
        raise ValueError(
            f"{name}: subset_by_index {subset!r} is out of range for {n} eigenvalues; "
            f"need 0 <= lo <= hi <= {n}"
        )
    return lo, hi


def _last_axis(x, lo, hi):
    shape = shape_of(x)
    nd = len(shape)
    return slice_(x, (0,) * (nd - 1) + (lo,), (*shape[:-1], hi))


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """``(q, r)`` with ``x = q r``, like ``jax.lax.linalg.qr``: ``full_matrices=True`` gives the
    complete ``q`` (m, m), otherwise the reduced one (m, k). Column pivoting is not available.

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> q, r = lax.linalg.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
        >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
        True
    """
    if pivoting:
        raise UnsupportedError(
            f"qr: pivoting=True (column-pivoted QR) is not available in ftrans (at {_at()}); "
            "use pivoting=False."
        )
    x = _float_matrix("qr", x)
    q, r = P.qr(x, complete=bool(full_matrices))
    return q, r


def svd(
    x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None, algorithm=None
):
    """``(u, s, vh)`` with ``x = u diag(s) vh`` (or only ``s`` without ``compute_uv``), like
    ``jax.lax.linalg.svd``. ``subset_by_index=(lo, hi)`` keeps singular triplets
    ``lo <= i < hi`` (largest first; all are computed); ``algorithm`` is accepted and ignored
    (LAPACK ``gesdd`` through NumPy).

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.linalg.svd(np.diag([1.0, 3.0]), compute_uv=False).tolist()
        [3.0, 1.0]
    """
    x = _float_matrix("svd", x)
    out = P.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    if subset_by_index is not None:
        lo, hi = _index_range("svd", subset_by_index, min(shape_of(x)[-2:]))
        if compute_uv:
            u, s, vh = out
            out = [_last_axis(u, lo, hi), _last_axis(s, lo, hi), P.mT(_last_axis(P.mT(vh), lo, hi))]
        else:
            out = [_last_axis(out[0], lo, hi)]
    return tuple(out) if compute_uv else out[0]


def triangular_solve(
    a,
    b,
    *,
    left_side: bool = False,
    lower: bool = False,
    transpose_a: bool = False,
    conjugate_a: bool = False,
    unit_diagonal: bool = False,
):
    """Solve with a triangular ``a``, like ``jax.lax.linalg.triangular_solve``:
    ``op(a) x = b`` if ``left_side`` else ``x op(a) = b``, ``op(a)`` = ``a``, ``aᵀ``
    (``transpose_a``); ``conjugate_a`` is a no-op for real matrices. Only the ``lower`` (default
    upper) triangle of ``a`` is read; ``unit_diagonal`` takes its diagonal to be ones.

    ``a`` is (..., n, n), ``b`` (..., n, k) for ``left_side`` or (..., k, n) otherwise.

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
        >>> lax.linalg.triangular_solve(a, np.array([[2.0], [3.0]]), left_side=True,
        ...                             lower=True).tolist()
        [[1.0], [2.0]]
    """
    a = _float_matrix("triangular_solve", a, square=True)
    b = _float_matrix("triangular_solve", b)
    n = shape_of(a)[-1]
    along = -2 if left_side else -1
    if shape_of(b)[along] != n:
        want = f"(..., {n}, k)" if left_side else f"(..., k, {n})"
        raise ShapeError(
            f"triangular_solve: b {shape_of(b)} does not fit a {shape_of(a)} with "
            f"left_side={left_side}: b must be {want} (at {_at()})."
        )
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = cast(a, dtype), cast(b, dtype)
    lead = _lead("triangular_solve", a, b)
    a = broadcast_to_shape(a, lead + (n, n))
    b = broadcast_to_shape(b, lead + shape_of(b)[-2:])
    if left_side:
        return P.triangular_solve(
            a, b, lower=lower, transpose_a=transpose_a, unit_diagonal=unit_diagonal
        )
    # x op(a) = b  <=>  op(a)ᵀ xᵀ = bᵀ
    x = P.triangular_solve(
        a, P.mT(b), lower=lower, transpose_a=not transpose_a, unit_diagonal=unit_diagonal
    )
    return P.mT(x)


def _lead(name, a, b):
    try:
        return np.broadcast_shapes(shape_of(a)[:-2], shape_of(b)[:-2])
    except ValueError:
        raise ShapeError(
            f"{name}: the batch dimensions of a {shape_of(a)} and b {shape_of(b)} do not "
            f"broadcast (at {_at()})."
        ) from None


def lu(x):
    """LU factorization with partial pivoting, like ``jax.lax.linalg.lu``: ``(lu, pivots,
    permutation)`` for ``x`` (..., m, n), where ``lu`` packs unit-lower ``L`` (below the
    diagonal) and upper ``U``, ``pivots`` (int32, (..., min(m, n))) are LAPACK's 0-based row
    interchanges and ``permutation`` (int32, (..., m)) satisfies
    ``x[..., permutation, :] == L @ U``. Differentiable in ``x``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lu, pivots, perm = lax.linalg.lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> lu.tolist(), pivots.tolist(), perm.tolist()
        ([[3.0, 4.0], [0.3333333333333333, 0.6666666666666667]], [1, 1], [1, 0])
    """
    x = _float_matrix("lu", x)
    lu_, pivots, perm = _lu(x)
    return lu_, pivots, perm


def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The permutation (int32, (..., permutation_size)) made by LAPACK-style row interchanges
    ``pivots`` (..., k), like ``jax.lax.linalg.lu_pivots_to_permutation``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.linalg.lu_pivots_to_permutation(np.array([2, 2, 2], np.int32), 3).tolist()
        [2, 0, 1]
    """
    pivots = to_operand(pivots)
    pivots = np.asarray(pivots) if type(pivots) in (int, bool) else pivots
    if not np.issubdtype(pivots.dtype, np.integer):
        raise TypeError(
            f"lu_pivots_to_permutation: pivots must be integers, got {pivots.dtype} (at {_at()})."
        )
    k = shape_of(pivots)[-1] if shape_of(pivots) else 0
    if not shape_of(pivots) or k > permutation_size:
        raise ShapeError(
            f"lu_pivots_to_permutation: pivots {shape_of(pivots)} do not fit a permutation of size "
            f"{permutation_size}: pivots must be (..., k) with k <= permutation_size (at {_at()})."
        )
    return _pivots_to_permutation(cast(pivots, np.int32), permutation_size)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """Solve ``a x = b`` (``trans=1``/``'T'``: ``aᵀ x = b``) for a triangular ``a``, with the
    arguments of ``scipy.linalg.solve_triangular``: only the ``lower`` (default: upper)
    triangle of ``a`` is read, and ``unit_diagonal=True`` takes its diagonal to be ones.

    ``a`` is (..., n, n); ``b`` is (n,) or (..., n, k), batch dimensions broadcast. Linear in
    ``b``; differentiable in both. LAPACK-free in the sense that NumPy has no ``trsm``: blocks of
    48 rows are solved by ``numpy.linalg.solve`` and the rest is matrix products, O(n² k).

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.linalg.solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]),
        ...                             lower=True).tolist()
        [1.0, 2.0]
    """
    if trans not in _TRANS:
        raise ValueError(
            f"solve_triangular: trans must be 0/'N', 1/'T' or 2/'C', got {trans!r} (at "
            f"{format_frame(user_frame())})."
        )
    a, b = to_operand(a), to_operand(b)
    a = np.asarray(a) if type(a) in (float, int, bool) else a
    b = np.asarray(b) if type(b) in (float, int, bool) else b
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ShapeError(
            f"solve_triangular: a must be square in its last two dimensions (..., n, n), got "
            f"shape {sa} (at {format_frame(user_frame())})."
        )
    n = sa[-1]
    vector = len(sb) == 1
    if not sb or sb[0 if vector else -2] != n:
        raise ShapeError(
            f"solve_triangular: b {sb} does not fit a {sa}: b must be ({n},) or (..., {n}, k) "
            f"(at {format_frame(user_frame())})."
        )
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"solve_triangular: expected real matrices, got {a.dtype} and {b.dtype}")
    a, b = cast(a, dtype), cast(b, dtype)
    if vector:
        b = reshape(b, new_sizes=(n, 1))
    lead = np.broadcast_shapes(sa[:-2], shape_of(b)[:-2])
    a = broadcast_to_shape(a, lead + (n, n))
    b = broadcast_to_shape(b, lead + shape_of(b)[-2:])
    x = P.triangular_solve(
        a, b, lower=lower, transpose_a=_TRANS[trans], unit_diagonal=unit_diagonal
    )
    return reshape(x, new_sizes=shape_of(x)[:-1]) if vector else x
