"""ftrans.numpy beyond the registry: NumPy's own functions on tracers, the casting scalar
types, ufunc methods, JAX's conventions at kinks and ties (against JAX, or its checked-in
numbers), and the error messages for bad input."""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.errors import ConcretizationError, TracerArrayConversionError

DATA = pathlib.Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
import make_jax_numpy_derivatives  # noqa: E402

# ----------------------------------------------------------------------------- numpy on tracers


def plain_numpy_loss(x, w):
    """A function written against plain NumPy only."""
    h = np.tanh(np.dot(x, w))
    h = np.where(h > 0, h, 0.1 * h)
    return np.sum(h**2, axis=0).mean() + np.linalg.norm(w) + np.add.reduce(np.abs(x).ravel())


def test_plain_numpy_function_differentiates():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    value, grads = ft.value_and_grad(plain_numpy_loss, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(value, plain_numpy_loss(x, w))
    eps = 1e-6
    for i, arg in enumerate((x, w)):
        direction = rng.normal(size=arg.shape)
        args = [x, w]
        args[i] = arg + eps * direction
        up = plain_numpy_loss(*args)
        args[i] = arg - eps * direction
        down = plain_numpy_loss(*args)
        np.testing.assert_allclose(np.sum(grads[i] * direction), (up - down) / (2 * eps), rtol=1e-5)
    jitted = ft.jit(plain_numpy_loss)
    np.testing.assert_allclose(jitted(x, w), plain_numpy_loss(x, w))
    batched = ft.vmap(plain_numpy_loss, in_axes=(0, None))(np.stack([x, x]), w)
    np.testing.assert_allclose(batched, [plain_numpy_loss(x, w)] * 2)


def test_numpy_signatures_and_submodules_dispatch():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    cases = [
        lambda t: np.sum(t, axis=1, keepdims=True),
        lambda t: np.mean(t, 0),
        lambda t: np.concatenate([t, np.ones((1, 3))]),
        lambda t: np.clip(t, 2.0, 4.0),
        lambda t: np.fft.rfft(t).real,
        lambda t: np.linalg.det(t @ t.T),
        lambda t: np.pad(t, 1, mode="edge"),
        lambda t: np.median(t, axis=0),
        lambda t: np.multiply.outer(t[0], t[1]),
        lambda t: np.maximum.accumulate(t, axis=1),
        lambda t: np.exp(t, dtype=np.float32),
    ]
    for f in cases:
        np.testing.assert_allclose(ft.jit(f)(x), f(x), rtol=1e-6)


def test_missing_numpy_function_names_no_nonexistent_ftrans_function():
    with pytest.raises(TracerArrayConversionError) as info:
        ft.jit(lambda t: np.lib.stride_tricks.sliding_window_view(t, 2))(np.ones(4))
    msg = str(info.value)
    assert "numpy.sliding_window_view" in msg and "ftrans.numpy has no sliding_window_view" in msg
    # every "ftrans.numpy.X" a dispatch error mentions must exist
    for name in msg.split("ftrans.numpy.")[1:]:
        assert hasattr(fnp, name.split()[0].strip("(.,;")), msg
    with pytest.raises(TracerArrayConversionError, match="out= cannot write"):
        ft.jit(lambda t: np.sin(t, out=np.empty(4)))(np.ones(4))
    with pytest.raises(TracerArrayConversionError, match="converted to a NumPy array"):
        ft.jit(lambda t: np.asarray(t))(np.ones(4))


# ----------------------------------------------------------------------------- scalar types


def test_scalar_types_cast_tracers_arrays_and_scalars():
    x = np.array([1.7, -2.2])
    assert ft.jit(lambda t: fnp.float32(t))(x).dtype == np.float32
    np.testing.assert_array_equal(ft.jit(lambda t: fnp.int64(t))(x), [1, -2])
    assert fnp.float32(1.5) == np.float32(1.5) and isinstance(fnp.float32(1.5), np.float32)
    assert fnp.int32(x).dtype == np.int32
    g = ft.grad(lambda t: fnp.sum(fnp.float32(t) * 2))(np.float32(3.0))
    assert g == 2.0 and g.dtype == np.float32
    assert np.dtype(fnp.float32) == np.float32 and fnp.zeros(2, fnp.int8).dtype == np.int8
    assert isinstance(np.float64(1.0), fnp.float64) and not isinstance(1.0, fnp.float32)
    assert fnp.issubdtype(fnp.float32, fnp.floating) and fnp.float32 == np.float32
    assert fnp.dtype(fnp.complex64) == np.complex64


# ----------------------------------------------------------------------------- ufunc methods


def test_ufunc_methods():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_allclose(fnp.add.reduce(x, axis=1), np.add.reduce(x, axis=1))
    np.testing.assert_allclose(fnp.multiply.accumulate(x, axis=1), np.multiply.accumulate(x, 1))
    np.testing.assert_allclose(fnp.subtract.outer(x[0], x[1]), np.subtract.outer(x[0], x[1]))
    np.testing.assert_allclose(fnp.add.at(x, (0, [0, 0]), 1.0), [[3, 2, 3], [4, 5, 6]])
    np.testing.assert_allclose(fnp.add.reduceat(x[0], [0, 2]), np.add.reduceat(x[0], [0, 2]))
    np.testing.assert_allclose(
        ft.jit(lambda t: fnp.hypot.reduce(t, axis=0))(x), np.hypot.reduce(x, axis=0)
    )
    g = ft.grad(lambda t: fnp.maximum.reduce(t, axis=None))(x)
    np.testing.assert_allclose(g, np.eye(1, 6, 5).reshape(2, 3))
    assert np.array_equal(x, np.arange(1.0, 7.0).reshape(2, 3))  # .at is functional


# ----------------------------------------------------------------------------- JAX conventions

JAX_NUMBERS = json.loads((DATA / "jax_numpy_derivatives.json").read_text())


def _expected():
    try:
        return make_jax_numpy_derivatives.jax_gradients()
    except ImportError:
        return JAX_NUMBERS


@pytest.mark.parametrize("name", sorted(make_jax_numpy_derivatives.CASES))
def test_derivatives_match_jax_at_kinks_and_ties(name):
    fun, x = make_jax_numpy_derivatives.CASES[name]
    got = ft.grad(lambda v: fun(fnp, v))(np.asarray(x, np.float64))
    np.testing.assert_allclose(got, JAX_NUMBERS[name], rtol=1e-12, atol=1e-12, err_msg=name)


def test_sinc_second_derivative_at_zero_matches_jax():
    got = ft.grad(ft.grad(fnp.sinc))(0.0)
    np.testing.assert_allclose(got, JAX_NUMBERS["sinc_second_derivative_at_0"], rtol=1e-6)


def test_checked_in_numbers_match_installed_jax():
    pytest.importorskip("jax")
    live = make_jax_numpy_derivatives.jax_gradients()
    if live["jax_version"] != JAX_NUMBERS["jax_version"]:
        pytest.skip("snapshot of another jax version")
    for key, value in JAX_NUMBERS.items():
        if key != "jax_version":
            np.testing.assert_allclose(live[key], value, rtol=1e-12, atol=1e-12, err_msg=key)


# ----------------------------------------------------------------------------- size= under jit


def test_size_argument_makes_value_dependent_shapes_traceable():
    x = np.array([0.0, 3.0, 0.0, 4.0, 3.0])
    np.testing.assert_array_equal(ft.jit(lambda t: fnp.nonzero(t, size=3)[0])(x), [1, 3, 4])
    np.testing.assert_array_equal(
        ft.jit(lambda t: fnp.unique(t, size=4, fill_value=-1.0))(x), [0.0, 3.0, 4.0, -1.0]
    )
    counts = ft.jit(lambda t: fnp.bincount(fnp.int64(t), length=6))(x)
    np.testing.assert_array_equal(counts, np.bincount(x.astype(int), minlength=6))
    with pytest.raises(ConcretizationError, match="size="):
        ft.jit(lambda t: fnp.unique(t))(x)
    with pytest.raises(ConcretizationError, match="size="):
        ft.jit(lambda t: fnp.nonzero(t))(x)
    with pytest.raises(ConcretizationError, match="length="):
        ft.jit(lambda t: fnp.bincount(fnp.int64(t)))(x)


def test_out_of_bounds_reads_follow_mode():
    x = np.arange(4.0)
    idx = np.array([1, 9, -1])
    np.testing.assert_array_equal(ft.jit(lambda t: fnp.take(t, idx))(x), [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(ft.jit(lambda t: fnp.take(t, idx, mode="clip"))(x), [1, 3, 0])
    np.testing.assert_array_equal(fnp.take(x, idx, mode="fill", fill_value=-5.0), [1, -5, 3])
    with pytest.raises(IndexError):
        fnp.take(x, idx)  # eagerly NumPy's default: an IndexError
    got = ft.jit(lambda t: t.at[idx].get(mode="fill", fill_value=0.0))(x)
    np.testing.assert_array_equal(got, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(
        ft.jit(lambda t: fnp.take_along_axis(t, idx, axis=0, mode="clip"))(x), [1, 3, 0]
    )


def test_new_keywords():
    x = np.arange(12.0).reshape(3, 4)
    mask = x % 3 == 0
    for f in (
        lambda t: fnp.sum(t, axis=1, where=mask, initial=1.0),
        lambda t: fnp.max(t, axis=0, where=mask, initial=-1.0),
        lambda t: fnp.mean(t, where=mask),
        lambda t: fnp.var(t, axis=1, correction=1),
        lambda t: fnp.std(t, axis=0, mean=fnp.mean(t, axis=0, keepdims=True)),
        lambda t: fnp.reshape(t, (2, 6), order="F"),
        lambda t: fnp.ravel(t, order="F"),
        lambda t: fnp.clip(t, min=2.0, max=8.0),
        lambda t: fnp.stack([t, t], dtype=np.float32),
        lambda t: fnp.matmul(t, t.T, precision="highest", preferred_element_type=np.float32),
    ):
        np.testing.assert_allclose(ft.jit(f)(x), f(x), rtol=1e-6)
    picked = np.reshape(np.arange(12).reshape(3, 4), (2, 6), order="F")[0]  # C positions
    want = np.zeros(12)
    want[picked] = 2 * x.ravel()[picked]
    got = ft.grad(lambda t: fnp.sum(fnp.reshape(t, (2, 6), order="F")[0] ** 2))(x)
    np.testing.assert_allclose(got, want.reshape(3, 4))
    reps = np.array([2, 0, 1])
    got = ft.jit(lambda r: fnp.repeat(np.arange(3.0), r, total_repeat_length=4))(reps)
    np.testing.assert_array_equal(got, [0.0, 0.0, 2.0, 2.0])


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda t: fnp.pad(t, 1, mode="bogus"), ValueError, "mode 'bogus' is not supported"),
        (lambda t: fnp.pad(t, -1), ValueError, "negative"),
        (lambda t: fnp.pad(t, ((1, 2), (3, 4), (5, 6))), ValueError, r"pad_width of shape"),
        (
            lambda t: fnp.pad(t, 1, mode="edge", constant_values=3),
            ValueError,
            "unsupported keyword",
        ),
        (lambda t: fnp.diag(t[None]), ValueError, "1-d or 2-d"),
        (lambda t: fnp.quantile(t, 1.5), ValueError, r"q must be in the range \[0, 1\]"),
        (lambda t: fnp.quantile(t, 0.5, method="bogus"), ValueError, "method 'bogus'"),
        (lambda t: fnp.searchsorted(t[0], t, side="middle"), ValueError, "side must be"),
        (lambda t: fnp.take(t, np.array([0]), mode="bogus"), ValueError, "mode must be"),
        (lambda t: fnp.clip(t, 0.0, min=1.0), ValueError, "a_min or min"),
        (lambda t: fnp.fill_diagonal(t, 1.0, inplace=True), ValueError, "immutable"),
        (lambda t: fnp.put(t, [0], 1.0, inplace=True), ValueError, "immutable"),
        (lambda t: fnp.sum(t, out=t), ValueError, "out argument is not supported"),
        (lambda t: fnp.max(t, where=t > 0), ValueError, "specify 'initial'"),
        (lambda t: fnp.bincount(t), TypeError, "integer array"),
        (lambda t: fnp.ldexp(t, t), TypeError, "exponent x2 must be an integer"),
        (lambda t: fnp.cross(t[:, :1], t), ValueError, "dimension must be 2 or 3"),
        (lambda t: fnp.partition(t, 7), ValueError, r"kth\(=7\) out of bounds"),
        (lambda t: fnp.unique(t, axis=0, size=2), ValueError, "axis=None only"),
        (lambda t: fnp.vectorize(lambda a: a, signature="(n->)")(t), ValueError, "signature"),
        (lambda t: fnp.correlate(t[0], t[1], mode="bogus"), ValueError, "mode must be one of"),
        (lambda t: fnp.interp(t[0], t, t), ValueError, "xp and fp must be 1-d"),
        (lambda t: fnp.select([t > 0], [t, t]), ValueError, "same length"),
        (lambda t: fnp.apply_over_axes(lambda a, ax: a[None], t, [0]), ValueError, "shape"),
    ],
)
def test_bad_input_messages(call, error, match):
    x = np.arange(1.0, 7.0).reshape(2, 3) + 0.5
    with pytest.raises(error, match=match):
        ft.jit(call)(x)


def test_eager_speed_path_returns_numpy():
    x = np.arange(6.0).reshape(2, 3)
    for out in (fnp.pad(x, 1), fnp.median(x), fnp.tril(x), fnp.hypot(x, x), fnp.diff(x)):
        assert isinstance(out, (np.ndarray, np.generic))
