"""ftrans.scipy.signal, .integrate, .ndimage and .interpolate against JAX (checked-in outputs of
``tests/data/make_scipy_jax_reference.py``) and SciPy, under jit/vmap/grad, and their errors."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.errors import ShapeError, UnsupportedError
from ftrans.scipy import integrate, interpolate, ndimage, signal

REF = np.load(pathlib.Path(__file__).parent / "data" / "scipy_jax_reference.npz")
MODES = ("full", "same", "valid")


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


@pytest.mark.parametrize("mode", MODES)
def test_signal_matches_jax_reference(mode):
    a, b, img, ker = (REF[f"signal/{k}"] for k in ("a", "b", "img", "ker"))
    close(signal.convolve(a, b, mode=mode), REF[f"signal/convolve_{mode}"])
    close(signal.correlate(a, b, mode=mode), REF[f"signal/correlate_{mode}"])
    close(signal.fftconvolve(a, b, mode=mode), REF[f"signal/fftconvolve_{mode}"])
    close(signal.convolve2d(img, ker, mode=mode), REF[f"signal/convolve2d_{mode}"])
    close(signal.correlate2d(img, ker, mode=mode), REF[f"signal/correlate2d_{mode}"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("s1", "s2"), [((7,), (3,)), ((3,), (7,)), ((6, 5), (3, 2)), ((4, 5, 3), (2, 3, 2))]
)
def test_convolve_and_correlate_match_scipy(mode, s1, s2):
    ss = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    for method in ("direct", "fft", "auto"):
        close(signal.convolve(a, b, mode, method), ss.convolve(a, b, mode, method))
        close(signal.correlate(a, b, mode, method), ss.correlate(a, b, mode, method))


def test_fftconvolve_axes_and_integer_inputs():
    ss = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 10)), rng.standard_normal((1, 4))
    for mode in MODES:
        close(signal.fftconvolve(a, b, mode, axes=1), ss.fftconvolve(a, b, mode, axes=1))
    got = signal.convolve(np.array([1, 2, 3]), np.array([1, 1]))
    assert got.dtype == np.float64 and got.tolist() == [1.0, 3.0, 5.0, 3.0]  # as JAX: inexact


def test_signal_under_transforms():
    rng = np.random.default_rng(2)
    xs, k = rng.standard_normal((4, 12)), rng.standard_normal(3)
    want = np.stack([signal.convolve(x, k, "same") for x in xs])
    close(ft.vmap(lambda x: signal.convolve(x, k, "same"))(xs), want)
    close(ft.jit(ft.vmap(lambda x: signal.convolve(x, k, "same", method="fft")))(xs), want)
    # the gradient of sum(conv(x, k)) in x is the sum of k everywhere x meets all of k
    g = ft.grad(lambda x: fnp.sum(signal.convolve(x, k, "full")))(xs[0])
    close(g, np.full(12, k.sum()))


def test_integrate_matches_jax_and_scipy():
    si = pytest.importorskip("scipy.integrate")
    a, x = REF["signal/a"], REF["integrate/x"]
    close(integrate.trapezoid(a, x), REF["integrate/trapezoid"])
    rng = np.random.default_rng(3)
    y = rng.standard_normal((3, 7))
    for n in (1, 2, 3, 4, 7):
        close(integrate.simpson(y[:, :n], dx=0.3), si.simpson(y[:, :n], dx=0.3))
        close(integrate.simpson(y[:, :n], x=x[:n]), si.simpson(y[:, :n], x=x[:n]))
    close(
        integrate.cumulative_trapezoid(y, dx=0.5, axis=0),
        si.cumulative_trapezoid(y, dx=0.5, axis=0),
    )
    close(ft.grad(lambda v: integrate.trapezoid(v, dx=2.0))(np.ones(4)), [1.0, 2.0, 2.0, 1.0])


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_matches_jax_reference(mode, order):
    img, coords = REF["signal/img"], REF["ndimage/coords"]
    got = ndimage.map_coordinates(img, coords, order=order, mode=mode, cval=0.25)
    close(got, REF[f"ndimage/{mode}_{order}"])
    jitted = ft.jit(lambda c: ndimage.map_coordinates(img, c, order=order, mode=mode, cval=0.25))
    close(jitted(coords), got)


def test_map_coordinates_matches_scipy_and_differentiates():
    nd = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(4)
    img = rng.standard_normal((6, 7))
    coords = rng.uniform(0, 5, (2, 40))
    for mode in ("constant", "nearest", "mirror", "reflect"):
        want = nd.map_coordinates(img, coords, order=1, mode=mode)
        close(ndimage.map_coordinates(img, coords, order=1, mode=mode), want)
    ints = np.arange(12).reshape(3, 4)
    got = ndimage.map_coordinates(ints, [[0.5, 1.5], [0.5, 2.25]], order=1)
    assert got.dtype == ints.dtype
    np.testing.assert_array_equal(got, nd.map_coordinates(ints, [[0.5, 1.5], [0.5, 2.25]], order=1))
    # d/dc of the bilinear interpolant of a linear function is its slope
    ramp = 2.0 * np.arange(5.0)[:, None] + 3.0 * np.arange(6.0)[None, :]
    g = ft.grad(lambda c: fnp.sum(ndimage.map_coordinates(ramp, c, order=1)))(
        np.array([[1.3, 2.6], [0.2, 4.1]])
    )
    close(g, [[2.0, 2.0], [3.0, 3.0]])


@pytest.mark.parametrize("method", ["linear", "nearest"])
def test_regular_grid_interpolator_matches_jax_and_scipy(method):
    sinterp = pytest.importorskip("scipy.interpolate")
    px, py, xi, img = (
        REF["interpolate/px"],
        REF["interpolate/py"],
        REF["interpolate/xi"],
        REF["signal/img"],
    )
    got = interpolate.RegularGridInterpolator((px, py), img, method=method)(xi)
    close(got, REF[f"interpolate/{method}"])
    want = sinterp.RegularGridInterpolator((px, py), img, method=method, bounds_error=False)(xi)
    close(got, want)
    extrapolate = interpolate.RegularGridInterpolator((px, py), img, method=method, fill_value=None)
    close(extrapolate(xi), REF[f"interpolate/{method}_extrapolate"])
    close(ft.jit(lambda q: extrapolate(q))(xi), extrapolate(xi))


def test_regular_grid_interpolator_is_a_pytree_and_differentiable():
    px, py, img = REF["interpolate/px"], REF["interpolate/py"], REF["signal/img"]
    interp = interpolate.RegularGridInterpolator((px, py), img)
    q = np.array([[0.5, 0.25], [2.0, 3.5]])
    close(ft.jit(lambda it, x: it(x))(interp, q), interp(q))
    g = ft.grad(lambda v: fnp.sum(interpolate.RegularGridInterpolator((px, py), v)(q)))(img)
    assert g.shape == img.shape and np.isclose(g.sum(), 2.0)  # the weights of each point sum to 1
    batched = ft.vmap(lambda x: interp(x[None])[0])(q)
    close(batched, interp(q))


def test_errors():
    with pytest.raises(ShapeError, match="same number of dimensions"):
        signal.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"mode must be one of \['full', 'same', 'valid'\]"):
        signal.convolve(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="method must be 'auto', 'direct' or 'fft'"):
        signal.convolve(np.ones(3), np.ones(2), method="overlap-add")
    with pytest.raises(ShapeError, match="at least as large as the other in every dimension"):
        signal.convolve(np.ones((3, 1)), np.ones((1, 3)), mode="valid")
    with pytest.raises(UnsupportedError, match="boundary='fill'"):
        signal.convolve2d(np.ones((2, 2)), np.ones((1, 1)), boundary="wrap")
    with pytest.raises(ShapeError, match="must be 2-D"):
        signal.correlate2d(np.ones(3), np.ones(2))
    with pytest.raises(UnsupportedError, match="only order=0"):
        ndimage.map_coordinates(np.ones((2, 2)), [[0.5], [0.5]], order=3)
    with pytest.raises(UnsupportedError, match="mode must be one of"):
        ndimage.map_coordinates(np.ones((2, 2)), [[0.5], [0.5]], order=1, mode="grid-wrap")
    with pytest.raises(ShapeError, match="one array per input dimension"):
        ndimage.map_coordinates(np.ones((2, 2)), [[0.5]], order=1)
    with pytest.raises(ShapeError, match=r"x has 3 samples but y has 4"):
        integrate.trapezoid(np.ones(4), x=np.ones(3))
    with pytest.raises(ValueError, match="strictly ascending"):
        interpolate.RegularGridInterpolator((np.array([0.0, 2.0, 1.0]),), np.ones(3))
    with pytest.raises(UnsupportedError, match="bounds_error=True"):
        interpolate.RegularGridInterpolator((np.arange(3.0),), np.ones(3), bounds_error=True)
    with pytest.raises(ShapeError, match="last dimension of xi must be 1"):
        interpolate.RegularGridInterpolator((np.arange(3.0),), np.ones(3))(np.ones((2, 2)))
