"""Write ``scipy_jax_reference.npz``: inputs and jax.scipy / jax.lax.linalg outputs for
``tests/test_scipy_*.py``, so those tests check JAX's numbers without JAX installed.

Run from the repository root with JAX installed: ``python tests/data/make_scipy_jax_reference.py``.
Every entry is ``<case>/<name>``; inputs are drawn here from a fixed seed.
"""

from __future__ import annotations

import pathlib

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
from jax import lax  # noqa: E402

OUT = pathlib.Path(__file__).with_name("scipy_jax_reference.npz")


def linalg_cases(rng, out):
    a = rng.standard_normal((4, 4))
    spd = a @ a.T + 4 * np.eye(4)
    b = rng.standard_normal((4, 2))
    v = rng.standard_normal(4)
    e = rng.standard_normal((4, 4))
    out["linalg/a"], out["linalg/spd"], out["linalg/b"], out["linalg/v"], out["linalg/e"] = (
        a,
        spd,
        b,
        v,
        e,
    )
    p, low, up = jsl.lu(a)
    out["linalg/lu_p"], out["linalg/lu_l"], out["linalg/lu_u"] = p, low, up
    lu, piv = jsl.lu_factor(a)
    out["linalg/lu_factor_lu"], out["linalg/lu_factor_piv"] = lu, piv
    for t in (0, 1):
        out[f"linalg/lu_solve_{t}"] = jsl.lu_solve((lu, piv), b, trans=t)
    out["linalg/cho_solve"] = jsl.cho_solve(jsl.cho_factor(spd), b)
    out["linalg/cholesky"] = jsl.cholesky(spd)
    for assume in ("gen", "sym", "pos"):
        out[f"linalg/solve_{assume}"] = jsl.solve(spd, v, assume_a=assume)
    out["linalg/solve_triangular"] = jsl.solve_triangular(a, b, trans=1, lower=True)
    out["linalg/expm"] = jsl.expm(a)
    out["linalg/expm_large"] = jsl.expm(8 * a)
    _, frechet = jsl.expm_frechet(a, e)
    out["linalg/expm_frechet"] = frechet
    out["linalg/grad_expm"] = jax.grad(lambda x: jnp.sum(jnp.sin(jsl.expm(x))))(a)
    out["linalg/eigh_w"] = jsl.eigh(spd)[0]
    out["linalg/eigh_tridiagonal"] = jsl.eigh_tridiagonal(v, v[:3], eigvals_only=True)
    out["linalg/toeplitz"] = jsl.toeplitz(v, v[::-1])
    out["linalg/block_diag"] = jsl.block_diag(a[:2, :3], v[:2])
    unitary, posdef = jsl.polar(a)
    out["linalg/polar_u"], out["linalg/polar_p"] = unitary, posdef
    out["linalg/det"] = jsl.det(a)
    out["linalg/grad_lu_solve"] = jax.grad(
        lambda x: jnp.sum(jsl.lu_solve(jsl.lu_factor(x), b) ** 2)
    )(a)
    out["linalg/grad_solve_pos"] = jax.grad(
        lambda x: jnp.sum(jsl.solve(x @ x.T + 4 * jnp.eye(4), v, assume_a="pos") ** 2)
    )(a)
    # jax.lax.linalg
    lu2, piv2, perm2 = lax.linalg.lu(a[:, :3])
    out["lax/lu"], out["lax/lu_pivots"], out["lax/lu_perm"] = lu2, piv2, perm2
    pivots = np.array([2, 3, 2], np.int32)
    out["lax/pivots_to_perm"] = lax.linalg.lu_pivots_to_permutation(pivots, 5)
    out["lax/cholesky"] = lax.linalg.cholesky(spd)
    out["lax/eigh_w"] = lax.linalg.eigh(spd)[1]
    out["lax/triangular_solve"] = lax.linalg.triangular_solve(
        a, b.T, left_side=False, lower=True, transpose_a=True
    )
    out["lax/svd_s"] = lax.linalg.svd(a, compute_uv=False)
    out["lax/qr_r"] = jnp.abs(lax.linalg.qr(a[:, :3], full_matrices=False)[1])


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_data(rng):
    x = rng.standard_normal((200, 5))
    w = rng.standard_normal(5)
    y = (x @ w + 0.5 * rng.standard_normal(200) > 0).astype(float)
    return x, y


def logistic_nll(w, x, y, lam):
    z = x @ w
    return jnp.sum(jnp.logaddexp(0.0, z) - y * z) / len(y) + lam * jnp.sum(w * w)


def optimize_cases(rng, out):
    import jax.scipy.optimize as jso

    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    res = jso.minimize(rosenbrock, x0, method="BFGS")
    out["optimize/rosen_x0"] = x0
    for field in ("x", "fun", "jac", "hess_inv", "nit", "nfev", "status"):
        out[f"optimize/rosen_{field}"] = getattr(res, field)
    x, y = logistic_data(rng)
    out["optimize/logistic_features"], out["optimize/logistic_labels"] = x, y
    res = jso.minimize(logistic_nll, np.zeros(5), (x, y, 0.01), method="BFGS")
    for field in ("x", "nit", "nfev"):
        out[f"optimize/logistic_result_{field}"] = getattr(res, field)


def signal_cases(rng, out):
    import jax.scipy.integrate as jsi
    import jax.scipy.interpolate as jinterp
    import jax.scipy.ndimage as jnd
    import jax.scipy.signal as jss

    a, b = rng.standard_normal(9), rng.standard_normal(4)
    img, ker = rng.standard_normal((5, 6)), rng.standard_normal((3, 2))
    out["signal/a"], out["signal/b"], out["signal/img"], out["signal/ker"] = a, b, img, ker
    for mode in ("full", "same", "valid"):
        out[f"signal/convolve_{mode}"] = jss.convolve(a, b, mode=mode)
        out[f"signal/correlate_{mode}"] = jss.correlate(a, b, mode=mode)
        out[f"signal/fftconvolve_{mode}"] = jss.fftconvolve(a, b, mode=mode)
        out[f"signal/convolve2d_{mode}"] = jss.convolve2d(img, ker, mode=mode)
        out[f"signal/correlate2d_{mode}"] = jss.correlate2d(img, ker, mode=mode)
    x = np.cumsum(rng.uniform(0.1, 1.0, 9))
    out["integrate/x"] = x
    out["integrate/trapezoid"] = jsi.trapezoid(a, x)
    coords = rng.uniform(-2, 7, (2, 30))
    out["ndimage/coords"] = coords
    for order in (0, 1):
        for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
            out[f"ndimage/{mode}_{order}"] = jnd.map_coordinates(
                img, coords, order=order, mode=mode, cval=0.25
            )
    px, py = np.array([0.0, 1.0, 2.5, 3.0, 4.0]), np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 4.0])
    xi = np.stack([rng.uniform(-0.5, 4.5, 20), rng.uniform(-1.5, 4.5, 20)], -1)
    out["interpolate/px"], out["interpolate/py"], out["interpolate/xi"] = px, py, xi
    for method in ("linear", "nearest"):
        interp = jinterp.RegularGridInterpolator((px, py), img, method=method)
        out[f"interpolate/{method}"] = interp(xi)
        extrapolate = jinterp.RegularGridInterpolator((px, py), img, method=method, fill_value=None)
        out[f"interpolate/{method}_extrapolate"] = extrapolate(xi)


def main():
    rng = np.random.default_rng(20261202)
    out: dict[str, np.ndarray] = {}
    linalg_cases(rng, out)
    optimize_cases(np.random.default_rng(7), out)
    signal_cases(np.random.default_rng(11), out)
    np.savez_compressed(OUT, **{k: np.asarray(v) for k, v in out.items()})
    print(f"wrote {len(out)} arrays to {OUT}")


if __name__ == "__main__":
    main()
