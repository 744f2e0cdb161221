"""ftrans.numpy.linalg beyond the registry: errors (what, where, the fix), singular matrices
under every transform, special points (norms at 0, repeated eigenvalues), registry completeness,
and hypothesis over batch shapes and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from registry import SPECS
from registry_linalg import SING, SPD, SYM, WELL, fix_columns, fix_svd, linalg_functions_with_specs
from spec import Spec
from test_registry import value_and_dot

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.numpy import linalg as LA

LinAlgError = np.linalg.LinAlgError


# ----------------------------------------------------------------------------- completeness


def public_linalg_functions() -> list[str]:
    return sorted(
        name
        for name in LA.__all__
        if callable(getattr(LA, name)) and not isinstance(getattr(LA, name), type)
    )


@pytest.mark.parametrize("name", public_linalg_functions())
def test_linalg_function_has_spec(name):
    assert name in linalg_functions_with_specs(), (
        f"ftrans.numpy.linalg.{name} has no spec in tests/registry_linalg.py"
    )


def test_solve_triangular_has_spec():
    assert "solve_triangular" in linalg_functions_with_specs("lax.linalg")


def test_linalg_specs_are_in_the_registry():
    names = {s.name for s in SPECS}
    assert any(n.startswith("fnp.linalg:") for n in names)
    assert "prim:cholesky" in names and "prim:triangular_solve[blocked,lower=True]" in names


def test_fnp_linalg_is_the_module():
    assert fnp.linalg is LA
    assert LA.LinAlgError is np.linalg.LinAlgError
    assert lax.linalg.solve_triangular is not None


# ----------------------------------------------------------------------------- shape errors


def test_non_square_names_function_argument_shape_and_fix():
    for f in (LA.solve, LA.inv, LA.det, LA.slogdet, LA.cholesky, LA.eigh, LA.eigvalsh):
        args = (np.ones((2, 3)), np.ones(2)) if f is LA.solve else (np.ones((2, 3)),)
        for run in (f, ft.jit(f)):
            with pytest.raises(ft.ShapeError) as info:
                run(*args)
            msg = str(info.value)
            assert f.__name__ in msg and "(2, 3)" in msg and "square" in msg, msg
            assert "test_linalg.py" in msg, msg
    with pytest.raises(ft.ShapeError, match="lstsq .least squares. or pinv"):
        LA.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ft.ShapeError, match="use pinv"):
        LA.inv(np.ones((2, 3)))


def test_vector_where_matrix_expected():
    with pytest.raises(ft.ShapeError, match=r"a must be a matrix.*shape \(3,\).*a\[None, :\]"):
        LA.inv(np.ones(3))
    with pytest.raises(ft.ShapeError, match=r"svd: a must be a matrix"):
        ft.grad(lambda x: LA.svd(x, compute_uv=False).sum())(np.ones(3))


def test_solve_mismatched_b_names_both_shapes():
    a = np.eye(3)
    for b in (np.ones(4), np.ones((4, 2)), np.ones(())):
        for run in (LA.solve, ft.jit(LA.solve)):
            with pytest.raises(ft.ShapeError) as info:
                run(a, b)
            msg = str(info.value)
            assert f"b {b.shape}" in msg and "a (3, 3)" in msg and "length 3" in msg, msg
    with pytest.raises(ft.ShapeError, match=r"leading \(batch\) dimensions of a \(2, 3, 3\)"):
        ft.jit(LA.solve)(np.ones((2, 3, 3)), np.ones((4, 3, 1)))


def test_lstsq_multi_dot_matrix_power_errors():
    with pytest.raises(ft.ShapeError, match=r"lstsq: a must be one matrix.*\(2, 3, 3\).*pinv"):
        LA.lstsq(np.ones((2, 3, 3)), np.ones(3))
    with pytest.raises(ft.ShapeError, match=r"lstsq: b \(4,\) does not fit a \(3, 2\)"):
        ft.jit(LA.lstsq)(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ft.ShapeError, match=r"array 0 \(2, 3\) and array 1 \(4, 2\).*3 != 4"):
        ft.jit(lambda a, b: LA.multi_dot([a, b]))(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ft.ShapeError, match=r"array 1 has shape \(3,\)"):
        LA.multi_dot([np.ones((2, 3)), np.ones(3), np.ones((3, 2))])
    with pytest.raises(ValueError, match="at least two arrays"):
        LA.multi_dot([np.ones((2, 2))])
    with pytest.raises(TypeError, match=r"exponent must be an integer, got 1.5"):
        LA.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ft.ShapeError, match=r"tensorinv: a of shape \(2, 3\) with ind=1"):
        LA.tensorinv(np.ones((2, 3)), ind=1)
    with pytest.raises(ft.ShapeError, match=r"tensorsolve: a \(4, 3\) and b \(4,\)"):
        ft.jit(LA.tensorsolve)(np.ones((4, 3)), np.ones(4))


def test_norm_errors_list_valid_orders():
    with pytest.raises(ValueError, match=r"invalid order 'fro' for vectors.*inf, -inf, 0"):
        ft.jit(lambda x: LA.norm(x, "fro"))(np.ones(3))
    with pytest.raises(ValueError, match=r"invalid order 3 for matrices.*'nuc'"):
        ft.jit(lambda x: LA.norm(x, 3))(np.ones((2, 2)))
    with pytest.raises(
        ft.ShapeError, match=r"ord=2 needs a vector.*\(2, 2, 2\).*axis=\(row, col\)"
    ):
        LA.norm(np.ones((2, 2, 2)), 2)
    with pytest.raises(ValueError, match="duplicate axes"):
        LA.norm(np.ones((2, 2)), axis=(0, -2))


def test_mode_and_option_errors():
    with pytest.raises(ValueError, match=r"unrecognized mode 'full'.*'reduced'"):
        LA.qr(np.eye(2), "full")
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        LA.eigh(np.eye(2), UPLO="X")
    with pytest.raises(ft.UnsupportedError, match="hermitian=False"):
        ft.jit(lambda x: LA.svd(x, hermitian=True))(np.eye(2))
    with pytest.raises(ft.UnsupportedError, match="mode='reduced'"):
        ft.jit(lambda x: LA.qr(x, "raw"))(np.eye(2))
    with pytest.raises(TypeError, match="float16 is not supported by LAPACK"):
        ft.jit(LA.inv)(np.eye(2, dtype=np.float16))
    with pytest.raises(ValueError, match="trans must be"):
        lax.linalg.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(ft.ShapeError, match=r"solve_triangular: b \(3,\) does not fit a \(2, 2\)"):
        lax.linalg.solve_triangular(np.eye(2), np.ones(3))


def test_derivatives_that_do_not_exist_say_why_and_what_to_use():
    x = SING(np.random.default_rng(0), (4, 3), np.float64)
    with pytest.raises(ft.UnsupportedError, match="full_matrices=False"):
        ft.grad(lambda a: LA.svd(a)[0].sum())(x)
    with pytest.raises(ft.UnsupportedError, match="mode='reduced'"):
        ft.grad(lambda a: LA.qr(a, "complete")[0].sum())(x)
    # the same functions are differentiable where the derivative exists
    ft.grad(lambda a: LA.svd(a, full_matrices=False)[1].sum())(x)
    ft.grad(lambda a: LA.svd(a, compute_uv=False).sum())(x)
    ft.grad(lambda a: LA.qr(a)[1].sum())(x)


# ----------------------------------------------------------------------------- singular matrices


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


@pytest.mark.parametrize("name", ["solve", "inv"])
def test_singular_matrix_raises_linalgerror_with_shape_in_every_mode(name):
    b = np.ones(2)

    def f(a):
        out = LA.solve(a, b) if name == "solve" else LA.inv(a)
        return fnp.sum(out)

    runs = {
        "eager": f,
        "grad": ft.grad(f),
        "jit": ft.jit(f),
        "jit(grad)": ft.jit(ft.grad(f)),
        "vmap": ft.vmap(f),
        "jvp": lambda a: ft.jvp(f, (a,), (np.ones_like(a),)),
    }
    for what, run in runs.items():
        a = SINGULAR[None] if what == "vmap" else SINGULAR
        with pytest.raises(LinAlgError) as info:
            run(a)
        msg = str(info.value)
        assert "ingular matrix" in msg and ("solve" in msg or name in msg), (what, msg)
        assert str(a.shape) in msg and "use lstsq" in msg, (what, msg)


def test_singular_in_a_batch_names_the_stack_shape():
    stack = np.stack([np.eye(2), SINGULAR])
    with pytest.raises(LinAlgError, match=r"\(2, 2, 2\)"):
        LA.inv(stack)
    with pytest.raises(LinAlgError, match=r"\(2, 2, 2\)"):
        ft.jit(LA.inv)(stack)


def test_det_of_singular_matrix_is_zero_but_its_derivative_raises():
    assert LA.det(SINGULAR) == 0.0
    assert ft.jit(LA.det)(SINGULAR) == 0.0
    sign, logabsdet = ft.jit(LA.slogdet)(SINGULAR)
    assert sign == 0.0 and logabsdet == -np.inf
    with pytest.raises(LinAlgError, match="derivative of slogdet/det at a singular matrix"):
        ft.grad(LA.det)(SINGULAR)
    with pytest.raises(LinAlgError, match=r"ingular matrix \(matrix of shape \(2, 2\)\)"):
        ft.jit(ft.grad(LA.det))(SINGULAR)


def test_not_positive_definite_names_shape():
    for run in (LA.cholesky, ft.jit(LA.cholesky), ft.grad(lambda a: LA.cholesky(a).sum())):
        with pytest.raises(LinAlgError, match=r"not positive definite.*\(2, 2\).*jitter"):
            run(-np.eye(2))


def test_zero_on_the_diagonal_of_a_triangular_matrix():
    a = np.tril(np.ones((3, 3)))
    a[1, 1] = 0
    with pytest.raises(LinAlgError, match=r"triangular_solve.*zero on the diagonal.*\(3, 3\)"):
        lax.linalg.solve_triangular(a, np.ones(3), lower=True)


# ----------------------------------------------------------------------------- special points


@pytest.mark.parametrize(
    "norm",
    [
        lambda x: LA.norm(x),
        lambda x: LA.norm(x, 2),
        lambda x: LA.norm(x, 3),
        lambda x: LA.vector_norm(x),
        lambda x: LA.norm(x.reshape(2, 2), "fro"),
        lambda x: LA.norm(x.reshape(2, 2), axis=1).sum(),
    ],
)
def test_norm_has_zero_subgradient_at_the_origin(norm):
    zero = np.zeros(4)
    for g in (ft.grad(norm)(zero), ft.jit(ft.grad(norm))(zero)):
        assert np.all(np.isfinite(g)) and np.all(g == 0), g
    assert np.all(ft.jvp(norm, (zero,), (np.ones(4),))[1] == 0)
    assert np.all(ft.hessian(norm)(zero) == 0)  # finite second derivative too
    x = np.array([3.0, 0.0, -4.0, 0.0])  # away from 0 nothing changes
    np.testing.assert_allclose(ft.grad(lambda v: LA.norm(v))(x), x / 5.0)


def test_repeated_eigenvalues_eigenvalue_gradients_are_fine():
    a = np.diag([1.0, 1.0, 2.0])
    want = np.diag([2.0, 2.0, 4.0])  # d/da sum(w**2) = 2 V diag(w) Vᵀ = 2a
    for f in (
        lambda m: fnp.sum(LA.eigvalsh(m) ** 2),
        lambda m: fnp.sum(LA.eigh(m)[0] ** 2),
    ):
        for g in (ft.grad(f)(a), ft.jit(ft.grad(f))(a)):
            np.testing.assert_allclose(g, want, atol=1e-12)


def test_repeated_eigenvalues_eigenvector_gradients_are_undefined():
    a = np.diag([1.0, 1.0, 2.0])

    def f(m):
        return fnp.sum(LA.eigh(m)[1] ** 3)

    with np.errstate(invalid="ignore"):
        g = ft.grad(f)(a)
    assert not np.all(np.isfinite(g))
    # distinct eigenvalues: finite and right
    b = np.diag([1.0, 1.5, 2.0]) + 0.1
    ft.numerical.check_grads(f, (b,), order=1)


def test_slogdet_does_not_overflow_where_det_does():
    a = 10.0 * np.eye(400)
    with np.errstate(over="ignore"):
        assert LA.det(a) == np.inf  # NumPy's own det overflows
    sign, logabsdet = ft.jit(LA.slogdet)(a)
    assert sign == 1.0 and np.isclose(logabsdet, 400 * np.log(10.0))
    np.testing.assert_allclose(ft.grad(lambda m: LA.slogdet(m)[1])(a), np.eye(400) / 10.0)


def test_symmetric_inputs_give_symmetric_gradients():
    rng = np.random.default_rng(1)
    s = SPD(rng, (4, 4), np.float64)
    for f in (
        lambda m: fnp.sum(LA.cholesky(m) ** 3),
        lambda m: fnp.sum(LA.eigvalsh(m) ** 3),
    ):
        g = ft.grad(f)(s)
        np.testing.assert_allclose(g, g.T, atol=1e-12)


def test_jit_runs_lapack_once_per_decomposition():
    a = WELL(np.random.default_rng(0), (5, 5), np.float64)
    text = ft.jit(lambda m: LA.slogdet(m)[1], backend="numpy").lower(a).as_text()
    assert text.count("p_slogdet(") == 1
    text = ft.jit(ft.grad(lambda m: LA.slogdet(m)[1]), backend="numpy").lower(a).as_text()
    assert text.count("p_solve(") == 1  # the gradient a⁻ᵀ; the value is dead code


def test_lstsq_matches_numpy_rank_deficient_and_under_jit():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 3))  # rank 2 of 3
    b = rng.standard_normal(5)
    x, res, rank, _ = LA.lstsq(a, b)
    xg, resg, rankg, _ = ft.jvp(lambda m: LA.lstsq(m, b), (a,), (np.ones_like(a),))[0]
    np.testing.assert_allclose(xg, x, atol=1e-10)
    assert res.shape == resg.shape == (0,) and rankg == rank == 2
    # under jit the rank is not known while tracing: residuals are computed whenever m > n
    _, resj, rankj, _ = ft.jit(lambda m: LA.lstsq(m, b))(a)
    assert resj.shape == (1,) and rankj == 2


# ----------------------------------------------------------------------------- hypothesis

_SHAPES = st.tuples(
    st.lists(st.integers(1, 3), max_size=2).map(tuple),  # batch dimensions
    st.integers(1, 5),  # n
)


def _spec(name):
    return Spec(name, "numpy", "linalg", None, None, (), order=1)


def _check(name, f, reference, args, seed):
    value_and_dot(_spec(name), f, reference, args, np.random.default_rng(seed))


@given(shapes=_SHAPES, k=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_solve_det_inv(shapes, k, seed):
    lead, n = shapes
    rng = np.random.default_rng(seed)
    a = WELL(rng, (*lead, n, n), np.float64)
    b = rng.standard_normal((*lead, n, k))
    _check("solve", fnp.linalg.solve, np.linalg.solve, (a, b), seed)
    _check("inv", fnp.linalg.inv, np.linalg.inv, (a,), seed)
    _check("det", fnp.linalg.det, np.linalg.det, (a,), seed)


@given(shapes=_SHAPES, seed=st.integers(0, 2**32 - 1))
def test_hypothesis_symmetric_decompositions(shapes, seed):
    lead, n = shapes
    rng = np.random.default_rng(seed)
    spd = SPD(rng, (*lead, n, n), np.float64)
    sym = SYM(rng, (*lead, n, n), np.float64)
    _check("cholesky", fnp.linalg.cholesky, np.linalg.cholesky, (spd,), seed)
    _check("eigvalsh", fnp.linalg.eigvalsh, np.linalg.eigvalsh, (sym,), seed)

    def eigh(xp, L):
        return lambda x: (lambda w, v: (w, fix_columns(xp, v)))(*L.eigh(x))

    _check("eigh", eigh(fnp, fnp.linalg), eigh(np, np.linalg), (sym,), seed)


@given(shapes=_SHAPES, m=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_rectangular_decompositions(shapes, m, seed):
    lead, n = shapes
    x = SING(np.random.default_rng(seed), (*lead, m, n), np.float64)

    def svd(xp, L):
        return lambda a: fix_svd(xp, *L.svd(a, full_matrices=False))

    _check("svd", svd(fnp, fnp.linalg), svd(np, np.linalg), (x,), seed)
    _check("qr", lambda a: tuple(fnp.linalg.qr(a)), lambda a: tuple(np.linalg.qr(a)), (x,), seed)
    _check("pinv", fnp.linalg.pinv, np.linalg.pinv, (x,), seed)
