"""Registry specs for the linear-algebra primitives, ``ftrans.numpy.linalg`` and
``ftrans.lax.linalg.solve_triangular``.

Inputs are well conditioned by construction: SPD matrices with well-separated eigenvalues for
cholesky/eigh, matrices with well-separated singular values for svd, diagonally dominant ones
for solves. Functions whose outputs have a sign gauge (eigenvectors, singular vectors) fix it
inside the spec (each column's sum made positive), on the ftrans and NumPy sides alike, so
central differences and vmap-vs-loop compare like with like.

``ftrans.numpy.linalg`` is a module, so its specs use ``kind="numpy"`` with ``target="linalg"``
and name the function in the spec name: ``"fnp.linalg:<function>[...]"``;
:func:`linalg_functions_with_specs` reads them back for the completeness test.
"""

from __future__ import annotations

import numpy as np
from spec import F32, F64, Arg, Spec, Tol, distinct, nonzero, uniform

import ftrans.numpy as fnp
from ftrans import lax
from ftrans.core import PRIMITIVES

BOTH = (F64, F32)
SPECS: list[Spec] = []
# LAPACK in float32 against float64 derivatives of a decomposition: a little looser.
_F32_VALUE = {F64: Tol(1e-7, 1e-9), F32: Tol(1e-4, 1e-5)}


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


# ----------------------------------------------------------------------------- samplers


def _eye(shape):
    return np.broadcast_to(np.eye(shape[-1]), shape)


def _orthogonal(rng, lead, n):
    q, r = np.linalg.qr(rng.standard_normal((*lead, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def well_conditioned(scale: float = 3.0):
    """Diagonally dominant square matrices, diagonal ``±scale·n``-ish with random signs (so
    determinants of both signs occur)."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        signs = rng.choice([-1.0, 1.0], shape[:-1])
        diag = signs * rng.uniform(scale, scale + 1, shape[:-1])
        x = rng.uniform(-1, 1, shape) + diag[..., None] * _eye(shape) * max(1, n / 3)
        return np.asarray(x, dtype)

    return sample


def symmetric(lo: float, spacing: float = 1.0):
    """Symmetric matrices ``Q diag(λ) Qᵀ``, eigenvalues ``lo + spacing·i`` (± spacing/5)."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        q = _orthogonal(rng, shape[:-2], n)
        lam = lo + spacing * np.arange(n) + rng.uniform(-spacing / 5, spacing / 5, shape[:-1])
        x = (q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)
        return np.asarray((x + np.swapaxes(x, -1, -2)) / 2, dtype)

    return sample


SPD = symmetric(1.0)
SYM = symmetric(-1.5)


def separated_singular():
    """``U diag(s) Vᵀ`` with singular values ``1, 2, ..., k`` (± 0.2): distinct and nonzero."""

    def sample(rng, shape, dtype):
        *lead, m, n = shape
        k = min(m, n)
        u = _orthogonal(rng, lead, m)[..., :k]
        v = _orthogonal(rng, lead, n)[..., :k]
        s = 1.0 + np.arange(k)[::-1] + rng.uniform(-0.2, 0.2, (*lead, k))
        return np.asarray((u * s[..., None, :]) @ np.swapaxes(v, -1, -2), dtype)

    return sample


def triangular_ish():
    """Full matrices whose diagonal is far from 0 (|d| in [1.5, 2.5]) and whose off-diagonal
    entries are small: any triangle of them is well conditioned; the other triangle is noise a
    triangular solve must ignore."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        off = rng.uniform(-1, 1, shape) / np.sqrt(n)
        d = rng.choice([-1.0, 1.0], shape[:-1]) * rng.uniform(1.5, 2.5, shape[:-1])
        return np.asarray(off * (1 - _eye(shape)) + d[..., None] * _eye(shape), dtype)

    return sample


U = uniform()
WELL = well_conditioned()
SING = separated_singular()
TRI = triangular_ish()


# ----------------------------------------------------------------------------- gauge fixing


def fix_columns(xp, v):
    """Each column multiplied by the sign of its sum (eigenvectors are defined up to sign)."""
    return v * xp.sign(xp.sum(v, axis=-2, keepdims=True))


def fix_svd(xp, u, s, vt):
    k = s.shape[-1]
    sign = xp.sign(xp.sum(u[..., :k], axis=-2, keepdims=True))  # (..., 1, k)
    u_sign = xp.concatenate([sign, xp.ones(sign.shape[:-1] + (u.shape[-1] - k,))], axis=-1)
    vt_sign = xp.concatenate(
        [xp.swapaxes(sign, -1, -2), xp.ones(sign.shape[:-2] + (vt.shape[-2] - k, 1))], axis=-2
    )
    return u * u_sign.astype(u.dtype), s, vt * vt_sign.astype(vt.dtype)


def sym(xp, x):
    return (x + xp.swapaxes(x, -1, -2)) / 2


# ----------------------------------------------------------------------------- primitives


def prim(name, args, fun, reference, *, label=None, **options) -> None:
    """A spec of primitive ``name``: ``fun`` calls it (``bind``), ``reference`` is NumPy."""
    assert name in PRIMITIVES, name
    full_name = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full_name, "primitive", name, fun, reference, tuple(args), **options))


def _bind(name, **params):
    return lambda *arrays: PRIMITIVES[name].bind(*arrays, **params)


def _tri_reference(lower, transpose_a, unit_diagonal):
    def reference(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if unit_diagonal:
            t = t - np.diag(np.diagonal(t, axis1=-2, axis2=-1)[..., :]) * 0
            idx = np.arange(t.shape[-1])
            t = t.copy()
            t[..., idx, idx] = 1
        if transpose_a:
            t = np.swapaxes(t, -1, -2)
        return np.linalg.solve(t, b)

    return reference


for _lower in (True, False):
    for _trans in (False, True):
        for _unit in (False, True):
            _params = dict(lower=_lower, transpose_a=_trans, unit_diagonal=_unit)
            prim(
                "triangular_solve",
                [A((3, 3), TRI), A((3, 2), U)],
                _bind("triangular_solve", **_params),
                _tri_reference(_lower, _trans, _unit),
                label=",".join(f"{k}={v}" for k, v in _params.items()),
                linear_argnums=((1,),),
                dtypes=BOTH,
            )
for _lower in (True, False):
    prim(
        "triangular_solve",
        [A((60, 60), TRI), A((60, 3), U)],  # more than one 48-row block
        _bind("triangular_solve", lower=_lower, transpose_a=False, unit_diagonal=False),
        _tri_reference(_lower, False, False),
        label=f"blocked,lower={_lower}",
        linear_argnums=((1,),),
    )
prim(
    "triangular_solve",
    [A((2, 3, 3), TRI), A((2, 3, 1), U)],
    _bind("triangular_solve", lower=True, transpose_a=True, unit_diagonal=False),
    _tri_reference(True, True, False),
    label="batched",
    linear_argnums=((1,),),
)

prim(
    "solve",
    [A((3, 3), WELL), A((3, 2), U)],
    _bind("solve"),
    np.linalg.solve,
    linear_argnums=((1,),),
    dtypes=BOTH,
)
prim(
    "solve",
    [A((2, 3, 3), WELL), A((2, 3, 1), U)],
    _bind("solve"),
    np.linalg.solve,
    label="batched",
    linear_argnums=((1,),),
)

prim(
    "cholesky",
    [A((3, 3), SPD)],
    lambda x: PRIMITIVES["cholesky"].bind(sym(fnp, x)),
    lambda x: np.linalg.cholesky(sym(np, x)),
    dtypes=BOTH,
)
prim(
    "cholesky",
    [A((2, 4, 4), SPD)],
    lambda x: PRIMITIVES["cholesky"].bind(sym(fnp, x)),
    lambda x: np.linalg.cholesky(sym(np, x)),
    label="batched",
)
prim(
    "slogdet",
    [A((3, 3), WELL)],
    _bind("slogdet"),
    lambda x: list(np.linalg.slogdet(x)),
    dtypes=BOTH,
)
prim(
    "slogdet",
    [A((2, 3, 3), WELL)],
    _bind("slogdet"),
    lambda x: list(np.linalg.slogdet(x)),
    label="batched",
)


def _eigh_prim(x):
    w, v = PRIMITIVES["eigh"].bind(sym(fnp, x))
    return [w, fix_columns(fnp, v)]


def _eigh_ref(x):
    w, v = np.linalg.eigh(sym(np, x))
    return [w, fix_columns(np, v)]


prim("eigh", [A((4, 4), SYM)], _eigh_prim, _eigh_ref, dtypes=BOTH, value_tol=_F32_VALUE)
prim("eigh", [A((2, 3, 3), SYM)], _eigh_prim, _eigh_ref, label="batched")
prim(
    "eigvalsh",
    [A((4, 4), SYM)],
    lambda x: PRIMITIVES["eigvalsh"].bind(sym(fnp, x)),
    lambda x: np.linalg.eigvalsh(sym(np, x)),
    dtypes=BOTH,
)


def _svd_prim(full):
    def fun(x):
        return list(fix_svd(fnp, *PRIMITIVES["svd"].bind(x, full_matrices=full, compute_uv=True)))

    return fun


def _svd_ref(full):
    def ref(x):
        return list(fix_svd(np, *np.linalg.svd(x, full_matrices=full)))

    return ref


for _shape in ((4, 3), (3, 4), (3, 3), (2, 4, 3)):
    prim(
        "svd",
        [A(_shape, SING)],
        _svd_prim(False),
        _svd_ref(False),
        label=f"thin,{_shape}",
        dtypes=BOTH if _shape == (4, 3) else (F64,),
        value_tol=_F32_VALUE,
    )
prim("svd", [A((3, 3), SING)], _svd_prim(True), _svd_ref(True), label="full,square")
# full U of a tall matrix: no derivative (its last columns are any completion): values only
prim("svd", [A((4, 2), SING)], _svd_prim(True), _svd_ref(True), label="full,tall", diff_argnums=())
for _shape in ((4, 3), (3, 4)):
    prim(
        "svd",
        [A(_shape, SING)],
        _bind("svd", full_matrices=False, compute_uv=False),
        lambda x: [np.linalg.svd(x, compute_uv=False)],
        label=f"values,{_shape}",
        dtypes=BOTH,
    )

for _shape in ((4, 3), (3, 4), (3, 3), (2, 4, 3)):
    prim(
        "qr",
        [A(_shape, SING)],
        _bind("qr", complete=False),
        lambda x: list(np.linalg.qr(x)),
        label=f"reduced,{_shape}",
        dtypes=BOTH if _shape == (4, 3) else (F64,),
        value_tol=_F32_VALUE,
    )
prim(
    "qr",
    [A((3, 3), SING)],
    _bind("qr", complete=True),
    lambda x: list(np.linalg.qr(x, "complete")),
    label="complete,square",
)
prim(
    "qr",
    [A((4, 2), SING)],
    _bind("qr", complete=True),
    lambda x: list(np.linalg.qr(x, "complete")),
    label="complete,tall",
    diff_argnums=(),
)

for _shape in ((4, 3), (3, 4), (2, 3, 3)):
    prim(
        "pinv",
        [A(_shape, SING)],
        _bind("pinv", rcond=1e-15),
        lambda x: np.linalg.pinv(x),
        label=str(_shape),
        dtypes=BOTH if _shape == (4, 3) else (F64,),
        value_tol=_F32_VALUE,
    )


# ----------------------------------------------------------------------------- ftrans.numpy.linalg


def la(function, args, make, *, label=None, prefix="fnp.linalg", **options) -> None:
    """A spec of ``fnp.linalg.<function>``: ``make(xp, linalg)`` builds the function under test
    from ``(fnp, fnp.linalg)`` and the reference from ``(np, np.linalg)``."""
    name = f"{prefix}:{function}" + (f"[{label}]" if label else "")
    fun = make(fnp, fnp.linalg)
    reference = make(np, np.linalg)
    SPECS.append(Spec(name, "numpy", "linalg", fun, reference, tuple(args), **options))


def linalg_functions_with_specs(prefix="fnp.linalg") -> set[str]:
    return {
        s.name.split(":", 1)[1].split("[", 1)[0] for s in SPECS if s.name.startswith(prefix + ":")
    }


# solve: vector and matrix right-hand sides, broadcast batch dimensions
la("solve", [A((3, 3), WELL), A((3,), U)], lambda xp, L: L.solve, label="vector", dtypes=BOTH)
la("solve", [A((3, 3), WELL), A((3, 2), U)], lambda xp, L: L.solve, label="matrix", dtypes=BOTH)
la("solve", [A((2, 3, 3), WELL), A((3,), U)], lambda xp, L: L.solve, label="batched_a")
la("solve", [A((3, 3), WELL), A((2, 3, 1), U)], lambda xp, L: L.solve, label="batched_b")
la("inv", [A((3, 3), WELL)], lambda xp, L: L.inv, dtypes=BOTH)
la("inv", [A((2, 3, 3), WELL)], lambda xp, L: L.inv, label="batched")
la("det", [A((3, 3), WELL)], lambda xp, L: L.det, dtypes=BOTH)
la("det", [A((2, 3, 3), WELL)], lambda xp, L: L.det, label="batched")
la("det", [A((1, 1), WELL)], lambda xp, L: L.det, label="1x1")
# NumPy returns named tuples; the "raw" specs check that structure (values only: the test
# helpers rebuild outputs with type(node)(iterable), which named tuples do not accept), the
# others differentiate the same outputs as a plain tuple.
la("slogdet", [A((3, 3), WELL)], lambda xp, L: L.slogdet, label="raw", diff_argnums=())
la("slogdet", [A((3, 3), WELL)], lambda xp, L: lambda x: tuple(L.slogdet(x)), dtypes=BOTH)
la("slogdet", [A((2, 3, 3), WELL)], lambda xp, L: lambda x: tuple(L.slogdet(x)), label="batched")

# cholesky from an unconstrained argument: x xᵀ + n I is SPD
la(
    "cholesky",
    [A((3, 3), U)],
    lambda xp, L: lambda x: L.cholesky(x @ xp.swapaxes(x, -1, -2) + 3 * xp.eye(3)),
    label="x@x.T+3I",
    dtypes=BOTH,
)
la("cholesky", [A((2, 3, 3), SPD)], lambda xp, L: L.cholesky, label="batched")
la(
    "cholesky",
    [A((3, 3), SPD)],
    lambda xp, L: lambda x: L.cholesky(x, upper=True),
    label="upper",
)

la(
    "eigh",
    [A((4, 4), SYM)],
    lambda xp, L: lambda x: (lambda r: (r[0], fix_columns(xp, r[1])))(L.eigh(x)),
    label="gauge_fixed",
    dtypes=BOTH,
    value_tol=_F32_VALUE,
)
la(
    "eigh",
    [A((2, 3, 3), SYM)],
    lambda xp, L: lambda x: (lambda r: (r[0], fix_columns(xp, r[1])))(L.eigh(x, UPLO="U")),
    label="batched,UPLO=U",
)
# the raw EighResult (structure and values; eigenvector signs are LAPACK's on both sides)
la("eigh", [A((3, 3), SYM)], lambda xp, L: L.eigh, label="raw", diff_argnums=())
# v diag(w) vᵀ = a, v diag(f(w)) vᵀ: gauge-invariant functions of the eigenvectors
la(
    "eigh",
    [A((3, 3), SYM)],
    lambda xp, L: lambda x: (lambda w, v: (v * xp.exp(w)[..., None, :]) @ v.T)(*L.eigh(x)),
    label="expm",
)
la("eigvalsh", [A((4, 4), SYM)], lambda xp, L: L.eigvalsh, dtypes=BOTH)
la("eigvalsh", [A((2, 3, 3), SYM)], lambda xp, L: L.eigvalsh, label="batched")


def _svd_fixed(full):
    return lambda xp, L: lambda x: fix_svd(xp, *L.svd(x, full_matrices=full))


la(
    "svd",
    [A((4, 3), SING)],
    _svd_fixed(False),
    label="thin,tall",
    dtypes=BOTH,
    value_tol=_F32_VALUE,
)
la("svd", [A((3, 4), SING)], _svd_fixed(False), label="thin,wide")
la("svd", [A((2, 3, 3), SING)], _svd_fixed(True), label="full,square,batched")
la("svd", [A((4, 3), SING)], lambda xp, L: L.svd, label="raw,full,tall", diff_argnums=())
la(
    "svd",
    [A((4, 3), SING)],
    lambda xp, L: lambda x: L.svd(x, compute_uv=False),
    label="compute_uv=False",
    dtypes=BOTH,
)
la("svdvals", [A((3, 4), SING)], lambda xp, L: L.svdvals, dtypes=BOTH)
la("svdvals", [A((2, 4, 3), SING)], lambda xp, L: L.svdvals, label="batched")

la("qr", [A((4, 3), SING)], lambda xp, L: L.qr, label="raw", diff_argnums=())
la(
    "qr",
    [A((4, 3), SING)],
    lambda xp, L: lambda x: tuple(L.qr(x)),
    label="reduced,tall",
    dtypes=BOTH,
    value_tol=_F32_VALUE,
)
la("qr", [A((3, 4), SING)], lambda xp, L: lambda x: tuple(L.qr(x)), label="reduced,wide")
la(
    "qr",
    [A((2, 3, 3), SING)],
    lambda xp, L: lambda x: tuple(L.qr(x, "complete")),
    label="complete,square,batched",
)
la("qr", [A((4, 3), SING)], lambda xp, L: lambda x: L.qr(x, "r"), label="r")
la(
    "qr",
    [A((4, 3), SING)],
    lambda xp, L: lambda x: L.qr(x, "complete"),
    label="complete,tall",
    diff_argnums=(),
)

la("pinv", [A((4, 3), SING)], lambda xp, L: L.pinv, label="tall", dtypes=BOTH, value_tol=_F32_VALUE)
la("pinv", [A((3, 4), SING)], lambda xp, L: L.pinv, label="wide")
la(
    "pinv",
    [A((2, 3, 3), SING)],
    lambda xp, L: lambda x: L.pinv(x, rtol=None),
    label="batched,rtol=None",
)
# rank 2 of 3: the rank is locally constant and the cutoff drops the zero singular value
la(
    "pinv",
    [A((4, 2), SING), A((2, 3), SING)],
    lambda xp, L: lambda x, y: L.pinv(x @ y, rcond=1e-10),
    label="rank_deficient",
)

la(
    "lstsq",
    [A((5, 3), SING), A((5,), U)],
    lambda xp, L: lambda a, b: L.lstsq(a, b),
    label="tall,vector",
)
la(
    "lstsq",
    [A((5, 3), SING), A((5, 2), U)],
    lambda xp, L: lambda a, b: L.lstsq(a, b),
    label="tall,matrix",
    dtypes=BOTH,
    value_tol=_F32_VALUE,
)
la("lstsq", [A((3, 5), SING), A((3,), U)], lambda xp, L: lambda a, b: L.lstsq(a, b), label="wide")

for _n in (0, 1, 2, 3, 5, -1, -3):
    la(
        "matrix_power",
        [A((3, 3), well_conditioned(0.5))],
        lambda xp, L, n=_n: lambda x: L.matrix_power(x, n),
        label=f"n={_n}",
        **({"diff_argnums": ()} if _n == 0 else {}),
    )
la(
    "matrix_power",
    [A((2, 3, 3), well_conditioned(0.5))],
    lambda xp, L: lambda x: L.matrix_power(x, 4),
    label="batched,n=4",
)

la(
    "multi_dot",
    [A((2, 3), U), A((3, 4), U), A((4, 2), U)],
    lambda xp, L: lambda *xs: L.multi_dot(xs),
    label="3",
    dtypes=BOTH,
)
la(
    "multi_dot",
    [A((3,), U), A((3, 5), U), A((5, 2), U), A((2,), U)],
    lambda xp, L: lambda *xs: L.multi_dot(list(xs)),
    label="1d_ends",
)
la(
    "multi_dot",
    [A((4, 3), U), A((3,), U)],
    lambda xp, L: lambda *xs: L.multi_dot(xs),
    label="2,last_1d",
)

# norm: vector orders
for _ord, _sampler, _order in (
    (None, U, 2),
    (2, U, 2),
    (1, nonzero(), 1),
    (np.inf, distinct(), 1),
    (-np.inf, distinct(), 1),
    (0, U, 0),
    (3, nonzero(), 2),
    (0.5, nonzero(), 2),
    (-1.5, nonzero(), 2),
):
    la(
        "norm",
        [A((4,), _sampler)],
        lambda xp, L, o=_ord: lambda x: L.norm(x, o),
        label=f"vector,ord={_ord}",
        order=_order,
        dtypes=BOTH,
    )
la("norm", [A((2, 3, 4), U)], lambda xp, L: L.norm, label="all")
la(
    "norm",
    [A((2, 3, 4), U)],
    lambda xp, L: lambda x: L.norm(x, keepdims=True),
    label="all,keepdims",
)
la("norm", [A((3, 4), U)], lambda xp, L: lambda x: L.norm(x, axis=1), label="axis=1")
la(
    "norm",
    [A((3, 4), nonzero())],
    lambda xp, L: lambda x: L.norm(x, 1, axis=0, keepdims=True),
    label="ord=1,axis=0,keepdims",
    order=1,
)
# matrix orders
for _ord, _sampler, _order in (
    ("fro", U, 2),
    ("nuc", SING, 2),
    (2, SING, 2),
    (-2, SING, 2),
    (1, nonzero(), 1),
    (-1, nonzero(), 1),
    (np.inf, nonzero(), 1),
    (-np.inf, nonzero(), 1),
):
    la(
        "norm",
        [A((3, 4), _sampler)],
        lambda xp, L, o=_ord: lambda x: L.norm(x, o),
        label=f"matrix,ord={_ord}",
        order=_order,
        dtypes=BOTH,
    )
la(
    "norm",
    [A((2, 3, 4), nonzero())],
    lambda xp, L: lambda x: L.norm(x, np.inf, axis=(2, 0), keepdims=True),
    label="matrix,ord=inf,axis=(2,0),keepdims",
    order=1,
)
la(
    "norm",
    [A((3, 2, 4), SING)],
    lambda xp, L: lambda x: L.norm(x, "nuc", axis=(0, 2)),
    label="matrix,nuc,axis=(0,2)",
)
la(
    "norm",
    [A((3, 4), U)],
    lambda xp, L: lambda x: L.norm(x, "fro", axis=(-1, -2)),
    label="matrix,fro,axis=(-1,-2)",
)

la("vector_norm", [A((2, 3), U)], lambda xp, L: L.vector_norm, dtypes=BOTH)
la(
    "vector_norm",
    [A((2, 3, 4), U)],
    lambda xp, L: lambda x: L.vector_norm(x, axis=(0, 2), keepdims=True),
    label="axes,keepdims",
)
la(
    "vector_norm",
    [A((2, 3), nonzero())],
    lambda xp, L: lambda x: L.vector_norm(x, ord=1, axis=1),
    label="ord=1",
    order=1,
)
la("matrix_norm", [A((2, 3, 4), U)], lambda xp, L: L.matrix_norm, dtypes=BOTH)
la(
    "matrix_norm",
    [A((2, 3, 4), SING)],
    lambda xp, L: lambda x: L.matrix_norm(x, ord="nuc", keepdims=True),
    label="nuc,keepdims",
)


# ----------------------------------------------------------------------------- ftrans.lax.linalg


def _scipy_like_reference(lower, trans, unit_diagonal):
    def reference(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if unit_diagonal:
            t = t.copy()
            idx = np.arange(t.shape[-1])
            t[..., idx, idx] = 1
        if trans in (1, "T"):
            t = np.swapaxes(t, -1, -2)
        return np.linalg.solve(t, b[..., None])[..., 0] if b.ndim == 1 else np.linalg.solve(t, b)

    return reference


for _lower, _trans, _unit, _bshape in (
    (True, 0, False, (3,)),
    (False, 0, False, (3, 2)),
    (True, "T", False, (3, 2)),
    (False, 1, True, (3,)),
):
    SPECS.append(
        Spec(
            f"lax.linalg:solve_triangular[lower={_lower},trans={_trans},unit={_unit},b={_bshape}]",
            "numpy",
            "linalg",
            lambda a, b, lo=_lower, tr=_trans, un=_unit: lax.linalg.solve_triangular(
                a, b, trans=tr, lower=lo, unit_diagonal=un
            ),
            _scipy_like_reference(_lower, _trans, _unit),
            (A((3, 3), TRI), A(_bshape, U)),
            dtypes=BOTH,
        )
    )

# ----------------------------------------------------------------------------- array-API members

la("matrix_transpose", [A((2, 3, 4), U)], lambda xp, L: L.matrix_transpose, dtypes=BOTH)
la("trace", [A((2, 3, 4), U)], lambda xp, L: L.trace, dtypes=BOTH)
la("trace", [A((3, 4), U)], lambda xp, L: lambda x: L.trace(x, offset=1), label="offset=1")
la("diagonal", [A((2, 3, 4), U)], lambda xp, L: L.diagonal, dtypes=BOTH)
la("diagonal", [A((4, 3), U)], lambda xp, L: lambda x: L.diagonal(x, offset=-1), label="offset=-1")
la("outer", [A((3,), U), A((4,), U)], lambda xp, L: L.outer, dtypes=BOTH)
la("vecdot", [A((2, 3), U), A((3,), U)], lambda xp, L: L.vecdot, dtypes=BOTH)
la(
    "vecdot",
    [A((3, 2), U), A((3, 1), U)],
    lambda xp, L: lambda a, b: L.vecdot(a, b, axis=0),
    label="axis=0",
)
la("matmul", [A((2, 3, 4), U), A((4, 2), U)], lambda xp, L: L.matmul, dtypes=BOTH)
la("tensordot", [A((2, 3, 4), U), A((3, 4, 2), U)], lambda xp, L: L.tensordot)
la(
    "tensordot",
    [A((2, 3), U), A((3, 4), U)],
    lambda xp, L: lambda a, b: L.tensordot(a, b, axes=1),
    label="axes=1",
)
la("cross", [A((2, 3), U), A((2, 3), U)], lambda xp, L: L.cross, dtypes=BOTH)
la(
    "cross",
    [A((3, 2), U), A((3, 1), U)],
    lambda xp, L: lambda a, b: L.cross(a, b, axis=0),
    label="axis=0",
)
la("cond", [A((3, 4), SING)], lambda xp, L: L.cond, dtypes=BOTH, value_tol=_F32_VALUE)
la("cond", [A((2, 3, 3), SING)], lambda xp, L: lambda x: L.cond(x, -2), label="p=-2,batched")
la("cond", [A((3, 3), WELL)], lambda xp, L: lambda x: L.cond(x, "fro"), label="p=fro")
la("cond", [A((3, 3), nonzero())], lambda xp, L: lambda x: L.cond(x, 1), label="p=1", order=1)
la("matrix_rank", [A((2, 3, 4), SING)], lambda xp, L: L.matrix_rank, order=0)
la(
    "matrix_rank",
    [A((4, 2), SING), A((2, 3), SING)],
    lambda xp, L: lambda x, y: L.matrix_rank(x @ y),
    label="rank_deficient",
    order=0,
)
la(
    "matrix_rank",
    [A((3, 4), SING)],
    lambda xp, L: lambda x: L.matrix_rank(x, tol=1.5),
    label="tol=1.5",
    order=0,
)


def reshaped(sampler, matrix_shape):
    """``sampler`` drawing a matrix of ``matrix_shape``, reshaped to the spec's shape."""
    return lambda rng, shape, dtype: sampler(rng, matrix_shape, dtype).reshape(shape)


la("tensorinv", [A((2, 3, 6), reshaped(WELL, (6, 6)))], lambda xp, L: L.tensorinv, dtypes=BOTH)
la(
    "tensorinv",
    [A((4, 2, 2), reshaped(WELL, (4, 4)))],
    lambda xp, L: lambda a: L.tensorinv(a, 1),
    label="ind=1",
)
la(
    "tensorsolve",
    [A((6, 2, 3), reshaped(WELL, (6, 6))), A((6,), U)],
    lambda xp, L: L.tensorsolve,
    dtypes=BOTH,
)
la(
    "tensorsolve",
    [A((2, 3, 6), reshaped(WELL, (6, 6))), A((2, 3), U)],
    lambda xp, L: lambda a, b: L.tensorsolve(a, b, axes=(2,)),
    label="axes=(2,)",
)


# ----------------------------------------------------------------------------- complex matrices
# Complex inputs are differentiable when listed in diff_argnums (the default covers real floats
# only); the checks draw complex tangents and cotangents and pair them by Re(sum(a * b)), so a
# passing VJP check means ftrans's gradient convention (df/dx - i df/dy). Eigenvectors and
# singular vectors carry a phase per column: the specs fix it (each column's sum made real and
# positive) or use gauge-invariant functions of them (v diag(f(w)) vᴴ, |v|²).


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


def _unitary(rng, lead, n):
    z = rng.standard_normal((*lead, n, n)) + 1j * rng.standard_normal((*lead, n, n))
    q, r = np.linalg.qr(z)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    return q * (d / np.abs(d))[..., None, :]


def _herm(xp, x):
    return (x + xp.conj(xp.swapaxes(x, -1, -2))) / 2


def hermitian(lo: float, spacing: float = 1.0):
    """Hermitian matrices ``Q diag(λ) Qᴴ`` (Q unitary), eigenvalues ``lo + spacing·i``."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        q = _unitary(rng, shape[:-2], n)
        lam = lo + spacing * np.arange(n) + rng.uniform(-spacing / 5, spacing / 5, shape[:-1])
        x = (q * lam[..., None, :]) @ np.conj(np.swapaxes(q, -1, -2))
        return np.asarray(_herm(np, x), _complex_dtype(dtype))

    return sample


def complex_separated_singular():
    """``U diag(s) Vᴴ`` (U, V unitary) with singular values ``1, 2, ..., k`` (± 0.2)."""

    def sample(rng, shape, dtype):
        *lead, m, n = shape
        k = min(m, n)
        u = _unitary(rng, lead, m)[..., :k]
        v = _unitary(rng, lead, n)[..., :k]
        s = 1.0 + np.arange(k)[::-1] + rng.uniform(-0.2, 0.2, (*lead, k))
        x = (u * s[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))
        return np.asarray(x, _complex_dtype(dtype))

    return sample


def complex_well_conditioned():
    """Diagonally dominant complex matrices (the diagonal of modulus ~3n, any phase)."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        off = rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)
        phase = np.exp(1j * rng.uniform(-np.pi, np.pi, shape[:-1]))
        diag = phase * rng.uniform(3, 4, shape[:-1]) * max(1, n / 3)
        return np.asarray(off + diag[..., None] * _eye(shape), _complex_dtype(dtype))

    return sample


def complex_triangular_ish():
    """Like :func:`triangular_ish`, complex: any triangle is well conditioned."""

    def sample(rng, shape, dtype):
        n = shape[-1]
        off = (rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)) / np.sqrt(2 * n)
        d = np.exp(1j * rng.uniform(-np.pi, np.pi, shape[:-1])) * rng.uniform(1.5, 2.5, shape[:-1])
        return np.asarray(
            off * (1 - _eye(shape)) + d[..., None] * _eye(shape), _complex_dtype(dtype)
        )

    return sample


def complex_uniform():
    def sample(rng, shape, dtype):
        parts = rng.uniform(-2, 2, (2, *shape))
        return np.asarray(parts[0] + 1j * parts[1], _complex_dtype(dtype))

    return sample


def complex_distinct_moduli():
    """Moduli ``0.5 + 0.3·i`` in random order, any phase: no ties for the max/min norms."""

    def sample(rng, shape, dtype):
        size = int(np.prod(shape, dtype=np.int64))
        r = (0.5 + 0.3 * rng.permutation(size)).reshape(shape)
        theta = rng.uniform(-np.pi, np.pi, shape)
        return np.asarray(r * np.exp(1j * theta), _complex_dtype(dtype))

    return sample


HERM = hermitian(-1.5)
HPD = hermitian(1.0)
CSING = complex_separated_singular()
CWELL = complex_well_conditioned()
CTRI = complex_triangular_ish()
CU = complex_uniform()
CDIST = complex_distinct_moduli()


def fix_phases(xp, v):
    """Each column times the conjugate phase of its sum: every column sum real and positive
    (complex eigenvectors are defined up to a phase)."""
    total = xp.sum(v, axis=-2, keepdims=True)
    return v * (xp.conj(total) / xp.abs(total))


def fix_svd_phases(xp, u, s, vt):
    """The phase shared by ``u[:, j]`` and ``vt[j]`` fixed as in :func:`fix_phases` on u."""
    total = xp.sum(u, axis=-2, keepdims=True)
    c = xp.conj(total) / xp.abs(total)  # (..., 1, k)
    return u * c, s, vt * xp.conj(xp.swapaxes(c, -1, -2))


def _diff(count=1):
    return {"diff_argnums": tuple(range(count))}


# primitives
for _lower, _trans in ((True, False), (False, True)):
    _params = dict(lower=_lower, transpose_a=_trans, unit_diagonal=False)
    prim(
        "triangular_solve",
        [A((3, 3), CTRI), A((3, 2), CU)],
        _bind("triangular_solve", **_params),
        _tri_reference(_lower, _trans, False),
        label=f"complex,lower={_lower},transpose_a={_trans}",
        linear_argnums=((1,),),
        **_diff(2),
    )
prim(
    "solve",
    [A((3, 3), CWELL), A((3, 2), CU)],
    _bind("solve"),
    np.linalg.solve,
    label="complex",
    linear_argnums=((1,),),
    **_diff(2),
)
prim(
    "cholesky",
    [A((3, 3), HPD)],
    lambda x: PRIMITIVES["cholesky"].bind(_herm(fnp, x)),
    lambda x: np.linalg.cholesky(_herm(np, x)),
    label="complex",
    **_diff(),
)
prim(
    "cholesky",
    [A((2, 3, 3), HPD)],
    lambda x: PRIMITIVES["cholesky"].bind(_herm(fnp, x)),
    lambda x: np.linalg.cholesky(_herm(np, x)),
    label="complex,batched",
    **_diff(),
)
prim(
    "slogdet",
    [A((3, 3), CWELL)],
    _bind("slogdet"),
    lambda x: list(np.linalg.slogdet(x)),
    label="complex",
    **_diff(),
)


def _complex_eigh_prim(x):
    w, v = PRIMITIVES["eigh"].bind(_herm(fnp, x))
    return [w, fix_phases(fnp, v)]


def _complex_eigh_ref(x):
    w, v = np.linalg.eigh(_herm(np, x))
    return [w, fix_phases(np, v)]


prim("eigh", [A((3, 3), HERM)], _complex_eigh_prim, _complex_eigh_ref, label="complex", **_diff())
prim(
    "eigh",
    [A((2, 3, 3), HERM)],
    _complex_eigh_prim,
    _complex_eigh_ref,
    label="complex,batched",
    **_diff(),
)
prim(
    "eigvalsh",
    [A((3, 3), HERM)],
    lambda x: PRIMITIVES["eigvalsh"].bind(_herm(fnp, x)),
    lambda x: np.linalg.eigvalsh(_herm(np, x)),
    label="complex",
    **_diff(),
)
for _shape in ((3, 3), (4, 3), (3, 4), (2, 3, 2)):
    prim(
        "svd",
        [A(_shape, CSING)],
        lambda x: list(
            fix_svd_phases(fnp, *PRIMITIVES["svd"].bind(x, full_matrices=False, compute_uv=True))
        ),
        lambda x: list(fix_svd_phases(np, *np.linalg.svd(x, full_matrices=False))),
        label=f"complex,thin,{_shape}",
        **_diff(),
    )
prim(
    "svd",
    [A((3, 4), CSING)],
    _bind("svd", full_matrices=False, compute_uv=False),
    lambda x: [np.linalg.svd(x, compute_uv=False)],
    label="complex,values",
    **_diff(),
)
for _shape in ((3, 3), (4, 3), (3, 4)):
    prim(
        "qr",
        [A(_shape, CSING)],
        _bind("qr", complete=False),
        lambda x: list(np.linalg.qr(x)),
        label=f"complex,reduced,{_shape}",
        **_diff(),
    )
for _shape in ((4, 3), (3, 4)):
    prim(
        "pinv",
        [A(_shape, CSING)],
        _bind("pinv", rcond=1e-15),
        lambda x: np.linalg.pinv(x),
        label=f"complex,{_shape}",
        **_diff(),
    )

# ftrans.numpy.linalg
la("solve", [A((3, 3), CWELL), A((3,), CU)], lambda xp, L: L.solve, label="complex", **_diff(2))
la(
    "solve",
    [A((3, 3), CWELL), A((3, 2), U)],
    lambda xp, L: L.solve,
    label="complex,real_b",
    **_diff(2),
)
la("inv", [A((3, 3), CWELL)], lambda xp, L: L.inv, label="complex", **_diff())
la("det", [A((3, 3), CWELL)], lambda xp, L: L.det, label="complex", **_diff())
la(
    "slogdet",
    [A((2, 3, 3), CWELL)],
    lambda xp, L: lambda x: tuple(L.slogdet(x)),
    label="complex,batched",
    **_diff(),
)
la(
    "cholesky",
    [A((3, 3), CU)],
    lambda xp, L: lambda x: L.cholesky(x @ xp.conj(xp.swapaxes(x, -1, -2)) + 3 * xp.eye(3)),
    label="complex,x@x.H+3I",
    **_diff(),
)
la(
    "cholesky",
    [A((3, 3), HPD)],
    lambda xp, L: lambda x: L.cholesky(x, upper=True),
    label="complex,upper",
    **_diff(),
)
la(
    "eigh",
    [A((3, 3), HERM)],
    lambda xp, L: lambda x: (lambda r: (r[0], fix_phases(xp, r[1])))(L.eigh(x)),
    label="complex,gauge_fixed",
    **_diff(),
)
la(
    "eigh",
    [A((3, 3), HERM)],
    lambda xp, L: lambda x: (lambda w, v: (v * xp.exp(w)[..., None, :]) @ xp.conj(v.T))(*L.eigh(x)),
    label="complex,expm",
    **_diff(),
)
la(
    "eigh",
    [A((2, 3, 3), HERM)],
    lambda xp, L: lambda x: xp.abs(L.eigh(x, UPLO="U")[1]) ** 2,
    label="complex,batched,abs2",
    **_diff(),
)
la("eigvalsh", [A((3, 3), HERM)], lambda xp, L: L.eigvalsh, label="complex", **_diff())
la(
    "svd",
    [A((4, 3), CSING)],
    lambda xp, L: lambda x: fix_svd_phases(xp, *L.svd(x, full_matrices=False)),
    label="complex,thin,tall",
    **_diff(),
)
la(
    "svd",
    [A((2, 3, 3), CSING)],
    lambda xp, L: lambda x: (lambda r: (xp.abs(r[0]) ** 2, r[1], xp.abs(r[2]) ** 2))(L.svd(x)),
    label="complex,full,square,batched,abs2",
    **_diff(),
)
la(
    "svd",
    [A((3, 4), CSING)],
    lambda xp, L: (
        lambda x: (lambda u, s, vt: (u * s[..., None, :] ** 2) @ vt)(*L.svd(x, full_matrices=False))
    ),
    label="complex,wide,u_s2_vh",
    **_diff(),
)
la("svdvals", [A((3, 4), CSING)], lambda xp, L: L.svdvals, label="complex", **_diff())
la("qr", [A((4, 3), CSING)], lambda xp, L: lambda x: tuple(L.qr(x)), label="complex", **_diff())
la("qr", [A((3, 4), CSING)], lambda xp, L: lambda x: L.qr(x, "r"), label="complex,r", **_diff())
la("pinv", [A((4, 3), CSING)], lambda xp, L: L.pinv, label="complex", **_diff())
la(
    "lstsq",
    [A((5, 3), CSING), A((5, 2), CU)],
    lambda xp, L: lambda a, b: L.lstsq(a, b),
    label="complex,tall,matrix",
    **_diff(2),
)
la("cond", [A((3, 4), CSING)], lambda xp, L: L.cond, label="complex", **_diff())
la(
    "cond",
    [A((3, 3), CWELL)],
    lambda xp, L: lambda x: L.cond(x, "fro"),
    label="complex,fro",
    **_diff(),
)
la(
    "matrix_rank",
    [A((4, 2), CSING), A((2, 3), CSING)],
    lambda xp, L: lambda x, y: L.matrix_rank(x @ y),
    label="complex,rank_deficient",
    order=0,
    **_diff(2),
)

# complex norms: every vector and matrix order (real results)
for _ord, _sampler, _order in (
    (None, CU, 2),
    (2, CU, 2),
    (1, CU, 1),
    (np.inf, CDIST, 1),
    (-np.inf, CDIST, 1),
    (0, CU, 0),
    (3, CU, 2),
    (4, CU, 2),
    (0.5, CU, 2),
    (-1, CU, 2),
    (-2, CU, 2),
):
    la(
        "norm",
        [A((4,), _sampler)],
        lambda xp, L, o=_ord: lambda x: L.norm(x, o),
        label=f"complex,vector,ord={_ord}",
        order=_order,
        **_diff(),
    )
for _ord, _sampler, _order in (
    (None, CU, 2),
    ("fro", CU, 2),
    ("nuc", CSING, 2),
    (2, CSING, 2),
    (-2, CSING, 2),
    (1, CDIST, 1),
    (-1, CDIST, 1),
    (np.inf, CDIST, 1),
    (-np.inf, CDIST, 1),
):
    la(
        "norm",
        [A((3, 4), _sampler)],
        lambda xp, L, o=_ord: lambda x: L.norm(x, o),
        label=f"complex,matrix,ord={_ord}",
        order=_order,
        **_diff(),
    )
la(
    "norm",
    [A((2, 3, 4), CU)],
    lambda xp, L: lambda x: L.norm(x, axis=(0, 2), keepdims=True),
    label="complex,fro,axis=(0,2),keepdims",
    **_diff(),
)
la(
    "norm",
    [A((3, 4), CU)],
    lambda xp, L: lambda x: L.norm(x, 3, axis=0, keepdims=True),
    label="complex,ord=3,axis=0,keepdims",
    **_diff(),
)
la(
    "norm",
    [A((3, 2, 4), CSING)],
    lambda xp, L: lambda x: L.norm(x, "nuc", axis=(0, 2)),
    label="complex,nuc,axis=(0,2)",
    **_diff(),
)
la(
    "vector_norm",
    [A((2, 3, 4), CU)],
    lambda xp, L: lambda x: L.vector_norm(x, axis=(0, 2), ord=3),
    label="complex,axes,ord=3",
    **_diff(),
)
la(
    "matrix_norm",
    [A((2, 3, 4), CSING)],
    lambda xp, L: lambda x: L.matrix_norm(x, ord="nuc"),
    label="complex,nuc",
    **_diff(),
)
