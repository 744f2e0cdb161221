"""ftrans.numerical: finite differences (the seed's section 2) and the gradient checkers."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import core
from ftrans.numerical import (
    central_difference,
    check_grads,
    check_jvp,
    check_vjp,
    forward_difference,
    numerical_grad,
    numerical_jacobian,
    numerical_jvp,
)
from ftrans.primitives.elementwise import _unary_aval

SETTINGS = settings(max_examples=15, deadline=None)


def seed_f(x):
    """The seed's worked example ``ln(x1) + x1 x2 - sin(x2)`` on one vector."""
    return np.log(x[0]) + x[0] * x[1] - np.sin(x[1])


SEED_GRAD = np.array([5.5, 2.0 - np.cos(5.0)])


def frozen(x):
    """A read-only copy, so any attempt to perturb the caller's array in place raises."""
    x = np.array(x, dtype=float)
    x.setflags(write=False)
    return x


# ----------------------------------------------------------------------------- differences


def test_seed_example_central_difference():
    jac = central_difference(seed_f, np.array([2.0, 5.0]))
    np.testing.assert_allclose(jac, [5.5, 1.7163378], atol=1e-7)
    np.testing.assert_allclose(jac, SEED_GRAD, atol=1e-8)


def test_seed_example_forward_difference_and_direction():
    np.testing.assert_allclose(
        forward_difference(seed_f, np.array([2.0, 5.0])), SEED_GRAD, atol=1e-5
    )
    along = central_difference(seed_f, np.array([2.0, 5.0]), direction=np.array([1.0, -1.0]))
    np.testing.assert_allclose(along, SEED_GRAD @ [1.0, -1.0], atol=1e-8)


def test_forward_difference_is_first_order_and_central_second_order():
    eps = 1e-3
    forward_error = abs(float(forward_difference(np.exp, 1.0, eps=eps)) - np.e)
    central_error = abs(float(central_difference(np.exp, 1.0, eps=eps)) - np.e)
    assert central_error < forward_error / 100
    np.testing.assert_allclose(forward_error, np.e * eps / 2, rtol=1e-2)  # O(eps)
    np.testing.assert_allclose(central_error, np.e * eps**2 / 6, rtol=1e-2)  # O(eps^2)


def test_scalar_to_scalar_gives_a_scalar():
    for difference in (forward_difference, central_difference):
        d = difference(np.sin, 0.5)
        assert np.shape(d) == ()
        np.testing.assert_allclose(d, np.cos(0.5), atol=1e-6)


def test_integer_points_are_promoted():
    np.testing.assert_allclose(
        central_difference(lambda x: x**2, np.array([1, 2])), np.diag([2.0, 4.0])
    )


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@SETTINGS
@given(in_shape=shapes, out_shape=shapes, seed=st.integers(0, 2**16))
def test_jacobian_shapes_and_values_of_a_linear_map(in_shape, out_shape, seed):
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal(out_shape + in_shape)

    def f(x):
        return np.tensordot(matrix, x, axes=len(in_shape))

    x = frozen(rng.standard_normal(in_shape))
    for jac in (
        central_difference(f, x),
        forward_difference(f, x),
        numerical_jacobian(f)(x),
    ):
        assert jac.shape == out_shape + in_shape
        np.testing.assert_allclose(jac, matrix, atol=1e-6)
    direction = rng.standard_normal(in_shape)
    along = central_difference(f, x, direction=direction)
    assert np.shape(along) == out_shape
    np.testing.assert_allclose(along, f(direction), atol=1e-6)


def test_central_difference_rejects_a_direction_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"direction has shape \(3,\) but x has shape \(2,\)"):
        central_difference(np.sin, np.ones(2), direction=np.ones(3))


def test_array_differences_reject_pytree_outputs():
    with pytest.raises(TypeError, match="numerical_jacobian"):
        central_difference(lambda x: (x, x), np.ones(2))


# ----------------------------------------------------------------------------- jvp, grad, jacobian


def loss(params, x):
    return fnp.sum(fnp.tanh(x @ params["w"] + params["b"]) ** 2) + fnp.sum(fnp.exp(params["b"]))


def make_params(rng):
    return {"w": frozen(rng.standard_normal((3, 2))), "b": frozen(rng.standard_normal(2))}


def test_numerical_jvp_matches_ft_jvp_on_pytrees():
    rng = np.random.default_rng(0)
    primals = (make_params(rng), frozen(rng.standard_normal((4, 3))))
    tangents = ({"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}, None)
    numerical = numerical_jvp(loss, primals, tangents)
    exact = ft.jvp(loss, primals, (tangents[0], np.zeros((4, 3))))[1]
    np.testing.assert_allclose(numerical, exact, rtol=1e-7)


def test_numerical_jvp_of_the_seed_example_and_pytree_outputs():
    f = lambda a, b: {"y": fnp.log(a) + a * b - fnp.sin(b), "pair": (a * 2.0, b)}
    out = numerical_jvp(f, (2.0, 5.0), (1.0, 0.0))
    np.testing.assert_allclose(out["y"], 5.5, rtol=1e-8)
    np.testing.assert_allclose(out["pair"][0], 2.0, rtol=1e-8)
    np.testing.assert_allclose(out["pair"][1], 0.0, atol=1e-12)


def test_numerical_grad_on_dict_and_tuple_arguments():
    rng = np.random.default_rng(1)
    params, x = make_params(rng), frozen(rng.standard_normal((4, 3)))
    got = numerical_grad(loss)(params, x)
    want = ft.grad(loss)(params, x)
    assert set(got) == {"w", "b"}
    for key in got:
        assert got[key].shape == params[key].shape
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, atol=1e-8)
    g_params, g_x = numerical_grad(loss, argnums=(0, 1))(params, x)
    np.testing.assert_allclose(g_x, ft.grad(loss, argnums=1)(params, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g_params["w"], want["w"], rtol=1e-6, atol=1e-8)

    pair_loss = lambda pair, scale=1.0: scale * fnp.sum(pair[0] * fnp.sin(pair[1]))
    pair = (frozen([1.0, 2.0]), frozen([0.3, 0.4]))
    got = numerical_grad(pair_loss)(pair, scale=2.0)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_allclose(got[0], 2.0 * np.sin(pair[1]), rtol=1e-7)
    np.testing.assert_allclose(got[1], 2.0 * pair[0] * np.cos(pair[1]), rtol=1e-7)


def test_numerical_jacobian_nests_output_tree_of_input_trees():
    def f(p, s):
        return {"prod": p["a"] * p["b"], "total": fnp.sum(p["b"]) * s}

    p, s = {"a": 2.0, "b": frozen([1.0, 2.0, 3.0])}, 0.5
    jac = numerical_jacobian(f, argnums=(0, 1))(p, s)
    assert set(jac) == {"prod", "total"}
    assert isinstance(jac["prod"], tuple) and set(jac["prod"][0]) == {"a", "b"}
    np.testing.assert_allclose(jac["prod"][0]["a"], [1.0, 2.0, 3.0], rtol=1e-8)
    np.testing.assert_allclose(jac["prod"][0]["b"], 2.0 * np.eye(3), atol=1e-8)
    np.testing.assert_allclose(jac["prod"][1], np.zeros(3), atol=1e-12)  # prod ignores s
    assert jac["total"][0]["a"].shape == () and jac["total"][0]["b"].shape == (3,)
    np.testing.assert_allclose(jac["total"][0]["b"], [0.5, 0.5, 0.5], rtol=1e-8)
    np.testing.assert_allclose(jac["total"][1], 6.0, rtol=1e-8)

    single = numerical_jacobian(f)(p, s)
    assert set(single["prod"]) == {"a", "b"}  # an int argnums gives no tuple level


@pytest.mark.parametrize(
    "f, what",
    [
        (lambda x: x * 2.0, r"shape \(3,\)"),
        (lambda x: (fnp.sum(x), x), "pytree"),
        (lambda x: fnp.sum(x).astype(int), "dtype int64"),
    ],
)
def test_numerical_grad_requires_a_scalar_output(f, what):
    with pytest.raises(TypeError, match=f"numerical_grad.*real floating-point scalar.*{what}"):
        numerical_grad(f)(np.ones(3))


def test_numerical_grad_rejects_integer_inputs_and_bad_argnums():
    with pytest.raises(TypeError, match=r"argument 0 \['n'\] has dtype int64"):
        numerical_grad(lambda d: d["x"] * d["n"])({"x": 1.0, "n": np.array(2)})
    with pytest.raises(ValueError, match="argnums=3"):
        numerical_grad(lambda x: x, argnums=3)(1.0)


# ----------------------------------------------------------------------------- check_grads passes


SMOOTH = {
    "sin_exp": (lambda x: fnp.sin(x) * fnp.exp(x), lambda r: (r.uniform(-1, 1, (3,)),)),
    "log_tanh": (lambda x: fnp.log(x) + fnp.tanh(x) * x, lambda r: (r.uniform(0.5, 2, (2, 2)),)),
    "product": (
        lambda x, y: x * y * fnp.sin(x + y),
        lambda r: (r.normal(size=3), r.normal(size=3)),
    ),
    "matmul": (
        lambda a, b: fnp.tanh(a @ b) @ b.T,
        lambda r: (r.normal(size=(2, 3)), r.normal(size=(3, 4))),
    ),
    "sum_axes": (
        lambda x: fnp.sum(fnp.exp(x), axis=0) * fnp.sum(x**2, axis=(1, 2), keepdims=True)[0],
        lambda r: (r.normal(size=(2, 3, 2)),),
    ),
    "seed": (lambda a, b: fnp.log(a) + a * b - fnp.sin(b), lambda r: (2.0, 5.0)),
    "pytree": (
        lambda p, n: {"loss": fnp.sum(fnp.tanh(p["w"]) * n) + p["b"][0] ** 3, "aux": p["b"] * 2},
        lambda r: ({"w": r.normal(size=(2, 2)), "b": (r.normal(size=()), None)}, np.arange(2)),
    ),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_check_grads_passes_for_smooth_functions_to_order_two(name):
    f, make_args = SMOOTH[name]
    args = make_args(np.random.default_rng(0))
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@SETTINGS
@given(
    x=hnp.arrays(
        np.float64, hnp.array_shapes(max_dims=2, max_side=3), elements=st.floats(0.2, 3.0)
    ),
    seed=st.integers(0, 1000),
)
def test_check_grads_passes_at_random_points(x, seed):
    f = lambda v: fnp.sum(fnp.log(v) * fnp.sin(v) + fnp.exp(-v) * v)
    before = x.copy()
    check_grads(f, (x,), order=2, seed=seed)
    np.testing.assert_array_equal(x, before)


def test_check_grads_third_order_and_public_one_mode_checkers():
    f = lambda x, y: fnp.sum(fnp.sin(x) * fnp.exp(y))
    args = (np.array([0.3, -0.2]), np.array([0.1, 0.4]))
    check_grads(f, args, order=3)
    check_jvp(f, args)
    check_vjp(f, args)


def test_check_grads_in_float32_uses_float32_defaults():
    x = np.array([0.5, 1.5, -0.7], np.float32)
    check_grads(lambda v: fnp.tanh(v) * fnp.exp(v / 2), (x,), order=2)


def test_integer_leaves_are_held_fixed():
    seen = []

    def f(x, n):
        seen.append(np.asarray(n).copy())
        return x * n

    check_grads(f, (np.array([1.0, 2.0]), np.array([3, 4])), order=2)
    assert all(v.dtype == np.array(1).dtype and v.tolist() == [3, 4] for v in seen)


def test_check_grads_validates_its_arguments():
    with pytest.raises(TypeError, match=r"tuple of arguments.*\(x,\)"):
        check_grads(fnp.sin, np.ones(2))
    with pytest.raises(ValueError, match="modes"):
        check_grads(fnp.sin, (np.ones(2),), modes=("forward",))
    with pytest.raises(ValueError, match="order"):
        check_grads(fnp.sin, (np.ones(2),), order=0)


# ----------------------------------------------------------------------------- wrong rules fail


def numbers_after(label, text):
    return [float(v) for v in re.findall(rf"{re.escape(label)}\s+(-?[\d.e+-]+)", text)]


def test_stop_gradient_misuse_fails_in_forward_mode_with_the_numbers():
    # x * stop_gradient(x): ft says the derivative is x, numerically it is 2x.
    with pytest.raises(AssertionError) as info:
        check_grads(lambda x: x * ft.stop_gradient(x), (3.0,), modes=("fwd",))
    text = str(info.value)
    assert text.startswith("check_grads: fwd-mode check failed at order 1 for <lambda>")
    (exact,), (numerical,) = numbers_after("ft.jvp:", text), numbers_after("numerical:", text)
    (t,) = numbers_after("argument 0:", text)
    np.testing.assert_allclose([exact, numerical], [3.0 * t, 6.0 * t], rtol=1e-6)
    assert "direction t (uniform in the unit ball, seed=0)" in text


def test_stop_gradient_misuse_fails_in_reverse_mode_with_the_numbers():
    with pytest.raises(AssertionError) as info:
        check_grads(lambda x: x * ft.stop_gradient(x), (np.array([3.0, -1.0]),), modes=("rev",))
    text = str(info.value)
    assert text.startswith("check_grads: rev-mode check failed at order 1")
    by_vjp, by_numerical = (
        numbers_after("<ft.vjp(ct), t>    =", text),
        numbers_after("<ct, numerical Jt> =", text),
    )
    np.testing.assert_allclose(2 * by_vjp[0], by_numerical[0], rtol=1e-6)
    assert "argument 0 is wrong" in text and "numerical J^T ct:" in text
    assert "cotangent ct" in text


def test_failure_messages_are_deterministic_and_follow_the_seed():
    def message(seed):
        with pytest.raises(AssertionError) as info:
            check_grads(lambda x: x * ft.stop_gradient(x), (np.ones(2),), seed=seed)
        return str(info.value)

    assert message(0) == message(0)
    assert message(0) != message(1)


@pytest.fixture
def make_primitive():
    """A throwaway user primitive, kept out of the global registry."""
    made = []

    def make(name, *, linear=False):
        primitive = core.Primitive(f"test_numerical_{name}", linear=linear)
        core.PRIMITIVES.pop(primitive.name)
        primitive.abstract_eval = _unary_aval
        made.append(primitive)
        return primitive

    return make


def test_a_wrong_transpose_rule_fails_the_dot_product_test(make_primitive):
    triple = make_primitive("triple", linear=True)
    triple.impl = lambda x: 3.0 * x
    triple.jvp = lambda primals, tangents: (triple.bind(primals[0]), triple.bind(tangents[0]))
    triple.transpose = lambda ct, x: [fnp.multiply(ct, 2.0)]  # should be 3.0
    f = lambda x, y: fnp.sin(triple.bind(x)) * y
    args = (np.array([0.2, 0.4]), np.array([1.0, 2.0]))
    check_grads(f, args, modes=("fwd",))
    with pytest.raises(AssertionError, match="dot-product check failed at order 1") as info:
        check_grads(f, args, modes=("rev",))
    text = str(info.value)
    assert "argument 0 is wrong" in text and "argument 1 is wrong" not in text
    assert "transpose rule" in text


def test_a_wrong_jvp_rule_is_attributed_to_its_argument_path(make_primitive):
    square = make_primitive("square")
    square.impl = np.square
    square.jvp = lambda primals, tangents: (square.bind(primals[0]), tangents[0] * primals[0])
    f = lambda p: fnp.sum(fnp.sin(p["a"])) + fnp.sum(square.bind(p["b"]))
    args = ({"a": np.array([0.1, 0.2]), "b": np.array([1.0, 2.0, 3.0])},)
    with pytest.raises(AssertionError, match="fwd-mode") as info:
        check_grads(f, args)
    assert "attributed to argument 0 ['b']" in str(info.value)
    with pytest.raises(AssertionError, match="rev-mode") as info:
        check_grads(f, args, modes=("rev",))
    assert "argument 0 ['b'] is wrong" in str(info.value)
    assert "argument 0 ['a'] is wrong" not in str(info.value)


def test_a_wrong_second_derivative_is_caught_only_at_order_two(make_primitive):
    my_sin, my_cos = make_primitive("sin"), make_primitive("cos")
    my_sin.impl, my_cos.impl = np.sin, np.cos
    my_sin.jvp = lambda p, t: (my_sin.bind(p[0]), t[0] * my_cos.bind(p[0]))
    my_cos.jvp = lambda p, t: (my_cos.bind(p[0]), t[0] * my_sin.bind(p[0]))  # sign is wrong
    f = lambda x: my_sin.bind(x) * 2.0
    x = (np.array([0.3, 1.1]),)
    check_grads(f, x, order=1)
    with pytest.raises(AssertionError, match=r"fwd-mode check failed at order 2 for \(x -> jvp"):
        check_grads(f, x, order=2, modes=("fwd",))
    with pytest.raises(AssertionError, match=r"check failed at order 2 for \(x -> vjp"):
        check_grads(f, x, order=2, modes=("rev",))
