"""Issue 12, items 1 and 2: complex linear algebra.

Item 1: ``linalg.norm`` of complex input (every vector and matrix ``ord``, ``axis``,
``keepdims``) is real and equals NumPy's, eagerly and under ``jit``/``vmap``; its gradient is
``df/dx - i df/dy`` (ftrans's and JAX's convention), checked against central differences of
NumPy's norm.

Item 2: complex ``cholesky``, ``eigh``, ``eigvalsh``, ``svd``, ``qr``, ``slogdet``, ``det``,
``solve``, ``inv``, ``pinv``, ``lstsq`` under ``jvp``/``grad``/``vmap``/``jit``, through
gauge-invariant functions of eigenvectors and singular vectors; gradients against central
differences, against JAX when installed, and against reference values computed by JAX and
checked in (``tests/data/issue12_linalg_jax.json``, written by
``tests/data/make_issue12_linalg_reference.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp

REFERENCE = Path(__file__).parent / "data" / "issue12_linalg_jax.json"
INF = np.inf


def complex_array(rng, shape, dtype=np.complex128):
    return np.asarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape), dtype)


def distinct_moduli(rng, shape, dtype=np.complex128):
    """Moduli 0.5, 0.8, 1.1, ... in random order, random phases: no ties for max/min orders,
    no zeros for the kinks of abs."""
    size = int(np.prod(shape))
    r = (0.5 + 0.3 * rng.permutation(size)).reshape(shape)
    return np.asarray(r * np.exp(1j * rng.uniform(-np.pi, np.pi, shape)), dtype)


def by_parts(f, z, eps=1e-6):
    """``df/dx - i df/dy`` of a real scalar ``f`` at complex ``z``, entry by entry, by central
    differences (NumPy only)."""
    z = np.asarray(z, np.complex128)
    grad = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        for step, weight in ((eps, 1.0), (1j * eps, -1j)):
            plus, minus = z.copy(), z.copy()
            plus[idx] += step
            minus[idx] -= step
            grad[idx] += weight * (f(plus) - f(minus)) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------- item 1: norm


def test_issue12_item1_complex_norm_reported_cases():
    z = np.array([1 + 2j, 3 - 1j, 0.5 + 0.5j])
    got = ft.jit(fnp.linalg.norm)(z)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, 3.9370039370059056, rtol=1e-14)
    m = np.array([[1 + 1j, 2.0], [3j, 4 - 1j]])
    got = ft.jit(fnp.linalg.norm)(m)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.linalg.norm(m), rtol=1e-14)
    for order in (3, 4):  # used to mix complex and real in pow under grad
        g = ft.grad(lambda x, o=order: fnp.linalg.norm(x, o))(z)
        np.testing.assert_allclose(g, by_parts(lambda x, o=order: np.linalg.norm(x, o), z), 1e-7)
    # the nuclear norm's gradient is conj(U Vᴴ), not its conjugate
    g = ft.grad(lambda x: fnp.linalg.norm(x, "nuc"))(m)
    u, _, vh = np.linalg.svd(m)
    np.testing.assert_allclose(g, np.conj(u @ vh), rtol=1e-12)
    np.testing.assert_allclose(g, by_parts(lambda x: np.linalg.norm(x, "nuc"), m), rtol=1e-7)


VECTOR_ORDS = [None, 0, 1, 2, INF, -INF, -1, -2, 3, 4, 0.5, -1.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, INF, -INF]
# (shape, ord, axis, keepdims)
NORM_CASES = (
    [((5,), o, None, False) for o in VECTOR_ORDS]
    + [((3, 4), o, 1, False) for o in VECTOR_ORDS]
    + [((3, 4), o, 0, True) for o in (None, 1, INF, 3, -2, 0)]
    + [((2, 3, 4), o, -1, False) for o in (2, -INF, 0.5)]
    + [((3, 4), o, None, False) for o in MATRIX_ORDS]
    + [((2, 3, 4), o, (2, 0), False) for o in MATRIX_ORDS]
    + [((2, 3, 4), o, (0, 1), True) for o in ("fro", "nuc", 1, -INF)]
    + [((3, 4), o, (-1, -2), False) for o in (2, "nuc", INF)]
    + [((2, 3, 4), None, None, False), ((2, 3, 4), None, None, True)]
)


def _norm_id(case):
    shape, order, axis, keepdims = case
    return f"{shape}-ord={order}-axis={axis}" + ("-keepdims" if keepdims else "")


def _norm_input(rng, shape, order, dtype=np.complex128):
    return distinct_moduli(rng, shape, dtype)


@pytest.mark.parametrize("case", NORM_CASES, ids=[_norm_id(c) for c in NORM_CASES])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_issue12_item1_complex_norm_values_eager_jit_vmap(case, dtype, rng):
    shape, order, axis, keepdims = case
    x = _norm_input(rng, shape, order, dtype)
    want = np.linalg.norm(x, order, axis, keepdims)
    real = np.float64 if dtype == np.complex128 else np.float32
    assert np.asarray(want).dtype == real
    tol = 1e-12 if dtype == np.complex128 else 2e-5

    def f(v):
        return fnp.linalg.norm(v, order, axis, keepdims)

    for name, got in (("eager", f(x)), ("jit", ft.jit(f)(x))):
        got = np.asarray(got)
        assert got.dtype == want.dtype and got.shape == np.shape(want), (name, got.dtype)
        np.testing.assert_allclose(got, want, rtol=tol, err_msg=name)
    stack = np.stack([x, _norm_input(rng, shape, order, dtype)])
    got = ft.vmap(f)(stack)
    loop = np.stack([np.linalg.norm(s, order, axis, keepdims) for s in stack])
    assert got.dtype == loop.dtype
    np.testing.assert_allclose(got, loop, rtol=tol)
    got = ft.jit(ft.vmap(f, in_axes=1, out_axes=-1))(np.moveaxis(stack, 0, 1))
    np.testing.assert_allclose(got, np.moveaxis(loop, 0, -1), rtol=tol)


@pytest.mark.parametrize("case", NORM_CASES, ids=[_norm_id(c) for c in NORM_CASES])
def test_issue12_item1_complex_norm_grad_is_df_dx_minus_i_df_dy(case, rng):
    shape, order, axis, keepdims = case
    x = _norm_input(rng, shape, order)
    weights = rng.uniform(0.5, 1.5, np.shape(np.linalg.norm(x, order, axis, keepdims)))

    def loss(v):
        return fnp.sum(fnp.linalg.norm(v, order, axis, keepdims) * weights)

    g = ft.grad(loss)(x)
    assert g.dtype == np.complex128 and g.shape == x.shape
    want = by_parts(lambda v: np.sum(np.linalg.norm(v, order, axis, keepdims) * weights), x)
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ft.jit(ft.grad(loss))(x), g, rtol=1e-12, atol=1e-15)
    # vmap of grad against a loop of grads
    stack = np.stack([x, _norm_input(rng, shape, order)])
    batched = ft.vmap(ft.grad(loss))(stack)
    np.testing.assert_allclose(batched, [ft.grad(loss)(s) for s in stack], rtol=1e-12, atol=1e-15)
    # complex64 gives complex64 gradients
    g32 = ft.jit(ft.grad(loss))(x.astype(np.complex64))
    assert g32.dtype == np.complex64
    np.testing.assert_allclose(g32, g, rtol=1e-3, atol=1e-4)


def test_issue12_item1_complex_norm_at_zero_and_vector_matrix_norm():
    z = np.zeros(3, complex)
    assert ft.jit(fnp.linalg.norm)(z).dtype == np.float64
    np.testing.assert_array_equal(ft.grad(fnp.linalg.norm)(z), np.zeros(3, complex))
    x = distinct_moduli(np.random.default_rng(1), (2, 3, 4))
    for f, ref in (
        (lambda v: fnp.linalg.vector_norm(v, axis=(0, 2), ord=3), np.linalg.vector_norm),
        (lambda v: fnp.linalg.matrix_norm(v, ord="nuc"), np.linalg.matrix_norm),
    ):
        want = ref(x, axis=(0, 2), ord=3) if ref is np.linalg.vector_norm else ref(x, ord="nuc")
        got = ft.jit(f)(x)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-12)


# ----------------------------------------------------------------------------- item 2


def _weights(shape):
    """A fixed complex weight array (no RNG: the reference script uses the same one)."""
    k = np.arange(int(np.prod(shape))).reshape(shape)
    return (k % 5 - 2.0) + 1j * (k % 3 - 1.0) + 0.25


def _hermitian_part(xp, a):
    return (a + xp.conj(xp.swapaxes(a, -1, -2))) / 2


def _case_cholesky(xp, a):
    n = a.shape[-1]
    low = xp.linalg.cholesky(a @ xp.conj(a.T) + n * xp.eye(n))
    return xp.sum(xp.abs(low * _weights(low.shape)) ** 2)


def _case_cholesky_upper_real_part(xp, a):
    n = a.shape[-1]
    up = xp.linalg.cholesky(a @ xp.conj(a.T) + n * xp.eye(n), upper=True)
    return xp.real(xp.sum(up * _weights(up.shape)))


def _case_eigh_function(xp, a):
    w, v = xp.linalg.eigh(_hermitian_part(xp, a))
    m = (v * xp.exp(w / 3)[None, :]) @ xp.conj(v.T)  # expm(a / 3), gauge-invariant
    return xp.real(xp.sum(m * _weights(m.shape)))


def _case_eigh_abs_vectors(xp, a):
    _, v = xp.linalg.eigh(_hermitian_part(xp, a))
    return xp.sum(xp.abs(v) ** 4 * xp.arange(1.0, a.shape[-1] + 1))


def _case_eigh_values(xp, a):
    return xp.sum(xp.linalg.eigh(_hermitian_part(xp, a))[0] ** 3)


def _case_eigvalsh(xp, a):
    return xp.sum(xp.linalg.eigvalsh(_hermitian_part(xp, a)) * xp.arange(1.0, a.shape[-1] + 1))


def _case_svd_values(xp, a):
    return xp.sum(xp.linalg.svd(a, compute_uv=False) ** 3)


def _case_svd_usv(xp, a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    m = (u * s[None, :] ** 2) @ vh
    return xp.real(xp.sum(m * xp.conj(_weights(m.shape))))


def _case_svd_abs_vectors(xp, a):
    u, _, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.sum(xp.abs(u) ** 3) + xp.sum(xp.abs(vh) ** 3)


def _case_qr(xp, a):
    q, r = xp.linalg.qr(a)
    return xp.real(xp.sum(q * _weights(q.shape))) + xp.sum(xp.abs(r) ** 3)


def _case_pinv(xp, a):
    p = xp.linalg.pinv(a)
    return xp.real(xp.sum(p * _weights(p.shape)))


def _case_slogdet(xp, a):
    sign, logabsdet = xp.linalg.slogdet(a)
    return logabsdet + xp.real(sign * (1 + 2j))


def _case_det(xp, a):
    return xp.abs(xp.linalg.det(a)) + xp.imag(xp.linalg.det(a))


def _case_inv(xp, a):
    return xp.real(xp.sum(xp.linalg.inv(a) * _weights(a.shape)))


def _case_solve(xp, a):
    x = xp.linalg.solve(a, _weights(a.shape)[:, 0])
    return xp.sum(xp.abs(x) ** 2)


def _case_lstsq(xp, a):
    x = xp.linalg.lstsq(a, _weights(a.shape)[:, :2], rcond=None)[0]
    return xp.sum(xp.abs(x) ** 2)


def _case_nuclear(xp, a):
    return xp.linalg.norm(a, "nuc")


def _case_spectral(xp, a):
    return xp.linalg.norm(a, 2) - xp.linalg.norm(a, -2)


# name -> (function of (xp, a), shape of a)
CASES = {
    "cholesky": (_case_cholesky, (3, 3)),
    "cholesky_upper": (_case_cholesky_upper_real_part, (3, 3)),
    "eigh_expm": (_case_eigh_function, (3, 3)),
    "eigh_abs_vectors": (_case_eigh_abs_vectors, (3, 3)),
    "eigh_values": (_case_eigh_values, (3, 3)),
    "eigvalsh": (_case_eigvalsh, (4, 4)),
    "svd_values_tall": (_case_svd_values, (4, 3)),
    "svd_usv_square": (_case_svd_usv, (3, 3)),
    "svd_usv_tall": (_case_svd_usv, (4, 3)),
    "svd_usv_wide": (_case_svd_usv, (3, 4)),
    "svd_abs_vectors_square": (_case_svd_abs_vectors, (3, 3)),
    "svd_abs_vectors_wide": (_case_svd_abs_vectors, (2, 4)),
    "qr_tall": (_case_qr, (4, 3)),
    "qr_wide": (_case_qr, (3, 4)),
    "pinv_tall": (_case_pinv, (4, 3)),
    "slogdet": (_case_slogdet, (3, 3)),
    "det": (_case_det, (3, 3)),
    "inv": (_case_inv, (3, 3)),
    "solve": (_case_solve, (3, 3)),
    "lstsq": (_case_lstsq, (5, 3)),
    "norm_nuc": (_case_nuclear, (3, 4)),
    "norm_2_minus_2": (_case_spectral, (4, 3)),
}


def _norm_case(order):
    def f(xp, a):
        return xp.linalg.norm(a, order)

    return f


for _order in VECTOR_ORDS:
    if _order != 0:  # piecewise constant: its zero gradient is checked with the other orders
        CASES[f"norm_vector_ord={_order}"] = (_norm_case(_order), (5,))
for _order in MATRIX_ORDS:
    CASES[f"norm_matrix_ord={_order}"] = (_norm_case(_order), (3, 4))

# the live comparison with JAX runs a few cases (JAX's eager dispatch is slow); the checked-in
# reference covers all of them
JAX_LIVE = ["cholesky", "eigh_expm", "svd_usv_wide", "qr_wide", "norm_vector_ord=3"]


def case_input(name):
    """The input of a case: seeded by its name, the same in the reference script."""
    _, shape = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _ftrans_f(name):
    f, _ = CASES[name]
    return lambda a: f(fnp, a)


def _numpy_f(name):
    f, _ = CASES[name]
    return lambda a: float(np.real(f(np, a)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_issue12_item2_complex_decompositions_grad_jit_vmap(name):
    a = case_input(name)
    f = _ftrans_f(name)
    value = f(a)
    np.testing.assert_allclose(value, _numpy_f(name)(a), rtol=1e-12)
    g = ft.grad(f)(a)
    assert g.dtype == np.complex128 and g.shape == a.shape
    np.testing.assert_allclose(g, by_parts(_numpy_f(name), a), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ft.jit(ft.grad(f))(a), g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ft.grad(ft.jit(f))(a), g, rtol=1e-10, atol=1e-12)
    stack = np.stack([a, a.conj() + 0.1, 1j * a])
    np.testing.assert_allclose(
        ft.vmap(ft.grad(f))(stack), [ft.grad(f)(s) for s in stack], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(ft.jit(ft.vmap(f))(stack), [f(s) for s in stack], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_issue12_item2_complex_decompositions_jvp(name):
    a = case_input(name)
    f = _ftrans_f(name)
    rng = np.random.default_rng(7)
    t = complex_array(rng, a.shape)
    _, dy = ft.jvp(f, (a,), (t,))
    eps = 1e-6
    fn = _numpy_f(name)
    want = (fn(a + eps * t) - fn(a - eps * t)) / (2 * eps)
    np.testing.assert_allclose(dy, want, rtol=1e-6, atol=1e-7)
    # <grad, t> under the pairing Re(sum(g * t)) is the directional derivative
    np.testing.assert_allclose(np.real(np.sum(ft.grad(f)(a) * t)), dy, rtol=1e-10)
    _, dy_jit = ft.jit(lambda x, v: ft.jvp(f, (x,), (v,)))(a, t)
    np.testing.assert_allclose(dy_jit, dy, rtol=1e-10)


def test_issue12_item2_decomposition_outputs_and_dtypes():
    rng = np.random.default_rng(3)
    a = complex_array(rng, (3, 3))
    h = a @ a.conj().T + 3 * np.eye(3)
    for dtype, real in ((np.complex128, np.float64), (np.complex64, np.float32)):
        hc = h.astype(dtype)
        w, v = ft.jit(fnp.linalg.eigh)(hc)
        assert (w.dtype, v.dtype) == (real, dtype)
        np.testing.assert_allclose(w, np.linalg.eigvalsh(hc), rtol=1e-5)
        assert ft.jit(fnp.linalg.eigvalsh)(hc).dtype == real
        u, s, vh = ft.jit(lambda x: fnp.linalg.svd(x, full_matrices=False))(hc)
        assert (u.dtype, s.dtype, vh.dtype) == (dtype, real, dtype)
        low = ft.jit(fnp.linalg.cholesky)(hc)
        assert low.dtype == dtype
        np.testing.assert_allclose(low, np.linalg.cholesky(hc), rtol=1e-4, atol=1e-5)
        sign, logabsdet = ft.jit(fnp.linalg.slogdet)(hc)
        assert (sign.dtype, logabsdet.dtype) == (dtype, real)
        q, r = ft.jit(fnp.linalg.qr)(hc)
        np.testing.assert_allclose(q @ r, hc, rtol=1e-5, atol=1e-5)
        # gradients keep the input's precision
        g = ft.grad(lambda x: fnp.sum(fnp.linalg.eigvalsh(x) ** 2))(hc)
        assert g.dtype == dtype
    # the lower triangle of a Hermitian matrix's Cholesky factor has a real diagonal, and so
    # does its tangent
    _, dl = ft.jvp(fnp.linalg.cholesky, (h,), (complex_array(rng, (3, 3)),))
    np.testing.assert_array_equal(np.imag(np.diagonal(dl)), 0.0)
    np.testing.assert_array_equal(np.triu(dl, 1), 0.0)


def test_issue12_item2_batched_complex_decompositions():
    """vmap over stacks, against the stacked NumPy result (one LAPACK call per primitive)."""
    rng = np.random.default_rng(5)
    a = complex_array(rng, (4, 3, 3))
    h = a @ np.conj(np.swapaxes(a, -1, -2)) + 3 * np.eye(3)
    got = ft.vmap(fnp.linalg.cholesky)(h)
    np.testing.assert_allclose(got, np.linalg.cholesky(h), rtol=1e-12)
    got = ft.vmap(fnp.linalg.eigvalsh, in_axes=2)(np.moveaxis(h, 0, 2))
    np.testing.assert_allclose(got, np.linalg.eigvalsh(h), rtol=1e-12)
    got = ft.vmap(lambda x: fnp.linalg.svd(x, compute_uv=False))(a)
    np.testing.assert_allclose(got, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    got = ft.vmap(fnp.linalg.solve)(a, h[..., 0])
    np.testing.assert_allclose(got, np.linalg.solve(a, h[..., 0:1])[..., 0], rtol=1e-12)
    f = _ftrans_f("eigh_expm")
    np.testing.assert_allclose(
        ft.jit(ft.vmap(ft.grad(f)))(a), [ft.grad(f)(x) for x in a], rtol=1e-10, atol=1e-12
    )


# ----------------------------------------------------------------------------- against JAX


def _reference():
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_issue12_item2_grad_matches_checked_in_jax_reference(name):
    ref = _reference()[name]
    a = case_input(name)
    np.testing.assert_allclose(a, np.array(ref["a_re"]) + 1j * np.array(ref["a_im"]), rtol=1e-15)
    f = _ftrans_f(name)
    np.testing.assert_allclose(f(a), ref["value"], rtol=1e-12)
    want = np.array(ref["grad_re"]) + 1j * np.array(ref["grad_im"])
    np.testing.assert_allclose(ft.grad(f)(a), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", JAX_LIVE)
def test_issue12_item2_grad_matches_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    f, _ = CASES[name]
    a = case_input(name)
    want = np.asarray(jax.jit(jax.grad(lambda x: f(jnp, x)))(a))
    np.testing.assert_allclose(ft.grad(_ftrans_f(name))(a), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.grad(_ftrans_f(name)))(a), want, rtol=1e-9, atol=1e-12)


# every function of ftrans.numpy.linalg that takes a matrix, on complex input under jit
_SMOKE = {
    "cholesky": lambda L, a, h: L.cholesky(h),
    "cond": lambda L, a, h: L.cond(a),
    "det": lambda L, a, h: L.det(a),
    "eigh": lambda L, a, h: L.eigh(h)[0],
    "eigvalsh": lambda L, a, h: L.eigvalsh(h),
    "inv": lambda L, a, h: L.inv(a),
    "lstsq": lambda L, a, h: L.lstsq(a, h[:, 0], rcond=None)[0],
    "matrix_norm": lambda L, a, h: L.matrix_norm(a, ord=2),
    "matrix_power": lambda L, a, h: L.matrix_power(a, -2),
    "matrix_rank": lambda L, a, h: L.matrix_rank(a),
    "multi_dot": lambda L, a, h: L.multi_dot([a, h, a]),
    "norm": lambda L, a, h: L.norm(a, -1),
    "pinv": lambda L, a, h: L.pinv(a),
    "qr": lambda L, a, h: L.qr(a, "r"),
    "slogdet": lambda L, a, h: L.slogdet(a)[1],
    "solve": lambda L, a, h: L.solve(a, h),
    "svd": lambda L, a, h: L.svd(a, compute_uv=False),
    "svdvals": lambda L, a, h: L.svdvals(a),
    "tensorinv": lambda L, a, h: L.tensorinv(a, 1),
    "tensorsolve": lambda L, a, h: L.tensorsolve(a, h[0]),
    "vector_norm": lambda L, a, h: L.vector_norm(a, ord=3),
}


@pytest.mark.parametrize("name", sorted(_SMOKE))
def test_issue12_item2_no_linalg_function_refuses_complex_input(name):
    rng = np.random.default_rng(2)
    a = complex_array(rng, (3, 3)) + 3 * np.eye(3)
    h = a @ a.conj().T
    f = _SMOKE[name]
    want = f(np.linalg, a, h)
    got = ft.jit(lambda x, y: f(fnp.linalg, x, y))(a, h)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_issue12_item2_non_float_matrices_at_the_primitive_level_say_what_to_do():
    from ftrans.primitives import linalg as primitives

    with pytest.raises(TypeError, match="eigh: expected a floating-point or complex matrix, got"):
        ft.jit(primitives.eigh)(np.eye(2, dtype=int))
    with pytest.raises(TypeError, match="svd: expected a floating-point or complex matrix"):
        ft.jit(primitives.svd)(np.eye(2, dtype=int))
