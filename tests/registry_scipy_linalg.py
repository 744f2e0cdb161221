"""Registry specs for ``ftrans.scipy.linalg``, ``ftrans.lax.linalg``'s JAX-signature functions and
the ``lu`` / ``lu_pivots_to_permutation`` primitives.

References are SciPy's own functions (SciPy comes with the ``dev`` extras through scikit-learn;
without SciPy only the primitive specs, whose references are NumPy, are registered). Inputs are
well conditioned by construction (see :mod:`registry_linalg`); LU inputs are diagonally dominant
matrices with their rows shuffled, so partial pivoting picks a fixed, non-trivial order that
small perturbations (finite differences) do not change. Sign gauges of eigen/singular vectors
are fixed inside the spec on both sides.

Spec names are ``"scipy.linalg:<function>[...]"`` and ``"lax.linalg:<function>[...]"``; they
are ``kind="library"`` specs with the public name (``ftrans.scipy.linalg.expm``) as target.
"""

from __future__ import annotations

import numpy as np
from registry_linalg import SING, SPD, SYM, TRI, WELL, A, U, fix_columns, fix_svd, sym
from spec import F32, F64, Spec, Tol

import ftrans.numpy as fnp
from ftrans import lax
from ftrans.core import PRIMITIVES

try:
    import scipy.linalg as sl
except ImportError:  # pragma: no cover - SciPy is in the dev extras
    sl = None

BOTH = (F64, F32)
SPECS: list[Spec] = []
_LOOSE = {F64: Tol(1e-7, 1e-9), F32: Tol(1e-4, 1e-5)}


def permuted(sampler):
    """Rows of ``sampler``'s matrices in a random order (one per matrix of a stack)."""

    def sample(rng, shape, dtype):
        x = np.asarray(sampler(rng, shape, dtype))
        m = shape[-2]
        flat = x.reshape(-1, m, shape[-1])
        out = np.stack([f[rng.permutation(m)] for f in flat])
        return out.reshape(shape).astype(dtype)

    return sample


def lu_input():
    """Tall/wide matrices whose leading square block is diagonally dominant (so pivoting is
    stable), rows shuffled."""

    def sample(rng, shape, dtype):
        *lead, m, n = shape
        k = min(m, n)
        x = rng.uniform(-1, 1, shape)
        signs = rng.choice([-1.0, 1.0], (*lead, k))
        idx = np.arange(k)
        x[..., idx, idx] += signs * (3.0 + k)
        flat = x.reshape(-1, m, n)
        out = np.stack([f[rng.permutation(m)] for f in flat])
        return out.reshape(shape).astype(dtype)

    return sample


def valid_pivots(m):
    """LAPACK-style pivots for an (m, ·) factorization: ``piv[i]`` in ``[i, m)``."""

    def sample(rng, shape, dtype):
        k = shape[-1]
        low = np.arange(k)
        return (low + np.floor(rng.uniform(0, 1, shape) * (m - low))).astype(np.int32)

    return sample


PLU = permuted(WELL)
LUX = lu_input()


def add(name, args, fun, reference, *, label=None, **options):
    full = name + (f"[{label}]" if label else "")
    public = "ftrans." + name.replace(":", ".")
    SPECS.append(
        Spec(
            full,
            "library",
            public,
            fun,
            reference,
            tuple(args),
            covers=("numpy:linalg",),
            **options,
        )
    )


# ----------------------------------------------------------------------------- primitives


def _lu_reference(x):
    """``[lu, pivots, permutation]`` from SciPy's ``lu_factor`` (LAPACK getrf), matrix by
    matrix."""
    x = np.asarray(x)
    *lead, m, n = x.shape
    k = min(m, n)
    packed, pivots = [], []
    for f in x.reshape(-1, m, n):
        lu, piv = sl.lu_factor(f)
        packed.append(lu)
        pivots.append(piv.astype(np.int32))
    pivots = np.stack(pivots).reshape((*lead, k))
    return [
        np.stack(packed).reshape(x.shape).astype(x.dtype),
        pivots,
        _pivots_reference(m)(pivots),
    ]


def _pivots_reference(m):
    def reference(piv):
        piv = np.asarray(piv)
        flat = piv.reshape(-1, piv.shape[-1])
        out = np.tile(np.arange(m, dtype=np.int32), (flat.shape[0], 1))
        for row, p in zip(out, flat, strict=True):
            for j, q in enumerate(p):
                row[[j, q]] = row[[q, j]]
        return out.reshape((*piv.shape[:-1], m))

    return reference


def prim(name, args, fun, reference, *, label=None, **options):
    assert name in PRIMITIVES, name
    full = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full, "primitive", name, fun, reference, tuple(args), **options))


if sl is not None:
    for _shape in ((4, 4), (5, 3), (3, 5), (2, 3, 3), (40, 40)):
        prim(
            "lu",
            [A(_shape, LUX)],
            lambda x: PRIMITIVES["lu"].bind(x),
            _lu_reference,
            label=str(_shape),
            dtypes=BOTH if _shape == (4, 4) else (F64,),
            value_tol=_LOOSE,
        )
for _m, _shape in ((4, (3,)), (3, (2, 3))):
    prim(
        "lu_pivots_to_permutation",
        [A(_shape, valid_pivots(_m))],
        lambda p, m=_m: PRIMITIVES["lu_pivots_to_permutation"].bind(p, permutation_size=m),
        _pivots_reference(_m),
        label=f"{_shape},size={_m}",
        order=0,
    )


# ----------------------------------------------------------------------------- ftrans.lax.linalg

if sl is not None:

    def _lax_lu(x):
        return list(lax.linalg.lu(x))

    add("lax.linalg:lu", [A((4, 4), LUX)], _lax_lu, _lu_reference, value_tol=_LOOSE)
    add(
        "lax.linalg:cholesky",
        [A((3, 3), SPD)],
        lambda x: lax.linalg.cholesky(x),
        lambda x: np.linalg.cholesky((x + x.T) / 2),
        dtypes=BOTH,
    )

    def _lax_eigh(xp, lower, symmetrize):
        def fun(x):
            if not symmetrize:
                x = sym(xp, x)
            if xp is np:
                w, v = np.linalg.eigh(sym(np, x))
            else:
                v, w = lax.linalg.eigh(x, lower=lower, symmetrize_input=symmetrize)
            return [fix_columns(xp, v), w]

        return fun

    for _lower, _sym in ((True, True), (False, False)):
        add(
            "lax.linalg:eigh",
            [A((3, 3), SYM)],
            _lax_eigh(fnp, _lower, _sym),
            _lax_eigh(np, _lower, _sym),
            label=f"lower={_lower},symmetrize_input={_sym}",
        )
    for _full in (True, False):
        add(
            "lax.linalg:qr",
            [A((3, 3) if _full else (4, 3), SING)],
            lambda x, f=_full: list(lax.linalg.qr(x, full_matrices=f)),
            lambda x, f=_full: list(np.linalg.qr(x, "complete" if f else "reduced")),
            label=f"full_matrices={_full}",
        )
    add(
        "lax.linalg:svd",
        [A((4, 3), SING)],
        lambda x: list(fix_svd(fnp, *lax.linalg.svd(x, full_matrices=False))),
        lambda x: list(fix_svd(np, *np.linalg.svd(x, full_matrices=False))),
        label="thin",
    )
    add(
        "lax.linalg:svd",
        [A((4, 3), SING)],
        lambda x: lax.linalg.svd(x, compute_uv=False),
        lambda x: np.linalg.svd(x, compute_uv=False),
        label="values",
    )

    def _tri_ref(left, lower, transpose, unit):
        def ref(a, b):
            t = np.tril(a) if lower else np.triu(a)
            if unit:
                t = t - np.diag(np.diag(t)) + np.eye(len(t))
            if transpose:
                t = t.T
            return np.linalg.solve(t, b) if left else np.linalg.solve(t.T, b.T).T

        return ref

    for _left, _lower, _trans, _unit in (
        (True, True, False, False),
        (False, True, False, False),
        (False, False, True, True),
        (True, False, True, False),
    ):
        add(
            "lax.linalg:triangular_solve",
            [A((3, 3), TRI), A((3, 2) if _left else (2, 3), U)],
            lambda a, b, left=_left, lo=_lower, t=_trans, u=_unit: lax.linalg.triangular_solve(
                a, b, left_side=left, lower=lo, transpose_a=t, unit_diagonal=u
            ),
            _tri_ref(_left, _lower, _trans, _unit),
            label=f"left_side={_left},lower={_lower},transpose_a={_trans},unit={_unit}",
        )

    def _complex_lu_input(rng, shape, dtype):
        real = LUX(rng, shape, dtype)
        imag = rng.uniform(-0.5, 0.5, shape)
        return np.asarray(real + 1j * imag, np.result_type(dtype, np.complex64))

    prim(
        "lu",
        [A((4, 3), _complex_lu_input)],
        lambda x: PRIMITIVES["lu"].bind(x),
        _lu_reference,
        label="complex,(4, 3)",
        diff_argnums=(0,),
    )

    def _tri_dense(dl, d, du):
        return np.diag(d) + np.diag(dl[1:], -1) + np.diag(du[:-1], 1)

    _DIAG = lambda r, s, d: np.asarray(r.uniform(3.0, 4.0, s), d)  # a dominant diagonal
    add(
        "lax.linalg:tridiagonal_solve",
        [A((4,), U), A((4,), _DIAG), A((4,), U), A((4, 2), U)],
        lambda dl, d, du, b: lax.linalg.tridiagonal_solve(dl, d, du, b),
        lambda dl, d, du, b: np.linalg.solve(_tri_dense(dl, d, du), b),
    )
    for _sym in (False, True):
        add(
            "lax.linalg:symmetric_product",
            [A((3, 2), U), A((3, 3), U)],
            lambda a, c, s=_sym: lax.linalg.symmetric_product(
                a, c, alpha=2.0, beta=0.5, symmetrize_output=s
            ),
            lambda a, c, s=_sym: (lambda o: np.tril(o) + np.tril(o, -1).T if s else o)(
                2.0 * a @ a.T + 0.5 * c
            ),
            label=f"symmetrize_output={_sym}",
        )
    add(
        "lax.linalg:cholesky_update",
        [A((3, 3), TRI), A((3,), U)],
        lambda r, w: lax.linalg.cholesky_update(r, w),
        lambda r, w: np.linalg.cholesky(np.triu(r).T @ np.triu(r) + np.outer(w, w)).T,
    )

    def _geqrf_inputs(rng, shape, dtype):
        return np.asarray(rng.uniform(-1, 1, shape), dtype)

    def _orgqr(a, taus):
        m, n = a.shape
        q = np.eye(m)[:, :n]
        for i in reversed(range(len(taus))):
            v = np.concatenate([np.zeros(i), [1.0], a[i + 1 :, i]])
            q = q - taus[i] * np.outer(v, v @ q)
        return q

    add(
        "lax.linalg:householder_product",
        [A((4, 3), _geqrf_inputs), A((2,), U)],
        lambda a, t: lax.linalg.householder_product(a, t),
        _orgqr,
    )


# ----------------------------------------------------------------------------- ftrans.scipy.linalg

if sl is not None:
    from ftrans.scipy import linalg as L

    def _input_dtype(reference):
        """SciPy returns float64 for some float32 inputs (det); JAX and ftrans keep the input's
        precision: compare in the inputs' float dtype."""

        def ref(*xs):
            floats = [
                np.asarray(x).dtype for x in xs if np.issubdtype(np.asarray(x).dtype, np.floating)
            ]
            dtype = np.result_type(*floats) if floats else None

            def cast(y):
                y = np.asarray(y)
                return y.astype(dtype) if dtype and np.issubdtype(y.dtype, np.floating) else y

            out = reference(*xs)
            return [cast(y) for y in out] if isinstance(out, (list, tuple)) else cast(out)

        return ref

    def sp(function, args, fun, reference, **options):
        add(f"scipy.linalg:{function}", args, fun, _input_dtype(reference), **options)

    def _batched(f):
        """Apply a 2-D SciPy function over leading dimensions."""

        def ref(*xs):
            lead = np.broadcast_shapes(*[np.shape(x)[:-2] for x in xs])
            if not lead:
                return f(*xs)
            xs = [np.broadcast_to(x, lead + np.shape(x)[-2:]) for x in xs]
            outs = [f(*[x[i] for x in xs]) for i in np.ndindex(*lead)]
            if isinstance(outs[0], (tuple, list)):
                return [np.stack(o).reshape(lead + o[0].shape) for o in zip(*outs, strict=True)]
            return np.stack(outs).reshape(lead + outs[0].shape)

        return ref

    for _lower in (False, True):
        sp(
            "cholesky",
            [A((3, 3), SPD)],
            lambda x, lo=_lower: L.cholesky(sym(fnp, x), lower=lo),
            lambda x, lo=_lower: sl.cholesky(sym(np, x), lower=lo),
            label=f"lower={_lower}",
            dtypes=BOTH,
        )
        sp(
            "cho_solve",
            [A((3, 3), SPD), A((3, 2), U)],
            lambda x, b, lo=_lower: L.cho_solve(L.cho_factor(sym(fnp, x), lower=lo), b),
            lambda x, b, lo=_lower: sl.cho_solve(sl.cho_factor(sym(np, x), lower=lo), b),
            label=f"lower={_lower}",
        )
    sp(
        "cho_solve",
        [A((2, 3, 3), SPD), A((3,), U)],
        lambda x, b: L.cho_solve(L.cho_factor(sym(fnp, x)), b),
        lambda x, b: np.stack([sl.cho_solve(sl.cho_factor(sym(np, xi)), b) for xi in x]),
        label="batched,vector",
    )
    for _trans, _lower, _unit in ((0, False, False), (1, True, False), ("T", False, True)):
        sp(
            "solve_triangular",
            [A((3, 3), TRI), A((3, 2), U)],
            lambda a, b, t=_trans, lo=_lower, u=_unit: L.solve_triangular(
                a, b, trans=t, lower=lo, unit_diagonal=u
            ),
            lambda a, b, t=_trans, lo=_lower, u=_unit: sl.solve_triangular(
                a, b, trans=t, lower=lo, unit_diagonal=u
            ),
            label=f"trans={_trans},lower={_lower},unit={_unit}",
        )
    sp(
        "solve_triangular",
        [A((3, 3), TRI), A((3,), U)],
        lambda a, b: L.solve_triangular(a, b, lower=True),
        lambda a, b: sl.solve_triangular(a, b, lower=True),
        label="vector",
        dtypes=BOTH,
    )

    for _shape in ((3, 3), (4, 3), (3, 4), (2, 3, 3)):
        sp(
            "lu",
            [A(_shape, LUX)],
            lambda x: list(L.lu(x)),
            _batched(lambda x: list(sl.lu(x))),
            label=str(_shape),
            dtypes=BOTH if _shape == (3, 3) else (F64,),
            value_tol=_LOOSE,
        )
    sp(
        "lu",
        [A((3, 3), LUX)],
        lambda x: list(L.lu(x, permute_l=True)),
        lambda x: list(sl.lu(x, permute_l=True)),
        label="permute_l",
    )
    sp(
        "lu_factor",
        [A((4, 4), PLU)],
        lambda x: L.lu_factor(x)[0],
        lambda x: sl.lu_factor(x)[0],
        label="lu",
    )
    sp(
        "lu_factor",
        [A((4, 4), PLU)],
        lambda x: L.lu_factor(x)[1],
        lambda x: sl.lu_factor(x)[1].astype(np.int32),
        label="piv",
        diff_argnums=(),
        order=0,
    )
    for _trans, _bshape in ((0, (3, 2)), (1, (3, 2)), (0, (3,)), (2, (3,))):
        sp(
            "lu_solve",
            [A((3, 3), PLU), A(_bshape, U)],
            lambda a, b, t=_trans: L.lu_solve(L.lu_factor(a), b, trans=t),
            lambda a, b, t=_trans: sl.lu_solve(sl.lu_factor(a), b, trans=t),
            label=f"trans={_trans},b={_bshape}",
            dtypes=BOTH if _trans == 0 else (F64,),
        )
    sp(
        "lu_solve",
        [A((2, 3, 3), PLU), A((2, 3, 1), U)],
        lambda a, b: L.lu_solve(L.lu_factor(a), b),
        _batched(lambda a, b: sl.lu_solve(sl.lu_factor(a), b)),
        label="batched",
    )

    for _assume in ("gen", "sym", "pos"):  # "her" is "sym" for real matrices
        for _bshape in ((3,), (3, 2)):
            sp(
                "solve",
                [A((3, 3), SPD), A(_bshape, U)],
                lambda a, b, s=_assume: L.solve(sym(fnp, a), b, assume_a=s),
                lambda a, b, s=_assume: sl.solve(sym(np, a), b, assume_a=s),
                label=f"assume_a={_assume},b={_bshape}",
            )
    sp(
        "solve",
        [A((3, 3), SPD), A((3, 2), U)],
        lambda a, b: L.solve(sym(fnp, a), b, assume_a="pos", lower=True),
        lambda a, b: sl.solve(sym(np, a), b, assume_a="pos", lower=True),
        label="pos,lower",
        dtypes=BOTH,
    )
    sp(
        "solve",
        [A((2, 3, 3), WELL), A((3,), U)],
        lambda a, b: L.solve(a, b),
        lambda a, b: np.stack([sl.solve(ai, b) for ai in a]),
        label="batched",
    )
    sp("inv", [A((3, 3), WELL)], lambda x: L.inv(x), sl.inv, dtypes=BOTH)
    sp("det", [A((3, 3), WELL)], lambda x: L.det(x), sl.det, dtypes=BOTH)
    sp("det", [A((2, 3, 3), WELL)], lambda x: L.det(x), _batched(sl.det), label="batched")

    def _eigh(lib, **kw):
        def fun(x):
            w, v = lib.eigh(x, **kw)
            return [w, fix_columns(fnp if lib is L else np, v)]

        return fun

    for _kw in ({}, {"lower": False}, {"subset_by_index": (1, 2)}):
        sp(
            "eigh",
            [A((4, 4), SYM)],
            lambda x, kw=_kw: _eigh(L, **kw)(sym(fnp, x)),
            lambda x, kw=_kw: _eigh(sl, **kw)(sym(np, x)),
            label=",".join(f"{k}={v}" for k, v in _kw.items()) or "default",
            value_tol=_LOOSE,
        )
    sp(
        "eigh",
        [A((4, 4), SYM)],
        lambda x: L.eigh(sym(fnp, x), eigvals_only=True),
        lambda x: sl.eigh(sym(np, x), eigvals_only=True),
        label="eigvals_only",
        dtypes=BOTH,
    )
    sp(
        "eigh_tridiagonal",
        [
            A((4,), lambda r, s, d: np.asarray(3.0 * np.arange(4) + r.uniform(-1, 1, s), d)),
            A((3,), U),
        ],
        lambda d, e: L.eigh_tridiagonal(d, e, eigvals_only=True),
        lambda d, e: sl.eigh_tridiagonal(d, e, eigvals_only=True),
    )
    sp(
        "eigh_tridiagonal",
        [
            A((4,), lambda r, s, d: np.asarray(3.0 * np.arange(4) + r.uniform(-1, 1, s), d)),
            A((3,), U),
        ],
        lambda d, e: L.eigh_tridiagonal(d, e, eigvals_only=True, select="i", select_range=(1, 2)),
        lambda d, e: sl.eigh_tridiagonal(d, e, eigvals_only=True, select="i", select_range=(1, 2)),
        label="select=i",
    )
    sp(
        "svd",
        [A((4, 3), SING)],
        lambda x: list(fix_svd(fnp, *L.svd(x, full_matrices=False))),
        lambda x: list(fix_svd(np, *sl.svd(x, full_matrices=False))),
        label="thin",
        value_tol=_LOOSE,
    )
    sp(
        "svd",
        [A((3, 4), SING)],
        lambda x: L.svd(x, compute_uv=False),
        lambda x: sl.svd(x, compute_uv=False),
        label="values",
        dtypes=BOTH,
    )

    def _qr_fix(xp, q, r):
        sign = xp.sign(xp.diagonal(r, axis1=-2, axis2=-1))
        k = sign.shape[-1]
        q = q[..., :k] * sign[..., None, :]
        return [q, r * sign[..., :, None]]

    sp(
        "qr",
        [A((4, 3), SING)],
        lambda x: _qr_fix(fnp, *L.qr(x, mode="economic")),
        lambda x: _qr_fix(np, *sl.qr(x, mode="economic")),
        label="economic",
    )
    sp(
        "qr",
        [A((3, 3), SING)],
        lambda x: _qr_fix(fnp, *L.qr(x)),
        lambda x: _qr_fix(np, *sl.qr(x)),
        label="full",
    )
    sp(
        "qr",
        [A((4, 3), SING)],
        lambda x: _qr_fix(fnp, np.eye(4), L.qr(x, mode="r")[0][..., :3, :])[1],
        lambda x: _qr_fix(np, np.eye(4), sl.qr(x, mode="r")[0][..., :3, :])[1],
        label="r",
    )
    for _side, _shape in (("right", (4, 3)), ("left", (3, 3))):
        sp(
            "polar",
            [A(_shape, SING)],
            lambda x, s=_side: list(L.polar(x, side=s)),
            lambda x, s=_side: list(sl.polar(x, side=s)),
            label=_side,
        )
    # expm: norms ~0.5 (no squaring) and ~20 (several squarings)
    for _scale in (0.3, 6.0):
        sp(
            "expm",
            [A((3, 3), lambda r, s, d, c=_scale: np.asarray(c * r.uniform(-1, 1, s), d))],
            lambda x: L.expm(x),
            sl.expm,
            label=f"scale={_scale}",
            dtypes=BOTH,
            value_tol={F64: Tol(1e-11, 1e-12), F32: Tol(1e-4, 1e-5)},
            grad_tol={F64: Tol(1e-5, 1e-7), F32: Tol(5e-3, 1e-3)},
        )
    sp(
        "expm",
        [A((2, 3, 3), lambda r, s, d: np.asarray(2.0 * r.uniform(-1, 1, s), d))],
        lambda x: L.expm(x),
        _batched(sl.expm),
        label="batched",
        value_tol={F64: Tol(1e-11, 1e-12)},
    )
    sp(
        "expm_frechet",
        [A((3, 3), U), A((3, 3), U)],
        lambda a, e: list(L.expm_frechet(a, e)),
        lambda a, e: list(sl.expm_frechet(a, e)),
        value_tol={F64: Tol(1e-10, 1e-12)},
    )

    def _positive_spectrum(rng, shape, dtype):
        n = shape[-1]
        x = 0.3 * rng.uniform(-1, 1, shape) + 2.0 * np.eye(n)
        return np.asarray(x, dtype)

    sp(
        "sqrtm",
        [A((3, 3), _positive_spectrum)],
        lambda x: L.sqrtm(x),
        lambda x: np.real(sl.sqrtm(x)),
        label="nonsymmetric",
        value_tol={F64: Tol(1e-10, 1e-12)},
    )
    sp(
        "block_diag",
        [A((2, 2), U), A((1, 3), U), A((2,), U)],
        lambda a, b, c: L.block_diag(a, b, c),
        sl.block_diag,
    )
    sp("toeplitz", [A((3,), U), A((4,), U)], lambda c, r: L.toeplitz(c, r), sl.toeplitz)
    sp("toeplitz", [A((3,), U)], lambda c: L.toeplitz(c), sl.toeplitz, label="symmetric")
    sp("hankel", [A((3,), U), A((4,), U)], lambda c, r: L.hankel(c, r), sl.hankel)
    sp("circulant", [A((4,), U)], lambda c: L.circulant(c), sl.circulant)


if sl is not None:

    def _complex(base):
        def sample(rng, shape, dtype):
            x = np.asarray(base(rng, shape, dtype), np.float64)
            x = x + 1j * rng.uniform(-0.3, 0.3, shape)
            return np.asarray(x, np.result_type(dtype, np.complex64))

        return sample

    def _herm(xp, x):
        return (x + xp.conj(xp.swapaxes(x, -1, -2))) / 2

    sp(
        "cho_solve",
        [A((3, 3), _complex(SPD)), A((3, 2), _complex(U))],
        lambda x, b: L.cho_solve(L.cho_factor(_herm(fnp, x)), b),
        lambda x, b: sl.cho_solve(sl.cho_factor(_herm(np, x)), b),
        label="complex",
        diff_argnums=(0, 1),
    )
    sp(
        "lu_solve",
        [A((3, 3), _complex(PLU)), A((3,), _complex(U))],
        lambda a, b: L.lu_solve(L.lu_factor(a), b, trans=2),
        lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=2),
        label="complex,trans=2",
        diff_argnums=(0, 1),
    )
    sp(
        "expm",
        [A((3, 3), _complex(U))],
        lambda x: L.expm(x),
        sl.expm,
        label="complex",
        diff_argnums=(0,),
        value_tol={F64: Tol(1e-11, 1e-12)},
    )


# ----------------------------------------------------------------------------- signal, integrate,
# ndimage, interpolate (the rest of ftrans.scipy this file's owner wrote)

try:
    import scipy.integrate as si
    import scipy.interpolate as sinterp
    import scipy.ndimage as snd
    import scipy.signal as ss
except ImportError:  # pragma: no cover
    ss = None

if ss is not None:
    from ftrans.scipy import integrate as I
    from ftrans.scipy import interpolate as INTERP
    from ftrans.scipy import ndimage as ND
    from ftrans.scipy import signal as S

    def sc(function, args, fun, reference, **options):
        add(f"scipy:{function}", args, fun, reference, **options)

    for _mode in ("full", "same", "valid"):
        for _method in ("direct", "fft"):
            sc(
                "signal.convolve",
                [A((6,), U), A((3,), U)],
                lambda a, b, m=_mode, me=_method: S.convolve(a, b, mode=m, method=me),
                lambda a, b, m=_mode, me=_method: ss.convolve(a, b, mode=m, method=me),
                label=f"mode={_mode},method={_method}",
                dtypes=BOTH if _method == "direct" else (F64,),
            )
        sc(
            "signal.correlate",
            [A((3, 4), U), A((2, 2), U)],
            lambda a, b, m=_mode: S.correlate(a, b, mode=m),
            lambda a, b, m=_mode: ss.correlate(a, b, mode=m),
            label=f"2d,mode={_mode}",
        )
        sc(
            "signal.convolve2d",
            [A((4, 3), U), A((2, 2), U)],
            lambda a, b, m=_mode: S.convolve2d(a, b, mode=m),
            lambda a, b, m=_mode: ss.convolve2d(a, b, mode=m),
            label=f"mode={_mode}",
        )
        sc(
            "signal.correlate2d",
            [A((4, 3), U), A((2, 2), U)],
            lambda a, b, m=_mode: S.correlate2d(a, b, mode=m),
            lambda a, b, m=_mode: ss.correlate2d(a, b, mode=m),
            label=f"mode={_mode}",
        )
    sc(
        "signal.convolve",
        [A((3,), U), A((5,), U)],
        lambda a, b: S.convolve(a, b, mode="valid"),
        lambda a, b: ss.convolve(a, b, mode="valid"),
        label="valid,swapped",
    )
    sc(
        "signal.fftconvolve",
        [A((2, 6), U), A((1, 3), U)],
        lambda a, b: S.fftconvolve(a, b, mode="same", axes=1),
        lambda a, b: ss.fftconvolve(a, b, mode="same", axes=1),
        label="axes=1,same",
    )

    sc(
        "signal.detrend",
        [A((2, 9), U)],
        lambda x: S.detrend(x, bp=[4]),
        lambda x: ss.detrend(x, bp=[4]),
    )

    sc(
        "integrate.trapezoid",
        [A((3, 4), U)],
        lambda y: I.trapezoid(y, dx=0.5),
        lambda y: si.trapezoid(y, dx=0.5),
        dtypes=BOTH,
    )
    sc(
        "integrate.trapezoid",
        [A((4, 3), U), A((4,), lambda r, s, d: np.asarray(np.cumsum(r.uniform(0.2, 1, s)), d))],
        lambda y, x: I.trapezoid(y, x, axis=0),
        lambda y, x: si.trapezoid(y, x, axis=0),
        label="x,axis=0",
    )
    sc(
        "integrate.cumulative_trapezoid",
        [A((2, 5), U)],
        lambda y: I.cumulative_trapezoid(y, x=np.linspace(0, 1, 5), initial=0),
        lambda y: si.cumulative_trapezoid(y, x=np.linspace(0, 1, 5), initial=0),
    )
    for _n in (5, 6):
        sc(
            "integrate.simpson",
            [A((2, _n), U)],
            lambda y, n=_n: I.simpson(y, x=np.linspace(0, 1, n) ** 2),
            lambda y, n=_n: si.simpson(y, x=np.linspace(0, 1, n) ** 2),
            label=f"n={_n}",
        )

    def _coordinates(rng, shape, dtype):
        """Coordinates off the integer grid (no kinks of the linear interpolation nearby),
        some outside the (4, 5) image."""
        base = rng.integers(-2, 6, shape) + rng.uniform(0.2, 0.8, shape)
        return np.asarray(base, dtype)

    for _mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        _scipy_mode = {"constant": "grid-constant", "wrap": "grid-wrap"}.get(_mode, _mode)
        sc(
            "ndimage.map_coordinates",
            [A((4, 5), U), A((2, 6), _coordinates)],
            lambda img, c, m=_mode: ND.map_coordinates(img, c, order=1, mode=m, cval=0.3),
            lambda img, c, m=_scipy_mode: snd.map_coordinates(img, c, order=1, mode=m, cval=0.3),
            label=f"order=1,mode={_mode}",
        )
    sc(
        "ndimage.map_coordinates",
        [A((4, 5), U), A((2, 6), _coordinates)],
        lambda img, c: ND.map_coordinates(img, c, order=0, mode="nearest"),
        lambda img, c: snd.map_coordinates(img, c, order=0, mode="nearest"),
        label="order=0",
        diff_argnums=(0,),
    )

    _PX, _PY = np.array([0.0, 0.5, 1.5, 2.0]), np.array([-1.0, 0.0, 2.0])

    def _queries(rng, shape, dtype):
        return np.asarray(
            np.stack(
                [rng.uniform(0.05, 1.95, shape[:-1]), rng.uniform(-0.95, 1.95, shape[:-1])], -1
            ),
            dtype,
        )

    for _method in ("linear", "nearest"):
        sc(
            "interpolate.RegularGridInterpolator",
            [A((4, 3), U), A((5, 2), _queries)],
            lambda v, q, m=_method: INTERP.RegularGridInterpolator((_PX, _PY), v, method=m)(q),
            lambda v, q, m=_method: sinterp.RegularGridInterpolator((_PX, _PY), v, method=m)(q),
            label=f"method={_method}",
            diff_argnums=(0, 1) if _method == "linear" else (0,),
        )
