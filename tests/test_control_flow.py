"""lax.cond / lax.switch under every transformation, and their branch-type errors."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp


def piecewise(x):
    return ft.lax.cond(x > 0, lambda v: fnp.sin(v) * 2.0, lambda v: v * v, x)


def reference(x):
    return np.where(x > 0, np.sin(x) * 2.0, x * x)


@pytest.mark.parametrize("x", [-1.5, 0.7])
def test_cond_eager_grad_jit_agree(x):
    expected_grad = 2 * np.cos(x) if x > 0 else 2 * x
    np.testing.assert_allclose(piecewise(x), reference(x))
    np.testing.assert_allclose(ft.jit(piecewise)(x), reference(x))
    np.testing.assert_allclose(ft.grad(piecewise)(x), expected_grad)
    np.testing.assert_allclose(ft.jit(ft.grad(piecewise))(x), expected_grad)
    np.testing.assert_allclose(ft.grad(ft.jit(piecewise))(x), expected_grad)


def test_cond_under_vmap_selects_per_example():
    xs = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_allclose(ft.vmap(piecewise)(xs), reference(xs))
    grads = ft.vmap(ft.grad(piecewise))(xs)
    np.testing.assert_allclose(grads, np.where(xs > 0, 2 * np.cos(xs), 2 * xs))


def test_cond_runs_only_the_selected_branch():
    # both branches are traced (so mismatches are caught the same way everywhere), but only the
    # chosen one is executed: the other would raise under errstate(all="raise")
    f = lambda x: ft.lax.cond(x > 0, fnp.log, lambda v: -v, x)
    with np.errstate(all="raise"):
        assert float(f(-2.0)) == 2.0
        assert float(ft.jit(f)(-2.0)) == 2.0
        assert float(ft.grad(f)(-2.0)) == -1.0


def test_switch_clamps_and_works_traced():
    fns = [lambda v: v + 1.0, lambda v: v * 10.0, lambda v: -v]
    assert float(ft.lax.switch(7, fns, 2.0)) == -2.0
    pick = ft.jit(lambda i, v: ft.lax.switch(i, fns, v))
    assert [float(pick(i, 2.0)) for i in (-1, 0, 1, 2, 5)] == [3.0, 3.0, 20.0, -2.0, -2.0]


def test_branches_of_different_types_show_both():
    with pytest.raises(ft.lax.BranchMismatchError) as info:
        ft.jit(lambda x: ft.lax.cond(x > 0, lambda v: v, lambda v: v.astype(np.float32), x))(1.0)
    msg = str(info.value)
    assert "f32[]" in msg and "f64[]" in msg and "false_fun" in msg and "true_fun" in msg
