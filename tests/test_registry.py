"""Every check over every spec of the registry (STYLE habit 5).

Checks: values (eager, traced through ``make_jaxpr`` and the ClosedJaxpr, and the primal of
``jvp``) against NumPy, with abstract evaluation against the real result; JVP (and
``linearize``) against central differences, all arguments together and each alone; VJP (and
``grad``) against JVP by the dot-product test; jvp/vjp traced by ``make_jaxpr``; ``vmap``
against a loop; ``jit`` (and jit of jvp/vjp, vjp of jit) against eager values; transposition
of each primitive with a transpose rule; second order with ``ftrans.numerical.check_grads``;
exactly zero derivatives for piecewise constant and integer-valued functions; float32 against
NumPy and float64; inputs never mutated; hypothesis over shapes, broadcasting pairs, axes and
indices; and completeness of the registry itself (a primitive or function without a spec, or a
primitive without its rules, fails).

Known library bugs are strict xfails listed in ``registry.KNOWN_BUGS``.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from checks import (
    assert_close,
    assert_dot_equal,
    assert_unchanged,
    dot,
    eval_traced,
    leaves,
    numerical_jvp,
    random_like,
    restrict,
    snapshot,
    structure,
    unleaves,
)
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import (
    array_shapes,
    basic_indices,
    integer_array_indices,
    mutually_broadcastable_shapes,
)
from registry import SPECS, public_numpy_functions, specs_for
from spec import CHECKS, F32, F64, GRAD_TOL, VALUE_TOL, Spec

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES, instantiate
from ftrans.interpreters.transpose import backward_pass
from ftrans.numerical import check_grads
from ftrans.primitives import BUILTIN

DIFF = {s.name: s.differentiable for s in SPECS}


def cases(check: str, applies) -> list:
    """The specs a check applies to, as pytest params with the spec's known-bug xfail."""
    params = []
    for s in SPECS:
        if not applies(s):
            continue
        reason = s.xfail.get(check)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(s, id=s.name, marks=marks))
    return params


def differentiated(spec: Spec, args: tuple):
    """``(f, primals)``: the spec's function of its differentiable arguments only."""
    argnums = DIFF[spec.name]
    return restrict(spec.fun, args, argnums), tuple(args[i] for i in argnums)


def is_float(x) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.inexact)  # real or complex floats


# ----------------------------------------------------------------------------- values


def check_outputs(got, want, tol, what, *, flat=False):
    """Values, dtypes and shapes; and the list/tuple structure unless ``got`` is flat."""
    if not flat:
        assert structure(got) == structure(want), (
            f"{what}: output structure {structure(got)}, NumPy gives {structure(want)}"
        )
    got, want = leaves(got), leaves(want)
    assert len(got) == len(want), f"{what}: {len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_close(g, w, tol, f"{what}, output {i}")


def check_values(spec: Spec, args: tuple, tol, rng) -> None:
    """Eager, traced (make_jaxpr + ClosedJaxpr, with its avals) and jvp-primal values."""
    copies = snapshot(args)
    want = spec.reference(*args)
    check_outputs(spec.fun(*args), want, tol, "eager")
    closed, outs = eval_traced(spec.fun, args)
    check_outputs(outs, want, tol, "make_jaxpr, then the ClosedJaxpr", flat=True)
    for i, (aval, w) in enumerate(zip(closed.out_avals, leaves(want), strict=True)):
        assert (aval.shape, aval.dtype) == (w.shape, w.dtype), (
            f"abstract eval of output {i} says {aval.str_short()}, NumPy gives {w.dtype}{w.shape}"
        )
    tangents = tuple(
        random_like(rng, a) if i in DIFF[spec.name] else None for i, a in enumerate(args)
    )
    primal_out, _ = ft.jvp(spec.fun, args, tangents)
    check_outputs(primal_out, want, tol, "primal output of jvp")
    assert_unchanged(args, copies, "value checks")


def check_meta(spec: Spec, args: tuple) -> None:
    """Functions returning Python values: equal eagerly and on traced arguments."""
    want = spec.reference(*args)
    assert spec.fun(*args) == want
    seen = []

    def probe(*traced):
        seen.append(spec.fun(*traced))
        return traced[0]

    ft.make_jaxpr(probe)(*args)
    ft.jvp(probe, args, tuple(random_like(np.random.default_rng(0), a) for a in args))
    assert seen == [want, want], f"under make_jaxpr / jvp got {seen}, expected {want!r}"


@pytest.mark.parametrize("spec", cases("value", lambda s: True))
def test_value(spec: Spec, rng):
    args = spec.make_args(rng)
    if spec.meta:
        check_meta(spec, args)
    else:
        check_values(spec, args, spec.value_tol[F64], rng)


# ----------------------------------------------------------------------------- first order


def _smooth(s: Spec) -> bool:
    return s.order >= 1 and bool(DIFF[s.name]) and not s.meta


def argument_subsets(spec: Spec) -> list[tuple[int, ...]]:
    """All differentiable arguments together, then (if several) each alone: the others get
    symbolic-zero tangents, which exercises the rules' Zero paths."""
    argnums = DIFF[spec.name]
    return [argnums] + ([(i,) for i in argnums] if len(argnums) > 1 else [])


@pytest.mark.parametrize("spec", cases("jvp", _smooth))
def test_jvp_matches_central_differences(spec: Spec, rng):
    args = spec.make_args(rng)
    copies = snapshot(args)
    tol = spec.grad_tol[F64]
    for argnums in argument_subsets(spec):
        f = restrict(spec.fun, args, argnums)
        primals = tuple(args[i] for i in argnums)
        tangents = tuple(random_like(rng, p) for p in primals)
        out, tangent_out = ft.jvp(f, primals, tangents)
        if spec.tangent_rule is None:
            with np.errstate(invalid="ignore"):  # infinite inputs (log-space zeros) stay put
                expected = numerical_jvp(f, primals, tangents, eps=spec.eps)
        elif argnums == DIFF[spec.name]:
            expected = spec.tangent_rule(primals, tangents)
        else:
            continue
        what = f"jvp in arguments {argnums}"
        for i, (y, t, e) in enumerate(
            zip(leaves(out), leaves(tangent_out), leaves(expected), strict=True)
        ):
            assert t.shape == y.shape, f"{what}: tangent {i} has shape {t.shape}, output {y.shape}"
            if is_float(y):
                assert t.dtype == y.dtype, f"{what}: tangent {i} is {t.dtype}, output {y.dtype}"
            assert_close(
                t, e, tol, f"{what}: tangent {i} vs central differences", check_dtype=False
            )
        linearized_out, f_jvp = ft.linearize(f, *primals)
        check_outputs(linearized_out, out, VALUE_TOL[F64], f"{what}: primal output of linearize")
        check_outputs(f_jvp(*tangents), tangent_out, tol, f"{what}: linearize's f_jvp vs jvp")
    assert_unchanged(args, copies, "jvp")


def vjp_dot_test(f, primals, tangents, rng, tol) -> None:
    """``<ct, J t> == <J^T ct, t>``, and cotangents shaped and typed like the primals."""
    out, f_vjp = ft.vjp(f, *primals)
    outs = leaves(out)
    cts = [random_like(rng, y) for y in outs]
    grads = f_vjp(unleaves(out, cts))
    assert len(grads) == len(primals)
    for i, (g, p) in enumerate(zip(grads, primals, strict=True)):
        g, p = np.asarray(g), np.asarray(p)
        assert (g.shape, g.dtype) == (p.shape, p.dtype), (
            f"cotangent {i} is {g.dtype}{g.shape}, its primal {p.dtype}{p.shape}"
        )
    _, tangent_out = ft.jvp(f, primals, tangents)
    assert_dot_equal(
        dot(cts, leaves(tangent_out)),
        dot(list(grads), list(tangents)),
        tol,
        "<ct, J t> vs <J^T ct, t>",
    )

    def weighted(*values):  # <ct, f(x)>: its gradient is the VJP of ct
        outs = ft.tree.leaves(f(*values))
        return sum(fnp.real(fnp.sum(fnp.multiply(c, y))) for c, y in zip(cts, outs, strict=True))

    by_grad = ft.grad(weighted, argnums=tuple(range(len(primals))))(*primals)
    check_outputs(list(by_grad), list(grads), tol, "grad of <ct, f> vs vjp(ct)")


@pytest.mark.parametrize("spec", cases("vjp", _smooth))
def test_vjp_is_transpose_of_jvp(spec: Spec, rng):
    args = spec.make_args(rng)
    copies = snapshot(args)
    for argnums in argument_subsets(spec):
        f = restrict(spec.fun, args, argnums)
        primals = tuple(args[i] for i in argnums)
        tangents = tuple(random_like(rng, p) for p in primals)
        vjp_dot_test(f, primals, tangents, rng, spec.grad_tol[F64])
    assert_unchanged(args, copies, "vjp")


@pytest.mark.parametrize(
    "spec", cases("zero_derivative", lambda s: s.order == 0 and DIFF[s.name] and not s.meta)
)
def test_zero_derivative(spec: Spec, rng):
    """Piecewise constant or integer/bool valued: tangents and cotangents are exactly zero."""
    args = spec.make_args(rng)
    copies = snapshot(args)
    f, primals = differentiated(spec, args)
    tangents = tuple(random_like(rng, p) for p in primals)
    _, tangent_out = ft.jvp(f, primals, tangents)
    for t in leaves(tangent_out):
        assert np.all(t == 0), f"nonzero tangent {t}"
    out, f_vjp = ft.vjp(f, *primals)
    cts = [random_like(rng, y) if is_float(y) else np.ones_like(y) for y in leaves(out)]
    for g, p in zip(f_vjp(unleaves(out, cts)), primals, strict=True):
        g = np.asarray(g)
        assert (g.shape, g.dtype) == (p.shape, p.dtype)
        assert np.all(g == 0), f"nonzero cotangent {g}"
    assert_unchanged(args, copies, "zero derivative")


@pytest.mark.parametrize("spec", cases("traced", _smooth))
def test_traced_derivatives(spec: Spec, rng):
    """jvp and vjp traced by make_jaxpr (as jit will): avals and values match eager ones."""
    args = spec.make_args(rng)
    copies = snapshot(args)
    f, primals = differentiated(spec, args)
    n = len(primals)
    tangents = tuple(random_like(rng, p) for p in primals)
    out, tangent_out = ft.jvp(f, primals, tangents)
    cts = [random_like(rng, y) for y in leaves(out)]
    _, f_vjp = ft.vjp(f, *primals)
    grads = f_vjp(unleaves(out, cts))

    def jvp_of_f(*values):
        return ft.jvp(f, values[:n], values[n:])

    def vjp_of_f(*values):
        y, pull_back = ft.vjp(f, *values[:n])
        return pull_back(unleaves(y, list(values[n:])))

    for what, fun, inputs, want in (
        ("make_jaxpr(jvp)", jvp_of_f, primals + tangents, leaves(out) + leaves(tangent_out)),
        ("make_jaxpr(vjp)", vjp_of_f, primals + tuple(cts), leaves(grads)),
    ):
        closed, values = eval_traced(fun, inputs)
        for aval, w in zip(closed.out_avals, want, strict=True):
            assert (aval.shape, aval.dtype) == (w.shape, w.dtype), f"{what}: aval {aval}"
        check_outputs(values, want, spec.grad_tol[F64], what, flat=True)
    assert_unchanged(args, copies, "traced derivatives")


# ----------------------------------------------------------------------------- vmap and jit

BATCH = 3


def _stack_outputs(outputs: list) -> list[np.ndarray]:
    """Per-example outputs (each an array or list of arrays) stacked leaf by leaf on axis 0."""
    per_leaf = zip(*[leaves(o) for o in outputs], strict=True)
    return [np.stack(group) for group in per_leaf]


@pytest.mark.parametrize("spec", cases("vmap", lambda s: not s.meta and bool(s.args)))
def test_vmap_matches_loop(spec: Spec, rng):
    """vmap over every argument (axis 0), and over the first only (its last axis)."""
    examples = [spec.make_args(rng) for _ in range(BATCH)]
    fixed = spec.make_args(rng)
    copies = [snapshot(e) for e in examples]
    n = len(fixed)
    tol = spec.value_tol[F64]

    stacked = tuple(np.stack([e[i] for e in examples]) for i in range(n))
    got = ft.vmap(spec.fun)(*stacked)
    first = spec.fun(*examples[0])
    assert structure(got) == structure(first), f"vmap output structure {structure(got)}"
    check_outputs(leaves(got), _stack_outputs([spec.fun(*e) for e in examples]), tol, "vmap")

    # the batching rules must also hold while staged (jit of vmap) and on staged programs
    # (vmap of jit), where abstract evaluation checks every shape they produce
    got = ft.jit(ft.vmap(spec.fun))(*stacked)
    check_outputs(leaves(got), _stack_outputs([spec.fun(*e) for e in examples]), tol, "jit(vmap)")

    last = np.stack([e[0] for e in examples], axis=-1)
    mapped = ft.vmap(spec.fun, in_axes=(-1,) + (None,) * (n - 1))
    want = _stack_outputs([spec.fun(e[0], *fixed[1:]) for e in examples])
    got = mapped(last, *fixed[1:])
    check_outputs(leaves(got), want, tol, "vmap over the last axis of argument 0 only")
    got = ft.jit(mapped)(last, *fixed[1:])
    check_outputs(leaves(got), want, tol, "jit(vmap) over the last axis of argument 0 only")
    for e, c in zip(examples, copies, strict=True):
        assert_unchanged(e, c, "vmap")


@pytest.mark.parametrize("spec", cases("jit", lambda s: not s.meta))
def test_jit(spec: Spec, rng):
    """jit(f) equals NumPy (twice: the second call hits the cache); jit of jvp and vjp equal
    their eager values."""
    jitted = ft.jit(spec.fun)
    for _ in range(2):
        args = spec.make_args(rng)
        copies = snapshot(args)
        check_outputs(jitted(*args), spec.reference(*args), spec.value_tol[F64], "jit")
        assert_unchanged(args, copies, "jit")
    if not _smooth(spec):
        return
    f, primals = differentiated(spec, args)
    n = len(primals)
    tangents = tuple(random_like(rng, p) for p in primals)
    out, tangent_out = ft.jvp(f, primals, tangents)
    got = ft.jit(lambda *v: ft.jvp(f, v[:n], v[n:]))(*primals, *tangents)
    check_outputs(leaves(got), leaves(out) + leaves(tangent_out), spec.grad_tol[F64], "jit(jvp)")
    cts = [random_like(rng, y) for y in leaves(out)]
    _, f_vjp = ft.vjp(f, *primals)
    want = f_vjp(unleaves(out, cts))

    def pull_back(*values):
        y, back = ft.vjp(f, *values[:n])
        return back(unleaves(y, list(values[n:])))

    got = ft.jit(pull_back)(*primals, *cts)
    check_outputs(leaves(got), leaves(want), spec.grad_tol[F64], "jit(vjp)")
    _, f_vjp_of_jit = ft.vjp(ft.jit(f), *primals)
    got = f_vjp_of_jit(unleaves(out, cts))
    check_outputs(leaves(got), leaves(want), spec.grad_tol[F64], "vjp(jit)")


# ----------------------------------------------------------------------------- second order


def as_real_function(f, primals: tuple):
    """``f`` of complex arguments as a function of their real and imaginary parts returning
    real and imaginary parts (the R^2n -> R^2m view check_grads differentiates); real ``f``
    and arguments pass through unchanged."""
    complex_in = [np.iscomplexobj(p) for p in primals]
    complex_out = [np.iscomplexobj(y) for y in leaves(f(*primals))]
    if not any(complex_in) and not any(complex_out):
        return f, primals
    parts = []
    for p, c in zip(primals, complex_in, strict=True):
        parts += [np.real(p).copy(), np.imag(p).copy()] if c else [p]

    def real_f(*values):
        it = iter(values)
        args = [ft.lax.complex(next(it), next(it)) if c else next(it) for c in complex_in]
        out = []
        for y in ft.tree.leaves(f(*args)):
            out += [fnp.real(y), fnp.imag(y)] if fnp.iscomplexobj(y) else [y]
        return out

    return real_f, tuple(parts)


@pytest.mark.parametrize("spec", cases("order2", lambda s: _smooth(s) and s.order >= 2))
def test_second_order(spec: Spec, rng):
    """fwd/rev over fwd/rev against central differences (ftrans.numerical.check_grads)."""
    args = spec.make_args(rng)
    copies = snapshot(args)
    f, primals = as_real_function(*differentiated(spec, args))
    tol = spec.grad_tol[F64]
    loose = tol != GRAD_TOL[F64]
    check_grads(
        f,
        primals,
        order=2,
        modes=("fwd", "rev"),
        eps=spec.eps,
        seed=int(rng.integers(2**31)),
        **({"rtol": tol.rtol * 10, "atol": tol.atol * 10} if loose else {}),
    )
    assert_unchanged(args, copies, "check_grads")


# ----------------------------------------------------------------------------- float32


def _cast(args, dtype):
    return tuple(a.astype(dtype) if is_float(a) else a for a in args)


@pytest.mark.parametrize("spec", cases("float32", lambda s: F32 in s.dtypes))
def test_float32(spec: Spec, rng):
    """Values in float32 match NumPy (dtype included); derivatives match float64's."""
    args32 = _cast(spec.make_args(rng), F32)
    args64 = _cast(args32, F64)
    check_values(spec, args32, spec.value_tol[F32], rng)
    if not _smooth(spec):
        return
    tol = GRAD_TOL[F32]
    f32, primals32 = differentiated(spec, args32)
    f64, primals64 = differentiated(spec, args64)
    tangents64 = tuple(random_like(rng, p) for p in primals64)
    tangents32 = _cast(tangents64, F32)
    out32, t32 = ft.jvp(f32, primals32, tangents32)
    _, t64 = ft.jvp(f64, primals64, tangents64)
    for y, t, r in zip(leaves(out32), leaves(t32), leaves(t64), strict=True):
        assert t.dtype == y.dtype, f"float32 jvp gave a {t.dtype} tangent for a {y.dtype} output"
        assert_close(t, r, tol, "float32 jvp vs float64 jvp", check_dtype=False)
    out, f_vjp = ft.vjp(f32, *primals32)
    cts = [random_like(rng, y) for y in leaves(out)]
    g32 = f_vjp(unleaves(out, cts))
    _, f_vjp64 = ft.vjp(f64, *primals64)
    g64 = f_vjp64(unleaves(out, [c.astype(np.result_type(c.dtype, F64)) for c in cts]))
    for g, r, p in zip(g32, g64, primals32, strict=True):
        assert np.asarray(g).dtype == p.dtype, f"float32 vjp gave a {np.asarray(g).dtype} cotangent"
        assert_close(g, r, tol, "float32 vjp vs float64 vjp", check_dtype=False)


# ----------------------------------------------------------------------------- transpose


@pytest.mark.parametrize(
    "spec",
    cases(
        "transpose",
        lambda s: (
            s.kind == "primitive"
            and PRIMITIVES[s.target].transpose is not None
            and bool(s.linear_argnums)
        ),
    ),
)
def test_transpose_of_linear_primitive(spec: Spec, rng):
    """backward_pass on the one-equation jaxpr is the adjoint of evaluating it forwards."""
    args = spec.make_args(rng)
    copies = snapshot(args)
    closed = ft.make_jaxpr(spec.fun)(*args)
    assert [e.primitive.name for e in closed.eqns] == [spec.target]
    for linear in spec.linear_argnums:
        ts = {i: random_like(rng, args[i]) for i in linear}
        outs = [np.asarray(o) for o in closed(*[ts.get(i, a) for i, a in enumerate(args)])]
        cts_out = [random_like(rng, o) for o in outs]
        linear_in = [True if i in ts else a for i, a in enumerate(args)]
        cts = backward_pass(closed.jaxpr, closed.consts, linear_in, cts_out)
        pulled = []
        for i in linear:
            c = np.asarray(instantiate(cts[i]))
            assert (c.shape, c.dtype) == (args[i].shape, args[i].dtype), (
                f"cotangent of argument {i} is {c.dtype}{c.shape}, expected "
                f"{args[i].dtype}{args[i].shape}"
            )
            pulled.append(c)
        assert_dot_equal(
            dot(cts_out, outs),
            dot(pulled, [ts[i] for i in linear]),
            spec.grad_tol[F64],
            f"transpose in arguments {linear}: <ct, f(t)> vs <f^T(ct), t>",
        )
    assert_unchanged(args, copies, "transpose")


# ----------------------------------------------------------------------------- hypothesis

SEEDS = st.integers(0, 2**32 - 1)


def value_and_dot(spec: Spec, f, reference, args: tuple, rng) -> None:
    """Traced value (and avals) against NumPy; VJP/JVP dot test when differentiable."""
    copies = snapshot(args)
    want = reference(*args)
    closed, outs = eval_traced(f, args)
    check_outputs(outs, want, spec.value_tol[F64], "make_jaxpr, then the ClosedJaxpr", flat=True)
    for aval, w in zip(closed.out_avals, leaves(want), strict=True):
        assert (aval.shape, aval.dtype) == (w.shape, w.dtype), f"abstract eval: {aval}"
    argnums = tuple(i for i, a in enumerate(args) if is_float(a))
    if spec.order >= 1 and argnums:
        g = restrict(f, args, argnums)
        primals = tuple(args[i] for i in argnums)
        tangents = tuple(random_like(rng, p) for p in primals)
        vjp_dot_test(g, primals, tangents, rng, spec.grad_tol[F64])
    assert_unchanged(args, copies, "hypothesis")


@pytest.mark.parametrize("spec", cases("hypothesis", lambda s: s.family == "unary"))
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), seed=SEEDS)
def test_hypothesis_unary(spec: Spec, shape, seed):
    rng = np.random.default_rng(seed)
    x = spec.args[0].sample(rng, shape, F64)
    value_and_dot(spec, spec.base, spec.base_reference, (x,), rng)


@pytest.mark.parametrize("spec", cases("hypothesis", lambda s: s.family == "binary"))
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
    seed=SEEDS,
)
def test_hypothesis_binary(spec: Spec, shapes, seed):
    rng = np.random.default_rng(seed)
    args = tuple(a.sample(rng, s, F64) for a, s in zip(spec.args, shapes.input_shapes, strict=True))
    value_and_dot(spec, spec.base, spec.base_reference, args, rng)


def axis_strategy(ndim: int, kind: str):
    """Valid ``axis`` values: None, an int (negative too), or (for kind "axes") a tuple."""
    if ndim == 0:
        return st.just(()) | st.none() if kind == "axes" else st.none()
    one = st.integers(-ndim, ndim - 1)
    choices = st.none() | one
    if kind == "axes":
        choices = choices | st.lists(one, unique_by=lambda a: a % ndim, max_size=ndim).map(tuple)
    return choices


@pytest.mark.parametrize("spec", cases("hypothesis", lambda s: s.family == "reduction"))
@given(data=st.data())
def test_hypothesis_reduction(spec: Spec, data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=3, max_side=4), label="shape")
    params = {"axis": data.draw(axis_strategy(len(shape), spec.axis_kind), label="axis")}
    if spec.axis_kind in ("axes", "axis"):
        params["keepdims"] = data.draw(st.booleans(), label="keepdims")
    axis = params["axis"]
    reduced = range(len(shape)) if axis is None else np.atleast_1d(axis) % max(len(shape), 1)
    assume(int(np.prod([shape[i] for i in reduced], dtype=np.int64)) >= spec.min_reduced)
    rng = np.random.default_rng(data.draw(SEEDS, label="seed"))
    x = spec.args[0].sample(rng, shape, F64)

    def f(a):
        return spec.base(a, **params)

    def reference(a):
        return spec.base_reference(a, **params)

    value_and_dot(spec, f, reference, (x,), rng)


# ----------------------------------------------------------------------------- completeness


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_primitive_has_spec_and_rules(name):
    """Every primitive has impl, abstract_eval, jvp and batch (and transpose if linear) rules,
    and a spec."""
    p = PRIMITIVES[name]
    missing = [r for r in ("impl", "abstract_eval", "jvp", "batch") if getattr(p, r) is None]
    if p.linear and p.transpose is None:
        missing.append("transpose")
    assert not missing, f"primitive {name} lacks rule(s): {missing}"
    specs = specs_for("primitive", name)
    assert specs, f"primitive {name} has no spec in tests/registry_primitives.py"
    if p.linear:
        assert any(s.linear_argnums for s in specs), (
            f"linear primitive {name} has no spec with linear_argnums (no transpose test)"
        )


@pytest.mark.parametrize("name", public_numpy_functions())
def test_numpy_function_has_spec(name):
    assert specs_for("numpy", name), f"ftrans.numpy.{name} has no spec in tests/registry_numpy.py"


def _exists(kind: str, target: str) -> bool:
    if kind == "primitive":
        return target in PRIMITIVES
    if kind == "numpy":
        return hasattr(fnp, target)
    # a public dotted name (ftrans.scipy.special.erf, ftrans.lax.linalg.qr): import the
    # longest importable prefix, then follow attributes
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        return callable(obj)
    return False


def test_specs_are_well_formed():
    for s in SPECS:
        assert s.kind in ("primitive", "numpy", "library"), s.name
        assert _exists(s.kind, s.target), f"{s.name}: no such {s.kind} {s.target!r}"
        assert bool(s.covers) == (s.kind == "library"), f"{s.name}: covers is for library specs"
        for c in s.covers:
            kind, _, target = c.partition(":")
            assert kind in ("primitive", "numpy") and _exists(kind, target), f"{s.name}: {c!r}"
        assert s.dtypes[0] == F64 and set(s.dtypes) <= {F64, F32}, s.name
        assert s.order in (0, 1, 2), s.name
        assert set(s.xfail) <= set(CHECKS), s.name
        assert all(i < len(s.args) for i in DIFF[s.name]), s.name
        assert set(s.value_tol) >= set(s.dtypes) or s.value_tol is VALUE_TOL, s.name
        if s.family is not None:
            assert s.base is not None and s.base_reference is not None, s.name


# ----------------------------------------------------------------------------- hypothesis: indexing

INDEX_SHAPES = array_shapes(min_dims=1, max_dims=3, max_side=4)


def indices(shape):
    """NumPy indices into ``shape``: basic ones (ints, slices with any step, None, ...) or
    tuples of integer arrays (negative and repeated entries included)."""
    arrays = integer_array_indices(
        shape, result_shape=array_shapes(min_dims=0, max_dims=2, max_side=3)
    )
    return basic_indices(shape, allow_newaxis=True, allow_ellipsis=True) | arrays


def _repeats(x_shape, index) -> bool:
    """Whether ``index`` selects some element of an array of ``x_shape`` twice."""
    positions = np.arange(int(np.prod(x_shape))).reshape(x_shape)[index]
    return np.unique(positions).size != np.size(positions)


@given(data=st.data())
def test_hypothesis_getitem(data):
    shape = data.draw(INDEX_SHAPES, label="shape")
    index = data.draw(indices(shape), label="index")
    rng = np.random.default_rng(data.draw(SEEDS, label="seed"))
    x = rng.standard_normal(shape)
    spec = specs_for("numpy", "getitem")[0]
    value_and_dot(spec, lambda a: fnp.getitem(a, index), lambda a: a[index], (x,), rng)


@given(data=st.data())
def test_hypothesis_at_update(data):
    """``x.at[index].<op>(v)`` against NumPy's in-place update of a copy, and its dot test."""
    shape = data.draw(INDEX_SHAPES, label="shape")
    index = data.draw(indices(shape), label="index")
    repeated = _repeats(shape, index)
    ops = ["set", "add", "subtract"] + ([] if repeated else ["multiply", "min", "max"])
    op = data.draw(st.sampled_from(ops), label="op")
    rng = np.random.default_rng(data.draw(SEEDS, label="seed"))
    x = rng.standard_normal(shape)
    v = rng.standard_normal(np.shape(x[index]))
    ufuncs = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}
    ufuncs.update({"min": np.minimum, "max": np.maximum})

    def reference(a, values):
        out = a.copy()
        if op == "set":
            out[index] = values
        else:
            ufuncs[op].at(out, index, values)
        return out

    def f(a, values):
        return getattr(fnp.at(a)[index], op)(values)

    spec = next(s for s in specs_for("numpy", "at") if s.order == 1)
    value_and_dot(spec, f, reference, (x, v), rng)
