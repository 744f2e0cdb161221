"""vmap, Jacobians and Hessians: compositions against Python loops, errors with paths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ftrans as ft
import ftrans.numpy as fnp

RNG = np.random.default_rng(0)


def init_mlp(sizes, rng):
    return [
        {"w": rng.normal(size=(a, b)) / np.sqrt(a), "b": rng.normal(size=b) * 0.1}
        for a, b in itertools.pairwise(sizes)
    ]


def mlp_loss(params, x, y):
    h = x
    for i, layer in enumerate(params):
        h = h @ layer["w"] + layer["b"]
        if i < len(params) - 1:
            h = fnp.tanh(h)
    return fnp.mean((h - y) ** 2)


def stack_trees(trees):
    return ft.tree.map(lambda *xs: np.stack(xs), *trees)


def assert_trees_close(a, b, **kw):
    la, ta = ft.tree.flatten(a)
    lb, tb = ft.tree.flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        np.testing.assert_allclose(x, y, **kw)


PARAMS = init_mlp([4, 8, 1], RNG)
XS = RNG.normal(size=(6, 4))
YS = RNG.normal(size=(6, 1))


def test_per_example_gradients_equal_a_loop():
    per_example = ft.vmap(ft.grad(mlp_loss), in_axes=(None, 0, 0))(PARAMS, XS, YS)
    loop = stack_trees([ft.grad(mlp_loss)(PARAMS, XS[i], YS[i]) for i in range(len(XS))])
    assert_trees_close(per_example, loop, rtol=1e-12, atol=1e-14)


def test_grad_of_vmapped_mean_equals_batch_gradient():
    g = ft.grad(lambda p: ft.vmap(mlp_loss, (None, 0, 0))(p, XS, YS).mean())(PARAMS)
    direct = ft.grad(lambda p: fnp.mean(ft.vmap(mlp_loss, (None, 0, 0))(p, XS, YS)))(PARAMS)
    loop = ft.tree.map(
        lambda *gs: sum(gs) / len(gs),
        *[ft.grad(mlp_loss)(PARAMS, XS[i], YS[i]) for i in range(len(XS))],
    )
    assert_trees_close(g, loop, rtol=1e-12, atol=1e-14)
    assert_trees_close(direct, loop, rtol=1e-12, atol=1e-14)


def test_nested_vmap_any_depth():
    x = RNG.normal(size=(2, 3, 4, 5))
    f = lambda v: fnp.sum(fnp.sin(v) * v)
    out = ft.vmap(ft.vmap(ft.vmap(f)))(x)
    np.testing.assert_allclose(out, np.sum(np.sin(x) * x, axis=-1))
    out = ft.vmap(ft.vmap(f, in_axes=1), in_axes=2)(x)
    np.testing.assert_allclose(out, np.sum(np.sin(x) * x, axis=(0, 3)).T)


def test_in_axes_pytree_prefix_and_out_axes():
    def f(p, x):
        return p["w"] * x + p["b"], fnp.sum(p["w"])

    p = {"w": np.array([1.0, 2.0]), "b": np.arange(3.0)}
    x = RNG.normal(size=(2, 3))
    out, shared = ft.vmap(f, in_axes=({"w": None, "b": 0}, 1), out_axes=(1, None))(p, x)
    expected = np.stack([p["w"] * x[:, i] + p["b"][i] for i in range(3)], axis=1)
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(shared, 3.0)


def test_negative_axes_and_axis_size():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(ft.vmap(fnp.sum, in_axes=-1)(x), x.sum(0))
    out = ft.vmap(lambda: fnp.ones(2), axis_size=5)()
    assert out.shape == (5, 2)
    np.testing.assert_allclose(ft.vmap(lambda v: v, out_axes=-1)(x), x.T)


def test_jvp_and_vmap_commute():
    x = RNG.normal(size=(5, 3))
    t = RNG.normal(size=(5, 3))
    f = lambda v: fnp.tanh(v) * fnp.sum(v)
    _, a = ft.jvp(ft.vmap(f), (x,), (t,))
    b = ft.vmap(lambda v, w: ft.jvp(f, (v,), (w,))[1])(x, t)
    loop = np.stack([ft.jvp(f, (x[i],), (t[i],))[1] for i in range(5)])
    np.testing.assert_allclose(a, loop)
    np.testing.assert_allclose(b, loop)


def test_vmap_of_vjp():
    x = RNG.normal(size=3)
    _y, f_vjp = ft.vjp(lambda v: fnp.sin(v) * 2.0, x)
    cts = np.eye(3)
    rows = ft.vmap(lambda c: f_vjp(c)[0])(cts)
    np.testing.assert_allclose(rows, np.diag(2 * np.cos(x)))


def test_jacobians_shapes_and_agreement():
    A = RNG.normal(size=(3, 4))

    def f(x, y):
        return {"u": fnp.tanh(A @ x) * y[0], "v": fnp.sum(x**2) * y}

    x, y = RNG.normal(size=4), RNG.normal(size=2)
    jf = ft.jacfwd(f, argnums=(0, 1))(x, y)
    jr = ft.jacrev(f, argnums=(0, 1))(x, y)
    assert jf["u"][0].shape == (3, 4) and jf["u"][1].shape == (3, 2)
    assert jf["v"][0].shape == (2, 4) and jf["v"][1].shape == (2, 2)
    assert_trees_close(jf, jr, rtol=1e-12, atol=1e-14)
    num = ft.numerical.numerical_jacobian(f, argnums=(0, 1))(x, y)
    assert_trees_close(jf, num, rtol=1e-6, atol=1e-8)


def test_jacobian_of_matrix_input_has_jax_layout():
    x = RNG.normal(size=(2, 3))
    j = ft.jacrev(lambda m: m.T * 2.0)(x)
    assert j.shape == (3, 2, 2, 3)
    np.testing.assert_allclose(j, ft.jacfwd(lambda m: m.T * 2.0)(x))
    np.testing.assert_allclose(j[1, 0, 0, 1], 2.0)


def test_hessian_symmetric_and_matches_hvp():
    A = RNG.normal(size=(5, 5))
    f = lambda x: fnp.sum(fnp.tanh(A @ x) ** 2)
    x = RNG.normal(size=5)
    H = ft.hessian(f)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H, ft.jacrev(ft.jacfwd(f))(x), atol=1e-12)
    v = RNG.normal(size=5)
    hvp = ft.jvp(ft.grad(f), (x,), (v,))[1]
    np.testing.assert_allclose(H @ v, hvp, atol=1e-12)


def test_jacobian_has_aux():
    j, aux = ft.jacrev(lambda x: (x * 2.0, fnp.sum(x)), has_aux=True)(np.ones(2))
    np.testing.assert_allclose(j, 2 * np.eye(2))
    np.testing.assert_allclose(aux, 2.0)
    j, aux = ft.jacfwd(lambda x: (x * 2.0, fnp.sum(x)), has_aux=True)(np.ones(2))
    np.testing.assert_allclose(j, 2 * np.eye(2))
    np.testing.assert_allclose(aux, 2.0)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
)
def test_hypothesis_vmap_over_any_axis_equals_loop(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = RNG.normal(size=shape)
    f = lambda v: fnp.sum(fnp.exp(fnp.sin(v)) * v, axis=0) if v.ndim else fnp.sin(v)
    out = ft.vmap(f, in_axes=axis)(x)
    loop = np.stack([f(np.take(x, i, axis=axis)) for i in range(x.shape[axis])])
    np.testing.assert_allclose(out, loop, rtol=1e-12)


# ----------------------------------------------------------------------------- errors


def test_error_mapped_sizes_differ_lists_each_argument():
    with pytest.raises(ft.BatchAxisError) as info:
        ft.vmap(lambda a, b: a["x"] + b)({"x": np.ones((3, 2))}, np.ones((4, 2)))
    msg = str(info.value)
    assert "[3, 4]" in msg and "[0]['x']" in msg and "(3, 2)" in msg and "size 4" in msg
    assert "in_axes=None" in msg


def test_error_in_axes_structure_mismatch():
    with pytest.raises(ft.BatchAxisError, match="2 entries.*1 positional"):
        ft.vmap(lambda a: a, in_axes=(0, 1))(np.ones(3))
    with pytest.raises(ft.BatchAxisError, match="in_axes"):
        ft.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": np.ones(3)})


def test_error_axis_out_of_range():
    with pytest.raises(ft.BatchAxisError, match=r"in_axes=2 is out of range.*shape \(3,\)"):
        ft.vmap(lambda a: a, in_axes=2)(np.ones(3))


def test_error_out_axes_none_for_batched_output():
    with pytest.raises(ft.BatchAxisError, match=r"out_axes is None for the output at \[1\]"):
        ft.vmap(lambda a: (1.0, a * 2), out_axes=None)(np.ones(3))


def test_error_no_mapped_argument_needs_axis_size():
    with pytest.raises(ft.BatchAxisError, match="axis_size"):
        ft.vmap(lambda a: a, in_axes=None)(np.ones(3))


def test_error_python_control_flow_on_batched_value():
    def f(a):
        if a > 0:
            return a
        return -a

    with pytest.raises(ft.ConcretizationError) as info:
        ft.vmap(f)(np.ones(3))
    msg = str(info.value)
    assert "vmap(f)" in msg and "test_vmap.py" in msg and "(in f)" in msg
    assert "where" in msg and "lax.cond" in msg
