"""The native backend (numba): rules for every primitive or a deliberate NumPy-only mark,
registry specs compiled natively against eager values, loops, tiering and the fallback."""

from __future__ import annotations

import importlib
import os
import zlib

import numpy as np
import pytest
from checks import assert_unchanged, leaves, random_like, snapshot, unleaves
from registry import SPECS
from spec import F64
from test_registry import _smooth, check_outputs, differentiated

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler import native
from ftrans.compiler.native import tiering as backends
from ftrans.core import PRIMITIVES, ClosedJaxpr
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


# Every registry spec jitted under the native backend against eager values, and the
# differentiable ones' jit(jvp) and jit(vjp) programs too. A numba compile costs ~0.1-0.3 s for a
# small program and up to a minute for a large one (scipy.linalg.expm_frechet) on a cold disk
# cache ($FTRANS_CACHE_DIR; a warm one loads each in milliseconds); a program calling numba's
# np.linalg ~4 s under the load below. Measured cold, on 2 cores shared at load ~7: every
# spec's value alone took 2025 s, this file as below 855 s; a small compile took 0.45 s there,
# ~0.08 s on a quiet machine; this file with every spec's value (1,476 programs within the bound
# below) took ~10 min on one idle core. So by default:
# * values: the first spec of each primitive and ftrans.numpy/library function (567 targets)
#   whose traced program has at most NATIVE_CI_EQUATIONS equations (nested programs counted);
#   larger programs are skipped, saying so;
# * derivatives: the first differentiable spec of each primitive, within the same bound.
# FTRANS_TEST_NATIVE=all compiles everything: every spec's value and, for every
# differentiable spec, its jit(jvp) and jit(vjp) programs. FTRANS_NATIVE_CI_EQUATIONS=n moves
# the bound (first specs within it: 478 values and 105 derivatives at 12, 526 and 129 at 24).
EVERYTHING = os.environ.get("FTRANS_TEST_NATIVE") == "all"
NATIVE_CI_EQUATIONS = int(os.environ.get("FTRANS_NATIVE_CI_EQUATIONS", "12"))


def _param(s, check="jit"):
    reason = s.xfail.get(check)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(s, id=s.name, marks=marks)


def _value_specs():
    # no xfail marks: a spec's "jit" known failure is about its jit(jvp) (odeint has no
    # forward mode), and its value under the native backend must hold
    seen, chosen = set(), []
    for s in SPECS:
        if s.meta:
            continue
        if not EVERYTHING:  # by default the first spec of each primitive or function
            if s.target in seen:
                continue
            seen.add(s.target)
        chosen.append(pytest.param(s, id=s.name))
    return chosen


def _derivative_specs():
    seen, chosen = set(), []
    for s in SPECS:
        if s.meta or not _smooth(s):
            continue
        if not EVERYTHING:
            if s.kind != "primitive" or s.target in seen:
                continue
            seen.add(s.target)
        chosen.append(_param(s))
    return chosen


def program_size(jaxpr) -> int:
    """Equations of a program, those of its nested programs (loop bodies, branches) included."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for value in eqn.params.values():
            for sub in value if isinstance(value, tuple) else (value,):
                if isinstance(sub, ClosedJaxpr):
                    total += program_size(sub.jaxpr)
    return total


def _skip_if_large(fun, args):
    size = program_size(ft.make_jaxpr(fun)(*args).jaxpr)
    if not EVERYTHING and size > NATIVE_CI_EQUATIONS:
        pytest.skip(
            f"a program of {size} equations (> {NATIVE_CI_EQUATIONS}): compiled with "
            "FTRANS_TEST_NATIVE=all"
        )


def _compiled_natively(f, args):
    fn = compiled(f.lower(*args).closed)
    # a rule may decline a case (NativeUnsupported names it); numba failing on what a rule
    # wrote is a bug in the rule
    assert "numba could not compile" not in fn.reason, fn.reason
    return fn


@pytest.mark.parametrize("spec", _value_specs())
def test_registry_spec_jitted_natively_matches_eager(spec, rng):
    args = spec.make_args(rng)
    _skip_if_large(spec.fun, args)
    copies = snapshot(args)
    f = ft.jit(spec.fun, backend="native")
    check_outputs(f(*args), spec.reference(*args), spec.value_tol[F64], "jit native")
    assert_unchanged(args, copies, "jit native")
    _compiled_natively(f, args)


@pytest.mark.parametrize("spec", _derivative_specs())
def test_registry_derivatives_jitted_natively_match_eager(spec, rng):
    """jit(jvp) and jit(vjp) of the spec under the native backend equal eager jvp and vjp."""
    args = spec.make_args(rng)
    f, primals = differentiated(spec, args)
    n = len(primals)
    tangents = tuple(random_like(rng, p) for p in primals)
    jvp = lambda *v: ft.jvp(f, v[:n], v[n:])
    _skip_if_large(jvp, (*primals, *tangents))
    out, tangent_out = ft.jvp(f, primals, tangents)
    jitted = ft.jit(jvp, backend="native")
    got = jitted(*primals, *tangents)
    want = leaves(out) + leaves(tangent_out)
    check_outputs(leaves(got), want, spec.grad_tol[F64], "jit(jvp) native")
    _compiled_natively(jitted, (*primals, *tangents))
    cts = [random_like(rng, y) for y in leaves(out)]
    _, f_vjp = ft.vjp(f, *primals)

    def pull_back(*values):
        y, back = ft.vjp(f, *values[:n])
        return back(unleaves(y, list(values[n:])))

    jitted = ft.jit(pull_back, backend="native")
    got = jitted(*primals, *cts)
    check_outputs(leaves(got), leaves(f_vjp(unleaves(out, cts))), spec.grad_tol[F64], "jit(vjp)")
    _compiled_natively(jitted, (*primals, *cts))


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
    assert is_native(ft.jit(chain, backend="auto"), big)  # sin: one vectorised native loop
    plain = lambda x: x * 0.5 + 1.0
    assert not is_native(ft.jit(plain, backend="auto"), big)  # NumPy's SIMD loops win there
    assert not is_native(ft.jit(loop, backend="auto"), big)


def test_unsupported_primitive_runs_numpy_code_and_says_why():
    f = ft.jit(lambda a: ft.scipy.linalg.lu_factor(a)[0] * 2.0, backend="native")
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(f(a), ft.jit(lambda a: ft.scipy.linalg.lu_factor(a)[0] * 2.0)(a))
    assert "no native rule for lu" in compiled(f.lower(a).closed).reason


def test_linalg_runs_natively_over_a_stack_and_fails_like_numpy():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 3, 4, 4))
    a = m @ np.swapaxes(m, -1, -2) + 4 * np.eye(4)  # a (2, 3) stack of SPD matrices

    def f(a):
        low = fnp.linalg.cholesky(a)
        w, v = fnp.linalg.eigh(a)
        return fnp.linalg.solve(a, low), fnp.linalg.slogdet(a)[1], w, v, fnp.linalg.svd(a)[1]

    jf = ft.jit(f, backend="native")
    for got, want in zip(jf(a), ft.jit(f, backend="numpy")(a), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    fn = compiled(jf.lower(a).closed)
    # five LAPACK calls outweigh one function (SEGMENT_WEIGHT): native segments, no NumPy one
    assert fn.reason.startswith("native code") and "NumPy" not in fn.reason, fn.reason
    assert "np.linalg.cholesky(" in fn.source
    singular = ft.jit(lambda a: fnp.linalg.solve(a, a), backend="native")
    with pytest.raises(np.linalg.LinAlgError, match=r"solve: Singular matrix \(matrix of shape"):
        singular(np.zeros((3, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="cholesky: Matrix is not positive definite"):
        ft.jit(fnp.linalg.cholesky, backend="native")(-np.eye(3))


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


def _products(a, b, c):
    ab = lax.dot_general(a, b, dimension_numbers=(([0], [0]), ([], [])))  # a.T @ b
    return ab, lax.dot_general(ab, c, dimension_numbers=(([1], [1]), ([], []))), fnp.dot(b, c.T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_products_call_numpys_blas_and_give_the_numpy_backends_bits(dtype):
    from ftrans.compiler.native import blas

    if not blas.AVAILABLE:
        pytest.skip("this NumPy has no scipy-openblas64 BLAS (generated code keeps np.dot)")
    rng = np.random.default_rng(2)
    args = [rng.standard_normal(s).astype(dtype) for s in ((64, 48), (64, 40), (56, 40))]
    jf = ft.jit(_products, backend="native")
    source = jf.lower(*args).as_text()
    assert source.count("nb.gemm(") == 3 and "np.dot" not in source, source
    assert blas.VERSION in source  # numba's disk cache is keyed by the source
    want = ft.jit(_products, backend="numpy")(*args)
    got = jf(*args)
    assert all(g.dtype == dtype for g in got)
    for k in (0, 1):  # a stored matrix's transpose reaches BLAS as a view under both backends
        np.testing.assert_array_equal(got[k], want[k])  # the same routine, the same operands
    # c.T is a transpose equation: native code copies it to C order, the NumPy code passes
    # the view, and OpenBLAS's kernels for the two layouts round differently
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got[2], want[2], rtol=tol, atol=tol * np.abs(want[2]).max())


def test_without_numpys_blas_products_call_numbas_dot(monkeypatch):
    from ftrans.compiler.native import blas

    monkeypatch.setattr(blas, "AVAILABLE", False)
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(s) for s in ((64, 48), (64, 40), (56, 40))]
    jf = ft.jit(_products, backend="native")
    source = jf.lower(*args).as_text()
    assert source.count("np.dot(") == 3 and "nb." not in source, source
    a, b, c = args
    for got, w in zip(jf(*args), (a.T @ b, a.T @ b @ c.T, b @ c.T), strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_blas_gemm_takes_c_order_and_its_transpose_and_copies_nothing_else(dtype):
    from ftrans.compiler.native import blas

    if not blas.AVAILABLE:
        pytest.skip("this NumPy has no scipy-openblas64 BLAS")
    gemm = blas.gemm
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((33, 20)).astype(dtype), rng.standard_normal((20, 17)).astype(dtype)
    for x in (a, np.asfortranarray(a)):
        for y in (b, np.asfortranarray(b)):
            got = gemm(x, y)
            assert got.dtype == dtype and got.flags.c_contiguous
            np.testing.assert_array_equal(got, x @ y)  # NumPy's @ calls the same routine
    strided = rng.standard_normal((33, 40)).astype(dtype)[:, ::2]  # neither order: np.dot
    np.testing.assert_allclose(gemm(strided, b), strided @ b, rtol=1e-5)
    empty = gemm(np.zeros((3, 0), dtype), np.zeros((0, 2), dtype))
    np.testing.assert_array_equal(empty, np.zeros((3, 2), dtype))


def test_a_cached_program_calling_numpys_blas_runs_in_a_fresh_process(tmp_path):
    """The program's machine code on disk names NumPy's BLAS by a symbol: a second process
    loads it from the cache (no compile) and finds the symbol."""
    import subprocess
    import sys

    from ftrans.compiler.native import blas

    if not blas.AVAILABLE:
        pytest.skip("this NumPy has no scipy-openblas64 BLAS")
    script = (
        "import numpy as np, ftrans as ft\n"
        "from ftrans.interpreters.jit import compiled\n"
        "rng = np.random.default_rng(5)\n"
        "w, x = rng.standard_normal((64, 48)), rng.standard_normal((40, 64))\n"
        "f = ft.jit(lambda w, x: ft.numpy.tanh(x @ w).sum(), backend='native')\n"
        "got = f(w, x)\n"
        "assert np.isclose(got, np.tanh(x @ w).sum(), rtol=1e-12), got\n"
        "fn = compiled(f.lower(w, x).closed).native_fn.fn\n"
        "assert 'nb.gemm(' in f.lower(w, x).as_text()\n"
        "print(sum(fn.stats.cache_hits.values()), repr(float(got)))\n"
    )
    env = dict(os.environ, FTRANS_CACHE_DIR=str(tmp_path))
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    (hits0, value0), (hits1, value1) = (run.stdout.split() for run in runs)
    assert (hits0, hits1) == ("0", "1")  # compiled, then loaded from the disk cache
    assert value0 == value1


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


# ----------------------------------------------------------------------------- last bits
# The docs' claim (docs/guide/jit.md, "Native code"): results equal the NumPy backend's to the
# last bit where the operations are the same (IEEE arithmetic, comparisons, sqrt, rounding,
# casts), and within a few ulp where the function's implementation differs (NumPy's own SIMD
# kernels or libm against numba's libm / LLVM intrinsics, or SVML when numba has it).
# Measured on a few thousand values per primitive, float64 and float32.

_ULP_VALUES = 4096
_EXACT = 0
_TRANSCENDENTAL = 4  # the bound the docs state


def _wide(rng, n):
    """Magnitudes from 1e-6 to 1e6 (log-uniform) with random signs, and values in [-10, 10]."""
    mags = 10.0 ** rng.uniform(-6, 6, n // 2)
    return np.concatenate(
        [mags * rng.choice([-1.0, 1.0], n // 2), rng.uniform(-10, 10, n - n // 2)]
    )


_DOMAINS = {
    "any": _wide,
    "positive": lambda rng, n: np.abs(_wide(rng, n)) + 1e-300,
    "unit": lambda rng, n: rng.uniform(-1, 1, n),
    "above_one": lambda rng, n: 1.0 + np.abs(_wide(rng, n)),
    "above_minus_one": lambda rng, n: np.abs(_wide(rng, n)) - 0.999,
    "moderate": lambda rng, n: rng.uniform(-80, 80, n),  # exp/sinh/cosh without overflow
    "small_exponent": lambda rng, n: rng.uniform(-6, 6, n),
}

# primitive -> (domain of each operand, the largest ulp distance allowed)
_ULP_CASES = {
    "neg": (("any",), _EXACT),
    "abs": (("any",), _EXACT),
    "sign": (("any",), _EXACT),
    "floor": (("any",), _EXACT),
    "ceil": (("any",), _EXACT),
    "round": (("any",), _EXACT),
    "trunc": (("any",), _EXACT),
    "sqrt": (("positive",), _EXACT),
    "add": (("any", "any"), _EXACT),
    "sub": (("any", "any"), _EXACT),
    "mul": (("any", "any"), _EXACT),
    "div": (("any", "any"), _EXACT),
    "max": (("any", "any"), _EXACT),
    "min": (("any", "any"), _EXACT),
    "rem": (("any", "any"), _EXACT),
    "fmod": (("any", "any"), _EXACT),
    "floor_divide": (("any", "any"), _EXACT),
    "exp": (("moderate",), _TRANSCENDENTAL),
    "exp2": (("moderate",), _TRANSCENDENTAL),
    "expm1": (("moderate",), _TRANSCENDENTAL),
    "log": (("positive",), _TRANSCENDENTAL),
    "log2": (("positive",), _TRANSCENDENTAL),
    "log10": (("positive",), _TRANSCENDENTAL),
    "log1p": (("above_minus_one",), _TRANSCENDENTAL),
    "sin": (("any",), _TRANSCENDENTAL),
    "cos": (("any",), _TRANSCENDENTAL),
    "tan": (("any",), _TRANSCENDENTAL),
    "asin": (("unit",), _TRANSCENDENTAL),
    "acos": (("unit",), _TRANSCENDENTAL),
    "atan": (("any",), _TRANSCENDENTAL),
    "sinh": (("moderate",), _TRANSCENDENTAL),
    "cosh": (("moderate",), _TRANSCENDENTAL),
    "tanh": (("any",), _TRANSCENDENTAL),
    "asinh": (("any",), _TRANSCENDENTAL),
    "acosh": (("above_one",), _TRANSCENDENTAL),
    "atanh": (("unit",), _TRANSCENDENTAL),
    "cbrt": (("any",), _TRANSCENDENTAL),
    "logistic": (("any",), _TRANSCENDENTAL),
    "atan2": (("any", "any"), _TRANSCENDENTAL),
    "logaddexp": (("any", "any"), _TRANSCENDENTAL),
    "pow": (("positive", "small_exponent"), _TRANSCENDENTAL),
}


def ulp_distance(got, want) -> np.ndarray:
    """|got - want| in units of the last place of the larger magnitude (in their dtype);
    NaNs in the same places and equal infinities count 0."""
    got, want = np.asarray(got), np.asarray(want)
    both_nan = np.isnan(got) & np.isnan(want)
    same = (got == want) | both_nan
    wide = np.maximum(np.abs(got), np.abs(want))
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(got.astype(np.float64) - want.astype(np.float64))
        ulps = gap / np.abs(np.spacing(wide)).astype(np.float64)
    return np.where(same, 0.0, np.where(np.isnan(ulps), np.inf, ulps))


def _ulp_args(name, dtype):
    domains, _ = _ULP_CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return [np.asarray(_DOMAINS[d](rng, _ULP_VALUES), dtype) for d in domains]


def measured_ulps(name, dtype) -> float:
    """The largest ulp distance between the native and the NumPy backend for ``name``."""
    prim = PRIMITIVES[name]
    args = _ulp_args(name, dtype)
    fun = lambda *xs: prim.bind(*xs)
    native_fn = ft.jit(fun, backend="native")
    got = native_fn(*args)
    assert compiled(native_fn.lower(*args).closed).reason == "native code"
    want = ft.jit(fun, backend="numpy")(*args)
    assert got.dtype == want.dtype == np.dtype(dtype)
    return float(np.max(ulp_distance(got, want)))


def test_every_native_elementwise_primitive_is_measured():
    templated = {k for k, rule in native.NATIVE_RULES.items() if hasattr(rule, "template")}
    bitwise = {
        "and",
        "or",
        "xor",
        "not",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "is_finite",
        "signbit",
        "select",
    }  # fmt: skip  (bool/integer results: exact, see below)
    missing = sorted(templated - set(_ULP_CASES) - bitwise)
    assert not missing, f"elementwise primitives without a last-bits case: {missing}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(_ULP_CASES))
def test_native_results_within_the_stated_ulps_of_numpy(name, dtype):
    allowed = _ULP_CASES[name][1]
    worst = measured_ulps(name, dtype)
    assert worst <= allowed, f"{name} {np.dtype(dtype)}: {worst} ulp from NumPy (allowed {allowed})"


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "is_finite", "signbit"])
def test_native_comparisons_equal_numpy(name):
    prim = PRIMITIVES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = np.round(_wide(rng, _ULP_VALUES), 1)  # rounded: ties for the comparisons
    x[:3] = [np.inf, -np.inf, np.nan]
    args = (x,) if name in ("is_finite", "signbit") else (x, np.roll(x, 1))
    fun = lambda *xs: prim.bind(*xs)
    np.testing.assert_array_equal(
        ft.jit(fun, backend="native")(*args), ft.jit(fun, backend="numpy")(*args)
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_native_floor_divide_is_numpys_at_the_edges(dtype):
    # numba's own np.floor_divide rounds the quotient first: 1.0 // 0.1 would be 10, not 9
    x = np.array([1.0, -1.0, 0.0, -0.0, 1.0, np.inf, np.nan, 5.0, -5.0, 0.0, 41979.125], dtype)
    y = np.array([0.1, 0.1, 3.0, 3.0, 0.0, 2.0, 1.0, -0.0, 2.0, -2.0, -0.8657453], dtype)
    fun = lambda a, b: a // b
    with np.errstate(divide="ignore", invalid="ignore"):
        got, want = ft.jit(fun, backend="native")(x, y), ft.jit(fun, backend="numpy")(x, y)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize(
    "source, target",
    [
        (np.float64, np.float32),
        (np.float32, np.float64),
        (np.float64, np.int32),
        (np.int64, np.float64),
    ],
)
def test_native_casts_equal_numpy(source, target):
    rng = np.random.default_rng(1)
    x = np.asarray(_wide(rng, _ULP_VALUES) * 1e3, source)  # in range for int32
    fun = lambda x: lax.convert_element_type(x, target)
    native_fn = ft.jit(fun, backend="native")
    got, want = native_fn(x), ft.jit(fun, backend="numpy")(x)
    assert compiled(native_fn.lower(x).closed).reason == "native code"
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_linalg_of_non_finite_matrices_is_numpys():
    # numba's np.linalg refuses infs and NaNs; NumPy returns NaNs (or raises): the native code
    # hands such a call to the NumPy code, so both backends give the same answer
    a = np.eye(3)
    a[1, 2] = np.nan

    def f(a):
        q, r = fnp.linalg.qr(a)
        return fnp.linalg.solve(a, a), fnp.linalg.slogdet(a)[1], fnp.linalg.eigvalsh(a), q, r

    jf = ft.jit(f, backend="native")
    with np.errstate(invalid="ignore"):  # NumPy's slogdet warns of the NaN, in both backends
        pairs = zip(jf(a), ft.jit(f, backend="numpy")(a), strict=True)
        for got, want in pairs:
            np.testing.assert_array_equal(got, want)
    reason = compiled(jf.lower(a).closed).reason  # native segments (four LAPACK calls)
    assert reason.startswith("native code") and "NumPy" not in reason, reason
    np.testing.assert_array_equal(jf(np.eye(3) * 2)[0], np.eye(3))  # finite: native again


def _assigned_in_a_try_and_read_after_it(source: str) -> set[str]:
    """Names a ``try`` body assigns that a statement after that ``try`` reads."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(source)):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            for k, stmt in enumerate(statements):
                if not isinstance(stmt, ast.Try):
                    continue
                assigned = {
                    n.id
                    for s in stmt.body
                    for n in ast.walk(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                }
                found |= {
                    n.id
                    for later in statements[k + 1 :]
                    for n in ast.walk(later)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in assigned
                }
    return found


def test_a_lapack_call_after_many_loops_writes_no_name_a_try_leaves_undefined():
    # A variable assigned in a try and read after it is undefined on the except path: numba's
    # SSA pass looked for its definition up the dominator tree to the program's entry, two
    # Python frames a block, and raised RecursionError past ~500 blocks (jit(jvp) of
    # scipy.linalg.sqrtm: 64 LAPACK calls in 1,571 lines). The linalg rules store their results
    # inside the try. Programs that large are now split into native segments (the test below),
    # but one equation (a loop body) may still be that large: the generated source is checked
    # here, without numba's ~35 s compile of a 300-block function.
    def f(a, x):
        for _ in range(150):
            x = x / fnp.sqrt(fnp.sum(x * x)) + 0.1
        return fnp.linalg.solve(a, x[:2]), fnp.linalg.slogdet(a)[1]

    a, x = np.array([[2.0, 0.5], [0.25, 1.5]]), np.linspace(-1.0, 1.0, 16)
    source = native.generate_native(ft.make_jaxpr(f)(a, x))[0]
    assert source.count("try:") == 2 and source.count("for ") > 150
    assert not _assigned_in_a_try_and_read_after_it(source)


def test_a_heavy_program_compiles_as_native_segments_and_explain_says_so(monkeypatch):
    # numba's compile time grows faster than a function's size (1,061 equations of
    # jit(vjp(sqrtm)) did not compile in 36 minutes as one function, 33 s split): a program
    # weighing more than SEGMENT_WEIGHT control statements (a LAPACK call counting
    # LAPACK_WEIGHT) becomes native segments chained from Python, each within the weight
    native_compile = importlib.import_module("ftrans.compiler.native.compile")
    weights = []
    generate = native_compile._generate

    def recording(closed, threads):
        out = generate(closed, threads)
        weights.append((out[4].weight, len(out[4].top_weights)))
        return out

    monkeypatch.setattr(native_compile, "_generate", recording)

    def f(a, x):
        for _ in range(40):
            x = x / fnp.sqrt(fnp.sum(x * x)) + 0.1
        return fnp.linalg.solve(a, x[:2]), fnp.linalg.slogdet(a)[1], x

    a, x = np.array([[2.0, 0.5], [0.25, 1.5]]), np.linspace(-1.0, 1.0, 16)
    jf = ft.jit(f, backend="native")
    for got, want in zip(jf(a, x), ft.jit(f, backend="numpy")(a, x), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    fn = _compiled_natively(jf, (a, x))
    segments = fn.native_fn.steps
    assert len(segments) >= 3 and all(native for native, *_ in segments)
    compiled_weights = weights[-len(segments) :]  # the last generation of each segment
    limit = native_compile.SEGMENT_WEIGHT
    assert weights[0][0] > limit  # the whole program was weighed first
    assert all(w <= limit or eqns == 1 for w, eqns in compiled_weights), compiled_weights
    explained = jf.explain().splitlines()[-1]
    assert f"in {len(segments)} native segments, split where one function" in explained
    assert f"would weigh more than {limit} control statements" in explained
    # rank-0 values cross segment boundaries as 0-d arrays and enter the next segment as
    # scalars, not through the conversion numba's refusal (~0.5 ms a call) would lead to
    converted = []
    monkeypatch.setattr(
        native_compile.NativeCompiled, "_convert", lambda self, args: converted.append(args)
    )
    rank0 = [v for _, step, _, _ in segments for v in step.in_avals if not v.shape]
    assert rank0, "no rank-0 value crosses a boundary: the check below proves nothing"
    jf(a, x)
    assert converted == []


def test_a_program_numba_cannot_compile_runs_numpy_code_and_explain_says_why(monkeypatch):
    # the boundary behind the test above: whatever numba raises while compiling (here the
    # RecursionError it raised on jit(jvp(sqrtm))), the program runs its NumPy code and
    # explain() names numba's error; the registry tests above fail on that reason
    class TooDeep:
        def __init__(self):
            self.overloads = {}

        def compile(self, types):
            raise RecursionError("maximum recursion depth exceeded")

    native_compile = importlib.import_module("ftrans.compiler.native.compile")
    module = type("Module", (), {"program": TooDeep()})
    monkeypatch.setattr(native_compile, "_load", lambda source: module)
    f = ft.jit(lambda x: lax.fori_loop(0, 3, lambda i, c: c * 2.0 + x, x), backend="native")
    assert float(f(1.0)) == 15.0
    reason = "NumPy code: numba could not compile the program: maximum recursion depth exceeded"
    assert f.explain().splitlines()[-1] == f"backend: {reason}"
