"""Linear-algebra primitives: decompositions and solves on the last two axes, NumPy/LAPACK inside.

Every primitive acts on stacks of matrices ``(..., m, n)``; operands of one primitive share their
leading (batch) dimensions (``ftrans.numpy.linalg`` broadcasts them first). The implementations
call ``numpy.linalg`` only. JVP rules are written with ftrans primitives, linear in the tangents,
so reverse mode comes from transposition; ``solve`` and ``triangular_solve`` are linear in their
right-hand side and carry transpose rules. Batching moves the batch axis in front of the leading
dimensions. Inputs of ``cholesky``, ``eigh`` and ``eigvalsh`` are assumed symmetric: their JVPs
use the symmetric part of the tangent, which is what makes their gradients symmetric.

Formulas (real case): Cholesky ``dL = L Φ(L⁻¹ dA L⁻ᵀ)`` (Φ: lower triangle, halved diagonal);
eigh ``dw = diag(Vᵀ dA V)``, ``dV = V (F ∘ Vᵀ dA V)`` with ``F_ij = 1 / (w_j - w_i)`` off the
diagonal (0 on it; infinite for equal eigenvalues, where eigenvector derivatives do not exist);
SVD the analogous formula with ``1 / (s_j² - s_i²)`` plus the parts outside the span of thin
``U``/``V``; QR the formula of Walter & Lehmann; pinv the Golub-Pereyra formula (constant rank).
"""

from __future__ import annotations

import numpy as np

from ftrans.core import Primitive, ShapedArray, Zero, is_undefined, shape_of
from ftrans.errors import ShapeError, UnsupportedError
from ftrans.primitives import elementwise as ew
from ftrans.primitives._batch import batch_size, moveaxis, to_front
from ftrans.primitives.dot import dot_general
from ftrans.primitives.reductions import reduce_sum
from ftrans.primitives.shape import broadcast_in_dim, concatenate, reshape, slice_, transpose

LinAlgError = np.linalg.LinAlgError

# ----------------------------------------------------------------------------- helpers


def _lead(x) -> tuple:
    return shape_of(x)[:-2]


def mT(x):
    """Swap the last two axes."""
    nd = len(shape_of(x))
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return transpose(x, permutation=perm)


def mm(a, b):
    """``a @ b`` for stacks with equal leading dimensions."""
    nb = len(shape_of(a)) - 2
    batch = tuple(range(nb))
    return dot_general(a, b, dimension_numbers=(((nb + 1,), (nb,)), (batch, batch)))


def _masked(x, mask):
    """``x * mask`` for a constant (n, n) mask broadcast over the leading dimensions."""
    return ew.mul(x, np.asarray(mask, x.dtype))


def symmetrize(t):
    """``(t + tᵀ) / 2``."""
    return ew.mul(ew.add(t, mT(t)), ew.const(0.5, t))


def diag_part(x):
    """The diagonal of each (n, n) matrix: ``(..., n)`` (a masked sum, linear in ``x``)."""
    n = shape_of(x)[-1]
    return reduce_sum(_masked(x, np.eye(n)), axes=(len(shape_of(x)) - 1,))


def _row(v, n):
    """``v[..., None, :]`` broadcast to ``(..., n, k)``: entry (i, j) is ``v_j``."""
    lead, k = shape_of(v)[:-1], shape_of(v)[-1]
    nd = len(lead)
    dims = tuple(range(nd)) + (nd + 1,)
    return broadcast_in_dim(v, shape=(*lead, n, k), broadcast_dimensions=dims)


def _col(v, k):
    """``v[..., :, None]`` broadcast to ``(..., n, k)``: entry (i, j) is ``v_i``."""
    lead, n = shape_of(v)[:-1], shape_of(v)[-1]
    nd = len(lead)
    dims = tuple(range(nd)) + (nd,)
    return broadcast_in_dim(v, shape=(*lead, n, k), broadcast_dimensions=dims)


def _inverse_gaps(d):
    """``1 / d`` off the diagonal of ``d`` (each (n, n)), 0 on it, and ``inf`` where an
    off-diagonal ``d`` is exactly 0 (the derivative does not exist there); no NumPy warning."""
    n = shape_of(d)[-1]
    off = np.asarray(1.0 - np.eye(n), d.dtype)
    zero = ew.eq(d, ew.const(0, d))
    safe = ew.select(zero, np.ones(shape_of(d), d.dtype), d)
    inv = ew.mul(ew.div(ew.const(1, d), safe), off)
    inf_off = np.broadcast_to(np.where(off > 0, np.inf, 0).astype(d.dtype), shape_of(d))
    blown = ew.bitwise_and(zero, np.broadcast_to(off.astype(bool), shape_of(d)))
    return ew.select(blown, np.array(inf_off), inv)


def _tangent(t, x):
    return ew.instantiate_zero(t) if type(t) is Zero else t


def _square_aval(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: expected a stack of square matrices (..., n, n), got {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name}: expected a real floating-point matrix, got {a.dtype}")


def _reraise(name, shape, err):
    """NumPy's LinAlgError with the primitive and the matrix shape added."""
    return LinAlgError(f"{name}: {err} (matrix of shape {tuple(shape)})")


def batch_in_front(primitive):
    """Batching for primitives whose operands share leading dimensions: the batch axis goes
    first (broadcast into unbatched operands) and the primitive runs once on the whole stack."""

    def rule(vals, dims, **params):
        size = batch_size(vals, dims)
        moved = [to_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
        out = primitive.bind(*moved, **params)
        if primitive.multiple_results:
            return out, [0] * len(out)
        return out, 0

    return rule


def batch_right_hand_sides(primitive):
    """Batching for the solves: when only ``b`` is batched, its examples become extra columns of
    one right-hand side, so the matrix is factored once for the whole batch; otherwise
    :func:`batch_in_front`."""
    general = batch_in_front(primitive)

    def rule(vals, dims, **params):
        (a, b), (da, db) = vals, dims
        if da is not None:
            return general(vals, dims, **params)
        nd = len(shape_of(b))
        b = moveaxis(b, db, nd - 1)  # (..., n, k, B)
        *lead, n, k, size = shape_of(b)
        x = primitive.bind(a, reshape(b, new_sizes=(*lead, n, k * size)), **params)
        return reshape(x, new_sizes=(*lead, n, k, size)), nd - 1

    return rule


# ----------------------------------------------------------------------------- cholesky


def _cholesky_impl(a):
    try:
        return np.linalg.cholesky(a)
    except LinAlgError as err:
        raise _reraise("cholesky", np.shape(a), err) from None


def _cholesky_aval(a):
    _square_aval("cholesky", a)
    return a


def _cholesky_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    low = cholesky(a)
    t = symmetrize(t)
    # L⁻¹ dA L⁻ᵀ: two triangular solves (the second on the transpose of the first)
    inner = triangular_solve(low, mT(triangular_solve(low, t, lower=True)), lower=True)
    n = shape_of(a)[-1]
    phi = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return low, mm(low, _masked(inner, phi))


cholesky_p = Primitive("cholesky")
cholesky_p.impl = _cholesky_impl
cholesky_p.abstract_eval = _cholesky_aval
cholesky_p.jvp = _cholesky_jvp
cholesky_p.batch = batch_in_front(cholesky_p)
cholesky = cholesky_p.bind


# ----------------------------------------------------------------------------- triangular solve


def _triangle(a, lower, unit_diagonal):
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    return t


_BLOCK = 48  # diagonal blocks solved by LAPACK, the rest by matrix products (BLAS 3)


def _triangular_solve_impl(a, b, *, lower, transpose_a, unit_diagonal):
    a = np.asarray(a)
    b = np.asarray(b)
    t = _triangle(a, lower, unit_diagonal)
    if transpose_a:
        t = np.swapaxes(t, -1, -2)
        lower = not lower
    n = t.shape[-1]
    try:
        if n <= _BLOCK:
            return np.linalg.solve(t, b)
        # blocked substitution: NumPy has no trsm, and a full LU would cost O(n³)
        x = np.empty(np.broadcast_shapes(b.shape), np.result_type(t, b))
        starts = list(range(0, n, _BLOCK))
        for s in starts if lower else reversed(starts):
            e = min(s + _BLOCK, n)
            rhs = b[..., s:e, :]
            if lower and s:
                rhs = rhs - t[..., s:e, :s] @ x[..., :s, :]
            elif not lower and e < n:
                rhs = rhs - t[..., s:e, e:] @ x[..., e:, :]
            x[..., s:e, :] = np.linalg.solve(t[..., s:e, s:e], rhs)
        return x
    except LinAlgError as err:
        raise _reraise("triangular_solve", a.shape, f"{err} (a zero on the diagonal)") from None


def _solve_aval(name, a, b):
    _square_aval(name, a)
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise ShapeError(
            f"{name}: a {a.shape} and b {b.shape} do not fit: b must be (..., n, k) with the "
            "leading dimensions of a and n = a.shape[-1]"
        )
    if a.dtype != b.dtype:
        raise TypeError(f"{name}: a and b must share a dtype, got {a.dtype} and {b.dtype}")
    return b


def _triangular_solve_jvp(primals, tangents, **params):
    a, b = primals
    ta, tb = tangents
    x = triangular_solve(a, b, **params)
    rhs = None if type(tb) is Zero else tb
    if type(ta) is not Zero:
        n = shape_of(a)[-1]
        tri = np.tril(np.ones((n, n))) if params["lower"] else np.triu(np.ones((n, n)))
        if params["unit_diagonal"]:
            tri = tri - np.eye(n)
        da = _masked(ta, tri)  # the implementation reads one triangle only
        term = mm(mT(da) if params["transpose_a"] else da, x)
        rhs = ew.neg(term) if rhs is None else ew.sub(rhs, term)
    return x, triangular_solve(a, rhs, **params)


def _triangular_solve_transpose(ct, a, b, *, lower, transpose_a, unit_diagonal):
    if is_undefined(a):
        raise TypeError("triangular_solve is linear in b only")
    ct = _tangent(ct, b)
    return [
        None,
        triangular_solve(
            a, ct, lower=lower, transpose_a=not transpose_a, unit_diagonal=unit_diagonal
        ),
    ]


triangular_solve_p = Primitive("triangular_solve", linear=True)
triangular_solve_p.impl = _triangular_solve_impl
triangular_solve_p.abstract_eval = lambda a, b, **_: _solve_aval("triangular_solve", a, b)
triangular_solve_p.jvp = _triangular_solve_jvp
triangular_solve_p.transpose = _triangular_solve_transpose
triangular_solve_p.batch = batch_right_hand_sides(triangular_solve_p)


def triangular_solve(a, b, *, lower, transpose_a=False, unit_diagonal=False):
    """Solve ``op(a) x = b`` for ``x``, ``op(a)`` = ``a`` or ``aᵀ``, reading one triangle of a."""
    return triangular_solve_p.bind(
        a, b, lower=bool(lower), transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal)
    )


# ----------------------------------------------------------------------------- solve


def _solve_impl(a, b):
    try:
        return np.linalg.solve(a, b)
    except LinAlgError as err:
        raise _reraise("solve", np.shape(a), err) from None


def _solve_jvp(primals, tangents):
    a, b = primals
    ta, tb = tangents
    x = solve(a, b)
    rhs = None if type(tb) is Zero else tb
    if type(ta) is not Zero:
        term = mm(ta, x)
        rhs = ew.neg(term) if rhs is None else ew.sub(rhs, term)
    return x, solve(a, rhs)


def _solve_transpose(ct, a, b):
    if is_undefined(a):
        raise TypeError("solve is linear in b only")
    return [None, solve(mT(a), _tangent(ct, b))]


solve_p = Primitive("solve", linear=True)
solve_p.impl = _solve_impl
solve_p.abstract_eval = lambda a, b: _solve_aval("solve", a, b)
solve_p.jvp = _solve_jvp
solve_p.transpose = _solve_transpose
solve_p.batch = batch_right_hand_sides(solve_p)
solve = solve_p.bind


def inverse(a):
    """``a⁻¹`` as ``solve(a, I)`` (what ``numpy.linalg.inv`` computes too)."""
    n = shape_of(a)[-1]
    eye = np.broadcast_to(np.eye(n, dtype=a.dtype), shape_of(a))
    return solve(a, eye)


# ----------------------------------------------------------------------------- slogdet


def _slogdet_impl(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return [np.asarray(sign), np.asarray(logabsdet)]


def _slogdet_aval(a):
    _square_aval("slogdet", a)
    out = ShapedArray(a.shape[:-2], a.dtype)
    return [out, out]


def _slogdet_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    sign, logabsdet = slogdet(a)
    try:
        inv = inverse(a)
    except LinAlgError as err:
        raise LinAlgError(
            f"the derivative of slogdet/det at a singular matrix is not available: it needs "
            f"a⁻¹ ({err})"
        ) from None
    # d log|det a| = tr(a⁻¹ da) = sum(a⁻ᵀ ∘ da): one product with a residual, cheap to transpose
    dlog = reduce_sum(ew.mul(mT(inv), t), axes=(len(shape_of(a)) - 2, len(shape_of(a)) - 1))
    return [sign, logabsdet], [Zero.like(sign), dlog]


slogdet_p = Primitive("slogdet", multiple_results=True)
slogdet_p.impl = _slogdet_impl
slogdet_p.abstract_eval = _slogdet_aval
slogdet_p.jvp = _slogdet_jvp
slogdet_p.batch = batch_in_front(slogdet_p)
slogdet = slogdet_p.bind


# ----------------------------------------------------------------------------- eigh, eigvalsh


def _eigh_impl(a):
    try:
        w, v = np.linalg.eigh(a)
    except LinAlgError as err:
        raise _reraise("eigh", np.shape(a), err) from None
    return [w, v]


def _eigh_aval(a):
    _square_aval("eigh", a)
    return [ShapedArray(a.shape[:-1], a.dtype), a]


def _eigh_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    w, v = eigh(a)
    rotated = mm(mT(v), mm(symmetrize(t), v))  # Vᵀ dA V
    n = shape_of(a)[-1]
    gaps = ew.sub(_row(w, n), _col(w, n))  # (i, j): w_j - w_i
    dv = mm(v, ew.mul(_inverse_gaps(gaps), rotated))
    return [w, v], [diag_part(rotated), dv]


eigh_p = Primitive("eigh", multiple_results=True)
eigh_p.impl = _eigh_impl
eigh_p.abstract_eval = _eigh_aval
eigh_p.jvp = _eigh_jvp
eigh_p.batch = batch_in_front(eigh_p)
eigh = eigh_p.bind


def _eigvalsh_impl(a):
    try:
        return np.linalg.eigvalsh(a)
    except LinAlgError as err:
        raise _reraise("eigvalsh", np.shape(a), err) from None


def _eigvalsh_jvp(primals, tangents):
    # Only the eigenvalue part of eigh's rule: no 1/(w_j - w_i), so repeated eigenvalues are fine.
    (a,), (t,) = primals, tangents
    w, v = eigh(a)
    dw = reduce_sum(ew.mul(v, mm(symmetrize(t), v)), axes=(len(shape_of(a)) - 2,))
    return w, dw


eigvalsh_p = Primitive("eigvalsh")
eigvalsh_p.impl = _eigvalsh_impl
eigvalsh_p.abstract_eval = lambda a: _eigh_aval(a)[0]
eigvalsh_p.jvp = _eigvalsh_jvp
eigvalsh_p.batch = batch_in_front(eigvalsh_p)
eigvalsh = eigvalsh_p.bind


# ----------------------------------------------------------------------------- svd


def _svd_impl(a, *, full_matrices, compute_uv):
    try:
        out = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    except LinAlgError as err:
        raise _reraise("svd", np.shape(a), err) from None
    return list(out) if compute_uv else [out]


def _svd_aval(a, *, full_matrices, compute_uv):
    if a.ndim < 2:
        raise ShapeError(f"svd: expected a stack of matrices (..., m, n), got {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"svd: expected a real floating-point matrix, got {a.dtype}")
    *lead, m, n = a.shape
    k = min(m, n)
    s = ShapedArray((*lead, k), a.dtype)
    if not compute_uv:
        return [s]
    um, vn = (m, n) if full_matrices else (k, k)
    return [ShapedArray((*lead, m, um), a.dtype), s, ShapedArray((*lead, vn, n), a.dtype)]


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (a,), (t,) = primals, tangents
    *_, m, n = shape_of(a)
    if compute_uv and full_matrices and m != n:
        raise UnsupportedError(
            f"svd(full_matrices=True) of a non-square matrix {tuple(shape_of(a))} has no "
            "derivative: the extra singular vectors are any orthonormal completion. Use "
            "full_matrices=False (the thin SVD), which is differentiable."
        )
    u, s, vt = svd(a, full_matrices=False, compute_uv=True)
    v = mT(vt)
    dp = mm(mT(u), mm(t, v))  # Uᵀ dA V, (k, k)
    ds = diag_part(dp)
    if not compute_uv:
        return [s], [ds]
    k = min(m, n)
    s_j, s_i = _row(s, k), _col(s, k)
    f = _inverse_gaps(ew.mul(ew.add(s_j, s_i), ew.sub(s_j, s_i)))  # 1 / (s_j² - s_i²)
    dss = ew.mul(dp, s_j)  # dP_ij s_j
    sds = ew.mul(s_i, dp)  # s_i dP_ij
    du = mm(u, ew.mul(f, ew.add(dss, mT(dss))))
    dv = mm(v, ew.mul(f, ew.add(sds, mT(sds))))
    if m != n:
        # the parts outside the span of the thin U (tall a) or V (wide a), divided by s (0 if s=0)
        is_zero = ew.eq(s, ew.const(0, s))
        safe = ew.select(is_zero, np.ones(shape_of(s), s.dtype), s)
        s_inv = ew.select(is_zero, np.zeros(shape_of(s), s.dtype), ew.div(ew.const(1, s), safe))
        if m > n:
            tv = mm(t, v)
            du = ew.add(du, ew.mul(ew.sub(tv, mm(u, dp)), _row(s_inv, m)))
        else:
            tu = mm(mT(t), u)
            dv = ew.add(dv, ew.mul(ew.sub(tu, mm(v, mT(dp))), _row(s_inv, n)))
    return [u, s, vt], [du, ds, mT(dv)]


svd_p = Primitive("svd", multiple_results=True)
svd_p.impl = _svd_impl
svd_p.abstract_eval = _svd_aval
svd_p.jvp = _svd_jvp
svd_p.batch = batch_in_front(svd_p)


def svd(a, *, full_matrices=False, compute_uv=True):
    """``[u, s, vt]`` (or ``[s]`` without ``compute_uv``), like ``numpy.linalg.svd``."""
    full = bool(full_matrices) and bool(compute_uv)
    return svd_p.bind(a, full_matrices=full, compute_uv=bool(compute_uv))


# ----------------------------------------------------------------------------- qr


def _qr_impl(a, *, complete):
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return [q, r]


def _qr_aval(a, *, complete):
    if a.ndim < 2:
        raise ShapeError(f"qr: expected a stack of matrices (..., m, n), got {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"qr: expected a real floating-point matrix, got {a.dtype}")
    *lead, m, n = a.shape
    k = m if complete else min(m, n)
    return [ShapedArray((*lead, m, k), a.dtype), ShapedArray((*lead, k, n), a.dtype)]


def _qr_square_jvp(q, r, t):
    """Tangents of ``a = q r`` with r square and invertible (a tall or square)."""
    x = mT(triangular_solve(r, mT(t), lower=False, transpose_a=True))  # dA r⁻¹
    qt_x = mm(mT(q), x)
    k = shape_of(r)[-1]
    low = _masked(qt_x, np.tril(np.ones((k, k)), -1))
    skew = ew.sub(low, mT(low))
    dq = ew.add(mm(q, ew.sub(skew, qt_x)), x)
    dr = mm(ew.sub(qt_x, skew), r)
    return dq, dr


def _qr_jvp(primals, tangents, *, complete):
    (a,), (t,) = primals, tangents
    m, n = shape_of(a)[-2:]
    if complete and m > n:
        raise UnsupportedError(
            f"qr(mode='complete') of a tall matrix {tuple(shape_of(a))} has no derivative: the "
            "extra columns of q are any orthonormal completion. Use mode='reduced'."
        )
    q, r = qr(a, complete=complete)
    if m >= n:
        dq, dr = _qr_square_jvp(q, r, t)
        return [q, r], [dq, dr]
    # wide: a = q [r1 r2] with r1 square; r2 = qᵀ a2, so dr2 = dqᵀ a2 + qᵀ da2
    nd = len(shape_of(a))

    def cols(x, start, stop):
        sx = shape_of(x)
        return slice_(x, (0,) * (nd - 1) + (start,), (*sx[:-1], stop))

    dq, dr1 = _qr_square_jvp(q, cols(r, 0, m), cols(t, 0, m))
    dr2 = ew.add(mm(mT(dq), cols(a, m, n)), mm(mT(q), cols(t, m, n)))
    return [q, r], [dq, concatenate([dr1, dr2], dimension=nd - 1)]


qr_p = Primitive("qr", multiple_results=True)
qr_p.impl = _qr_impl
qr_p.abstract_eval = _qr_aval
qr_p.jvp = _qr_jvp
qr_p.batch = batch_in_front(qr_p)


def qr(a, *, complete=False):
    return qr_p.bind(a, complete=bool(complete))


# ----------------------------------------------------------------------------- pinv


def _pinv_impl(a, *, rcond):
    return np.linalg.pinv(a, rcond=rcond)


def _pinv_aval(a, *, rcond):
    if a.ndim < 2:
        raise ShapeError(f"pinv: expected a stack of matrices (..., m, n), got {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"pinv: expected a real floating-point matrix, got {a.dtype}")
    return ShapedArray((*a.shape[:-2], a.shape[-1], a.shape[-2]), a.dtype)


def _pinv_jvp(primals, tangents, *, rcond):
    # Golub & Pereyra (valid where the numerical rank is locally constant):
    # dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P
    (a,), (t,) = primals, tangents
    p = pinv(a, rcond=rcond)
    tt = mT(t)
    first = ew.neg(mm(p, mm(t, p)))
    second = mm(mm(p, mT(p)), ew.sub(tt, mm(mm(tt, a), p)))
    third = mm(ew.sub(tt, mm(p, mm(a, tt))), mm(mT(p), p))
    return p, ew.add(first, ew.add(second, third))


pinv_p = Primitive("pinv")
pinv_p.impl = _pinv_impl
pinv_p.abstract_eval = _pinv_aval
pinv_p.jvp = _pinv_jvp
pinv_p.batch = batch_in_front(pinv_p)


def pinv(a, *, rcond):
    return pinv_p.bind(a, rcond=float(rcond))
