"""ft.pure_callback: eager, jit, vmap with each vmap_method, errors; compared with JAX."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans._callbacks import CallbackError


def shapes_seen(log):
    def callback(x, y):
        log.append((np.shape(x), np.shape(y)))
        return np.asarray(x + y)

    return callback


def fun(x, y, *, vmap_method, log):
    shape = np.broadcast_shapes(fnp.shape(x), fnp.shape(y))
    out = ft.ShapeDtypeStruct(shape, np.float64)
    return ft.pure_callback(shapes_seen(log), out, x, y, vmap_method=vmap_method)


@pytest.mark.parametrize(
    "method, seen",
    [
        ("sequential", [((), ())] * 4),
        ("sequential_unrolled", [((), ())] * 4),
        ("expand_dims", [((4,), (1,))]),
        ("broadcast_all", [((4,), (4,))]),
    ],
)
@pytest.mark.parametrize("jitted", [False, True])
def test_vmap_methods(method, seen, jitted):
    log = []
    g = ft.vmap(functools.partial(fun, vmap_method=method, log=log), in_axes=(0, None))
    if jitted:
        g = ft.jit(g)
    out = g(np.arange(4.0), 1.0)
    np.testing.assert_array_equal(out, np.arange(4.0) + 1)
    assert log == seen  # jit traces abstractly: the callback only runs on real values


def test_vmap_methods_match_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for method in ("expand_dims", "broadcast_all", "sequential"):
        ours, theirs = [], []

        def jfun(x, y, log=theirs, method=method):
            out = jax.ShapeDtypeStruct(jax.numpy.broadcast_shapes(x.shape, y.shape), np.float64)
            return jax.pure_callback(shapes_seen(log), out, x, y, vmap_method=method)

        a = jax.vmap(jfun, in_axes=(0, None))(np.arange(3.0), np.float64(1.0))
        b = ft.vmap(functools.partial(fun, vmap_method=method, log=ours), in_axes=(0, None))(
            np.arange(3.0), 1.0
        )
        np.testing.assert_array_equal(np.asarray(a), b)
        assert ours == theirs, method


def test_vmap_batch_axis_not_first_and_nested():
    log = []
    x = np.arange(6.0).reshape(2, 3)
    out = ft.vmap(functools.partial(fun, vmap_method="expand_dims", log=log), in_axes=(1, None))(
        x, np.ones(2)
    )
    np.testing.assert_array_equal(out, x.T + 1)
    assert log == [((3, 2), (1, 2))]
    log.clear()
    g = ft.vmap(ft.vmap(functools.partial(fun, vmap_method="sequential", log=log)))
    np.testing.assert_array_equal(g(x, x), 2 * x)
    assert len(log) == 6


def test_jit_calls_back_each_run_and_drops_unused_results():
    calls = []

    def cb(x):
        calls.append(x.tolist())
        return x * 2

    @ft.jit
    def f(x, use):
        y = ft.pure_callback(cb, ft.ShapeDtypeStruct(x.shape, x.dtype), x)
        return y + 1 if use else x

    f = ft.jit(f.__wrapped__, static_argnums=1)
    assert f(np.array([1.0]), True).tolist() == [3.0]
    assert f(np.array([2.0]), True).tolist() == [5.0]
    assert calls == [[1.0], [2.0]]
    assert "p_pure_callback" in f.lower(np.array([1.0]), True).as_text()
    assert f(np.array([1.0]), False).tolist() == [1.0]
    assert calls == [[1.0], [2.0]]  # pure: an unused result is not computed


def test_pytrees_and_kwargs():
    def cb(d, *, scale):
        return {"s": d["a"].sum() * scale, "p": (d["a"] * d["b"]).astype(np.float32)}

    spec = {"s": ft.ShapeDtypeStruct((), np.float64), "p": ft.ShapeDtypeStruct((2,), np.float32)}
    d = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}
    for g in (
        ft.pure_callback,
        lambda *a, **k: ft.jit(lambda d: ft.pure_callback(*a[:2], d, **k))(a[2]),
    ):
        out = g(cb, spec, d, scale=2.0)
        assert float(out["s"]) == 6.0 and out["p"].dtype == np.float32


def test_errors():
    spec = ft.ShapeDtypeStruct((2,), np.float64)
    with pytest.raises(CallbackError, match="no derivative.*custom_jvp"):
        ft.grad(lambda x: ft.pure_callback(np.sin, ft.ShapeDtypeStruct((), np.float64), x))(1.0)
    with pytest.raises(CallbackError, match="shape \\(3,\\).*says \\(2,\\)"):
        ft.pure_callback(lambda x: np.zeros(3), spec, 1.0)
    with pytest.raises(CallbackError, match="dtype float32.*says float64"):
        ft.pure_callback(lambda x: np.zeros(2, np.float32), spec, 1.0)
    with pytest.raises(CallbackError, match="structure"):
        ft.pure_callback(lambda x: (np.zeros(2),), spec, 1.0)
    with pytest.raises(CallbackError, match="ShapeDtypeStruct"):
        ft.pure_callback(lambda x: x, 3.0, 1.0)
    with pytest.raises(ValueError, match="vmap_method='bogus'"):
        ft.pure_callback(lambda x: x, spec, 1.0, vmap_method="bogus")
    with pytest.raises(NotImplementedError, match="needs vmap_method="):
        ft.vmap(lambda x: ft.pure_callback(lambda v: v, ft.ShapeDtypeStruct((), np.float64), x))(
            np.ones(2)
        )


def test_custom_jvp_around_pure_callback():
    import scipy.special

    @ft.custom_jvp
    def j0(x):
        spec = ft.ShapeDtypeStruct(x.shape, x.dtype)
        return ft.pure_callback(scipy.special.j0, spec, x, vmap_method="expand_dims")

    @j0.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        spec = ft.ShapeDtypeStruct(x.shape, x.dtype)
        j1 = ft.pure_callback(scipy.special.j1, spec, x, vmap_method="expand_dims")
        return j0(x), -j1 * t

    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(j0)))(x), -scipy.special.j1(x))
