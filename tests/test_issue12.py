"""Regression tests for issue 12's defects, one test (or a few) per item, named after it.

Items 1-2 (complex norms and decompositions) are in ``test_issue12_linalg.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax

F32 = np.float32


# ----------------------------------------------------------------------------- item 7


def _square_with_rule():
    @ft.custom_jvp
    def sq(x):
        return x**2

    @sq.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return x**2, 2.0 * x * t

    return sq


def test_item7_custom_jvp_called_eagerly_with_a_python_float():
    sq = _square_with_rule()
    assert float(sq(3.0)) == 9.0
    assert float(ft.grad(sq)(3.0)) == 6.0
    assert float(ft.jit(sq)(3.0)) == 9.0
    # a Python float inside a traced function reaches the primitive as a literal argument
    assert float(ft.grad(lambda x: x * sq(3.0))(1.0)) == 9.0
    assert float(ft.grad(ft.grad(sq))(3.0)) == 2.0


def test_item7_python_if_in_custom_rules_under_eager_grad_and_jvp():
    @ft.custom_jvp
    def f(x):
        if x > 0:
            return fnp.sin(x)
        return x

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        if x > 0:
            return fnp.sin(x), fnp.cos(x) * t
        return x, t

    assert float(f(1.0)) == pytest.approx(np.sin(1.0))
    assert float(ft.grad(f)(1.0)) == pytest.approx(np.cos(1.0))
    assert float(ft.grad(f)(-1.0)) == 1.0
    _, t = ft.jvp(f, (1.0,), (2.0,))
    assert float(t) == pytest.approx(2 * np.cos(1.0))
    assert float(ft.grad(ft.grad(f))(1.0)) == pytest.approx(-np.sin(1.0))
    # under jit/vmap values are abstract: the error names the user's line
    with pytest.raises(ft.ConcretizationError, match="test_issue12.py"):
        ft.jit(f)(1.0)
    with pytest.raises(ft.ConcretizationError):
        ft.vmap(ft.grad(f))(np.ones(2))

    @ft.custom_vjp
    def g(x):
        return 2.0 * x if x > 0 else x

    g.defvjp(lambda x: (g(x), x), lambda r, ct: ((2.0 if r > 0 else 1.0) * ct,))
    assert float(ft.grad(g)(1.0)) == 2.0
    assert float(ft.grad(g)(-1.0)) == 1.0
    value, slope = ft.value_and_grad(g)(2.0)
    assert (float(value), float(slope)) == (4.0, 2.0)


# ----------------------------------------------------------------------------- item 8


def test_item8_weak_python_scalar_carries_take_the_body_dtype():
    assert float(lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0)) == 1.5
    assert float(ft.jit(lambda: lax.fori_loop(0, 3, lambda i, c: c + 0.5, 0))()) == 1.5
    # traced bounds: fori_loop becomes a while_loop
    assert float(ft.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + 0.5, 0))(3)) == 1.5
    carry, ys = lax.scan(lambda c, x: (c + x, c), 0, np.arange(3.0))
    assert carry.dtype == np.float64 and float(carry) == 3.0 and ys.tolist() == [0, 0, 1]
    assert float(lax.while_loop(lambda c: c < 2, lambda c: c + 0.5, 0)) == 2.0
    pair = lax.fori_loop(0, 3, lambda i, c: (c[0] + 0.5, c[1] + 1), (0, 0))
    assert (float(pair[0]), int(pair[1])) == (1.5, 3)
    assert np.asarray(pair[1]).dtype.kind == "i"
    # the weak carry takes the body's dtype as NumPy 2 promotes it (an int64 0-d array plus a
    # float32 is float64 there; JAX, which traces weak types, would keep float32)
    out = lax.fori_loop(0, 2, lambda i, c: (c + F32(0.5)).astype(F32), 0)
    assert out.dtype == F32 and float(out) == 1.0
    assert float(ft.grad(lambda x: lax.fori_loop(0, 3, lambda i, c: c + x, 0))(1.0)) == 3.0


def test_item8_array_carries_keep_their_dtype_and_the_error_names_both():
    with pytest.raises(ft.lax.CarryMismatchError, match=r"\[1\]: i64\[\] vs f64\[\]"):
        lax.fori_loop(0, 3, lambda i, c: c + 0.5, np.int64(0))
    with pytest.raises(ft.lax.CarryMismatchError, match=r"f64\[2\] vs f32\[2\]"):
        lax.scan(lambda c, x: (c.astype(F32), c), np.zeros(2), np.arange(3.0))


# ----------------------------------------------------------------------------- item 9


def test_item9_logsumexp_keeps_float32():
    x = np.array([1.0, 2.0, -np.inf], F32)
    assert ft.nn.logsumexp(x).dtype == F32
    assert ft.jit(ft.nn.logsumexp)(x).dtype == F32
    assert ft.nn.logsumexp(x, b=x, return_sign=True)[0].dtype == F32
    # and so a float32 scan carry through it stays float32
    carry, _ = lax.scan(lambda c, r: (c + ft.nn.logsumexp(r), None), F32(0), np.ones((3, 4), F32))
    assert carry.dtype == F32


def test_item9_logaddexp2_with_a_python_float_stays_float32():
    x = np.ones(3, F32)
    f = lambda x: fnp.logaddexp2(x, 2.0)
    for transformed in (f, ft.jit(f), ft.vmap(f)):
        assert transformed(x).dtype == F32
    assert ft.jit(lambda x: fnp.logaddexp2(2.0, x))(x).dtype == F32
    np.testing.assert_allclose(ft.jit(f)(x), np.logaddexp2(x, 2.0), rtol=1e-6)


@pytest.mark.parametrize(
    "f",
    [
        lambda m: m & True,
        lambda m: fnp.logical_and(m, True),
        lambda m: m == True,  # noqa: E712
        lambda m: m | False,
        lambda m: fnp.bitwise_xor(m, True),
    ],
    ids=["and", "logical_and", "eq", "or", "xor"],
)
def test_item9_traced_bool_with_a_python_bool(f):
    m = np.array([True, False])
    for transformed in (ft.jit(f), ft.vmap(f)):
        out = transformed(m)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, f(m))


# ----------------------------------------------------------------------------- item 10


def test_item10_abs_has_slope_one_at_zero_like_jax():
    assert float(ft.grad(fnp.abs)(0.0)) == 1.0
    assert float(ft.jit(ft.grad(fnp.abs))(0.0)) == 1.0
    np.testing.assert_array_equal(
        ft.grad(lambda x: fnp.sum(fnp.abs(x)))(np.array([0.0, -1.0, 2.0])), [1.0, -1.0, 1.0]
    )
    np.testing.assert_array_equal(ft.vmap(ft.grad(fnp.abs))(np.zeros(2)), [1.0, 1.0])
    assert float(ft.grad(ft.grad(fnp.abs))(0.0)) == 0.0
    assert float(ft.grad(lambda x: fnp.sqrt(fnp.abs(x)))(0.0)) == np.inf  # as JAX


# ----------------------------------------------------------------------------- item 11


@pytest.mark.parametrize(
    "fun",
    [ft.grad(lambda x: 0.0 * x), ft.grad(fnp.sin), lambda x: x, fnp.sin],
    ids=["zero-grad", "grad", "identity", "sin"],
)
def test_item11_checkpoint_returns_arrays_like_jit(fun):
    for transformed in (ft.checkpoint(fun), ft.checkpoint(ft.jit(fun)), ft.jit(fun)):
        out = transformed(1.0)
        assert type(out) is np.ndarray and out.shape == ()


# ----------------------------------------------------------------------------- item 13


def test_item13_pow_float_exponent_at_zero_matches_jax_in_every_order():
    # JAX: d/dx x**y = y * x**(y-1) for a float exponent, with no special case, so at x = 0
    # x**0.0 has NaN first and second derivatives and x**1.0 a NaN second derivative
    with np.errstate(all="ignore"):
        assert np.isnan(ft.grad(lambda x: x**0.0)(0.0))
        assert np.isnan(ft.grad(ft.grad(lambda x: x**0.0))(0.0))
        assert float(ft.grad(lambda x: x**1.0)(0.0)) == 1.0
        assert np.isnan(ft.grad(ft.grad(lambda x: x**1.0))(0.0))
        assert float(ft.grad(ft.grad(lambda x: x**2.0))(0.0)) == 2.0
        # an integer exponent is integer_pow: exactly zero derivatives
        assert float(ft.grad(lambda x: x**0)(0.0)) == 0.0
        assert float(ft.grad(ft.grad(lambda x: x**0))(0.0)) == 0.0


def test_item13_pow_matches_jax_at_zero():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    cases = [lambda x: x**0.0, lambda x: x**0.5, lambda x: x**1.0, lambda x: x**2.0]
    with np.errstate(all="ignore"):
        for f in cases:
            for order in (1, 2):
                g, h = f, f
                for _ in range(order):
                    g, h = ft.grad(g), jax.grad(h)
                np.testing.assert_array_equal(np.asarray(g(0.0)), np.asarray(h(0.0)))


# ----------------------------------------------------------------------------- item 12


@pytest.mark.parametrize(
    "subscripts, shapes",
    [
        ("...i,...i->...", [(2, 3), (3,)]),
        ("...i,...i", [(5, 1, 3), (2, 3)]),
        ("ij...,jk...->ik...", [(2, 3, 1), (3, 4, 6)]),
        ("...ii->...i", [(2, 3, 3)]),
        ("i...->...", [(3, 2)]),
    ],
)
def test_item12_einsum_ellipsis_under_every_transform(subscripts, shapes, rng):
    ops = [rng.normal(size=s) for s in shapes]
    f = lambda *o: fnp.einsum(subscripts, *o)
    ref = np.einsum(subscripts, *ops)
    for transformed in (f, ft.jit(f)):
        np.testing.assert_allclose(transformed(*ops), ref, rtol=1e-12)
    batched = ft.vmap(f)(*[np.stack([o, 2 * o]) for o in ops])
    np.testing.assert_allclose(batched[1], np.einsum(subscripts, *[2 * o for o in ops]))
    ft.numerical.check_grads(lambda *o: fnp.sum(fnp.sin(f(*o))), tuple(ops), order=2)


def test_item12_einsum_sublist_form_under_every_transform(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    f = lambda a, b: fnp.einsum(a, [0, 1], b, [1, 2], [0, 2])
    for transformed in (f, ft.jit(f)):
        np.testing.assert_allclose(transformed(a, b), a @ b, rtol=1e-12)
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(f(a, b)))(a), np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(ft.vmap(f, (0, None))(np.stack([a, a]), b)[1], a @ b)
    g = lambda a, b: fnp.einsum(a, [Ellipsis, 1], b, [1])
    np.testing.assert_allclose(ft.jit(g)(a, b[:, 0]), a @ b[:, 0])
    with pytest.raises(ValueError, match="sublist"):
        fnp.einsum(a, [0, 1], b)


# ----------------------------------------------------------------------------- item 3


def test_item3_reverse_over_vmap_over_reverse_through_a_batched_cond():
    f = lambda x: lax.cond(x < 1.0, fnp.log, fnp.log, x) ** 2
    v = np.array([0.5, 1.5])
    expected = 2 * (1 - np.log(v)) / v**2  # d/dx of 2 log(x) / x
    np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(ft.vmap(ft.grad(f))(v)))(v), expected)
    np.testing.assert_allclose(ft.jacrev(ft.vmap(ft.grad(f)))(v), np.diag(expected))
    np.testing.assert_allclose(ft.jacfwd(ft.vmap(ft.grad(f)))(v), np.diag(expected))
    np.testing.assert_allclose(
        ft.jit(ft.grad(lambda v: fnp.sum(ft.vmap(ft.grad(f))(v))))(v), expected
    )


def test_item3_nan_of_an_untaken_lane_never_reaches_a_gradient():
    # log of a negative lane is NaN in the branch that lane does not take
    g = lambda x: lax.cond(x > 0, fnp.log, lambda a: a, x)
    v = np.array([-0.5, 1.5])
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(ft.vmap(ft.grad(g))(v), [1.0, 1 / 1.5])
        np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(ft.vmap(g)(v)))(v), [1.0, 1 / 1.5])
        second = ft.grad(lambda v: fnp.sum(ft.vmap(ft.grad(g))(v)))(v)
    np.testing.assert_allclose(second, [0.0, -1 / 1.5**2])
    # an unbatched operand shared by all lanes (w) gets no NaN either: lane 1 takes the second
    # branch; the first one, log of its negative entries, is NaN there
    w = np.array([1.0, 2.0])

    def h(x, w):
        return lax.cond(x[0] > 0, lambda a: fnp.log(a) * w, lambda a: fnp.log(a * a) * w, x)

    xs = np.array([[1.0, 2.0], [-1.0, 3.0]])
    with np.errstate(invalid="ignore"):
        gw = ft.grad(lambda w: fnp.sum(ft.vmap(h, (0, None))(xs, w)))(w)
    np.testing.assert_allclose(gw, np.log(xs[0]) + np.log(xs[1] ** 2))


# ----------------------------------------------------------------------------- item 4


def test_item4_hessian_of_a_jitted_cond_with_a_nonlinear_untaken_branch():
    f = lambda x: lax.cond(x > 0, lambda a: a, lambda a: a * fnp.sum(a), x)
    assert float(ft.hessian(ft.jit(f))(0.5)) == 0.0
    assert float(ft.hessian(ft.jit(f))(-0.5)) == 2.0
    assert float(ft.jit(ft.hessian(f))(-0.5)) == 2.0
    # literal outputs of compiled programs (zero-filled residuals) are arrays of their dtype
    out = ft.jit(lambda x: (x, 0.0))(np.float32(1.0))
    assert all(type(o) is np.ndarray for o in out)


# ----------------------------------------------------------------------------- item 5


def test_item5_jitted_scan_body_closing_over_a_grad_tracer():
    loss = lambda w: lax.scan(ft.jit(lambda c, x: (c * w + x, c)), 1.0, fnp.arange(3.0))[0]
    # c3 = w^3 + w + 2 (from c0 = 1, c_{k+1} = c_k w + k): dc3/dw = 3 w^2 + 1
    for w in (0.5, 2.0):
        assert float(ft.grad(loss)(w)) == pytest.approx(3 * w**2 + 1)
        assert float(ft.jit(ft.grad(loss))(w)) == pytest.approx(3 * w**2 + 1)
    np.testing.assert_allclose(ft.vmap(ft.grad(loss))(np.array([0.5, 2.0])), [1.75, 13.0])
    # the plain case: a jitted function closing over a traced value is not cached with it
    scale = ft.jit(lambda x: x)
    assert float(ft.grad(lambda w: ft.jit(lambda x: x * w)(2.0))(1.0)) == 2.0
    assert float(ft.hessian(lambda w: ft.jit(lambda x: x * w * w)(w))(1.0)) == 6.0
    assert float(scale(3.0)) == 3.0


# ----------------------------------------------------------------------------- item 6


def _unbounded(x):
    return lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x)


@pytest.mark.parametrize(
    "use",
    [
        lambda y: ft.stop_gradient(y),
        lambda y: fnp.where(y > 5.0, 1.0, 0.0),
        lambda y: fnp.floor(y),
        lambda y: 0.0,
    ],
    ids=["stop_gradient", "compared", "floored", "dead"],
)
def test_item6_unbounded_while_without_a_cotangent_needs_no_backward_pass(use):
    f = lambda x: 2.0 * x + use(_unbounded(x))
    assert float(ft.grad(f)(0.7)) == 2.0
    assert float(ft.jit(ft.grad(f))(0.7)) == 2.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(np.array([0.7, 3.0])), [2.0, 2.0])


def test_item6_linearize_of_an_unbounded_while_loop():
    y, f_lin = ft.linearize(_unbounded, 0.7)
    assert float(y) == pytest.approx(11.2) and float(f_lin(1.0)) == 16.0
    assert float(ft.jit(lambda x: ft.linearize(_unbounded, x)[1](1.0))(0.7)) == 16.0
    # transposing it is still the clear error
    with pytest.raises(ft.lax.WhileLoopReverseError, match="max_steps"):
        ft.grad(_unbounded)(0.7)
    with pytest.raises(ft.lax.WhileLoopReverseError, match="max_steps"):
        ft.jit(ft.grad(_unbounded))(0.7)


# ------------------------------------------------- found by the fuzzer (tests/fuzz/FINDINGS.md)


def test_fuzz_weak_float_loop_carry_in_a_float32_body_stays_float32():
    x32 = np.ones(3, F32)
    cases = [
        lambda x: lax.fori_loop(0, 3, lambda i, c: c + fnp.sum(x), 0.0),
        lambda x: lax.while_loop(lambda c: c < 2, lambda c: c + x[0], 0.0),
        lambda x: lax.scan(lambda c, v: (c * v, c), 1.0, x)[0],
    ]
    for f in cases:
        assert f(x32).dtype == F32
        assert ft.jit(f)(x32).dtype == F32
        assert ft.jvp(f, (x32,), (x32,))[1].dtype == F32
    # a pure-Python or float64 body keeps the weak float as float64, as JAX does
    assert lax.fori_loop(0, 3, lambda i, c: c * 2.0, 1.0).dtype == np.float64
    assert cases[0](np.ones(3)).dtype == np.float64


def test_fuzz_custom_jvp_of_a_python_float_stays_weak():
    sq = _square_with_rule()
    x32 = np.ones(3, F32)
    f = lambda x: fnp.sum(x * sq(0.95))
    assert f(x32).dtype == F32
    assert ft.value_and_grad(f)(x32)[1].dtype == F32
    assert ft.jvp(f, (x32,), (x32,))[1].dtype == F32
    assert ft.jit(f)(x32).dtype == F32


def test_fuzz_weak_int_carry_promoted_by_a_float32_body_becomes_float32():
    # seed 5762 of the long run: 0 (weak int) * 0.5 + sin(float32) is float32 in JAX
    x0 = np.float32(-0.1)
    f = lambda x: fnp.stack([x, lax.fori_loop(0, 1, lambda i, c: c * 0.5 + fnp.sin(x), 0)])
    assert f(x0).dtype == F32
    assert ft.jacrev(f)(x0).dtype == F32
    assert ft.jit(ft.jacrev(f))(x0).dtype == F32


def test_fuzz_spectral_norm_of_a_zero_complex_matrix_has_finite_second_derivatives():
    # fuzzer long run, seed 328: repeated singular values (a zero matrix) made the SVD JVP put
    # inf in the singular-vector tangents, and the vjp of that jvp turned 0 * inf into NaN;
    # as JAX, the gaps of repeated singular values now count 0
    def f(x):
        z = x - x
        return fnp.linalg.norm(z + 1j * z, ord=2)

    x = np.array([[0.35, -0.89], [-0.80, 0.73]])
    g = ft.jacfwd(ft.grad(f))(x)
    h = ft.jacrev(ft.jacfwd(f))(x)
    assert np.isfinite(g).all() and np.isfinite(h).all()
