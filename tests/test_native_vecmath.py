"""The native backend's vectorised transcendentals (``ftrans.compiler.native.vecmath``).

Every kernel against NumPy: at most 4 ulp apart (ulps counted on the integer views of the
floats) over the whole float range (hypothesis), dense sweeps around each reduction's
boundaries, and exactly NumPy's result at the special values (NaN, infinities, signed zeros,
overflow, underflow). Which inputs each function is swept at comes from one table; a kernel
missing from it fails the registry test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import ftrans as ft  # noqa: E402
import ftrans.numpy as fnp  # noqa: E402
from ftrans.compiler.native import vecmath as vm  # noqa: E402
from ftrans.primitives.elementwise import _logistic_impl  # noqa: E402

MAX_ULP = 4
DTYPES = (np.float64, np.float32)
INT = {np.float64: np.int64, np.float32: np.int32}


@numba.njit(error_model="numpy")
def _apply(kernel, x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = kernel(x[i])
    return out


def kernel(name, dtype):
    return getattr(vm, f"{name}_f{np.dtype(dtype).itemsize * 8}")


def run(name, x):
    return _apply(kernel(name, x.dtype), np.ascontiguousarray(x))


def ulps(a, b) -> np.ndarray:
    """Distance in units in the last place, from the integer views (2^62 where exactly one
    side is NaN; 0 where both are)."""
    ia = a.view(INT[a.dtype.type]).astype(np.int64)
    ib = b.view(INT[b.dtype.type]).astype(np.int64)
    magnitude = np.int64(np.iinfo(INT[a.dtype.type]).max)  # all bits but the sign
    ma, mb = ia & magnitude, ib & magnitude  # ordered like the floats' magnitudes
    same = (ia < 0) == (ib < 0)
    cap = np.int64(1) << 61
    d = np.where(same, np.abs(ma - mb), np.minimum(ma, cap) + np.minimum(mb, cap))
    na, nb = np.isnan(a), np.isnan(b)
    return np.where(na & nb, 0, np.where(na | nb, np.int64(1) << 62, d))


REFERENCE = {
    "exp": np.exp,
    "expm1": np.expm1,
    "exp2": np.exp2,
    "log": np.log,
    "log1p": np.log1p,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "logistic": _logistic_impl,  # the NumPy backend's definition
}


def near(centers, dtype, width=40) -> np.ndarray:
    """Every float within ``width`` ulps of each center (the dense sweeps)."""
    c = np.asarray(centers, dtype)
    c = c[np.isfinite(c)]
    i = c.view(INT[dtype]).astype(np.int64)[:, None] + np.arange(-width, width + 1)
    info = np.iinfo(INT[dtype])
    return np.clip(i, info.min, info.max).astype(INT[dtype]).view(dtype).ravel()


def boundaries(name, dtype) -> np.ndarray:
    """Where each kernel's reduction switches (ties of the rounding to k), its thresholds
    (overflow, underflow, the small-argument cut) and its polynomial's interval ends."""
    fi = np.finfo(dtype)
    k = np.arange(-60, 61)
    big = np.log(np.float64(fi.max))
    tiny = np.log(np.float64(fi.smallest_subnormal))
    if name in ("exp", "expm1", "logistic", "tanh"):
        centers = [*(k + 0.5) * math.log(2), *k * math.log(2), big, tiny, -big, 2.0**-54,
                   -(2.0**-54), 2.0**-27, 22.0, -22.0, 20.0, 40.0, -40.0, 709.0, -745.0,
                   fi.tiny, -fi.tiny]  # fmt: skip
    elif name == "exp2":
        centers = [*(k + 0.5), *k, 1024.0, -1022.0, -1074.0, -1075.0, 128.0, -126.0, -149.0]
    elif name in ("log", "log1p"):
        e = np.arange(-1074, 1024, 7).astype(np.float64)
        centers = [*np.sqrt(0.5) * 2.0**e, 1.0, 2.0, 0.5, fi.tiny, fi.smallest_subnormal,
                   fi.max, 2.0**-54, -(2.0**-54), 1e-300, -0.5, -1.0 + 2.0**-20]  # fmt: skip
        if name == "log1p":
            centers = [*centers, *(np.sqrt(0.5) * 2.0 ** e[(e > -60) & (e < 60)] - 1.0), -1.0]
    else:  # sin, cos
        n = np.concatenate([np.arange(-400, 401), np.geomspace(1e3, 1e12, 300).round()])
        centers = [*n * (math.pi / 4), vm.TRIG_MAX, -vm.TRIG_MAX, 2.0**52, 2.0**53, 1e22,
                   fi.max, 2.0**-26, 2.0**-1022]  # fmt: skip
    with np.errstate(over="ignore"):  # float64 centers beyond float32's range become inf
        return near(np.asarray(centers, np.float64).astype(dtype), dtype)


def specials(dtype) -> np.ndarray:
    fi = np.finfo(dtype)
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, fi.max, -fi.max, fi.tiny,
                     -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal, 1.0, -1.0, 1e4,
                     -1e4, 1e30, -1e30], dtype)  # fmt: skip


def check(name, x):
    with np.errstate(all="ignore"):
        got, want = run(name, x), np.asarray(REFERENCE[name](x), x.dtype)
    assert got.dtype == x.dtype
    d = ulps(got, want)
    worst = int(np.argmax(d)) if d.size else 0
    assert d.size == 0 or d[worst] <= MAX_ULP, (
        f"{name} {x.dtype}: {d[worst]} ulp at x={x[worst]!r}: {got[worst]!r} (NumPy "
        f"{want[worst]!r})"
    )
    # the exact cases: NaN, inf and zero results are NumPy's, sign included
    exact = ~np.isfinite(want) | (want == 0)
    np.testing.assert_array_equal(got[exact], want[exact], err_msg=f"{name} {x.dtype}")
    zero = want == 0
    assert (np.signbit(got[zero]) == np.signbit(want[zero])).all(), f"{name}: sign of zero"


def test_every_kernel_has_a_reference_and_both_dtypes():
    assert set(vm.FUNCTIONS) == set(REFERENCE)
    for name in vm.FUNCTIONS:
        for dtype in DTYPES:
            assert callable(kernel(name, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", vm.FUNCTIONS)
def test_boundaries_and_specials(name, dtype):
    check(name, np.concatenate([boundaries(name, dtype), specials(dtype)]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", vm.FUNCTIONS)
def test_every_bit_pattern_sample(name, dtype):
    # uniform over the bit patterns: every exponent equally often, NaNs and subnormals included
    rng = np.random.default_rng(sum(map(ord, name)) + np.dtype(dtype).itemsize)
    info = np.iinfo(INT[dtype])
    x = rng.integers(info.min, info.max, 100_000, dtype=INT[dtype], endpoint=True).view(dtype)
    check(name, x)
    check(name, rng.uniform(-50, 50, 50_000).astype(dtype))  # where the results are ordinary


def _floats(dtype):
    return hnp.arrays(
        dtype, st.integers(1, 64), elements=st.floats(width=8 * np.dtype(dtype).itemsize)
    )


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(vm.FUNCTIONS), st.sampled_from(DTYPES).flatmap(_floats))
def test_hypothesis_whole_range(name, x):
    check(name, x)


# ----------------------------------------------------------------------------- the native backend


def _jitted(name):
    fn = {"logistic": ft.lax.logistic}.get(name) or getattr(fnp, name)
    return fn, ft.jit(fn, backend="native")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", vm.FUNCTIONS)
def test_native_programs_call_the_kernels(name, dtype):
    x = np.concatenate([specials(dtype), np.linspace(-30, 30, 301, dtype=dtype)])
    fn, jitted = _jitted(name)
    source = jitted.lower(x).as_text()
    assert f"vm.{name}_f{np.dtype(dtype).itemsize * 8}(" in source
    assert vm.VERSION in source  # numba's disk cache is keyed by the source
    with np.errstate(all="ignore"):
        want = np.asarray(fn(x))
        got = jitted(x)
    assert got.dtype == want.dtype == dtype
    assert ulps(got, want).max() <= MAX_ULP


def test_native_fast_math_off_calls_the_c_library():
    x = np.linspace(-3, 3, 50)
    with ft.config.override("native_fast_math", False):
        jitted = ft.jit(lambda v: fnp.sin(v) * fnp.exp(v), backend="native")
        source = jitted.lower(x).as_text()
        got = jitted(x)
    assert "vm." not in source and "np.sin(" in source and vm.VERSION not in source
    np.testing.assert_allclose(got, np.sin(x) * np.exp(x), rtol=1e-15)
    assert ft.config.native_fast_math is True


def test_programs_without_kernels_do_not_import_them():
    source = ft.jit(lambda v: v * 2.0 + 1.0, backend="native").lower(np.ones(20)).as_text()
    assert "vecmath" not in source


def test_the_loop_vectorises():
    # a branch or a call left in a kernel keeps the loop scalar: packed FMAs show it is not
    from llvmlite import binding

    features = binding.get_host_cpu_features()
    if not (features.get("avx2") and features.get("fma")):
        pytest.skip("no AVX2/FMA on this CPU")

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.shape[0]):
            v = x[i]
            out[i] = vm.sin_f64(v) * vm.cos_f64(v) + vm.exp_f64(-v * v) - vm.tanh_f64(v)

    x = np.linspace(-1, 1, 64)
    loop(x, np.empty_like(x))
    asm = loop.inspect_asm(loop.signatures[0])
    assert re.search(r"vfmadd\w*pd\s+%[yz]mm", asm), "the kernel loop did not vectorise"


def _rnn_step_program(hidden, dtype):
    """A scan whose step applies tanh to a ``hidden``-element row read through a strided
    product (``u @ x`` unrolls into reads down a column of ``u``)."""
    rng = np.random.default_rng(0)
    w = (0.3 * rng.normal(size=(hidden, hidden))).astype(dtype)
    u = (0.3 * rng.normal(size=(hidden, 4))).astype(dtype)
    xs = rng.normal(size=(40, 4)).astype(dtype)

    def run(w, u, xs):
        def step(h, x):
            h = fnp.tanh(fnp.dot(w, h) + fnp.dot(u, x))
            return h, None

        return ft.lax.scan(step, fnp.zeros(hidden, dtype), xs)[0]

    return run, (w, u, xs)


def test_rows_inside_loops_use_the_kernels_on_a_computed_argument():
    # 16 float64 elements 40 times: the kernel, its argument written to a buffer first (a
    # kernel fused with strided reads stays scalar); 8 elements or float32: libm's tanh
    run, args = _rnn_step_program(16, np.float64)
    jitted = ft.jit(run, backend="native")
    source = jitted.lower(*args).as_text()
    assert re.search(r"vm\.tanh_f64\(b\d+\[i\d+\]\)", source), source
    want = ft.jit(run, backend="numpy")(*args)  # 40 steps compound each step's few ulp
    np.testing.assert_allclose(jitted(*args), want, rtol=1e-13, atol=1e-15)
    for hidden, dtype in ((8, np.float64), (16, np.float32)):
        run, args = _rnn_step_program(hidden, dtype)
        source = ft.jit(run, backend="native").lower(*args).as_text()
        assert "vm." not in source and "np.tanh(" in source, (hidden, dtype)
    # outside a loop the row is too short to pay for the kernel
    source = ft.jit(fnp.tanh, backend="native").lower(np.ones(16)).as_text()
    assert "vm." not in source


# ----------------------------------------------------------------------------- the "auto" choice


def test_auto_knows_the_kernels():
    from ftrans.compiler.native import tiering

    assert tiering.VECTORISED_MATH == set(vm.FUNCTIONS)


def test_auto_runs_large_elementwise_math_natively_and_says_why():
    from ftrans.compiler.native import tiering

    big = np.linspace(-3, 3, tiering.SMALL + 1)
    w1 = ft.jit(
        lambda v: fnp.sin(v) * fnp.cos(v) + fnp.exp(-v * v) * 0.5 - fnp.tanh(v), backend="auto"
    )
    np.testing.assert_allclose(w1(big), np.sin(big) * np.cos(big) + np.exp(-big * big) * 0.5
                               - np.tanh(big), rtol=1e-14, atol=1e-15)  # fmt: skip
    assert "backend: native code ready; auto: a large elementwise program" in w1.explain()
    # its gradient too: the discarded primal sum left in grad's program does not count
    w2 = ft.jit(ft.grad(lambda v: fnp.sum(fnp.sin(v) * fnp.exp(-v * v))), backend="auto")
    np.testing.assert_allclose(w2(big), (np.cos(big) - 2 * big * np.sin(big)) * np.exp(-big * big),
                               rtol=1e-13, atol=1e-15)  # fmt: skip
    assert "backend: native code ready; auto: a large elementwise program" in w2.explain()
    # a product (BLAS) with a vectorised kernel after it: the products rule takes it; with a
    # libm function (tan) after it, or no transcendental at all: NumPy code, with its reason
    matrix = np.ones((80, 80))
    product = ft.jit(lambda a: fnp.exp(a @ a), backend="auto")
    product(matrix)
    assert "native code ready; auto: 1 BLAS product(s)" in product.explain()
    product = ft.jit(lambda a: fnp.tan(a @ a), backend="auto")
    product(matrix)
    assert "NumPy code: auto: a value of 6400 elements" in product.explain()
    assert "tan on f64[80,80] (libm per element)" in product.explain()
    plain = ft.jit(lambda v: v * 2.0 + 1.0, backend="auto")
    plain(big)
    assert "NumPy code: auto: a value of" in plain.explain()
    single = ft.jit(lambda v: fnp.sin(v) * fnp.cos(v), backend="auto")
    single(big.astype(np.float32))
    assert "NumPy code: auto: a value of" in single.explain()  # float32: NumPy's kernels win
    with ft.config.override("native_fast_math", False):
        exact = ft.jit(lambda v: fnp.sin(v) + 1.0, backend="auto")
        exact(big)
    assert "NumPy code: auto: a value of" in exact.explain()
