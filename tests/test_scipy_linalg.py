"""ftrans.scipy.linalg and ftrans.lax.linalg against JAX (checked-in outputs of
``tests/data/make_scipy_jax_reference.py``, and live when JAX is installed) and SciPy, plus the
LU primitive on sizes the registry does not reach and the error messages."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.errors import ShapeError, UnsupportedError
from ftrans.scipy import linalg as L

sl = pytest.importorskip("scipy.linalg")

REF = np.load(pathlib.Path(__file__).parent / "data" / "scipy_jax_reference.npz")


def ref(name):
    return REF[f"linalg/{name}"]


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- JAX's numbers


def test_matches_jax_reference():
    a, spd, b, v, e = ref("a"), ref("spd"), ref("b"), ref("v"), ref("e")
    for got, name in zip(L.lu(a), ("lu_p", "lu_l", "lu_u"), strict=True):
        close(got, ref(name))
    lu, piv = L.lu_factor(a)
    close(lu, ref("lu_factor_lu"))
    np.testing.assert_array_equal(piv, ref("lu_factor_piv"))
    for t in (0, 1):
        close(L.lu_solve((lu, piv), b, trans=t), ref(f"lu_solve_{t}"))
    close(L.cho_solve(L.cho_factor(spd), b), ref("cho_solve"))
    close(L.cholesky(spd), ref("cholesky"))
    for assume in ("gen", "sym", "pos"):
        close(L.solve(spd, v, assume_a=assume), ref(f"solve_{assume}"))
    close(L.solve_triangular(a, b, trans=1, lower=True), ref("solve_triangular"))
    close(L.expm(a), ref("expm"), rtol=1e-13)
    close(L.expm(8 * a), ref("expm_large"), rtol=1e-11)
    close(L.expm_frechet(a, e)[1], ref("expm_frechet"), rtol=1e-12)
    close(L.eigh(spd)[0], ref("eigh_w"))
    close(L.eigh_tridiagonal(v, v[:3], eigvals_only=True), ref("eigh_tridiagonal"))
    close(L.toeplitz(v, v[::-1]), ref("toeplitz"))
    close(L.block_diag(a[:2, :3], v[:2]), ref("block_diag"))
    u, p = L.polar(a)
    close(u, ref("polar_u"))
    close(p, ref("polar_p"))
    close(L.det(a), ref("det"))


def test_gradients_match_jax_reference():
    a, b, v = ref("a"), ref("b"), ref("v")
    g = ft.grad(lambda x: fnp.sum(fnp.sin(L.expm(x))))(a)
    close(g, ref("grad_expm"), rtol=1e-11)
    g = ft.grad(lambda x: fnp.sum(L.lu_solve(L.lu_factor(x), b) ** 2))(a)
    close(g, ref("grad_lu_solve"))
    g = ft.grad(lambda x: fnp.sum(L.solve(x @ x.T + 4 * np.eye(4), v, assume_a="pos") ** 2))(a)
    close(g, ref("grad_solve_pos"))


def test_lax_linalg_matches_jax_reference():
    a, spd, b = ref("a"), ref("spd"), ref("b")
    lu, piv, perm = lax.linalg.lu(a[:, :3])
    close(lu, REF["lax/lu"])
    np.testing.assert_array_equal(piv, REF["lax/lu_pivots"])
    np.testing.assert_array_equal(perm, REF["lax/lu_perm"])
    got = lax.linalg.lu_pivots_to_permutation(np.array([2, 3, 2], np.int32), 5)
    np.testing.assert_array_equal(got, REF["lax/pivots_to_perm"])
    assert got.dtype == np.int32
    close(lax.linalg.cholesky(spd), REF["lax/cholesky"])
    v, w = lax.linalg.eigh(spd)
    close(w, REF["lax/eigh_w"])
    close(spd @ v, v * w)
    got = lax.linalg.triangular_solve(a, b.T, left_side=False, lower=True, transpose_a=True)
    close(got, REF["lax/triangular_solve"])
    close(lax.linalg.svd(a, compute_uv=False), REF["lax/svd_s"])
    close(fnp.abs(lax.linalg.qr(a[:, :3], full_matrices=False)[1]), REF["lax/qr_r"])
    q, r = lax.linalg.qr(a[:, :3])  # full_matrices=True by default, as in JAX
    assert q.shape == (4, 4) and r.shape == (4, 3)


def test_live_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.scipy.linalg as jsl

    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 5, 5))
    close(L.expm(a), np.asarray(jax.vmap(jsl.expm)(a)), rtol=1e-12)
    for got, want in zip(L.lu(a[0]), jsl.lu(a[0]), strict=True):
        close(got, want)
    out = jax.lax.linalg.lu(a)
    for got, want in zip(lax.linalg.lu(a), out, strict=True):
        close(got, want)


# ----------------------------------------------------------------------------- SciPy, LU


@pytest.mark.parametrize("shape", [(100, 100), (70, 130), (130, 70), (3, 40, 40)])
def test_lu_blocked_sizes_match_scipy(shape):
    """Sizes past one 32-column panel, against LAPACK getrf."""
    a = np.random.default_rng(0).standard_normal(shape)
    lu, piv = L.lu_factor(a)
    flat_a, flat_lu, flat_piv = a.reshape(-1, *shape[-2:]), lu.reshape(-1, *shape[-2:]), piv
    flat_piv = piv.reshape(-1, piv.shape[-1])
    for x, got_lu, got_piv in zip(flat_a, flat_lu, flat_piv, strict=True):
        want_lu, want_piv = sl.lu_factor(x)
        close(got_lu, want_lu, rtol=1e-9, atol=1e-11)
        np.testing.assert_array_equal(got_piv, want_piv)


def test_lu_singular_matrix_like_lapack():
    a = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 6.0]])
    for got, want in zip(L.lu(a), sl.lu(a), strict=True):
        close(got, want)


def test_lu_solve_under_vmap_and_jit():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((3, 4))

    def f(x, y):
        return L.lu_solve(L.lu_factor(x), y)

    want = np.stack([sl.lu_solve(sl.lu_factor(x), y) for x, y in zip(a, b, strict=True)])
    close(ft.vmap(f)(a, b), want)
    close(ft.jit(ft.vmap(f))(a, b), want)
    close(ft.jit(f)(a[0], b[0]), want[0])


def test_expm_of_zero_and_nan_beyond_max_squarings():
    close(L.expm(np.zeros((3, 3))), np.eye(3))
    big = np.diag([1e6, 0.0])
    assert np.isnan(L.expm(big, max_squarings=4)).all()
    assert np.isnan(ft.jit(lambda x: L.expm(x, max_squarings=4))(big)).all()


def test_expm_frechet_compute_expm_false_and_second_derivative():
    rng = np.random.default_rng(2)
    a, e = rng.standard_normal((2, 3, 3))
    frechet = L.expm_frechet(a, e, compute_expm=False)
    close(frechet, sl.expm_frechet(a, e)[1], rtol=1e-12)
    # second derivative of expm along e, against central differences of the Fréchet derivative
    h = 1e-5
    fd = (sl.expm_frechet(a + h * e, e)[1] - sl.expm_frechet(a - h * e, e)[1]) / (2 * h)
    _, second = ft.jvp(lambda x: L.expm_frechet(x, e, compute_expm=False), (a,), (e,))
    close(second, fd, rtol=1e-6, atol=1e-8)


def test_eigh_tridiagonal_vectors():
    d, e = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25])
    w, v = L.eigh_tridiagonal(d, e)
    want_w, want_v = sl.eigh_tridiagonal(d, e)
    close(w, want_w)
    close(np.abs(v), np.abs(want_v))


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_problem():
    with pytest.raises(ShapeError, match=r"cholesky: a must be square .*\(2, 3\)"):
        L.cholesky(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"assume_a must be one of \['gen', 'sym', 'her', 'pos'\]"):
        L.solve(np.eye(2), np.ones(2), assume_a="positive")
    with pytest.raises(ShapeError, match=r"solve: b \(3,\) does not fit a matrix of order 2"):
        L.solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="lu_solve: trans must be 0, 1 or 2"):
        L.lu_solve(L.lu_factor(np.eye(2)), np.ones(2), trans=5)
    with pytest.raises(TypeError, match=r"cho_solve: the first argument must be the pair"):
        L.cho_solve(np.eye(2), np.ones(2))
    with pytest.raises(TypeError, match=r"lu_solve: the first argument must be the pair"):
        L.lu_solve(np.eye(2), np.ones(2))
    with pytest.raises(ShapeError, match="lu_solve: lu must be square"):
        L.lu_solve(L.lu_factor(np.ones((3, 2))), np.ones(3))
    with pytest.raises(UnsupportedError, match="pivoting=True"):
        L.qr(np.eye(2), pivoting=True)
    with pytest.raises(ValueError, match="qr: mode must be one of"):
        L.qr(np.eye(2), mode="raw")
    with pytest.raises(UnsupportedError, match="generalized problem"):
        L.eigh(np.eye(2), np.eye(2))
    with pytest.raises(ShapeError, match=r"expm_frechet: A \(2, 2\) and E \(3, 3\)"):
        L.expm_frechet(np.eye(2), np.eye(3))
    with pytest.raises(ValueError, match="negative real axis"):
        L.sqrtm(np.diag([-1.0, 4.0]))
    with pytest.raises(ShapeError, match=r"eigh_tridiagonal: d must be \(n,\) and e \(n-1,\)"):
        L.eigh_tridiagonal(np.ones(3), np.ones(3))
    with pytest.raises(UnsupportedError, match="select='v'"):
        L.eigh_tridiagonal(np.ones(3), np.ones(2), eigvals_only=True, select="v")
    with pytest.raises(TypeError, match="complex a is not supported"):
        L.inv(np.eye(2) * 1j)
    with pytest.raises(AttributeError, match="has no 'schur'.*eigh"):
        L.schur
    with pytest.raises(ValueError, match="subset_by_index|index range"):
        L.eigh(np.eye(3), subset_by_index=(2, 5))


def test_lax_linalg_errors():
    with pytest.raises(ShapeError, match=r"triangular_solve: b \(3, 2\) does not fit"):
        lax.linalg.triangular_solve(np.eye(2), np.ones((3, 2)), left_side=True)
    with pytest.raises(ShapeError, match="lu: expected a matrix"):
        lax.linalg.lu(np.ones(3))
    with pytest.raises(TypeError, match="pivots must be integers"):
        lax.linalg.lu_pivots_to_permutation(np.ones(3), 3)
    with pytest.raises(ShapeError, match=r"pivots \(3,\) do not fit a permutation of size 2"):
        lax.linalg.lu_pivots_to_permutation(np.zeros(3, np.int32), 2)
    with pytest.raises(ValueError, match="sort_eigenvalues=False"):
        lax.linalg.eigh(np.eye(2), sort_eigenvalues=False)


def test_sqrtm_of_spd_and_solve_her_match_scipy():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 4))
    spd = x @ x.T + np.eye(4)
    close(L.sqrtm(spd), np.real(sl.sqrtm(spd)), rtol=1e-10, atol=1e-12)
    b = rng.standard_normal(4)
    close(L.solve(spd, b, assume_a="her"), sl.solve(spd, b, assume_a="her"))
    # the derivative of sqrtm solves X dX + dX X = dA
    da = rng.standard_normal((4, 4))
    s, ds = ft.jvp(L.sqrtm, (spd,), (da,))
    close(s @ ds + ds @ s, da, rtol=1e-8, atol=1e-9)
