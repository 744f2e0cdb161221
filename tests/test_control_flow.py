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


# ----------------------------------------------------------------------------- scan


def rnn_loss(params, xs, h0):
    w, u, b = params["w"], params["u"], params["b"]

    def cell(h, x):
        h = fnp.tanh(h @ w + x @ u + b)
        return h, fnp.sum(h**2)

    h, ys = ft.lax.scan(cell, h0, xs)
    return fnp.sum(h) + fnp.mean(ys)


def rnn_loss_unrolled(params, xs, h0):
    h, ys = h0, []
    for x in xs:
        h = fnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
        ys.append(fnp.sum(h**2))
    return fnp.sum(h) + fnp.mean(fnp.stack(ys))


@pytest.fixture
def rnn_setup():
    rng = np.random.default_rng(0)
    params = {
        "w": rng.normal(size=(4, 4)) * 0.5,
        "u": rng.normal(size=(3, 4)) * 0.5,
        "b": rng.normal(size=4) * 0.1,
    }
    return params, rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4))


def test_rnn_scan_gradients_match_unrolled_and_numerical(rnn_setup):
    params, xs, h0 = rnn_setup
    want = ft.grad(rnn_loss_unrolled)(params, xs, h0)
    for f in (ft.grad(rnn_loss), ft.jit(ft.grad(rnn_loss)), ft.grad(ft.jit(rnn_loss))):
        got = f(params, xs, h0)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-12)
    ft.numerical.check_grads(lambda p: rnn_loss(p, xs, h0), (params,), order=2)
    ft.numerical.check_grads(lambda x, h: rnn_loss(params, x, h), (xs, h0), order=1)


def test_per_example_gradients_through_scan(rnn_setup):
    params, xs, h0 = rnn_setup
    batch = np.stack([xs, xs * 0.5, -xs])
    per_example = ft.vmap(ft.grad(rnn_loss), in_axes=(None, 0, None))(params, batch, h0)
    for i in range(3):
        one = ft.grad(rnn_loss)(params, batch[i], h0)
        np.testing.assert_allclose(per_example["w"][i], one["w"], rtol=1e-10, atol=1e-12)


def test_scan_saves_loop_invariant_residuals_once(rnn_setup):
    # w is used in every step, but the backward pass must not stack 6 copies of it
    params, xs, h0 = rnn_setup
    sizes = [r.shape for r in ft.saved_residuals(rnn_loss, params, xs, h0)]
    assert (6, 4, 4) not in sizes and (6, 3, 4) not in sizes


def rk4(f, y0, t1, steps):
    dt = t1 / steps

    def step(y, _):
        k1 = f(y)
        k2 = f(y + dt / 2 * k1)
        k3 = f(y + dt / 2 * k2)
        k4 = f(y + dt * k3)
        return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    return ft.lax.scan(step, y0, None, length=steps)[0]


def test_differentiable_ode_solve_rk4():
    # y' = -k y has y(t) = y0 exp(-k t): d y(1) / dk = -y0 exp(-k)
    solve = lambda k, y0: rk4(lambda y: -k * y, y0, 1.0, 50)
    y0 = np.array([1.0, 2.0])
    np.testing.assert_allclose(solve(0.7, y0), y0 * np.exp(-0.7), rtol=1e-9)
    dk = ft.grad(lambda k: fnp.sum(solve(k, y0)))(0.7)
    np.testing.assert_allclose(dk, -np.sum(y0) * np.exp(-0.7), rtol=1e-8)
    # a nonlinear system (pendulum) against finite differences, in every mode
    pendulum = lambda p: rk4(
        lambda y: fnp.stack([y[1], -p[0] * fnp.sin(y[0]) - p[1] * y[1]]),
        np.array([1.0, 0.0]),
        2.0,
        40,
    )
    ft.numerical.check_grads(pendulum, (np.array([9.8, 0.3]),), order=2)
    ft.numerical.check_grads(ft.jit(pendulum), (np.array([9.8, 0.3]),), order=1)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3, True])
def test_scan_matches_python_loop(reverse, unroll):
    xs = {"a": np.arange(10.0).reshape(5, 2), "b": np.linspace(0, 1, 5)}

    def f(c, x):
        c = c * 0.9 + x["a"] * x["b"]
        return c, (c.sum(), x["b"] * 2)

    carry, (s, b2) = ft.lax.scan(f, np.ones(2), xs, reverse=reverse, unroll=unroll)
    c, ss = np.ones(2), [None] * 5
    for i in reversed(range(5)) if reverse else range(5):
        c = c * 0.9 + xs["a"][i] * xs["b"][i]
        ss[i] = c.sum()
    np.testing.assert_allclose(carry, c)
    np.testing.assert_allclose(s, ss)
    np.testing.assert_allclose(b2, xs["b"] * 2)
    jitted = ft.jit(lambda xs: ft.lax.scan(f, np.ones(2), xs, reverse=reverse, unroll=unroll))
    np.testing.assert_allclose(jitted(xs)[0], c)


def test_scan_zero_length_and_no_outputs():
    carry, ys = ft.lax.scan(lambda c, x: (c + x, c * x), 1.0, np.zeros((0,)))
    assert float(carry) == 1.0 and ys.shape == (0,)
    carry, ys = ft.lax.scan(lambda c, _: (c * 2.0, None), 1.0, None, length=3)
    assert float(carry) == 8.0 and ys is None


def test_jit_scan_runs_compiled_body_in_generated_loop():
    f = ft.jit(lambda h, xs: ft.lax.scan(lambda c, x: (fnp.tanh(c + x), c), h, xs))
    text = f.lower(np.zeros(3), np.zeros((4, 3))).as_text()
    assert "for _i in range(4):" in text and "p_scan" not in text  # a loop, not the interpreter
    g = ft.jit(lambda x: ft.lax.while_loop(lambda v: v < 9.0, lambda v: v * 2.0, x))
    assert "while f0(" in g.lower(1.0).as_text()
    h = ft.jit(lambda p, x: ft.lax.cond(p, fnp.sin, fnp.cos, x))
    assert "p_cond" not in h.lower(True, 1.0).as_text()
    program = ft.make_jaxpr(lambda h, xs: ft.lax.scan(lambda c, x: (fnp.tanh(c + x), c), h, xs))(
        np.zeros(3), np.zeros((4, 3))
    )
    (eqn,) = program.eqns
    assert eqn.primitive.name == "scan" and eqn.params["length"] == 4


def test_carry_mismatch_shows_both_with_paths():
    with pytest.raises(ft.lax.CarryMismatchError) as info:
        ft.lax.scan(
            lambda c, x: ({"h": c["h"], "n": c["n"] + x}, None),
            {"h": 0.0, "n": np.int64(0)},  # an array: its dtype is never changed (a weak 0 is)
            np.ones(3),
        )
    msg = str(info.value)
    assert "['n']: i64[] vs f64[]" in msg and "0.0 rather than 0" in msg
    assert "test_control_flow.py" in msg  # the user's line
    with pytest.raises(ft.lax.CarryMismatchError, match=r"f64\[3\] vs f64\[4\]"):
        ft.lax.scan(lambda c, x: (fnp.concatenate([c, x[:1]]), None), np.zeros(3), np.ones((2, 1)))


def test_scan_length_errors():
    with pytest.raises(ValueError, match=r"xs\['a'\] has 3, xs\['b'\] has 4"):
        ft.lax.scan(lambda c, x: (c, None), 0.0, {"a": np.ones(3), "b": np.ones(4)})
    with pytest.raises(ValueError, match="pass length="):
        ft.lax.scan(lambda c, x: (c, None), 0.0, None)
    with pytest.raises(ValueError, match="length=5"):
        ft.lax.scan(lambda c, x: (c, None), 0.0, np.ones(3), length=5)
    with pytest.raises(TypeError, match=r"pair \(new_carry, y\)"):
        ft.lax.scan(lambda c, x: c, 0.0, np.ones(3))


# ----------------------------------------------------------------------------- while / fori


def test_unbounded_while_forward_mode_and_reverse_mode_error():
    def halve_until_small(x):
        return ft.lax.while_loop(lambda v: fnp.sum(v * v) > 1.0, lambda v: v * 0.5, x)

    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(halve_until_small(x), x / 8)
    _, t = ft.jvp(halve_until_small, (x,), (np.ones(2),))
    np.testing.assert_allclose(t, np.ones(2) / 8)
    np.testing.assert_allclose(ft.jacfwd(halve_until_small)(x), np.eye(2) / 8)
    with pytest.raises(ft.lax.WhileLoopReverseError) as info:
        ft.grad(lambda x: fnp.sum(halve_until_small(x)))(x)
    msg = str(info.value)
    assert "max_steps" in msg and "<lambda>" in msg and "test_control_flow.py" in msg


def test_bounded_while_reverse_mode_and_the_bound_applies():
    f = lambda x, n: ft.lax.while_loop(lambda v: v < 100.0, lambda v: v * 2.0, x, max_steps=n)
    assert float(f(3.0, 50)) == 192.0
    assert float(f(3.0, 2)) == 12.0  # stops at max_steps, also in the forward pass
    assert float(ft.grad(f)(3.0, 50)) == 64.0
    assert float(ft.jit(ft.grad(f), static_argnums=1)(3.0, 50)) == 64.0
    assert float(ft.grad(f)(3.0, 2)) == 4.0


def test_while_batched_predicate_runs_each_lane_to_its_own_end():
    f = lambda x: ft.lax.while_loop(lambda v: v < 10.0, lambda v: v * 3.0, x, max_steps=20)
    xs = np.array([0.5, 2.0, 20.0, 9.0])
    want = np.array([13.5, 18.0, 20.0, 27.0])
    np.testing.assert_allclose(ft.vmap(f)(xs), want)
    np.testing.assert_allclose(ft.jit(ft.vmap(f))(xs), want)
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(xs), [27.0, 9.0, 1.0, 3.0])


def test_fori_loop_static_and_traced_bounds():
    power = lambda x, n: ft.lax.fori_loop(0, n, lambda i, v: v * x, 1.0)
    assert float(power(2.0, 5)) == 32.0 and float(ft.grad(power)(2.0, 5)) == 80.0
    traced = ft.jit(power)  # n traced: a while loop (forward mode only)
    assert float(traced(2.0, 5)) == 32.0
    assert float(ft.jvp(lambda x: traced(x, 5), (2.0,), (1.0,))[1]) == 80.0
    indexed = ft.lax.fori_loop(0, 4, lambda i, acc: acc + fnp.take(np.arange(4.0), i) * i, 0.0)
    assert float(indexed) == 14.0


def test_while_errors():
    with pytest.raises(TypeError, match="scalar bool"):
        ft.lax.while_loop(lambda v: v, lambda v: v, np.ones(2))
    with pytest.raises(ft.lax.CarryMismatchError, match="f64"):
        ft.lax.while_loop(lambda v: v < 3, lambda v: v + 1.5, np.int64(0))
    with pytest.raises(TypeError, match="max_steps"):
        ft.lax.while_loop(lambda v: v < 3, lambda v: v + 1, 0, max_steps=2.5)


def test_cond_pred_errors():
    with pytest.raises(TypeError, match="scalar"):
        ft.lax.cond(np.array([True, False]), lambda v: v, lambda v: v, 1.0)
    with pytest.raises(TypeError, match="compare first"):
        ft.lax.cond(0.5, lambda v: v, lambda v: v, 1.0)
    with pytest.raises(TypeError, match="true_fun"):
        ft.lax.cond(True, 1.0, lambda v: v, 1.0)


def test_nested_control_flow_under_every_transform():
    def f(x):
        def body(c, xi):
            c = ft.lax.cond(xi > 0, lambda v: v * xi, lambda v: v - xi, c)
            return c, ft.lax.fori_loop(0, 2, lambda i, a: a * c, 1.0)

        return ft.lax.scan(body, x, np.array([0.5, -1.0, 2.0]))

    def ref(x):
        c, ys = x, []
        for xi in [0.5, -1.0, 2.0]:
            c = c * xi if xi > 0 else c - xi
            ys.append(c * c)
        return c, np.stack(ys)

    for x in (0.3, 1.7):
        np.testing.assert_allclose(f(x)[0], ref(x)[0])
        np.testing.assert_allclose(ft.jit(f)(x)[1], ref(x)[1])
    g = ft.grad(lambda x: fnp.sum(f(x)[1]))
    np.testing.assert_allclose(ft.vmap(g)(np.array([0.3, 1.7])), [g(0.3), g(1.7)])
    ft.numerical.check_grads(lambda x: f(x)[1], (np.array(0.3),), order=2)


# ----------------------------------------------------------------------------- bodies built from
# the registry: every unary elementwise primitive inside a scan body, against a Python loop


def _unary_specs():
    """Registry specs of one (2, 3) float argument whose output has the same type: they can be
    a scan body's carry update."""
    from registry import SPECS

    picked = []
    for s in SPECS:
        if s.kind != "primitive" or len(s.args) != 1 or s.args[0].shape != (2, 3) or s.order < 1:
            continue
        if s.target in ("cond", "scan", "while", "remat", "custom_jvp_call", "custom_vjp_call"):
            continue
        x = s.make_args(np.random.default_rng(0))[0]
        out = s.fun(x)
        if (
            x.dtype.kind == "f"
            and isinstance(out, np.ndarray)
            and (out.shape, out.dtype)
            == (
                x.shape,
                x.dtype,
            )
        ):
            picked.append(s)
    return picked


@pytest.mark.parametrize("spec", _unary_specs(), ids=lambda s: s.name)
def test_registry_primitive_inside_scan_body(spec):
    rng = np.random.default_rng(0)
    xs = np.stack([spec.make_args(rng)[0] for _ in range(3)])
    c0 = spec.make_args(rng)[0]

    def body(c, x):
        y = spec.fun(x)
        return c * 0.5 + y, y * c

    def loop(c, xs):
        ys = []
        for x in xs:
            y = spec.fun(x)
            c, out = c * 0.5 + y, y * c
            ys.append(out)
        return c, fnp.stack(ys)

    scanned = lambda c, xs: ft.lax.scan(body, c, xs)
    for got, want in zip(scanned(c0, xs), loop(c0, xs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    objective = lambda f: lambda c, xs: fnp.sum(f(c, xs)[1]) + fnp.sum(f(c, xs)[0])
    got = ft.grad(objective(scanned), argnums=(0, 1))(c0, xs)
    want = ft.grad(objective(loop), argnums=(0, 1))(c0, xs)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
    batched = ft.jit(ft.vmap(scanned, in_axes=(None, 1)))(c0, xs[:, None])
    np.testing.assert_allclose(batched[0][0], loop(c0, xs)[0], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- custom rules


def test_custom_jvp_gives_stable_gradients_everywhere():
    @ft.custom_jvp
    def log1pexp(x):
        return fnp.where(x > 30.0, x, fnp.log1p(fnp.exp(fnp.minimum(x, 30.0))))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * ft.nn.sigmoid(x)

    xs = np.array([-50.0, 0.0, 10.0, 1000.0])
    want = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(ft.vmap(ft.grad(log1pexp))(xs), want)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(log1pexp)))(xs), want)
    h = ft.vmap(ft.grad(ft.grad(log1pexp)))(xs)  # second order: d(sigmoid)
    np.testing.assert_allclose(h, want * (1 - want))


def test_custom_jvp_static_argnames_and_rule_errors():
    def power(x, n):
        return x**n

    f = ft.custom_jvp(power, static_argnames=("n",))

    @f.defjvp
    def _(primals, tangents, *, n):
        (x,), (t,) = primals, tangents
        return x**n, n * x ** (n - 1) * t

    assert float(ft.grad(f)(2.0, n=3)) == 12.0
    assert float(ft.jit(ft.grad(lambda x: f(x, 3)))(2.0)) == 12.0

    bad = ft.custom_jvp(lambda x: x * 2.0)
    bad.defjvp(lambda p, t: (p[0] * 2.0, (t[0], t[0])))
    with pytest.raises(ft.CustomRuleError, match="tangent output"):
        ft.jvp(bad, (1.0,), (1.0,))
    undefined = ft.custom_jvp(lambda x: x)
    with pytest.raises(TypeError, match="defjvp"):
        undefined(1.0)


def test_custom_vjp_none_cotangents_static_args_and_forward_mode():
    def scale(x, y, mode="linear"):
        return x * y

    def fwd(x, y, mode="linear"):
        return x * y, (x, y)

    def bwd(res, g, *, mode):
        x, y = res
        return (g * y, None) if mode == "linear" else (g * y * 2.0, g * x)

    f = ft.custom_vjp(scale, static_argnames=("mode",))
    f.defvjp(fwd, bwd)
    gx, gy = ft.grad(lambda x, y: f(x, y), argnums=(0, 1))(2.0, 3.0)
    assert (float(gx), float(gy)) == (3.0, 0.0)  # None: no cotangent for y
    gx, gy = ft.grad(lambda x, y: f(x, y, mode="other"), argnums=(0, 1))(2.0, 3.0)
    assert (float(gx), float(gy)) == (6.0, 2.0)
    # forward mode transposes bwd: J t with J the (custom) Jacobian
    _, t = ft.jvp(lambda x, y: f(x, y, mode="other"), (2.0, 3.0), (1.0, 1.0))
    assert float(t) == 8.0


def test_custom_vjp_errors():
    f = ft.custom_vjp(lambda x, y: x * y)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: g * res[1])
    with pytest.raises(ft.CustomRuleError, match=r"one cotangent per non-static argument \(2\)"):
        ft.grad(f)(1.0, 2.0)
    g = ft.custom_vjp(lambda x: x * 2.0)
    g.defvjp(lambda x: (x * 2.0, None), lambda res, ct: (np.ones(3),))
    with pytest.raises(ft.CustomRuleError, match=r"shape \(3,\) for argument 0"):
        ft.grad(g)(1.0)
    clip = ft.custom_vjp(lambda x: x)
    clip.defvjp(lambda x: (x, None), lambda res, ct: (fnp.clip(ct, -1.0, 1.0),))
    assert float(ft.grad(lambda x: 3.0 * clip(x))(1.0)) == 1.0
    with pytest.raises(ft.CustomRuleError, match="custom_jvp"):
        ft.jvp(clip, (1.0,), (1.0,))  # bwd is not linear in the cotangent: no forward mode


def test_custom_rules_refuse_differentiating_closed_over_values():
    def outer(w):
        f = ft.custom_jvp(lambda x: x * w)
        f.defjvp(lambda p, t: (p[0] * w, t[0] * w))
        return f(2.0)

    with pytest.raises(ft.CustomRuleError, match="explicit argument"):
        ft.grad(outer)(3.0)


# ----------------------------------------------------------------------------- checkpoint


def _deep(ws, x, wrap=lambda f: f, every=1):
    layer = lambda w, h: fnp.tanh(w @ h)

    def block(ws_block, h):
        for w in ws_block:
            h = layer(w, h)
        return h

    block = wrap(block)
    for i in range(0, len(ws), every):
        x = block(ws[i : i + every], x)
    return fnp.sum(x)


def test_checkpoint_same_gradients_fewer_residuals():
    rng = np.random.default_rng(1)
    ws = [rng.normal(size=(8, 8)) * 0.4 for _ in range(12)]
    x = rng.normal(size=(8, 5))
    plain = ft.grad(_deep)(ws, x)
    ck = lambda ws, x: _deep(ws, x, ft.checkpoint, every=4)
    for f in (ft.grad(ck), ft.jit(ft.grad(ck))):
        for a, b in zip(f(ws, x), plain, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    before = sum(r.nbytes for r in ft.saved_residuals(_deep, ws, x) if "argument" not in r.source)
    after = sum(r.nbytes for r in ft.saved_residuals(ck, ws, x) if "argument" not in r.source)
    assert after * 4 < before  # 12 layers of activations -> 2 block boundaries
    dots = lambda ws, x: _deep(
        ws, x, lambda f: ft.checkpoint(f, policy=ft.checkpoint_policies.dots_saveable), every=4
    )
    for a, b in zip(ft.grad(dots)(ws, x), plain, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_checkpoint_policy_saves_what_it_says():
    f = lambda w, x: fnp.sum((w @ x) * (w @ x) * x[0])
    saved = ft.saved_residuals(
        ft.checkpoint(f, policy=ft.checkpoint_policies.dots_saveable),
        np.ones((3, 3)),
        np.ones((3, 2)),
    )
    assert any(r.source == "output of dot_general" for r in saved)
    nothing = ft.saved_residuals(ft.checkpoint(f), np.ones((3, 3)), np.ones((3, 2)))
    assert all(r.source.startswith("argument") for r in nothing)
    with pytest.raises(TypeError, match="policy must be a function"):
        ft.checkpoint(f, policy="dots")


def test_checkpoint_under_vmap_and_higher_order():
    block = ft.checkpoint(lambda x: fnp.sin(x) * fnp.exp(x))
    xs = np.linspace(-1, 1, 4)
    np.testing.assert_allclose(
        ft.vmap(ft.grad(block))(xs), np.cos(xs) * np.exp(xs) + np.sin(xs) * np.exp(xs)
    )
    ft.numerical.check_grads(block, (xs,), order=2)


# ----------------------------------------------------------------------------- compositions


def test_compositions_of_control_flow_with_every_transform():
    rng = np.random.default_rng(0)
    close = lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    wl = lambda x: fnp.sum(
        ft.lax.while_loop(lambda c: fnp.sum(c) < 10.0, lambda c: c * 1.5 + 0.1, x, max_steps=50)
    )
    xs = rng.uniform(0.5, 2, size=(4, 3))
    loop = np.stack([ft.grad(wl)(x) for x in xs])
    close(ft.vmap(ft.grad(wl))(xs), loop)
    close(ft.jit(ft.vmap(ft.grad(wl)))(xs), loop)
    close(ft.grad(lambda xs: fnp.sum(ft.vmap(wl)(xs)))(xs), loop)

    def rnn(w, xs):
        hs = ft.lax.scan(lambda h, x: (fnp.tanh(w @ h + x), h), fnp.zeros(3), xs)[1]
        return fnp.sum(hs**2)

    w, batch = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 5, 3))
    loop = np.stack([ft.grad(rnn)(w, x) for x in batch])
    close(ft.vmap(ft.grad(rnn), in_axes=(None, 0))(w, batch), loop)
    close(ft.jit(ft.vmap(ft.grad(rnn), in_axes=(None, 0)))(w, batch), loop)
    hess = ft.hessian(lambda w: rnn(w, batch[0]))(w).reshape(9, 9)
    close(hess, hess.T)
    close(ft.jacrev(lambda w: rnn(w, batch[0]))(w), ft.jacfwd(lambda w: rnn(w, batch[0]))(w))

    cf = lambda p, x: ft.lax.cond(p > 0, lambda v: fnp.sin(v) * p, lambda v: v * v * p, x)
    ps, xv = rng.normal(size=6), rng.normal(size=6)
    loop = np.array([ft.grad(cf)(p, x) for p, x in zip(ps, xv, strict=True)])
    close(ft.grad(lambda p: fnp.sum(ft.vmap(cf)(p, xv)))(ps), loop)
    close(ft.jit(ft.grad(lambda p: fnp.sum(ft.vmap(cf)(p, xv))))(ps), loop)

    blk = ft.checkpoint(lambda h, x: fnp.tanh(h * 0.9 + x))
    run = lambda cell: lambda xs: fnp.sum(ft.lax.scan(lambda h, x: (cell(h, x), h), 0.0, xs)[0])
    plain = ft.grad(run(lambda h, x: fnp.tanh(h * 0.9 + x)))(batch[0][:, 0])
    close(ft.grad(run(blk))(batch[0][:, 0]), plain)
    close(ft.jit(ft.grad(run(blk)))(batch[0][:, 0]), plain)


# ----------------------------------------------------------------------------- hypothesis

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(
    length=st.integers(0, 9),
    width=st.integers(1, 4),
    reverse=st.booleans(),
    unroll=st.sampled_from([1, 2, 3, True]),
    seed=st.integers(0, 2**16),
)
def test_hypothesis_scan_matches_loop_in_every_mode(length, width, reverse, unroll, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(width, width)) * 0.5
    xs = rng.normal(size=(length, width))
    c0 = rng.normal(size=width)

    def step(c, x):
        c = fnp.tanh(w @ c + x)
        return c, fnp.sum(c * x)

    def scanned(c0, xs):
        return ft.lax.scan(step, c0, xs, reverse=reverse, unroll=unroll)

    def loop(c0, xs):
        c, ys = c0, [None] * length
        for i in reversed(range(length)) if reverse else range(length):
            c, ys[i] = step(c, xs[i])
        return c, fnp.stack(ys) if length else fnp.zeros((0,))

    for fn in (scanned, ft.jit(scanned)):
        got, want = fn(c0, xs), loop(c0, xs)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-14)
    if length:
        total = lambda f: lambda c0, xs: fnp.sum(f(c0, xs)[0]) + fnp.sum(f(c0, xs)[1])
        got = ft.grad(total(scanned), argnums=(0, 1))(c0, xs)
        want = ft.grad(total(loop), argnums=(0, 1))(c0, xs)
        for g, v in zip(got, want, strict=True):
            np.testing.assert_allclose(g, v, rtol=1e-10, atol=1e-12)
        batched = ft.vmap(scanned, in_axes=(None, 1), out_axes=(0, 1))(c0, xs[:, None, :])
        np.testing.assert_allclose(batched[0][0], loop(c0, xs)[0], rtol=1e-12, atol=1e-14)
