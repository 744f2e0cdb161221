"""``accuracy=`` on ftrans.lax's transcendental functions: accepted (``AccuracyMode``,
``Tolerance``), checked with clear errors, and without effect on values, derivatives, ``vmap``
and ``jit``; the set of functions taking it is JAX's."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ftrans as ft
from ftrans import lax
from ftrans.lax_accuracy import WITH_ACCURACY

#: a domain where every one of the functions is defined and smooth
X = np.array([0.3, 0.7, 1.1, 1.6])
ACCURACIES = [
    lax.AccuracyMode.HIGHEST,
    lax.AccuracyMode.DEFAULT,
    lax.Tolerance(atol=1e-12),
    lax.Tolerance(rtol=1e-15, ulps=2),
]
NUMPY = {
    "exp": np.exp,
    "exp2": np.exp2,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "tanh": np.tanh,
    "logistic": lambda x: 1 / (1 + np.exp(-x)),
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "cbrt": np.cbrt,
}


def test_every_function_is_listed():
    assert set(NUMPY) == set(WITH_ACCURACY)


@pytest.mark.parametrize("name", WITH_ACCURACY)
@pytest.mark.parametrize("accuracy", ACCURACIES, ids=repr)
def test_accuracy_changes_nothing(name, accuracy):
    f = getattr(lax, name)
    plain = f(X)
    np.testing.assert_allclose(plain, NUMPY[name](X), rtol=1e-14)
    np.testing.assert_array_equal(f(X, accuracy=accuracy), plain)
    g = ft.grad(lambda x: f(x, accuracy=accuracy))
    np.testing.assert_array_equal(g(0.7), ft.grad(f)(0.7))
    np.testing.assert_array_equal(ft.grad(g)(0.7), ft.grad(ft.grad(f))(0.7))
    batched = ft.jit(ft.vmap(lambda x: f(x, accuracy=accuracy)))
    np.testing.assert_allclose(batched(X), plain, rtol=1e-15)


def test_accuracy_is_keyword_only():
    with pytest.raises(TypeError):
        lax.exp(X, lax.AccuracyMode.HIGHEST)


@pytest.mark.parametrize("bad", ["HIGHEST", 1e-6, 2, (0.0, 1e-6, 0)])
def test_other_accuracy_values_are_type_errors(bad):
    with pytest.raises(TypeError, match=r"lax\.tanh: accuracy must be None, a lax\.AccuracyMode"):
        lax.tanh(X, accuracy=bad)
    with pytest.raises(TypeError, match=f"of type {type(bad).__name__}"):
        ft.jit(lambda x: lax.sin(x, accuracy=bad))(X)


def test_tolerance_is_validated():
    with pytest.raises(ValueError, match="must be non-negative, got atol=-1"):
        lax.Tolerance(atol=-1.0)
    with pytest.raises(ValueError, match="set at least one of atol, rtol or ulps"):
        lax.Tolerance()
    t = lax.Tolerance(rtol=1e-6, ulps=3)
    assert (t.atol, t.rtol, t.ulps) == (0.0, 1e-6, 3)
    assert [m.name for m in lax.AccuracyMode] == ["HIGHEST", "DEFAULT"]


def test_same_functions_take_accuracy_as_in_jax():
    jax_lax = pytest.importorskip("jax.lax")
    theirs = set()
    for name in dir(jax_lax):
        obj = getattr(jax_lax, name)
        if name.startswith("_") or not callable(obj) or inspect.isclass(obj):
            continue
        try:
            if "accuracy" in inspect.signature(obj).parameters:
                theirs.add(name)
        except (TypeError, ValueError):
            continue
    assert theirs == set(WITH_ACCURACY)
    assert [m.name for m in jax_lax.AccuracyMode] == [m.name for m in lax.AccuracyMode]


@pytest.mark.parametrize("name", WITH_ACCURACY)
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.complex64])
def test_more_accuracy_for_narrow_dtypes_is_double_precision_rounded_once(name, dtype):
    if dtype == np.complex64 and name in ("logistic", "cbrt"):
        pytest.skip(f"NumPy has no complex {name}")
    f = getattr(lax, name)
    x = X.astype(dtype)
    wide = np.complex128 if dtype == np.complex64 else np.float64
    rounded = NUMPY[name](x.astype(wide)).astype(dtype)
    for accuracy in (lax.AccuracyMode.HIGHEST, lax.Tolerance(ulps=1)):
        out = f(x, accuracy=accuracy)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, rounded)
        np.testing.assert_array_equal(ft.jit(ft.vmap(lambda v: f(v, accuracy=accuracy)))(x), out)
    np.testing.assert_array_equal(f(x, accuracy=lax.AccuracyMode.DEFAULT), f(x))
    if dtype == np.float32:
        g = ft.grad(lambda v: f(v, accuracy=lax.AccuracyMode.HIGHEST))(np.float32(0.7))
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, ft.grad(f)(0.7), rtol=1e-6)


def test_logistic_is_accurate_in_both_tails():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 100
    x = np.array([-700.0, -300.0, -40.0, -5.0, -0.1, 0.0, 0.1, 5.0, 40.0])
    ref = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(v)))) for v in x])
    np.testing.assert_allclose(lax.logistic(x), ref, rtol=4 * np.finfo(float).eps, atol=0)
    assert lax.logistic(np.array([-np.inf, np.inf])).tolist() == [0.0, 1.0]
    assert np.isnan(lax.logistic(np.nan))
