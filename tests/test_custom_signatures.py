"""JAX's signatures for custom rules and checkpointing: ``nondiff_argnums``, ``defjvps``,
``checkpoint(static_argnums=, prevent_cse=)``, ``checkpoint_name`` and its policies."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp

policies = ft.checkpoint_policies


def test_defjvps_sums_one_rule_per_argument():
    @ft.custom_jvp
    def f(x, y):
        return fnp.sin(x) * y

    f.defjvps(lambda g, ans, x, y: fnp.cos(x) * g * y, lambda g, ans, x, y: fnp.sin(x) * g)
    gx, gy = ft.grad(f, argnums=(0, 1))(0.5, 2.0)
    assert float(gx) == pytest.approx(2 * np.cos(0.5)) and float(gy) == pytest.approx(np.sin(0.5))
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(f)))(np.ones(3), np.ones(3)), np.cos(1.0))
    _, t = ft.jvp(f, (0.5, 2.0), (1.0, 1.0))
    assert float(t) == pytest.approx(2 * np.cos(0.5) + np.sin(0.5))


def test_defjvps_none_means_no_derivative_and_counts_are_checked():
    @ft.custom_jvp
    def f(x, y):
        return x * y

    f.defjvps(None, lambda g, ans, x, y: x * g)
    assert float(ft.grad(f)(2.0, 3.0)) == 0.0
    assert float(ft.grad(f, argnums=1)(2.0, 3.0)) == 2.0
    with pytest.raises(TypeError, match=r"one rule \(or None\) per differentiable argument \(2\)"):
        f.defjvps(None)


def test_custom_jvp_nondiff_argnums_go_first_to_the_rule():
    @partial(ft.custom_jvp, nondiff_argnums=(0,))
    def apply(fn, x):
        return fn(x)

    @apply.defjvp
    def _(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return fn(x), 2.0 * t

    assert float(ft.grad(lambda x: apply(fnp.sin, x))(1.0)) == 2.0
    assert float(ft.jit(ft.grad(lambda x: apply(fnp.sin, x)))(1.0)) == 2.0


def test_custom_vjp_nondiff_argnums_go_first_to_bwd():
    @partial(ft.custom_vjp, nondiff_argnums=(1,))
    def clip_gradient(x, bound):
        return x

    clip_gradient.defvjp(
        lambda x, bound: (x, None), lambda bound, _, g: (fnp.clip(g, -bound, bound),)
    )
    f = lambda x: 3.0 * clip_gradient(x, 1.0)
    assert float(ft.grad(f)(2.0)) == 1.0
    assert float(ft.jit(ft.grad(f))(2.0)) == 1.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(np.ones(2)), [1.0, 1.0])


def _layer(w, x):
    h = ft.checkpoint_name(fnp.tanh(w @ x), "hidden")
    return fnp.tanh(w @ h)


W, X = np.full((3, 3), 0.1) + np.eye(3), np.linspace(0.5, 1.5, 3)


@pytest.mark.parametrize(
    "policy, saves_hidden",
    [
        (None, False),
        (policies.save_only_these_names("hidden"), True),
        (policies.save_only_these_names("other"), False),
        (policies.save_any_names_but_these("hidden"), False),
        (policies.save_any_names_but_these("other"), True),
        (
            policies.save_from_both_policies(
                policies.dots_saveable, policies.save_only_these_names("hidden")
            ),
            True,
        ),
    ],
)
def test_checkpoint_name_policies(policy, saves_hidden):
    block = ft.checkpoint(_layer, policy=policy)
    sources = [r.source for r in ft.saved_residuals(block, W, X)]
    assert ("output of name" in sources) == saves_hidden
    expected = ft.grad(lambda w: fnp.sum(_layer(w, X)))(W)
    np.testing.assert_allclose(ft.grad(lambda w: fnp.sum(block(w, X)))(W), expected)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda w: fnp.sum(block(w, X))))(W), expected)


def test_checkpoint_name_is_the_identity_everywhere():
    f = lambda x: ft.checkpoint_name({"a": x, "b": 2 * x}, "n")
    out = f(np.ones(2))
    np.testing.assert_array_equal(out["b"], [2.0, 2.0])
    assert "name" not in ft.jit(lambda x: f(x)["a"]).lower(np.ones(2)).as_text()
    with pytest.raises(TypeError, match="must be a str"):
        ft.checkpoint_name(np.ones(2), 3)


def test_checkpoint_static_argnums_and_prevent_cse():
    f = ft.checkpoint(lambda x, n: x**n, static_argnums=(1,))
    assert float(ft.grad(f)(2.0, 3)) == 12.0
    assert float(ft.jit(ft.grad(lambda x: f(x, 2)))(3.0)) == 6.0
    g = ft.checkpoint(lambda x: fnp.sin(x), prevent_cse=False)
    assert float(ft.grad(g)(0.0)) == 1.0
    deco = ft.checkpoint(static_argnums=1)(lambda x, n: x * n)
    assert float(ft.grad(deco)(1.0, 4)) == 4.0
    with pytest.raises(TypeError, match="hashable"):
        f(1.0, [2])


def test_custom_vmap_calls_the_rule_under_vmap_only():
    calls = []

    @ft.custom_batching.custom_vmap
    def f(x, y):
        return fnp.sin(x) * y

    @f.def_vmap
    def _(axis_size, in_batched, x, y):
        calls.append((axis_size, in_batched))
        return fnp.sin(x) * y, any(in_batched)

    xs = np.arange(3.0)
    np.testing.assert_allclose(ft.vmap(f, (0, None))(xs, 2.0), 2 * np.sin(xs))
    assert calls == [(3, [True, False])]
    np.testing.assert_allclose(ft.jit(ft.vmap(f))(xs, xs), xs * np.sin(xs))
    assert float(f(1.0, 2.0)) == pytest.approx(2 * np.sin(1.0))
    assert float(ft.grad(f)(1.0, 2.0)) == pytest.approx(2 * np.cos(1.0))
    np.testing.assert_allclose(ft.vmap(ft.grad(f), (0, None))(xs, 2.0), 2 * np.cos(xs))


def test_custom_vmap_rule_errors():
    @ft.custom_batching.custom_vmap
    def f(x):
        return fnp.sum(x)

    with pytest.raises(TypeError, match="no batching rule"):
        f(np.ones(2))

    @f.def_vmap
    def _(axis_size, in_batched, x):
        return fnp.sum(x), True  # forgot the batch: a scalar, not (axis_size,)

    with pytest.raises(TypeError, match=r"returned shape \(\) where \(3,\) was expected"):
        ft.vmap(f)(np.ones((3, 2)))
    g = ft.custom_batching.sequential_vmap(lambda x: fnp.sum(x**2))
    np.testing.assert_array_equal(ft.vmap(g)(np.ones((3, 2))), [2.0, 2.0, 2.0])
