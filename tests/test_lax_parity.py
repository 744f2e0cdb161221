"""General ``lax.gather``/``lax.scatter*`` and the implicitly differentiated solvers
(``custom_linear_solve``, ``custom_root``) against JAX's numbers (checked in under
``tests/data``, and live when jax is installed), against differentiating the direct solution,
and their error messages."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from lax_parity_cases import cases

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax

DATA = pathlib.Path(__file__).with_name("data") / "lax_parity_reference.npz"
CASES = cases(np.random.default_rng(0))  # the functions only; the inputs come from the file


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA) as data:
        return {k: data[k] for k in data.files}


def _inputs(reference, name):
    inputs = []
    while f"{name}/in{len(inputs)}" in reference:
        inputs.append(reference[f"{name}/in{len(inputs)}"])
    return inputs


def _ftrans_fun(name):
    return CASES[name][0](lax, fnp, ft.grad)


def test_reference_file_covers_every_case(reference):
    assert {k.split("/")[0] for k in reference} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_checked_in_jax_numbers(name, reference):
    fun = _ftrans_fun(name)
    inputs = _inputs(reference, name)
    out = np.asarray(ft.tree.leaves(fun(*inputs))[0])
    want = reference[f"{name}/out"]
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    assert out.dtype == want.dtype
    if f"{name}/ct" in reference:
        ct = reference[f"{name}/ct"]
        argnums = CASES[name][2]
        grads = ft.grad(lambda *a: fnp.sum(fun(*a) * ct), argnums=argnums)(*inputs)
        for i, g in zip(argnums, grads, strict=True):
            np.testing.assert_allclose(g, reference[f"{name}/grad{i}"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_live_jax(name, reference):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    inputs = _inputs(reference, name)
    want = np.asarray(jax.tree_util.tree_leaves(CASES[name][0](jax.lax, jnp, jax.grad)(*inputs))[0])
    got = np.asarray(ft.tree.leaves(_ftrans_fun(name)(*inputs))[0])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["gather_windows_fill", "scatter_add_fill", "scatter_fill"])
def test_jit_and_vmap_agree_with_eager(name, reference):
    fun = _ftrans_fun(name)
    inputs = _inputs(reference, name)
    eager = np.asarray(fun(*inputs))
    np.testing.assert_allclose(ft.jit(fun)(*inputs), eager)
    stacked = [np.stack([a, a]) for a in inputs]
    batched = ft.vmap(fun)(*stacked)
    np.testing.assert_allclose(batched[1], eager)


# ----------------------------------------------------------------------------- solvers


def _jacobi(steps):
    """A solver with a fixed number of Jacobi steps and stop_gradient on its iterate: a
    derivative through its steps would be zero or wrong, the implicit one is exact."""

    def solve(matvec, b):
        x = fnp.zeros_like(b)
        diag = fnp.stack([matvec(e)[i] for i, e in enumerate(np.eye(b.shape[0]))])
        for _ in range(steps):
            x = lax.stop_gradient(x + (b - matvec(x)) / diag)
        return x

    return solve


A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 5.0]])
B = np.array([1.0, -2.0, 0.5])
W = np.array([1.0, 2.0, 3.0])


def _loss_solve(a, b):
    x = lax.custom_linear_solve(lambda v: a @ v, b, _jacobi(60), symmetric=True)
    return fnp.sum(W * x**2)


def _loss_direct(a, b):
    return fnp.sum(W * fnp.linalg.solve(a, b) ** 2)


def test_linear_solve_derivatives_are_implicit_not_through_the_iterations():
    for argnums in (0, 1):
        want = ft.grad(_loss_direct, argnums)(A, B)
        np.testing.assert_allclose(ft.grad(_loss_solve, argnums)(A, B), want, rtol=1e-9)
    t = (np.ones_like(A) * 0.1, np.ones_like(B))
    np.testing.assert_allclose(
        ft.jvp(_loss_solve, (A, B), t)[1], ft.jvp(_loss_direct, (A, B), t)[1], rtol=1e-9
    )
    np.testing.assert_allclose(
        ft.hessian(_loss_solve, 1)(A, B), ft.hessian(_loss_direct, 1)(A, B), rtol=1e-8
    )


def test_linear_solve_under_jit_and_vmap():
    np.testing.assert_allclose(ft.jit(_loss_solve)(A, B), _loss_direct(A, B), rtol=1e-10)
    np.testing.assert_allclose(
        ft.jit(ft.grad(_loss_solve))(A, B), ft.grad(_loss_direct)(A, B), rtol=1e-9
    )
    As = np.stack([A, A + np.eye(3), 2 * A])
    Bs = np.stack([B, -B, B[::-1]])
    np.testing.assert_allclose(ft.vmap(_loss_solve)(As, Bs), ft.vmap(_loss_direct)(As, Bs))
    np.testing.assert_allclose(
        ft.vmap(ft.grad(_loss_solve))(As, Bs), ft.vmap(ft.grad(_loss_direct))(As, Bs), rtol=1e-9
    )
    total = lambda f: lambda a: fnp.sum(ft.vmap(f, (None, 0))(a, Bs))
    np.testing.assert_allclose(
        ft.grad(total(_loss_solve))(A), ft.grad(total(_loss_direct))(A), rtol=1e-9
    )


def test_linear_solve_has_aux():
    def solve(matvec, b):
        return fnp.linalg.solve(A, b), {"iterations": np.array(1)}

    x, aux = lax.custom_linear_solve(lambda v: A @ v, B, solve, symmetric=True, has_aux=True)
    np.testing.assert_allclose(x, np.linalg.solve(A, B))
    assert aux == {"iterations": 1}
    g = ft.grad(
        lambda b: fnp.sum(
            lax.custom_linear_solve(lambda v: A @ v, b, solve, symmetric=True, has_aux=True)[0]
        )
    )(B)
    np.testing.assert_allclose(g, np.linalg.solve(A.T, np.ones(3)))


def test_linear_solve_errors():
    solve = _jacobi(5)
    f = lambda b: fnp.sum(lax.custom_linear_solve(lambda v: A @ v, b, solve))
    assert np.isfinite(ft.jvp(f, (B,), (B,))[1])  # forward mode needs no transpose_solve
    with pytest.raises(Exception, match="transpose_solve=.*symmetric=True"):
        ft.grad(f)(B)
    with pytest.raises(ValueError, match="must return \\(x, aux\\)"):
        lax.custom_linear_solve(lambda v: A @ v, B, lambda mv, b: b, has_aux=True)
    with pytest.raises(ValueError, match="not b's"):
        lax.custom_linear_solve(lambda v: A @ v, B, lambda mv, b: (b, b))


def _newton_while(f, x):
    """Newton's method in a while_loop (which reverse mode cannot differentiate)."""

    def body(state):
        x, _ = state
        step = f(x) / ft.grad(f)(x)
        return x - step, step

    x, _ = lax.while_loop(lambda s: fnp.abs(s[1]) > 1e-13, body, (x, np.array(1.0)))
    return x


def _cube_root(a):
    return lax.custom_root(lambda x: x**3 - a, 1.0, _newton_while, lambda g, y: y / g(1.0))


def test_custom_root_implicit_derivatives_through_a_while_loop_solver():
    a = np.array(27.0)
    np.testing.assert_allclose(_cube_root(a), 3.0)
    want = 1 / (3 * 9.0)
    np.testing.assert_allclose(ft.grad(_cube_root)(a), want, rtol=1e-12)
    np.testing.assert_allclose(ft.jvp(_cube_root, (a,), (np.array(2.0),))[1], 2 * want)
    np.testing.assert_allclose(ft.jit(ft.grad(_cube_root))(a), want, rtol=1e-12)
    np.testing.assert_allclose(
        ft.vmap(ft.grad(_cube_root))(np.array([8.0, 27.0])), [1 / 12, 1 / 27], rtol=1e-12
    )
    # second order: d2/da2 a^(1/3) = -2/9 a^(-5/3)
    np.testing.assert_allclose(
        ft.grad(ft.grad(_cube_root))(a), -2 / 9 * 27.0 ** (-5 / 3), rtol=1e-10
    )


def test_custom_root_vector_with_a_linear_solve_tangent():
    # f(x) = A x + x**3 / 10 - p: a root per p; the tangent solve builds the Jacobian
    def f_of(p):
        return lambda x: A @ x + x**3 / 10 - p

    def solve(f, x):
        for _ in range(40):
            jac = ft.jacfwd(f)(x)
            x = x - fnp.linalg.solve(jac, f(x))
        return x

    def tangent_solve(g, y):
        return fnp.linalg.solve(ft.jacfwd(g)(y), y)

    def root(p):
        return lax.custom_root(f_of(p), np.zeros(3), solve, tangent_solve)

    p = np.array([1.0, 0.5, -1.0])
    x = root(p)
    np.testing.assert_allclose(f_of(p)(x), 0.0, atol=1e-12)
    jac = ft.jacrev(root)(p)
    # implicit function theorem by hand: dx/dp = (A + diag(3 x^2 / 10))^{-1}
    np.testing.assert_allclose(jac, np.linalg.inv(A + np.diag(3 * x**2 / 10)), rtol=1e-9)
    np.testing.assert_allclose(ft.jacfwd(root)(p), jac, rtol=1e-9)


# ----------------------------------------------------------------------------- gather errors

DN = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
SDN = lax.ScatterDimensionNumbers((1,), (0,), (0,))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: lax.gather(np.ones((3, 4)), np.array([[0, 1]]), DN, (1, 4)),
            Exception,
            "index vec",
        ),
        (lambda: lax.gather(np.ones((3, 4)), np.array(0), DN, (1, 4)), Exception, "for one index"),
        (
            lambda: lax.gather(np.ones((3, 4)), np.zeros((2, 1), int), DN, (1,)),
            Exception,
            "one per",
        ),
        (
            lambda: lax.gather(np.ones((3, 4)), np.zeros((2, 1), int), DN, (2, 4)),
            Exception,
            "need slice size 1",
        ),
        (
            lambda: lax.gather(np.ones((3, 4)), np.zeros((2, 1), int), DN, (1, 5)),
            Exception,
            "does not fit",
        ),
        (
            lambda: lax.gather(np.ones((3, 4)), np.zeros((2, 1)), DN, (1, 4)),
            TypeError,
            "must be integers",
        ),
        (
            lambda: lax.gather(np.ones((3, 4)), np.zeros((2, 1), int), DN, (1, 4), mode="wrap"),
            ValueError,
            "unknown gather/scatter mode",
        ),
        (
            lambda: lax.scatter_add(
                np.ones((3, 4)), np.zeros((2, 1), int), np.ones((2, 4), np.float32), SDN
            ),
            TypeError,
            "operand's dtype",
        ),
        (
            lambda: lax.scatter_add(np.ones((3, 4)), np.zeros((2, 1), int), np.ones((3, 4)), SDN),
            Exception,
            "do not match",
        ),
    ],
)
def test_gather_scatter_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
