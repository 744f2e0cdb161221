"""ftrans.image against jax.image: checked-in outputs (tests/data/make_image_resize_ref.py),
live JAX when installed, and under grad / vmap / jit."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import ftrans as ft
import ftrans.image as fimage
import ftrans.numpy as fnp
from ftrans.numerical import check_grads

DATA = pathlib.Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from make_image_resize_ref import cases, image, run  # noqa: E402

REF = dict(np.load(DATA / "image_resize_ref.npz"))
CASES = dict(cases())


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_checked_in_jax_outputs(name):
    np.testing.assert_allclose(run(fimage, image(), CASES[name]), REF[name], rtol=1e-12, atol=1e-12)


def test_live_jax_agrees():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = image()
    for name in ("resize/cubic/True/2x13x5x3",):  # one case: JAX compiles each for seconds
        np.testing.assert_allclose(
            run(fimage, x, CASES[name]), np.asarray(run(jax.image, x, CASES[name])), atol=1e-12
        )


def test_method_names_dtypes_and_identity():
    x = np.arange(12.0).reshape(3, 4)
    for a, b in (("linear", "bilinear"), ("cubic", "bicubic"), ("linear", "triangle")):
        np.testing.assert_array_equal(fimage.resize(x, (5, 7), a), fimage.resize(x, (5, 7), b))
    np.testing.assert_array_equal(
        fimage.resize(x, (5, 7), fimage.ResizeMethod.CUBIC), fimage.resize(x, (5, 7), "cubic")
    )
    np.testing.assert_array_equal(fimage.resize(x, (3, 4), "lanczos3"), x)
    assert fimage.resize(x.astype(np.float32), (6, 8), "linear").dtype == np.float32
    assert fimage.resize(np.arange(4), (8,), "linear").dtype == np.float64
    assert fimage.resize(np.arange(4), (8,), "nearest").dtype == np.arange(4).dtype


def test_errors():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="one entry per axis"):
        fimage.resize(x, (5,), "linear")
    with pytest.raises(ValueError, match="Unknown resize method 'bogus'"):
        fimage.resize(x, (5, 5), "bogus")
    with pytest.raises(ValueError, match="'nearest' is not supported"):
        fimage.scale_and_translate(x, (3, 4), (0,), np.ones(1), np.zeros(1), "nearest")
    with pytest.raises(ValueError, match="one entry per spatial dim"):
        fimage.scale_and_translate(x, (3, 4), (0, 1), np.ones(1), np.zeros(2), "linear")


def test_differentiable_batched_jitted():
    rng = np.random.default_rng(3)
    img = rng.standard_normal((5, 6))
    for method in ("linear", "cubic", "lanczos3"):
        check_grads(lambda im, m=method: fimage.resize(im, (8, 3), m), (img,), order=1)
    batch = rng.standard_normal((2, 5, 6))
    per = ft.vmap(lambda im: fimage.resize(im, (8, 3), "cubic"))(batch)
    np.testing.assert_allclose(per, fimage.resize(batch, (2, 8, 3), "cubic"), atol=1e-12)
    jitted = ft.jit(lambda im: fimage.resize(im, (8, 3), "lanczos5"))(img)
    np.testing.assert_allclose(jitted, fimage.resize(img, (8, 3), "lanczos5"), atol=1e-12)

    # scale and translation are differentiable too
    def shifted(t):
        return fimage.scale_and_translate(
            img, (5, 6), (0, 1), np.array([1.0, 1.2]), fnp.stack([t, 0.3]), "cubic"
        ).sum()

    check_grads(shifted, (0.37,), order=1)
    assert np.isfinite(ft.jit(ft.grad(shifted))(0.37))
