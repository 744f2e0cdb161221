"""JAX's top-level names: config, devices, eval_shape, disable_jit, jit's extra keywords,
lower/compile/cost_analysis, linear_transpose, closure_convert, named_call, test_util."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.config import ConfigError


def test_config_update_read_and_attributes():
    ft.config.update("jax_enable_x64", True)
    assert ft.config.jax_enable_x64 is True and ft.config.read("jax_enable_x64") is True
    ft.config.update("jax_platform_name", "cpu")
    ft.config.update("jax_platforms", "cpu")
    assert ft.config.jax_platforms == "cpu"
    ft.config.config_with_absl()
    ft.config.parse_flags_with_absl()
    with pytest.raises(ConfigError, match="follows NumPy's dtypes.*float32"):
        ft.config.update("jax_enable_x64", False)
    with pytest.raises(ConfigError, match="only platform is 'cpu'"):
        ft.config.update("jax_platform_name", "gpu")
    with pytest.raises(ConfigError, match="no option 'jax_nonsense'.*jax_enable_x64"):
        ft.config.update("jax_nonsense", 1)
    with pytest.raises(ConfigError, match="no option"):
        ft.config.jax_nonsense
    with pytest.raises(AttributeError, match="config.update"):
        ft.config.jax_enable_x64 = True
    assert "jax_disable_jit" in ft.config.options()


def test_config_registry_takes_new_options():
    seen = []
    name = "test_toplevel_option"
    if name not in ft.config.options():
        ft.config.define(name, "a", lambda v: seen.append(v) or v, "for a test")
    ft.config.update(name, "b")
    assert ft.config.read(name) == "b" and seen[-1] == "b"
    with ft.config.override(name, "c"):
        assert getattr(ft.config, name) == "c"
    assert ft.config.read(name) == "b"
    with pytest.raises(ValueError, match="already defined"):
        ft.config.define(name, "a", lambda v: v)


def test_debug_nans_uses_numpy_error_state():
    old = np.geterr()
    with ft.config.override("jax_debug_nans", True):
        with pytest.raises(FloatingPointError):
            fnp.log(np.array(-1.0))
        with pytest.raises(FloatingPointError):
            ft.jit(lambda x: fnp.sqrt(x))(np.array([-1.0]))
    assert np.geterr() == old


def test_devices_and_processes():
    (dev,) = ft.devices()
    assert dev.platform == "cpu" and dev.id == 0 and ft.local_devices() == [dev]
    assert ft.device_count() == ft.local_device_count() == ft.process_count() == 1
    assert ft.process_index() == 0 and ft.default_backend() == "cpu"
    assert isinstance(dev, ft.Device) and repr(dev) == "CpuDevice(id=0)"
    with pytest.raises(ft.FtransError, match="only backend is 'cpu'"):
        ft.devices("gpu")
    t = {"a": [1.0, np.arange(3)], "b": None}
    put = ft.device_put(t, dev)
    assert isinstance(put["a"][0], np.ndarray) and put["a"][0].dtype == np.float64
    assert put["a"][1] is t["a"][1] and put["b"] is None
    assert ft.device_get(put)["a"][1] is t["a"][1]
    assert ft.block_until_ready(t) is t


def test_device_put_inside_transforms():
    f = lambda x: ft.device_put(x) * 2
    assert float(ft.grad(f)(1.0)) == 2.0
    assert float(ft.jit(f)(1.0)) == 2.0


def test_eval_shape():
    x = ft.ShapeDtypeStruct((7, 3), np.float32)
    w = np.ones((3, 2), np.float32)
    out = ft.eval_shape(lambda a, w: {"y": fnp.tanh(a @ w), "n": fnp.argmax(a)}, x, w)
    assert out["y"].shape == (7, 2) and out["y"].dtype == np.float32
    assert out["n"].shape == () and out["n"].dtype.kind == "i"
    out = ft.eval_shape(lambda a, *, b: a.sum(axis=0) + b, np.ones((2, 5)), b=np.ones(5))
    assert out.shape == (5,)

    class Like:  # anything with shape and dtype, e.g. a jax array or jax.ShapeDtypeStruct
        shape, dtype = (4,), np.dtype(np.int32)

    assert ft.eval_shape(lambda a: a * 2, Like()).dtype == np.int32


def test_eval_shape_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    f = lambda a: (fnp.sin(a).sum(0), a.T @ a)
    jf = lambda a: (jax.numpy.sin(a).sum(0), a.T @ a)
    ours = ft.eval_shape(f, ft.ShapeDtypeStruct((3, 4), np.float64))
    theirs = jax.eval_shape(jf, jax.ShapeDtypeStruct((3, 4), np.float64))
    assert [(o.shape, o.dtype) for o in ours] == [(t.shape, t.dtype) for t in theirs]


def test_disable_jit_runs_eagerly_and_skips_compilation():
    seen = []

    @ft.jit
    def f(x):
        seen.append(type(x))
        return x * 2

    with ft.disable_jit():
        assert float(f(3.0)) == 6.0
        assert float(f(4.0)) == 8.0
    assert seen == [float, float]  # the Python function saw concrete values, twice
    assert f.cache_info().misses == 0 and f.cache_info().size == 0
    f(3.0)
    assert f.cache_info().misses == 1 and seen[-1] is not float
    ft.config.update("jax_disable_jit", True)
    try:
        f(np.ones(2))
        assert seen[-1] is np.ndarray and f.cache_info().misses == 1
    finally:
        ft.config.update("jax_disable_jit", False)
    f(np.ones(2))
    assert f.cache_info().misses == 2


def test_disable_jit_with_static_arguments_and_nesting():
    @functools.partial(ft.jit, static_argnums=1)
    def g(x, n):
        for _ in range(n):  # Python control flow on a concrete value
            x = x + float(x > 0)
        return x

    with ft.disable_jit():
        assert float(g(1.0, 3)) == 4.0
        assert float(ft.grad(lambda x: g(x, 2) * x)(1.0)) == 4.0
        assert ft.config.jax_disable_jit is True
    assert ft.config.jax_disable_jit is False


def test_ensure_compile_time_eval_and_named_scope():
    @ft.jit
    def f(x):
        with ft.ensure_compile_time_eval():
            n = fnp.arange(4).sum()
        assert isinstance(n, (np.ndarray, np.generic))
        with ft.named_scope("scale"):
            return x * int(n)

    assert float(f(1.0)) == 6.0
    with pytest.raises(TypeError, match="must be a str"):
        with ft.named_scope(3):
            pass


def test_named_call_keeps_behaviour_and_sets_name():
    g = ft.named_call(lambda x: x * 3, name="triple")
    assert g.__name__ == "triple" and float(ft.grad(g)(1.0)) == 3.0
    assert ft.jit(g).name == "triple"


def test_jit_accepts_jax_keywords():
    f = ft.jit(
        lambda x, y: x + y,
        donate_argnums=(0,),
        donate_argnames="y",
        inline=True,
        keep_unused=True,
        device=ft.devices()[0],
        backend="cpu",
    )
    x = np.ones(3)
    out = f(x, 2.0)
    assert out.tolist() == [3.0, 3.0, 3.0] and x.tolist() == [1.0, 1.0, 1.0]  # not donated
    assert f.donate_argnums == (0,) and f.donate_argnames == ("y",)

    @functools.partial(ft.jit, donate_argnums=0)
    def h(x):
        return x + 1

    assert float(h(1.0)) == 2.0
    with pytest.raises(ValueError, match="jit backend must be one of"):
        ft.jit(lambda x: x, backend="gpu")
    with pytest.raises(ValueError, match="the only device"):
        ft.jit(lambda x: x, device="gpu")


def test_lower_compile_and_cost_analysis():
    f = ft.jit(lambda a, b: fnp.exp(a @ b).sum())
    a, b = np.ones((4, 3)), np.ones((3, 5))
    lowered = f.lower(a, b)
    compiled = lowered.compile()
    assert float(compiled(a, b)) == pytest.approx(20 * np.exp(3.0))
    assert "np.exp" in compiled.as_text()
    cost = compiled.cost_analysis()
    assert cost["equations"]["dot_general"] == 1 and cost["equations"]["exp"] == 1
    assert cost["flops"] == 2 * 4 * 5 * 3 + 20 + 20  # product, exp, sum
    assert cost["transcendentals"] == 20
    assert cost["bytes accessed"] > 0
    with pytest.raises(TypeError, match="lower again"):
        compiled(np.ones((2, 3)), b)


def test_cost_analysis_counts_scan_steps():
    def f(x):
        return ft.lax.scan(lambda c, _: (fnp.sin(c), None), x, None, length=5)[0]

    cost = ft.jit(f).lower(np.ones(3)).cost_analysis()
    assert cost["equations"]["sin"] == 5 and cost["transcendentals"] == 15


def test_linear_transpose():
    A = np.arange(6.0).reshape(3, 2)
    f_t = ft.linear_transpose(
        lambda x, y: A @ x + 2 * y, np.zeros(2), ft.ShapeDtypeStruct((3,), np.float64)
    )
    ct = np.array([1.0, -1.0, 2.0])
    gx, gy = f_t(ct)
    np.testing.assert_allclose(gx, A.T @ ct)
    np.testing.assert_allclose(gy, 2 * ct)
    # pytrees in and out; an input the output ignores gets zeros
    g_t = ft.linear_transpose(lambda d: {"s": d["a"].sum()}, {"a": np.zeros(3), "b": np.zeros(2)})
    (g,) = g_t({"s": 2.0})
    assert g["a"].tolist() == [2.0] * 3 and g["b"].tolist() == [0.0, 0.0]
    with pytest.raises(Exception, match="sin"):
        ft.linear_transpose(fnp.sin, 1.0)(1.0)
    with pytest.raises(TypeError, match="floating-point"):
        ft.linear_transpose(lambda i: i, np.arange(2))
    with pytest.raises(ValueError, match="structure"):
        f_t((ct, ct))


def test_linear_transpose_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    M = np.random.default_rng(0).standard_normal((3, 4))
    ct = np.arange(3.0)
    ours = ft.linear_transpose(lambda x: fnp.cumsum(M @ x), np.zeros(4))(ct)
    theirs = jax.linear_transpose(lambda x: jax.numpy.cumsum(M @ x), np.zeros(4))(ct)
    np.testing.assert_allclose(ours[0], np.asarray(theirs[0]))


def test_closure_convert():
    w = np.array([1.0, 2.0])

    def loss(x):
        return (x * w).sum()

    f, consts = ft.closure_convert(loss, np.zeros(2))
    assert len(consts) == 1
    x = np.array([3.0, 4.0])
    assert float(f(x, *consts)) == 11.0
    # the hoisted value is now an ordinary, differentiable argument
    g = ft.grad(lambda c: f(x, c))(consts[0])
    np.testing.assert_allclose(g, x)

    def outer(v):  # closing over a grad tracer
        g, cs = ft.closure_convert(lambda x: (x * v).sum(), np.zeros(2))
        return g(np.ones(2), *cs)

    np.testing.assert_allclose(ft.grad(outer)(np.array([1.0, 2.0])), [1.0, 1.0])


def test_test_util_signatures():
    from ftrans import test_util

    test_util.check_grads(
        lambda x: fnp.sin(x) * x,
        (np.array([0.3, 1.1]),),
        2,
        modes=("fwd", "rev"),
        atol=1e-5,
        rtol=1e-5,
        eps=1e-6,
    )
    test_util.check_grads(fnp.exp, (0.5,), 1, ("rev",))
    with pytest.raises(AssertionError):
        test_util.check_grads(lambda x: x * ft.stop_gradient(x), (3.0,), 1)
    test_util.check_jvp(fnp.tanh, functools.partial(ft.jvp, fnp.tanh), (np.array([0.2, -0.4]),))
    test_util.check_vjp(fnp.tanh, functools.partial(ft.vjp, fnp.tanh), (np.array([0.2, -0.4]),))
    wrong = lambda p, t: ft.jvp(fnp.tanh, p, (2 * t[0],))
    with pytest.raises(AssertionError):
        test_util.check_jvp(fnp.tanh, wrong, (np.array([0.2]),))
