"""jit: compiled values equal eager, the signature cache, static arguments, compositions."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp

RNG = np.random.default_rng(1)


def seed_f(x1, x2):
    return fnp.log(x1) + x1 * x2 - fnp.sin(x2)


def w1(x):
    return fnp.sin(x) * fnp.cos(x) + fnp.exp(-x * x) * 0.5 - fnp.tanh(x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jit_equals_eager_and_keeps_dtype(dtype):
    x = RNG.normal(size=(4, 5)).astype(dtype)
    out = ft.jit(w1)(x)
    assert out.dtype == dtype and type(out) is np.ndarray
    np.testing.assert_allclose(out, w1(x), rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_seed_example_under_jit():
    np.testing.assert_allclose(ft.jit(seed_f)(2.0, 5.0), np.log(2.0) + 10 - np.sin(5.0))
    np.testing.assert_allclose(
        ft.jit(ft.grad(seed_f, argnums=(0, 1)))(2.0, 5.0), (5.5, 2 - np.cos(5.0))
    )


def test_cache_hits_misses_and_python_scalars_share_an_entry():
    f = ft.jit(lambda x: x * 2.0)
    f(1.0)
    f(2.0)
    f(np.float64(3.0))
    assert f.cache_info() == (2, 1, 1)
    f(np.ones(3))
    assert f.cache_info().misses == 2
    assert "changed from float64[] to float64[3]" in f.explain()


def test_explain_names_static_argument_change():
    f = ft.jit(lambda x, n: x * n, static_argnums=1)
    f(1.0, 2)
    f(1.0, 3)
    assert "static argument 'n' changed from 2 to 3" in f.explain()


def test_static_argnames_and_kwargs():
    @ft.jit
    def g(x, *, scale=1.0):
        return x * scale

    np.testing.assert_allclose(g(np.ones(2), scale=3.0), 3.0)

    h = ft.jit(lambda x, mode: x * 2 if mode == "double" else x, static_argnames="mode")
    np.testing.assert_allclose(h(np.ones(2), mode="double"), 2.0)
    np.testing.assert_allclose(h(np.ones(2), "same"), 1.0)
    assert h.cache_info().size == 2


def test_unhashable_static_argument_error():
    f = ft.jit(lambda x, cfg: x * cfg[0], static_argnums=1)
    with pytest.raises(ft.StaticArgumentError) as info:
        f(1.0, [2.0])
    msg = str(info.value)
    assert "'cfg' (position 1)" in msg and "list" in msg and "tuple" in msg


def test_static_argument_mutated_after_caching():
    @dataclasses.dataclass
    class Config:
        scale: float

        def __hash__(self):
            return hash(self.scale)

    cfg = Config(2.0)
    f = ft.jit(lambda x, c: x * c.scale, static_argnums=1)
    f(1.0, cfg)
    cfg.scale = 3.0
    with pytest.raises(ft.StaticArgumentError, match="changed its hash.*frozen dataclass"):
        f(1.0, cfg)


def test_control_flow_under_jit_names_function_line_and_argument():
    def relu_if(x, y):
        if x > 0:
            return x
        return y

    with pytest.raises(ft.ConcretizationError) as info:
        ft.jit(relu_if)(1.0, 2.0)
    msg = str(info.value)
    assert "jit(relu_if)" in msg and "test_jit.py" in msg and "(in relu_if)" in msg
    assert "computed from x" in msg and "static_argnames=('x',)" in msg and "where" in msg


def _scalar_w1(v):
    return fnp.sum(w1(v))


VECTOR = RNG.normal(size=6)


@pytest.mark.parametrize(
    ("transformed", "reference", "arg"),
    [
        (ft.jit(ft.grad(_scalar_w1)), ft.grad(_scalar_w1), VECTOR),
        (ft.grad(ft.jit(_scalar_w1)), ft.grad(_scalar_w1), VECTOR),
        (ft.jit(ft.grad(ft.jit(_scalar_w1))), ft.grad(_scalar_w1), VECTOR),
        (ft.grad(ft.grad(ft.jit(w1))), ft.grad(ft.grad(w1)), 0.3),
        (ft.jit(ft.grad(ft.grad(w1))), ft.grad(ft.grad(w1)), 0.3),
        (ft.grad(ft.jit(ft.grad(w1))), ft.grad(ft.grad(w1)), 0.3),
    ],
    ids=[
        "jit(grad)",
        "grad(jit)",
        "jit(grad(jit))",
        "grad(grad(jit))",
        "jit(grad(grad))",
        "grad(jit(grad))",
    ],
)
def test_compositions_with_grad(transformed, reference, arg):
    np.testing.assert_allclose(transformed(arg), reference(arg), rtol=1e-12)


def test_grad_of_jit_runs_compiled_code_for_both_passes():
    closed = ft.make_jaxpr(ft.grad(ft.jit(seed_f)))(2.0, 5.0)
    assert {e.primitive.name for e in closed.eqns} == {"jit_call"}
    np.testing.assert_allclose(closed(2.0, 5.0)[0], 5.5)


def test_vmap_and_jit_compose():
    xs = RNG.normal(size=(5, 3))
    f = lambda v: fnp.sum(w1(v))
    expected = np.stack([ft.grad(f)(x) for x in xs])
    np.testing.assert_allclose(ft.vmap(ft.jit(ft.grad(f)))(xs), expected, rtol=1e-13)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(f)))(xs), expected, rtol=1e-13)
    np.testing.assert_allclose(ft.vmap(ft.grad(ft.jit(f)))(xs), expected, rtol=1e-13)


def test_jvp_of_jit_and_jit_of_jvp():
    t = (1.0, 0.0)
    y, dy = ft.jvp(ft.jit(seed_f), (2.0, 5.0), t)
    np.testing.assert_allclose(dy, 5.5)
    y2, dy2 = ft.jit(lambda a, b: ft.jvp(seed_f, (a, b), t))(2.0, 5.0)
    np.testing.assert_allclose((y2, dy2), (y, dy))


def test_generated_source_is_readable_and_has_no_user_text():
    def weird_name_fn(x):
        return fnp.sin(x) * 3.0 + fnp.sum(x) + np.float32(1.5).item()

    weird_name_fn.__name__ = "evil'); import os; os.system('echo hi') #"
    source = ft.jit(weird_name_fn).lower(np.ones(3)).as_text()
    assert "evil" not in source and "import" not in source and "os." not in source
    compile(source, "<test>", "exec")
    assert "np.sin(a)" in source


def test_passes_remove_ad_leftovers_and_common_subexpressions():
    source = ft.jit(ft.grad(seed_f, argnums=(0, 1))).lower(2.0, 5.0).as_text()
    assert "np.multiply(a, 1.0)" not in source and "1.0)" not in source.replace("k", "")
    assert "np.log" not in source  # the primal value is dead in the gradient
    source = ft.jit(lambda x: fnp.sin(x) + fnp.sin(x)).lower(1.0).as_text()
    assert source.count("np.sin") == 1


def test_jit_inside_transforms_with_pytrees():
    @ft.jit
    def loss(params, x):
        return fnp.mean((x @ params["w"] + params["b"]) ** 2)

    params = {"w": RNG.normal(size=(3, 2)), "b": np.zeros(2)}
    x = RNG.normal(size=(4, 3))
    g = ft.grad(loss)(params, x)
    g_eager = ft.grad(loss.fun)(params, x)
    for k in params:
        np.testing.assert_allclose(g[k], g_eager[k], rtol=1e-13)


# ----------------------------------------------------------------------------- fusion


BIG = 1 << 17  # above the fusion threshold the fusion tests set (below the default)


@pytest.fixture(autouse=True)
def _fuse_small_arrays(request, monkeypatch):
    """The fusion tests run kernels on 1 MiB arrays (fast) by lowering the size threshold."""
    from ftrans.compiler import fusion

    if "fuse" in request.node.name or "fused" in request.node.name:
        monkeypatch.setattr(fusion, "MIN_BYTES", 1 << 16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
def test_fused_kernels_equal_eager(dtype, threads):
    from ftrans.compiler import fusion

    before = fusion.get_num_threads()
    fusion.set_num_threads(threads)
    try:
        x = RNG.normal(size=(BIG // 64, 64 + 3)).astype(dtype)  # not a multiple of the chunk
        f = ft.jit(w1)
        source = f.lower(x).as_text()
        assert "kernel0" in source and "u0 = t0[:m]" in source  # writes into chunk scratch
        np.testing.assert_allclose(f(x), w1(x), rtol=1e-6 if dtype == np.float32 else 1e-14)
        g = ft.jit(ft.grad(lambda v: fnp.sum(w1(v))))
        np.testing.assert_allclose(
            g(x), ft.grad(lambda v: fnp.sum(w1(v)))(x), rtol=1e-5 if dtype == np.float32 else 1e-12
        )
    finally:
        fusion.set_num_threads(before)


def test_fused_group_with_several_outputs_and_a_mask():
    def f(x, y):
        a = fnp.sin(x) * y
        b = a + 1.0
        keep = a > 0.1
        return b * 2.0, fnp.where(keep, a, 0.0), fnp.sum(a)

    x, y = RNG.normal(size=BIG), RNG.normal(size=BIG)
    out = ft.jit(f)(x, y)
    expected = f(x, y)
    for got, want in zip(out, expected):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_interleaved_per_parameter_updates_fuse_into_one_kernel_each():
    params = {"a": RNG.normal(size=(300, 300)), "b": RNG.normal(size=(400, 200)), "c": np.ones(5)}

    def adam_like(g, m, v, p):
        m = ft.tree.map(lambda g, m: 0.9 * m + 0.1 * g, g, m)
        v = ft.tree.map(lambda g, v: 0.999 * v + 0.001 * g * g, g, v)
        p = ft.tree.map(lambda p, m, v: p - 1e-3 * m / (fnp.sqrt(v) + 1e-8), p, m, v)
        return p, m, v

    args = (params, params, ft.tree.map(np.abs, params), params)
    f = ft.jit(adam_like)
    source = f.lower(*args).as_text()
    assert len(re.findall(r"def kernel\d+\(", source)) == 2  # one per large parameter
    for got, want in zip(ft.tree.leaves(f(*args)), ft.tree.leaves(adam_like(*args))):
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_arrays_that_fit_in_cache_run_op_by_op():
    source = ft.jit(w1).lower(np.ones(16)).as_text()
    assert "kernel" not in source
    # by default, arrays that fit in cache (here 3 MiB) run op by op; larger ones are fused
    assert "kernel" not in ft.jit(w1).lower(np.ones(3 << 17)).as_text()
    assert "kernel0" in ft.jit(w1).lower(np.ones(1 << 20)).as_text()


def test_set_num_threads_rejects_zero():
    from ftrans.compiler import fusion

    with pytest.raises(ValueError, match="n >= 1"):
        fusion.set_num_threads(0)


# ----------------------------------------------------------------------------- random programs

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

UNARY = [fnp.sin, fnp.cos, fnp.tanh, fnp.negative, fnp.square, fnp.abs, fnp.exp, fnp.cbrt]
BINARY = [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum, fnp.minimum, fnp.arctan2]
REDUCE = [
    lambda v: fnp.sum(v, axis=-1, keepdims=True),
    lambda v: fnp.max(v, axis=0),
    lambda v: fnp.mean(v),
    lambda v: v.T @ v if v.ndim == 2 else v * v,
]


@st.composite
def programs(draw):
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["unary", "binary", "reduce", "where"]),
                st.integers(0, 7),
                st.integers(0, 9),
                st.integers(0, 9),
            ),
            min_size=1,
            max_size=12,
        )
    )

    def program(x, y):
        values = [x, y]
        for kind, op, i, j in steps:
            a, b = values[i % len(values)], values[j % len(values)]
            if kind == "unary":
                out = UNARY[op % len(UNARY)](a)
                if UNARY[op % len(UNARY)] is fnp.exp:
                    out = fnp.exp(fnp.tanh(a))  # keep values bounded
            elif kind == "binary" and fnp.shape(a) == fnp.shape(b):
                out = BINARY[op % len(BINARY)](a, b)
            elif kind == "reduce":
                out = REDUCE[op % len(REDUCE)](a)
            elif kind == "where":
                out = fnp.where(a > 0, a, b) if fnp.shape(a) == fnp.shape(b) else a
            else:
                out = a + 1.0
            values.append(out)
        return fnp.sum(values[-1]) + fnp.sum(values[0])

    return program, steps


@settings(max_examples=25, deadline=None, derandomize=True)
@given(programs(), st.sampled_from([(3, 4), (5,), (2, 2)]))
def test_random_programs_jit_equals_eager(prog, shape):
    program, _ = prog
    x = RNG.normal(size=shape) + 0.1
    y = RNG.normal(size=shape) - 0.1
    np.testing.assert_allclose(ft.jit(program)(x, y), program(x, y), rtol=1e-12, atol=1e-12)
    g_eager = ft.grad(program, argnums=(0, 1))(x, y)
    g_jit = ft.jit(ft.grad(program, argnums=(0, 1)))(x, y)
    for a, b in zip(g_jit, g_eager):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
