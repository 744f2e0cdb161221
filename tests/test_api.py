"""The public transformations on the seed's example, pytrees, higher orders and compositions."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp


def seed_f(x1, x2):
    return fnp.log(x1) + x1 * x2 - fnp.sin(x2)


SEED_Y = np.log(2.0) + 10.0 - np.sin(5.0)
SEED_GRAD = (5.5, 2.0 - np.cos(5.0))


def test_seed_value_and_rounded_numbers():
    assert round(float(SEED_Y), 3) == 11.652
    assert round(float(SEED_GRAD[1]), 3) == 1.716
    np.testing.assert_allclose(seed_f(2.0, 5.0), SEED_Y)


def test_seed_make_jaxpr_is_readable():
    text = str(ft.make_jaxpr(seed_f)(2.0, 5.0))
    assert text == (
        "{ lambda ; a:f64[] b:f64[]. let\n"
        "    c:f64[] = log a\n"
        "    d:f64[] = mul a b\n"
        "    e:f64[] = add c d\n"
        "    f:f64[] = sin b\n"
        "    g:f64[] = sub e f\n"
        "  in (g,) }"
    )


def test_seed_forward_mode_one_pass_per_input():
    y, dy1 = ft.jvp(seed_f, (2.0, 5.0), (1.0, 0.0))
    _, dy2 = ft.jvp(seed_f, (2.0, 5.0), (0.0, 1.0))
    np.testing.assert_allclose(y, SEED_Y)
    np.testing.assert_allclose((dy1, dy2), SEED_GRAD)


def test_seed_reverse_mode_one_pass_for_both():
    np.testing.assert_allclose(ft.grad(seed_f, argnums=(0, 1))(2.0, 5.0), SEED_GRAD)
    y, f_vjp = ft.vjp(seed_f, 2.0, 5.0)
    np.testing.assert_allclose(y, SEED_Y)
    np.testing.assert_allclose(f_vjp(1.0), SEED_GRAD)
    value, g = ft.value_and_grad(seed_f, argnums=1)(2.0, 5.0)
    np.testing.assert_allclose((value, g), (SEED_Y, SEED_GRAD[1]))


def test_seed_linearize_reuses_the_linear_map():
    y, f_jvp = ft.linearize(seed_f, 2.0, 5.0)
    np.testing.assert_allclose(y, SEED_Y)
    np.testing.assert_allclose(f_jvp(1.0, 0.0), SEED_GRAD[0])
    np.testing.assert_allclose(f_jvp(0.0, 1.0), SEED_GRAD[1])


def test_outputs_are_numpy_arrays():
    g = ft.grad(seed_f)(2.0, 5.0)
    assert type(g) is np.ndarray and g.dtype == np.float64
    y, t = ft.jvp(seed_f, (2.0, 5.0), (1.0, 0.0))
    assert type(y) is np.ndarray and type(t) is np.ndarray


def test_float32_stays_float32():
    x = np.array([0.5, 1.5], np.float32)
    g = ft.grad(lambda v: (fnp.sin(v) * 2.0).sum())(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * np.cos(x), rtol=1e-6)


# ----------------------------------------------------------------------------- higher order


def test_higher_order_tanh_any_depth():
    t = np.tanh(0.3)
    d1 = 1 - t**2
    d2 = -2 * t * d1
    d3 = -2 * d1 * d1 - 2 * t * d2
    f = fnp.tanh
    np.testing.assert_allclose(ft.grad(f)(0.3), d1)
    np.testing.assert_allclose(ft.grad(ft.grad(f))(0.3), d2)
    np.testing.assert_allclose(ft.grad(ft.grad(ft.grad(f)))(0.3), d3)


def test_sin_fourth_derivative_cycles():
    f = fnp.sin
    for _ in range(4):
        f = ft.grad(f)
    np.testing.assert_allclose(f(0.7), np.sin(0.7))


def test_forward_over_reverse_and_reverse_over_forward():
    def loss(x):
        return (fnp.sin(x) * x).sum()

    x = np.array([0.1, 0.5, 1.2])
    v = np.array([1.0, -2.0, 0.5])
    hess_diag = 2 * np.cos(x) - x * np.sin(x)
    _, hvp = ft.jvp(ft.grad(loss), (x,), (v,))
    np.testing.assert_allclose(hvp, hess_diag * v)
    rev_fwd = ft.grad(lambda y: ft.jvp(loss, (y,), (v,))[1])(x)
    np.testing.assert_allclose(rev_fwd, hess_diag * v)


def test_grad_of_grad_closure_over_outer_value():
    # d/dx [d/dy (x*y^2)] at y = x  = d/dx (2xy)|y=x ... computed by nesting
    def inner(x):
        return ft.grad(lambda y: x * y * y)(x)  # 2 x * x = 2x^2

    np.testing.assert_allclose(ft.grad(inner)(3.0), 12.0)


# ----------------------------------------------------------------------------- pytrees


class Batch(NamedTuple):
    x: np.ndarray
    y: np.ndarray


@ft.tree.register_dataclass
@dataclasses.dataclass
class Linear:
    w: np.ndarray
    b: np.ndarray
    name: str = dataclasses.field(default="layer", metadata={"static": True})


def test_value_and_grad_with_pytree_params_and_aux():
    rng = np.random.default_rng(0)
    params = {"layer": Linear(rng.normal(size=(3, 2)), np.zeros(2)), "scale": np.array(2.0)}
    batch = Batch(rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))

    def loss(p, b):
        pred = (b.x @ p["layer"].w + p["layer"].b) * p["scale"]
        err = pred - b.y
        return fnp.mean(err**2), {"max_err": fnp.max(fnp.abs(err))}

    (value, aux), g = ft.value_and_grad(loss, has_aux=True)(params, batch)
    assert isinstance(g["layer"], Linear) and g["layer"].name == "layer"
    assert list(g) == ["layer", "scale"]  # the user's key order
    pred = (batch.x @ params["layer"].w + params["layer"].b) * 2.0
    err = pred - batch.y
    np.testing.assert_allclose(value, np.mean(err**2))
    np.testing.assert_allclose(aux["max_err"], np.max(np.abs(err)))
    np.testing.assert_allclose(g["layer"].w, batch.x.T @ (2 * err / err.size) * 2.0)
    np.testing.assert_allclose(g["layer"].b, (2 * err / err.size).sum(0) * 2.0)
    np.testing.assert_allclose(g["scale"], np.sum(2 * err / err.size * pred / 2.0))


def test_dict_outputs_keep_key_order():
    out, _ = ft.jvp(lambda x: {"z": x, "a": 2 * x}, (1.0,), (1.0,))
    assert list(out) == ["z", "a"]


def test_grad_has_aux_returns_pair():
    g, aux = ft.grad(lambda x: (x**2, "note"), has_aux=True)(3.0)
    np.testing.assert_allclose(g, 6.0)
    assert aux == "note"


def test_jvp_with_pytree_primals():
    f = lambda p: p["a"] * p["b"][0] + p["b"][1]
    y, t = ft.jvp(f, ({"a": 2.0, "b": (3.0, 4.0)},), ({"a": 1.0, "b": (0.0, 1.0)},))
    np.testing.assert_allclose((y, t), (10.0, 4.0))


# ----------------------------------------------------------------------------- semantics


def test_symbolic_zeros_unused_input_costs_nothing():
    from ftrans.api import _linearize

    _, _, _, _, linear = _linearize(lambda x, y: fnp.sin(x) * 3.0, (1.0, 2.0), "t", False)
    assert [e.primitive.name for e in linear.jaxpr.eqns] == ["mul", "mul"]
    g = ft.grad(lambda x, y: fnp.sin(x), argnums=(0, 1))(1.0, 2.0)
    np.testing.assert_allclose(g, (np.cos(1.0), 0.0))


def test_integer_inputs_get_float0_cotangents():
    _, f_vjp = ft.vjp(lambda x, n: x * n, 2.0, 3)
    gx, gn = f_vjp(1.0)
    np.testing.assert_allclose(gx, 3.0)
    assert gn.dtype == ft.float0


def test_stop_gradient_on_pytrees():
    g = ft.grad(lambda x: x * ft.stop_gradient(x))(3.0)
    np.testing.assert_allclose(g, 3.0)
    out = ft.stop_gradient({"a": np.ones(2), "n": 3})
    assert out["n"] == 3


def test_python_control_flow_on_concrete_values_under_grad():
    def f(x):
        if x > 0:
            return x**2
        return -x

    np.testing.assert_allclose(ft.grad(f)(3.0), 6.0)
    np.testing.assert_allclose(ft.grad(f)(-3.0), -1.0)


def test_no_input_is_mutated():
    x = np.array([1.0, 2.0, 3.0])
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]])}
    copies = x.copy(), params["w"].copy()
    ft.grad(lambda p, v: (p["w"] @ v[:2]).sum() + v.at[0].set(5.0).sum(), argnums=(0, 1))(params, x)
    ft.jvp(lambda v: v * 2, (x,), (x,))
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(params["w"], copies[1])


def test_numpy_operands_mix_with_tracers():
    w = np.array([1.0, 2.0])

    def f(x):
        return (w * x + np.float64(2.0) * x - w @ x + x @ w).sum()

    np.testing.assert_allclose(ft.grad(f)(np.array([3.0, 4.0])), w + 2.0 + 0.0)


def test_tracer_array_methods_and_attributes():
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
        y = x.T.reshape(3, 2).astype(np.float32).astype(np.float64)
        return y.sum() + x.mean() + x.max() + x[1, 2] + x.var() + x.std() + x.prod()

    x = np.arange(1.0, 7.0).reshape(2, 3)
    expected = x.sum() + x.mean() + x.max() + x[1, 2] + x.var() + x.std() + x.prod()
    y, _ = ft.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(y, expected)


def test_jaxtyping_annotations_checked_at_trace_time():
    beartype = pytest.importorskip("beartype").beartype
    from jaxtyping import Float, jaxtyped

    @jaxtyped(typechecker=beartype)
    def layer(w: Float[ft.Array, "o i"], x: Float[ft.Array, " i"]) -> Float[ft.Array, " o"]:
        return w @ x

    w, x = np.ones((2, 3)), np.ones(3)
    np.testing.assert_allclose(ft.grad(lambda v: layer(w, v).sum())(x), w.sum(0))
    ft.make_jaxpr(layer)(w, x)
    with pytest.raises(Exception, match="i"):
        ft.grad(lambda v: layer(w, v).sum())(np.ones(4))
    with pytest.raises(Exception):
        ft.make_jaxpr(layer)(w, np.ones(4))
    # checked in every transformation: vmap (per example), jit (at trace time), jvp
    np.testing.assert_allclose(ft.vmap(layer, in_axes=(None, 0))(w, np.ones((5, 3))), 3.0)
    np.testing.assert_allclose(ft.jit(layer)(w, x), 3.0)
    ft.jvp(lambda v: layer(w, v), (x,), (x,))
    for bad in (
        lambda: ft.vmap(layer, in_axes=(None, 0))(w, np.ones((5, 4))),
        lambda: ft.jit(layer)(w, np.ones(4)),
        lambda: ft.jvp(lambda v: layer(w, v), (np.ones(4),), (np.ones(4),)),
    ):
        with pytest.raises(Exception, match="i"):
            bad()


def test_array_type_is_satisfied_by_arrays_and_tracers():
    assert isinstance(np.ones(2), ft.Array)
    assert isinstance(np.float64(1.0), ft.Array)
    seen = []
    ft.grad(lambda x: seen.append(isinstance(x, ft.Array)) or x * 1.0)(1.0)
    assert seen == [True]


def test_make_jaxpr_with_shape_dtype_struct_and_static_args():
    closed = ft.make_jaxpr(lambda x, n: x * n, static_argnums=1)(
        ft.ShapeDtypeStruct((2, 3), np.float32), 4
    )
    assert closed.out_avals[0].shape == (2, 3)
    assert closed.out_avals[0].dtype == np.float32
    assert "mul" in str(closed)
    np.testing.assert_allclose(closed(np.ones((2, 3), np.float32))[0], 4.0)


def test_make_jaxpr_of_grad_then_evaluate():
    closed = ft.make_jaxpr(ft.grad(seed_f, argnums=(0, 1)))(2.0, 5.0)
    np.testing.assert_allclose(closed(2.0, 5.0), SEED_GRAD)
    np.testing.assert_allclose(closed(1.0, 1.0), (1.0 + 1.0, 1.0 - np.cos(1.0)))
