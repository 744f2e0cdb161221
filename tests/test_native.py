"""The native backend (numba): rules for every primitive or a deliberate NumPy-only mark,
registry specs compiled natively against eager values, loops, tiering and the fallback."""

from __future__ import annotations

import os

import numpy as np
import pytest
from checks import assert_unchanged, snapshot
from registry import SPECS
from spec import F64
from test_registry import check_outputs

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler import backend as backends
from ftrans.compiler import native
from ftrans.interpreters.jit import compiled
from ftrans.primitives import BUILTIN


def test_every_primitive_has_a_native_rule_or_a_numpy_only_mark():
    missing = sorted(set(BUILTIN) - set(native.NATIVE_RULES) - set(native.NUMPY_ONLY))
    assert not missing, f"primitives with neither a native rule nor a NUMPY_ONLY mark: {missing}"
    both = sorted(set(native.NATIVE_RULES) & set(native.NUMPY_ONLY))
    assert not both, f"marked NumPy-only but with a native rule: {both}"


numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _synchronous():
    backends.set_native_sync(True)  # (the root conftest sets it for the whole session too)
    yield
    backends.set_native_sync(True)


# Every registry spec jitted under the native backend against eager values. A numba compile
# costs ~0.1-1 s a program on a cold disk cache ($FTRANS_CACHE_DIR; a warm one loads it in
# milliseconds), so by default CI compiles one spec of each family below;
# FTRANS_TEST_NATIVE=all runs every spec of the registry (see benchmarks/README.md for the
# cold and warm times).
_CI_TARGETS = {
    "sin",
    "logistic",
    "add",
    "div",
    "max",
    "pow",
    "lt",
    "select",
    "integer_pow",
    "convert_element_type",
    "reduce_sum",
    "reduce_max",
    "cumsum",
    "dot_general",
    "broadcast_in_dim",
    "reshape",
    "transpose",
    "rev",
    "slice",
    "concatenate",
    "pad",
    "jit_call",
    "scan",
    "while",
    "cond",
    "gather",
    "scatter",
    "scatter_add",
    "dynamic_slice",
    "dynamic_update_slice",
}


def _native_specs():
    everything = os.environ.get("FTRANS_TEST_NATIVE") == "all"
    seen, chosen = set(), []
    for s in SPECS:
        if s.meta:
            continue
        if not everything:
            if s.kind != "primitive" or s.target not in _CI_TARGETS or s.target in seen:
                continue
            seen.add(s.target)
        reason = s.xfail.get("jit")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        chosen.append(pytest.param(s, id=s.name, marks=marks))
    return chosen


@pytest.mark.parametrize("spec", _native_specs())
def test_registry_spec_jitted_natively_matches_eager(spec, rng):
    args = spec.make_args(rng)
    copies = snapshot(args)
    f = ft.jit(spec.fun, backend="native")
    check_outputs(f(*args), spec.reference(*args), spec.value_tol[F64], "jit native")
    assert_unchanged(args, copies, "jit native")
    fn = compiled(f.lower(*args).closed)
    # a rule may decline a case (NativeUnsupported names it); numba failing on what a rule
    # wrote is a bug in the rule
    assert "numba could not compile" not in fn.reason, fn.reason


def _pendulum(params, y0):
    damping, g = params[0], params[1]

    def f(y):
        return fnp.stack([y[1], -g * fnp.sin(y[0]) - damping * y[1]])

    def step(y, _):
        h = 0.01
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    y, _ = lax.scan(step, y0, None, length=100)
    return fnp.sum(y * y)


def test_rk4_scan_value_and_gradient_natively():
    p, y0 = np.array([0.1, 9.81]), np.array([1.0, 0.0])
    for fun in (_pendulum, ft.grad(_pendulum)):
        f = ft.jit(fun, backend="native")
        np.testing.assert_allclose(f(p, y0), ft.jit(fun, backend="numpy")(p, y0), rtol=1e-13)
        assert compiled(f.lower(p, y0).closed).reason == "native code"
        body = _loop_body(f.lower(p, y0).as_text(), "in range(100):")
        # the state (2,) lives in scalar variables: a step allocates nothing
        assert body and not any("np.empty" in line or "np.full" in line for line in body)


def _loop_body(text, header):
    """The lines of the loop whose header ends with ``header`` in generated source."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith(header))
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def test_while_and_cond_natively():
    def newton(a):
        step = lambda x: 0.5 * (x + a / x)
        return lax.while_loop(lambda x: fnp.abs(step(x) - x) > 1e-12, step, a)

    f = ft.jit(newton, backend="native")
    assert float(f(2.0)) == pytest.approx(np.sqrt(2.0), rel=1e-14)
    g = ft.jit(lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x), backend="native")
    assert float(g(1.0)) == pytest.approx(np.sin(1.0)) and float(g(-1.0)) == pytest.approx(
        np.cos(1.0)
    )
    assert compiled(g.lower(1.0).closed).reason == "native code"


def test_auto_chooses_native_where_it_pays():
    def chain(x):
        for k in range(10):
            x = fnp.sin(x) * 0.5 + k
        return x

    def is_native(f, x):
        f(x)
        return isinstance(compiled(f.lower(x).closed), backends.Tiered)

    loop = lambda x: lax.fori_loop(0, 10, lambda i, c: c * 1.01, x)
    assert is_native(ft.jit(loop, backend="auto"), np.ones(3))  # a loop over a small state
    assert is_native(ft.jit(chain, backend="auto"), np.ones(3))  # 20 operations on small arrays
    assert not is_native(ft.jit(lambda x: fnp.sin(x) * 2.0, backend="auto"), np.ones(3))
    big = np.ones(backends.SMALL + 1)
    assert not is_native(ft.jit(chain, backend="auto"), big)  # NumPy's SIMD loops win there
    assert not is_native(ft.jit(loop, backend="auto"), big)


def test_unsupported_primitive_runs_numpy_code_and_says_why():
    f = ft.jit(lambda a: fnp.linalg.solve(a, np.ones(2)), backend="native")
    np.testing.assert_allclose(f(np.eye(2) * 2), [0.5, 0.5])
    assert "no native rule for solve" in compiled(f.lower(np.eye(2)).closed).reason


def test_tiered_compilation_runs_numpy_code_first():
    backends.set_native_sync(False)  # backend="native" would compile before the first call
    f = ft.jit(lambda x: lax.fori_loop(0, 5, lambda i, c: c + x, 0.0), backend="auto")
    assert float(f(1.5)) == 7.5  # NumPy code while numba compiles
    fn = compiled(f.lower(1.5).closed)
    fn.wait()
    assert fn.reason == "native code" and float(f(1.5)) == 7.5


def test_without_numba_native_falls_back(monkeypatch):
    monkeypatch.setattr(backends, "numba_available", lambda: False)
    f = ft.jit(lambda x: fnp.sin(x), backend="native")
    assert float(f(0.0)) == 0.0
    assert not isinstance(compiled(f.lower(0.0).closed), backends.Tiered)
    with pytest.raises(ValueError, match="jit backend must be one of"):
        ft.jit(lambda x: x, backend="gpu")


def test_config_sets_the_default_backend():
    before = ft.config.jit_backend
    try:
        ft.config.update("jit_backend", "native")
        assert backends.default_backend() == "native"
        f = ft.jit(lambda x: lax.fori_loop(0, 3, lambda i, c: c * 2.0, x))
        assert float(f(1.0)) == 8.0
        assert compiled(f.lower(1.0).closed).reason == "native code"
    finally:
        ft.config.update("jit_backend", before)
    from ftrans.config import ConfigError

    with pytest.raises(ConfigError, match="jit_backend must be one of"):
        ft.config.update("jit_backend", "gpu")


def test_indexing_in_a_loop_is_index_arithmetic():
    def f(x):
        def body(k, acc):
            row = lax.dynamic_slice(x, (k, 0), (1, 3))[0]
            return acc.at[k].add(row * x[k - 1, 0]).at[-1].max(row)

        return lax.fori_loop(0, 5, body, fnp.zeros((5, 3)))

    x = np.arange(15.0).reshape(5, 3) - 7.0
    jf = ft.jit(f, backend="native")
    np.testing.assert_array_equal(jf(x), ft.jit(f, backend="numpy")(x))
    assert compiled(jf.lower(x).closed).reason == "native code"


def test_large_nests_run_in_parallel_with_the_serial_bits():
    """With more than one ftrans thread, a large fused loop nest (elementwise, and a reduction
    per output element) is a ``numba.prange`` loop: the same bits as the one-thread code."""

    def f(x):
        rows = fnp.sum(fnp.reshape(x, (-1, 4)) ** 2, axis=1)
        return fnp.sin(x) * fnp.exp(-x * x) + fnp.tanh(x) * 0.5, rows

    x = np.linspace(-3.0, 3.0, 4 * native.PARALLEL_MIN)
    before = ft.get_num_threads()
    try:
        ft.set_num_threads(1)
        serial = ft.jit(f, backend="native")
        want = serial(x)
        ft.set_num_threads(2)
        parallel = ft.jit(f, backend="native")
        got = parallel(x)
    finally:
        ft.set_num_threads(before)
    assert "prange" not in serial.lower(x).as_text()
    source = parallel.lower(x).as_text()
    assert source.count("numba.prange") == 2 and "parallel=True" in source, source
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_allclose(got[1], (x.reshape(-1, 4) ** 2).sum(axis=1), rtol=1e-15)


def test_a_stored_matrix_reaches_blas_transposed_as_a_view():
    """A product contracting a stored matrix's first axis (the weight gradient of a dense
    layer) passes BLAS the matrix's transpose as a view: no copy loop before ``np.dot``."""
    rng = np.random.default_rng(0)
    a, b, c = (
        rng.standard_normal((64, 48)),
        rng.standard_normal((64, 40)),
        rng.normal(size=(64, 40)),
    )

    def f(a, b, c):
        ab = lax.dot_general(a, b, dimension_numbers=(([0], [0]), ([], [])))  # a.T @ b
        return ab, lax.dot_general(ab, c, dimension_numbers=(([1], [1]), ([], [])))  # ab @ c.T

    jf = ft.jit(f, backend="native")
    got = jf(a, b, c)
    np.testing.assert_allclose(got[0], a.T @ b, rtol=1e-13)
    np.testing.assert_allclose(got[1], (a.T @ b) @ c.T, rtol=1e-13)
    source = jf.lower(a, b, c).as_text()
    assert source.count(".T\n") == 2, source  # a0.T and a2.T, each a view
    assert source.count("np.empty") == 0, source  # nothing copied; the results are np.dot's


def test_an_outer_product_fuses_into_its_consumer():
    """A product with no contracted axis (per-example weight gradients) is an expression per
    element: transposed and scaled, it is one loop nest writing the result, no buffer between."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 16)), rng.standard_normal((40, 8))

    def f(a, b):
        outer = lax.dot_general(a, b, dimension_numbers=(([], []), ([0], [0])))  # (40, 16, 8)
        return 2.0 * fnp.transpose(outer, (0, 2, 1))

    jf = ft.jit(f, backend="native")
    np.testing.assert_array_equal(jf(a, b), ft.jit(f, backend="numpy")(a, b))
    source = jf.lower(a, b).as_text()
    assert source.count("np.empty") == 1 and source.count("for ") == 3, source


def test_programs_differing_only_in_constant_types_compile_apart():
    """The same body reading a float and an int constant: two compiled programs (the cache key
    names the constants' types), both native."""
    x = np.ones(2)
    for c in (np.arange(3.0), np.arange(3), np.arange(3, dtype=np.float32)):
        f = ft.jit(lambda x, c=c: fnp.asarray(c), backend="native")
        out = f(x)
        assert out.dtype == c.dtype and compiled(f.lower(x).closed).reason == "native code"
        np.testing.assert_array_equal(out, c)


def test_read_only_arguments_are_accepted():
    """numba types a read-only array apart from a writable one: such an argument (a
    broadcast, a frozen constant, a NumPy segment's output) is copied, not refused."""
    f = ft.jit(lambda x: lax.fori_loop(0, 3, lambda i, c: c * 2.0, x), backend="native")
    x = np.arange(4.0)
    x.flags.writeable = False
    np.testing.assert_array_equal(f(x), x * 8.0)
    assert compiled(f.lower(x).closed).reason == "native code"
    np.testing.assert_array_equal(f(np.broadcast_to(1.5, (4,))), np.full(4, 12.0))
