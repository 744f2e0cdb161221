"""jit's call path and tiering: the fast caches never return a stale program, tiered entries
switch to the native function once it is ready, and ``explain()`` says which backend runs."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler.native import tiering as backends
from ftrans.interpreters.jit import compiled

try:
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:
    HAVE_NUMBA = False

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")
BACKENDS = ["numpy", pytest.param("native", marks=needs_numba)]


@pytest.fixture(autouse=True)
def _synchronous():
    backends.set_native_sync(True)  # what the root conftest sets; some tests here turn it off
    yield
    backends.set_native_sync(True)


def same(got, want):
    """Equal values, dtypes, shapes and pytree structure."""
    got_leaves, got_tree = ft.tree.flatten(got)
    want_leaves, want_tree = ft.tree.flatten(want)
    assert got_tree == want_tree, (got_tree, want_tree)
    for g, w in zip(got_leaves, want_leaves, strict=True):
        assert type(g) is np.ndarray
        assert g.dtype == np.asarray(w).dtype and g.shape == np.shape(w), (g, w)
        np.testing.assert_array_equal(g, w)


# ----------------------------------------------------------------------------- fast caches


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_array_calls_retrace_on_a_new_dtype_or_shape(backend):
    f = ft.jit(lambda x: x * 2 + 1, backend=backend)
    cases = [np.arange(3.0), np.arange(3.0, dtype=np.float32), np.arange(4.0), np.arange(3)]
    for round_ in range(2):  # the second round hits every entry
        for x in cases:
            same(f(x), x * 2 + 1)
    assert f.cache_info().misses == len(cases) and f.cache_info().hits == len(cases)

    g = ft.jit(lambda x, y: x * y, backend=backend)
    x = np.arange(3.0)
    for y in [np.ones(3), np.ones(3, np.float32), np.ones((2, 3)), np.ones(3, np.int64)]:
        same(g(x, y), x * y)
        same(g(y, x), y * x)  # the key covers both positions


@pytest.mark.parametrize("backend", BACKENDS)
def test_pytree_calls_retrace_on_a_new_structure(backend):
    plus = ft.jit(lambda p: ft.tree.map(lambda v: v + 1, p), backend=backend)
    x, y = np.arange(3.0), np.ones(2)
    trees = [
        (x, y),
        [x, y],  # same leaves, another container: a stale program would return a tuple
        (x, None, y),
        (None, x, y),
        {"a": x, "b": y},
        {"a": x, "c": y},
        {"a": {"b": x}, "c": [y]},
        {"a": {"b": x, "c": y}},
        ((x,), y),
        (x, (y,)),
        (x, 1.0),
        (x, 1),
        (x, True),
        (x, np.float32(1.0)),
    ]
    for round_ in range(2):
        for t in trees:
            same(plus(t), ft.tree.map(lambda v: np.asarray(v) + 1, t))
    assert plus.cache_info().misses == len(trees)


class State(NamedTuple):
    mu: Any
    nu: Any


class Other(NamedTuple):  # the same fields, another class: another treedef
    mu: Any
    nu: Any


class Reversed(NamedTuple):  # registered: flattens nu before mu
    mu: Any
    nu: Any


ft.tree.register_pytree_node(
    Reversed, lambda r: ((r.nu, r.mu), None), lambda _, c: Reversed(c[1], c[0])
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_namedtuples_key_by_class_and_registered_ones_flatten_their_own_way(backend):
    f = ft.jit(lambda s, g: type(s)(s.mu * 0.9 + g, s.nu + g * g), backend=backend)
    mu, nu, g = np.arange(3.0), np.ones(3), np.full(3, 2.0)
    for round_ in range(2):
        for cls in (State, Other, Reversed):
            out = f(cls(mu, nu), g)
            assert type(out) is cls
            same(tuple(out), (mu * 0.9 + g, nu + g * g))
    nu32 = nu.astype(np.float32)
    same(tuple(f(State(mu, nu32), g)), (mu * 0.9 + g, nu32 + g * g))  # a new dtype: a new entry
    assert f.cache_info().misses == 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_dict_insertion_order_shares_one_entry_and_keeps_each_callers_order(backend):
    f = ft.jit(lambda p: {"d": p["a"] - p["b"], "s": p["a"] + p["b"]}, backend=backend)
    a, b = np.arange(3.0), np.full(3, 10.0)
    same(f({"a": a, "b": b}), {"d": a - b, "s": a + b})
    same(f({"b": b, "a": a}), {"d": a - b, "s": a + b})  # the leaves go in sorted-key order
    assert f.cache_info() == ft.jitting.CacheInfo(hits=1, misses=1, size=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scalars_and_keywords_key_by_dtype(backend):
    scale = ft.jit(lambda x, s: x * s, backend=backend)
    xi, x32 = np.arange(3), np.arange(3, dtype=np.float32)
    same(scale(xi, 2), xi * 2)  # int64
    same(scale(xi, 2.0), xi * np.float64(2.0))  # float64: a stale int program would truncate
    same(scale(xi, True), xi * True)
    same(scale(x32, np.float32(2.0)), x32 * np.float32(2.0))  # stays float32
    same(scale(x32, 2.0), x32 * np.asarray(2.0))  # a Python float is float64
    same(scale(x=xi, s=2.5), xi * 2.5)  # keywords: same signature as positions? a new entry
    same(scale(s=3, x=xi), xi * 3)
    same(scale(xi, s=np.float32(0.5)), xi * np.float32(0.5))


@pytest.mark.parametrize("backend", BACKENDS)
def test_static_arguments_still_retrace(backend):
    power = ft.jit(lambda x, n: x**n, static_argnums=1, backend=backend)
    x = np.arange(3.0)
    same(power(x, 2), x**2)
    same(power(x, 3), x**3)
    same(power(x, 2), x**2)
    same(power(x, n=3), x**3)  # by keyword: the same program as by position
    same(power(x.astype(np.float32), 3), x.astype(np.float32) ** 3)
    assert power.cache_info().misses == 3
    with pytest.raises(ft.StaticArgumentError, match="unhashable type list"):
        power(x, [2])

    scaled = ft.jit(lambda p, k, mode: p["a"] * k if mode == "mul" else p["a"] + k,
                    static_argnames="mode")  # fmt: skip
    p = {"a": x}
    same(scaled(p, 2.0, mode="mul"), x * 2)
    same(scaled(p, 2.0, mode="add"), x + 2)  # a stale entry would multiply
    same(scaled(p, 2, mode="add"), x + 2)
    same(scaled(p, k=2.0, mode="mul"), x * 2)
    same(scaled(p, 2.0, mode="mul"), x * 2)
    assert scaled.cache_info().misses == 4


def test_a_cached_entry_under_grad_traces_through_the_program():
    f = ft.jit(lambda p: fnp.sum(p["w"] * p["x"]))
    p = {"w": np.arange(3.0), "x": np.ones(3)}
    assert float(f(p)) == 3.0  # the fast cache now holds this signature
    grads = ft.grad(f)(p)  # tracers: the general path, through jit_call
    same(grads, {"w": np.ones(3), "x": np.arange(3.0)})


@needs_numba
def test_native_fast_path_converts_other_layouts_and_keeps_0d_dtypes():
    double = ft.jit(lambda x: x * 2.0, backend="native")
    base = np.arange(6.0)
    same(double(base[:3]), base[:3] * 2)
    same(double(base[::2]), base[::2] * 2)  # same shape and dtype, strided: converted
    readonly = np.arange(3.0)
    readonly.setflags(write=False)
    same(double(readonly), readonly * 2)
    grid = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    same(double(grid), grid * 2)

    total = ft.jit(lambda x, s: fnp.sum(x) * s, backend="native")
    x32 = np.arange(3, dtype=np.float32)
    same(total(x32, np.float32(2.0)), np.float32(6.0))  # a rank-0 float32 result stays float32
    same(total(x32, np.float32(2.0)), np.float32(6.0))
    same(total(np.arange(3.0), np.asarray(0.5)), np.float64(1.5))  # a 0-d array argument
    same(total(np.arange(3.0), 0.5), np.float64(1.5))  # a Python float
    assert total.cache_info().misses == 2


# ----------------------------------------------------------------------------- tiering


def loop(x):
    return lax.fori_loop(0, 4, lambda i, c: c * 1.5 + x, x)


def loop_reference(x):
    c = x
    for _ in range(4):
        c = c * 1.5 + x
    return c


def _raise(*args):
    raise AssertionError("this function must not run any more")


@needs_numba
def test_tiered_runs_numpy_code_then_switches_the_cached_entry_to_native(monkeypatch):
    from ftrans.compiler import native

    backends.set_native_sync(False)
    gate = threading.Event()
    real = native.compile_native

    def held_compile(closed):  # numba compiles only once the test lets it
        assert gate.wait(60)
        return real(closed)

    monkeypatch.setattr(native, "compile_native", held_compile)
    f = ft.jit(loop, backend="auto")
    x = np.arange(3.0)
    same(f(x), loop_reference(x))  # the NumPy code, at once
    tiered = compiled(f.lower(x).closed)
    assert isinstance(tiered, backends.Tiered) and tiered.native_fn is None
    assert f.explain() == (
        "jit(loop): first call, traced and compiled.\n"
        "backend: native code compiling in a background thread; NumPy code runs until it is ready"
    )
    same(f(x), loop_reference(x))  # still NumPy code
    gate.set()
    tiered.wait()
    assert tiered.reason == "native code"
    assert f.explain().endswith("\nbackend: native code ready")
    # the cached entry now calls the native function itself, not the Tiered wrapper
    tiered.numpy_fn = tiered.native_fn = _raise
    same(f(x), loop_reference(x))


@needs_numba
def test_explain_before_the_background_compile_starts():
    backends.set_native_sync(False)
    f = ft.jit(loop, backend="auto")
    f.lower(np.ones(2))  # traced, not called: nothing compiles yet
    tiered = compiled(f.lower(np.ones(2)).closed)
    assert tiered.status() == (
        "native code compiles in a background thread after the first call; NumPy code runs "
        "until it is ready"
    )


@needs_numba
def test_backend_native_compiles_before_the_first_call():
    backends.set_native_sync(False)
    f = ft.jit(loop, backend="native")
    x = np.arange(3.0)
    same(f(x), loop_reference(x))
    tiered = compiled(f.lower(x).closed)
    assert tiered.native_fn is not None and tiered._thread is None
    assert f.explain().endswith("\nbackend: native code ready")


@needs_numba
def test_auto_judges_a_large_program_in_the_background_and_keeps_numpy_code():
    def chain(x):
        for k in range(40):
            x = x * 0.5 + k
        return x

    backends.set_native_sync(False)
    f = ft.jit(chain, backend="auto")
    x = np.ones(backends.SMALL + 1)
    same(f(x), chain(x))
    tiered = compiled(f.lower(x).closed)
    assert isinstance(tiered, backends.Tiered)  # 80 equations: judged off the caller's thread
    tiered.wait()
    assert tiered.native_fn is None and tiered.reason.startswith("NumPy code (auto: a value of")
    assert "\nbackend: NumPy code: auto: a value of 4097 elements (f64[4097])" in f.explain()
    tiered.numpy_fn = _raise  # the entry holds the NumPy function itself now
    same(f(x), chain(x))


@needs_numba
def test_explain_says_why_numpy_code_runs(monkeypatch):
    tiny = ft.jit(lambda x: x + 1.0, backend="auto")
    tiny(np.ones(3))
    assert tiny.explain() == (
        "jit(<lambda>): first call, traced and compiled.\nbackend: NumPy code: auto: "
        "1 operation(s) and no loop (native code pays from 8 operations or a loop)"
    )
    lu = ft.jit(lambda a: lax.linalg.lu(a)[0], backend="native")  # lu has no native rule
    lu(np.eye(2))
    assert "\nbackend: NumPy code: no native rule for lu" in lu.explain()
    mixed = ft.jit(lambda a: lax.linalg.lu(a * 2.0)[0] + 1.0, backend="native")
    mixed(np.eye(2))  # the arithmetic is native, the lu NumPy
    assert "\nbackend: native code ready (native: 1 equation; NumPy: no native rule for lu" in (
        mixed.explain()
    )
    plain = ft.jit(loop, backend="numpy")
    plain(np.ones(3))
    assert plain.explain() == "jit(loop): first call, traced and compiled."  # nothing to add
    monkeypatch.setattr(backends, "numba_available", lambda: False)
    without = ft.jit(loop, backend="native")
    same(without(np.ones(3)), loop_reference(np.ones(3)))
    assert without.explain().endswith(
        "\nbackend: NumPy code: numba is not installed (pip install 'ftrans[native]')"
    )


def test_a_half_imported_native_module_is_not_native_code(monkeypatch):
    # A background compile importing ftrans.compiler.native.compile while the caller's first
    # call builds its runner (before the package was imported with ftrans): sys.modules then
    # holds the module without its classes yet (seen in the docs build's figure hook as an
    # AttributeError from a partially initialised module).
    import sys
    import types

    monkeypatch.setitem(sys.modules, "ftrans.compiler.native.compile", types.ModuleType("half"))
    f = ft.jit(lambda x, y: (x * 2.0, {"a": y["a"] + 1.0}), backend="numpy")
    got = f(np.arange(3.0), {"a": np.ones(2)})
    same(got, (np.arange(3.0) * 2.0, {"a": np.full(2, 2.0)}))


# ----------------------------------------------------------------------------- "auto" on products


def _mlp_step(activation):
    """An MLP's loss, gradient and an SGD-with-momentum update in float32: products, their
    transposes, a bias gradient (a reduction over the batch) and fused elementwise updates."""

    def step(params, velocity, x, y):
        def loss(p):
            h = activation(x @ p["w0"] + p["b0"])
            return fnp.mean((h @ p["w1"] - y) ** 2)

        value, grads = ft.value_and_grad(loss)(params)
        velocity = ft.tree.map(lambda v, g: 0.9 * v + g, velocity, grads)
        params = ft.tree.map(lambda p, v: p - 0.01 * v, params, velocity)
        return params, velocity, value

    return step


def _mlp_args(batch=64, d_in=96, hidden=80, d_out=8):  # every product BLAS-sized
    rng = np.random.default_rng(0)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    params = {"w0": f32(d_in, hidden), "b0": f32(hidden), "w1": f32(hidden, d_out)}
    velocity = ft.tree.map(lambda p: np.zeros_like(p), params)
    return params, velocity, f32(batch, d_in), f32(batch, d_out)


def _close(got, want):
    got_leaves, got_tree = ft.tree.flatten(got)
    want_leaves, want_tree = ft.tree.flatten(want)
    assert got_tree == want_tree
    for g, w in zip(got_leaves, want_leaves, strict=True):
        assert g.dtype == w.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-5 * max(1.0, np.abs(w).max()))


@needs_numba
def test_auto_runs_native_code_for_a_large_program_built_around_products():
    args = _mlp_args()
    step = _mlp_step(lambda h: fnp.maximum(h, 0.0))
    closed = ft.jit(step).lower(*args).closed
    biggest = max(v.aval.size for e in closed.jaxpr.eqns for v in e.outputs)
    assert biggest > backends.SMALL  # the old rule sent every such program to NumPy code
    f = ft.jit(step, backend="auto")
    _close(f(*args), ft.jit(step, backend="numpy")(*args))
    assert isinstance(compiled(f.lower(*args).closed), backends.Tiered)
    products = sum(e.primitive.name == "dot_general" for e in closed.jaxpr.eqns)
    assert f"; auto: {products} BLAS product(s) (" in f.explain()
    assert f"values up to {biggest} elements" in f.explain()


@needs_numba
@pytest.mark.parametrize(
    ("activation", "why"),
    [
        (fnp.tanh, "tanh on f32[64,80] (libm per element)"),
        (lambda h: h**3, "integer_pow on f32[64,80] (libm per element)"),
        (lambda h: h - fnp.max(h, axis=1, keepdims=True), "reduce_max along the last axis"),
    ],
)
def test_auto_keeps_numpy_code_where_native_loops_lose_to_numpy(activation, why):
    args = _mlp_args()
    f = ft.jit(_mlp_step(activation), backend="auto")
    _close(f(*args), ft.jit(_mlp_step(activation), backend="numpy")(*args))
    assert compiled(f.lower(*args).closed) is not None
    assert "\nbackend: NumPy code: auto: a value of" in f.explain() and why in f.explain()


@needs_numba
def test_auto_keeps_numpy_code_for_a_large_product_that_native_code_loops_over():
    # one GEMM, and a batch of matrix products: the native rule writes loops for the batch
    def f(a, b, w):
        return fnp.matmul(a, b) * 2.0 + a[0] @ w

    a, b = np.ones((8, 32, 48), np.float32), np.ones((8, 48, 24), np.float32)
    w = np.ones((48, 24), np.float32)
    jf = ft.jit(f, backend="auto")
    np.testing.assert_array_equal(jf(a, b, w), np.matmul(a, b) * 2.0 + a[0] @ w)
    assert "a 32x48 by 48x24 product native code runs as loops" in jf.explain()


@needs_numba
def test_the_products_rule_leaves_programs_without_products_alone():
    # (no transcendental either: vectorised_math_pays would take a large sin chain)
    f = ft.jit(lambda x: fnp.sqrt(x) * 2.0 + 1.0, backend="auto")
    x = np.ones(backends.SMALL + 1)
    f(x)
    assert f.explain().endswith(
        f"auto: a value of {x.size} elements (f64[{x.size}]), more than {backends.SMALL} "
        "(NumPy's SIMD loops and BLAS/LAPACK/FFT calls are as fast as native code there)"
    )
    verdict = backends.products_verdict(f.lower(x).closed)
    assert verdict == ("", "")


@needs_numba
def test_libm_bound_is_read_off_each_native_template(monkeypatch):
    from ftrans.compiler.native_rules import NATIVE_RULES

    for name in ("tan", "asinh", "pow"):  # libm calls in every dtype
        assert backends.libm_bound(name), name
        assert backends.libm_bound(name, "float32"), name
    for name in ("exp", "tanh", "log1p", "logistic"):  # vectorised kernels (vecmath) ...
        assert not backends.libm_bound(name), name
        assert backends.libm_bound(name, "float32"), name  # ... which NumPy beats in float32
        with ft.config.override("native_fast_math", False):  # NumPy's functions: libm
            assert backends.libm_bound(name), name
    for name in ("add", "mul", "max", "sqrt", "select", "dot_general", "reduce_sum"):
        assert not backends.libm_bound(name), name
    # a template that stops calling libm stops counting (a vectorised exp, say)
    rule = NATIVE_RULES["exp"]
    monkeypatch.setattr(rule, "template", "my_vector_exp({0})", raising=False)
    monkeypatch.setattr(backends, "_libm_bound", {})
    assert not backends.libm_bound("exp")


# ----------------------------------------------------------------------------- stored values
# (the native generator: a large value read more than once is stored once, fused into the first
# loop nest that reads it at its own index; these programs read such values every other way)


def _fused_and_transposed(x):
    # u is fused into the sum's nest; w, read transposed there, recomputes u (not yet written)
    u = x * 2.0 + 1.0
    w = fnp.sin(u) * u
    return u + w.T, w


def _shifted_rows(x):
    u = x * 2.0 + 1.0  # one nest reads u at its own index, then a row up (not yet written)
    return u + fnp.roll(u, 1, axis=0), u


def _scan_reads(x):
    u = x * 2.0 + 1.0
    c, _ = lax.scan(lambda c, row: (c + row * u[0], None), np.zeros(x.shape[1]), u)
    return c + u[1], u


def _cond_reads(x):
    u = x * 2.0 + 1.0
    return lax.cond(x[0, 0] > 0, lambda: u * 3.0, lambda: u - 1.0) + u


def _rows_then_product(x):
    d = fnp.maximum(x, 0.0) * x
    return d.sum(0), d @ x.T, d


def _columns(x):
    d = x * x - 1.0
    return d.sum(1), d.max(0), d * 2.0


def _moment_update(x):
    m, v = 0.9 * x + 0.1, 0.99 * x * x + 0.01
    return x - 0.1 * m / (fnp.sqrt(v) + 1e-8), m, v


def _small_vector_in_late_loops(x):
    # s is scalars, read at a loop index: each loop needs its array form above it; w's loop is
    # written (into its slot) before u's, which sits higher up
    s = fnp.sign(x[0, :3])
    u = x[:3, :3] * s
    w = x[3:, 3:] * s[:, None]
    return w.T + u.T, u, w


STORED_PROGRAMS = {
    "fused and transposed": _fused_and_transposed,
    "shifted rows": _shifted_rows,
    "in a scan body": _scan_reads,
    "in cond branches": _cond_reads,
    "reduced over rows, then a product": _rows_then_product,
    "reduced over columns": _columns,
    "a moment update": _moment_update,
    "a small vector in late loops": _small_vector_in_late_loops,
}


@needs_numba
@pytest.mark.parametrize("name", list(STORED_PROGRAMS))
def test_stored_values_read_every_way_agree_with_numpy_code(name):
    fn = STORED_PROGRAMS[name]
    x = np.random.default_rng(0).standard_normal((6, 6))
    want = ft.jit(fn, backend="numpy")(x)
    native = ft.jit(fn, backend="native")
    got = native(x)
    tiered = compiled(native.lower(x).closed)
    assert tiered.native_fn is not None and tiered.reason == "native code", tiered.reason
    for g, w in zip(ft.tree.leaves(got), ft.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
        assert g.dtype == w.dtype and g.shape == w.shape


@needs_numba
def test_a_moment_update_is_one_loop_nest_writing_all_three_outputs():
    f = ft.jit(_moment_update, backend="native")
    x = np.ones((30, 40))
    f(x)
    source = f.lower(x).as_text()
    assert source.count("for ") == 2, source  # one 2-D nest
    assert source.count("] = t") == 2, source  # the two moments stored from it
