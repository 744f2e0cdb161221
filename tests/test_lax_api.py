"""ftrans.lax functions against JAX's numbers (checked in under ``tests/data``, and live when jax
is installed), against loop references, and their error messages."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from registry_lax import CONV_CASES, conv_general_reference, conv_reference

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax

DATA = pathlib.Path(__file__).with_name("data") / "lax_reference.npz"


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA) as data:
        return {k: data[k] for k in data.files}


def _ftrans_cases():
    """The ftrans side of every case in ``tests/data/make_lax_reference.py``, by name."""
    cases = {}
    for label, _, _, kwargs in CONV_CASES:
        cases[f"conv_{label}"] = lambda x, w, kw=kwargs: lax.conv_general_dilated(x, w, **kw)
    for pad in ("SAME", "VALID"):
        for tk in (False, True):
            cases[f"conv_transpose_{pad}_{tk}"] = lambda x, w, p=pad, t=tk: lax.conv_transpose(
                x, w, (2, 2), p, transpose_kernel=t
            )
    cases["conv_transpose_pairs"] = lambda x, w: lax.conv_transpose(
        x, w, (2, 1), [(1, 2), (0, 1)], rhs_dilation=(1, 2)
    )
    cases.update(EXTRA_CASES)
    return cases


EXTRA_CASES: dict = {
    "reduce_window_max_ties": lambda a: lax.reduce_window(
        a, -np.inf, lax.max, (2, 2), (1, 1), "SAME"
    ),
    "reduce_window_sum_dilated": lambda a: lax.reduce_window(
        a, 0.0, lax.add, (2, 2), (2, 1), ((1, 0), (0, 2)), (1, 2), (2, 1)
    ),
    "reduce_window_min_same_lower": lambda a: lax.reduce_window(
        a, np.inf, lax.min, (3, 2), (2, 2), "SAME_LOWER"
    ),
    "cumlogsumexp_rev": lambda a: lax.cumlogsumexp(a, axis=0, reverse=True),
    "cummax_rev": lambda a: lax.cummax(a, axis=0, reverse=True),
    "associative_scan_mul": lambda a: lax.associative_scan(lax.mul, a, axis=1),
    "top_k_ties": lambda a: lax.top_k(a, 3)[0],
    "top_k_indices": lambda a: lax.top_k(a, 3)[1],
    "sort_two_keys": lambda k, v: lax.sort((k, v), num_keys=1)[1],
    "sort_axis0": lambda a: lax.sort(a, dimension=0),
    "dynamic_slice_clamped": lambda a: lax.dynamic_slice(a, (3, -2), (2, 3)),
    "dynamic_update_slice_clamped": lambda a, u: lax.dynamic_update_slice(a, u, (-1, 4)),
    "round_away": lambda a: lax.round(a),
    "round_even": lambda a: lax.round(a, lax.RoundingMethod.TO_NEAREST_EVEN),
    "patches": lambda a: lax.conv_general_dilated_patches(
        a, (2, 3), (1, 2), "SAME", dimension_numbers=("NHWC", "OIHW", "NHWC")
    ),
    "pad_negative": lambda a: lax.pad(a, -1.0, [(1, -2, 1), (-1, 0, 2)]),
    "clamp": lambda a: lax.clamp(-0.5, a, 0.5),
    "rsqrt": lambda a: lax.rsqrt(a),
    "argmax_int32": lambda a: lax.argmax(a, 1, np.int32),
    "conv_local": lambda a, w: lax.conv_general_dilated_local(
        a, w, (1, 2), "SAME", (2, 3), dimension_numbers=("NHWC", "OIHW", "NHWC")
    ),
}


def _names(reference):
    return sorted({k.split("/")[0] for k in reference})


def test_reference_file_covers_every_case(reference):
    assert set(_names(reference)) == set(_ftrans_cases())


@pytest.mark.parametrize("name", sorted(_ftrans_cases()))
def test_against_checked_in_jax_numbers(name, reference):
    fun = _ftrans_cases()[name]
    inputs = []
    while f"{name}/in{len(inputs)}" in reference:
        inputs.append(reference[f"{name}/in{len(inputs)}"])
    out = fun(*inputs)
    want = reference[f"{name}/out"]
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-10, atol=1e-10)
    assert np.asarray(out).dtype == want.dtype
    if f"{name}/ct" in reference:
        ct = reference[f"{name}/ct"]
        argnums = tuple(i for i in range(len(inputs)) if f"{name}/grad{i}" in reference)
        grads = ft.grad(lambda *a: fnp.sum(fun(*a) * ct), argnums=argnums)(*inputs)
        for i, g in zip(argnums, grads, strict=True):
            np.testing.assert_allclose(g, reference[f"{name}/grad{i}"], rtol=1e-9, atol=1e-10)


# ----------------------------------------------------------------------------- convolutions


@pytest.fixture(scope="module")
def jlax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


CONFIGS = [  # lhs, rhs, strides, padding, lhs_dilation, rhs_dilation, groups, batch groups
    ((2, 3, 7, 6), (4, 3, 3, 2), (1, 1), "VALID", None, None, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 3), "SAME", None, (2, 1), 1, 1),
    ((2, 4, 9), (6, 2, 3), (2,), [(2, -1)], (3,), (2,), 2, 1),
    ((4, 4, 9), (6, 4, 3), (1,), [(1, 1)], None, None, 1, 2),
    ((2, 6, 5, 5), (6, 1, 3, 3), (2, 2), [(1, 2), (0, 1)], (2, 1), None, 6, 1),
    ((1, 2, 4, 5, 3), (3, 2, 2, 2, 2), (1, 2, 1), "SAME_LOWER", None, None, 1, 1),
    ((2, 2, 3), (3, 2, 5), (1,), "VALID", None, None, 1, 1),  # window larger than input
    # stride 1 with lhs dilation: the col2im path (no zeros materialised)
    ((2, 3, 5, 4), (4, 3, 3, 2), (1, 1), [(2, -1), (0, 3)], (2, 3), (1, 2), 1, 1),
    ((1, 2, 6), (2, 2, 4), (1,), [(-3, 5)], (3,), (2,), 1, 1),
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_conv_matches_loop_reference(config):
    ls, rs, strides, padding, ld, rd, g, b = config
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(ls), rng.standard_normal(rs)
    got = lax.conv_general_dilated(
        x, w, strides, padding, ld, rd, feature_group_count=g, batch_group_count=b
    )
    want = conv_general_reference(x, w, strides, padding, ld, rd, None, g, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# JAX compiles every call anew, which is slow: the checked-in numbers cover the plain cases, so
# live comparisons run on the grouped, batch-grouped and lhs-dilated configurations only
@pytest.mark.parametrize("config", [CONFIGS[2], CONFIGS[3], CONFIGS[7]], ids=str)
def test_conv_matches_jax_live(config, jlax):
    jax = jlax
    ls, rs, strides, padding, ld, rd, g, b = config
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(ls), rng.standard_normal(rs)
    kw = dict(lhs_dilation=ld, rhs_dilation=rd, feature_group_count=g, batch_group_count=b)

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, **kw)

    def fj(x, w):
        return jax.lax.conv_general_dilated(x, w, strides, padding, **kw)

    y = f(x, w)
    np.testing.assert_allclose(y, fj(x, w), rtol=1e-12, atol=1e-12)
    ct = rng.standard_normal(y.shape)
    grads = ft.grad(lambda x, w: fnp.sum(f(x, w) * ct), argnums=(0, 1))(x, w)
    want = jax.grad(lambda x, w: (fj(x, w) * ct).sum(), argnums=(0, 1))(x, w)
    for a, e in zip(grads, want, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-11, atol=1e-12)
    for axes in ((None, 0), (2, 1)):  # (0, None) and (0, 0): the registry vmap checks
        xs = np.stack([x] * 2, axes[0]) * 1.5 if axes[0] is not None else x
        ws = np.stack([w, -w], axes[1]) if axes[1] is not None else w
        got = ft.vmap(f, in_axes=axes)(xs, ws)
        np.testing.assert_allclose(got, jax.vmap(fj, in_axes=axes)(xs, ws), rtol=1e-12, atol=1e-12)


def test_conv_jit_grad_of_grad_small_cnn():
    """A two-layer CNN under jit: value, gradient and a Hessian-vector product agree with the
    same program run eagerly (and the gradient with central differences)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 6, 1))
    params = (rng.standard_normal((3, 3, 1, 4)) * 0.5, rng.standard_normal((3, 3, 4, 2)) * 0.3)

    def loss(params, x):
        w1, w2 = params
        dn = ("NHWC", "HWIO", "NHWC")
        h = fnp.tanh(lax.conv_general_dilated(x, w1, (1, 1), "SAME", dimension_numbers=dn))
        y = lax.conv_general_dilated(h, w2, (2, 2), "VALID", dimension_numbers=dn)
        return fnp.sum(y**2)

    g_eager = ft.grad(loss)(params, x)
    g_jit = ft.jit(ft.grad(loss))(params, x)
    for a, b in zip(g_eager, g_jit, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    from ftrans.numerical import check_grads

    check_grads(lambda w1, w2: loss((w1, w2), x), params, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("n, stride, padding", [(8, 2, "SAME"), (7, 1, "SAME"), (7, 2, "VALID")])
def test_conv_transpose_kernel_is_the_gradient_of_conv(n, stride, padding):
    # holds when the strides tile the input exactly (otherwise the sizes differ, as in JAX)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, n, n, 2))
    w = rng.standard_normal((3, 3, 2, 2))
    dn = ("NHWC", "HWIO", "NHWC")
    s = (stride, stride)
    y, back = ft.vjp(lambda x: lax.conv_general_dilated(x, w, s, padding, dimension_numbers=dn), x)
    ct = rng.standard_normal(y.shape)
    (gx,) = back(ct)
    t = lax.conv_transpose(ct, w, s, padding, dimension_numbers=dn, transpose_kernel=True)
    np.testing.assert_allclose(t, gx, rtol=1e-12, atol=1e-12)


def test_conv_wrappers_and_shape_helpers(jlax):
    jax = jlax
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((5, 3, 3, 2))
    np.testing.assert_allclose(
        lax.conv(x, w, (2, 1), "SAME"), jax.lax.conv(x, w, (2, 1), "SAME"), rtol=1e-12
    )
    np.testing.assert_allclose(
        lax.conv_with_general_padding(x, w, (1, 2), [(1, 0), (2, 2)], (1, 2), (2, 1)),
        jax.lax.conv_with_general_padding(x, w, (1, 2), [(1, 0), (2, 2)], (1, 2), (2, 1)),
        rtol=1e-12,
    )
    for dn in [("NHWC", "HWIO", "NHWC"), ("NCHW", "OIHW", "NCHW"), ("HWCN", "IOWH", "WHNC")]:
        got = lax.conv_dimension_numbers((1, 2, 3, 4), (4, 3, 2, 1), dn)
        assert tuple(map(tuple, got)) == tuple(
            map(tuple, jax.lax.conv_dimension_numbers((1, 2, 3, 4), (4, 3, 2, 1), dn))
        )
    assert lax.conv_shape_tuple((2, 3, 9, 9), (8, 3, 3, 3), (2, 2), "SAME") == tuple(
        jax.lax.conv_shape_tuple((2, 3, 9, 9), (8, 3, 3, 3), (2, 2), "SAME")
    )
    args = ((2, 9, 9, 3), (3, 3, 3, 8), (2, 1), "VALID", ("NHWC", "HWIO", "NHWC"))
    assert lax.conv_general_shape_tuple(*args) == tuple(jax.lax.conv_general_shape_tuple(*args))
    args = ((1, 4, 4, 2), (3, 3, 2, 5), (2, 2), "SAME", ("NHWC", "HWIO", "NHWC"))
    assert lax.conv_transpose_shape_tuple(*args) == tuple(jax.lax.conv_transpose_shape_tuple(*args))
    for pad in ("SAME", "SAME_LOWER", "VALID"):
        assert lax.padtype_to_pads((5, 6), (3, 2), (2, 4), pad) == [
            tuple(p) for p in jax.lax.padtype_to_pads((5, 6), (3, 2), (2, 4), pad)
        ]


def test_conv_precision_and_preferred_element_type():
    x = np.ones((1, 1, 4), np.float32)
    w = np.ones((1, 1, 2), np.float32)
    y = lax.conv(x, w, (1,), "VALID", precision=lax.Precision.HIGHEST)
    assert y.dtype == np.float32
    y = lax.conv(x, w, (1,), "VALID", preferred_element_type=np.float64)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [[[2.0, 2.0, 2.0]]])


def test_conv_integer_operands():
    x = np.arange(6).reshape(1, 1, 6)
    w = np.array([[[1, -1]]])
    np.testing.assert_array_equal(lax.conv(x, w, (1,), "VALID"), [[[-1] * 5]])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(dimension_numbers=("NCHW", "OIHW")), TypeError, "three strings"),
        (dict(dimension_numbers=("NCHW", "OIHW", "NCH")), TypeError, "has 3 characters"),
        (dict(dimension_numbers=("NCHW", "OXHW", "NCHW")), TypeError, "'O' and 'I'"),
        (dict(dimension_numbers=("NCHW", "OIHW", "NCWX")), TypeError, "same spatial"),
        (dict(dimension_numbers=("NNHW", "OIHW", "NCHW")), TypeError, "'N' and 'C'"),
        (dict(padding="FULL"), ValueError, "SAME_LOWER"),
        (dict(padding=[(1, 1)]), ValueError, "1 .low, high. pairs but the convolution has 2"),
        (dict(window_strides=(1,)), ValueError, "window_strides has 1 entries"),
        (dict(window_strides=(0, 1)), ValueError, "must be positive"),
        (dict(feature_group_count=2), Exception, "feature_group_count=2"),
        (dict(batch_group_count=3), Exception, "batch_group_count=3"),
        (dict(lhs_dilation=(2, 1)), ValueError, "string padding with lhs_dilation"),
    ],
)
def test_conv_errors(kwargs, error, match):
    x, w = np.ones((2, 3, 5, 5)), np.ones((4, 3, 2, 2))
    args = dict(window_strides=(1, 1), padding="SAME")
    args.update(kwargs)
    with pytest.raises(error, match=match):
        lax.conv_general_dilated(x, w, **args)


def test_conv_operand_errors():
    with pytest.raises(Exception, match="share a dtype"):
        lax.conv(np.ones((1, 1, 4)), np.ones((1, 1, 2), np.float32), (1,), "VALID")
    with pytest.raises(Exception, match="input feature size 2"):
        lax.conv(np.ones((1, 3, 4)), np.ones((1, 2, 2)), (1,), "VALID")
    with pytest.raises(TypeError, match="one rank"):
        lax.conv(np.ones((1, 3, 4)), np.ones((1, 3)), (1,), "VALID")


def test_conv_reference_helper_is_a_correlation():
    # the loop reference itself against np.correlate, so it is not just checked against itself
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(9), rng.standard_normal(3)
    got = conv_reference(x[None, None], w[None, None], (1,), [(0, 0)])
    np.testing.assert_allclose(got[0, 0], np.correlate(x, w, "valid"), rtol=1e-12)


# ----------------------------------------------------------------------------- other functions


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: lax.dynamic_slice(np.ones((3, 4)), (0,), (1, 1)), Exception, "1 start indices"),
        (lambda: lax.dynamic_slice(np.ones(4), (0.5,), (1,)), TypeError, "integer scalars"),
        (lambda: lax.dynamic_slice(np.ones(4), (0,), (5,)), Exception, "do not fit"),
        (
            lambda: lax.dynamic_update_slice(np.ones(4), np.ones(2, np.float32), (0,)),
            TypeError,
            "operand's dtype",
        ),
        (
            lambda: lax.reduce_window(np.ones(4), 0.0, lax.add, (2, 2), (1,), "VALID"),
            ValueError,
            "window_dimensions",
        ),
        (
            lambda: lax.reduce_window(np.ones(4), 0.0, lax.add, (2,), (0,), "VALID"),
            ValueError,
            "must be positive",
        ),
        (
            lambda: lax.reduce_window((np.ones(4),), 0.0, lax.add, (2,), (1,), "VALID"),
            TypeError,
            "single array",
        ),
        (lambda: lax.sort((np.ones(3), np.ones(4))), Exception, "share one shape"),
        (lambda: lax.sort(np.ones(3), num_keys=2), ValueError, "num_keys=2"),
        (lambda: lax.top_k(np.ones(3), 4), ValueError, "k=4"),
        (
            lambda: lax.associative_scan(lax.add, (np.ones(3), np.ones(4))),
            ValueError,
            "one length",
        ),
        (
            lambda: lax.associative_scan(lambda a, b: a[0], (np.ones(3), np.ones(3))),
            TypeError,
            "structure",
        ),
        (lambda: lax.map(lambda v: v, (np.ones(3), np.ones(2))), ValueError, "leading axis"),
        (lambda: lax.reduce((np.ones(3),), (0.0, 1.0), lax.add, (0,)), TypeError, "init values"),
        (lambda: lax.expand_dims(np.ones(3), (0, 0)), ValueError, "repeated"),
        (lambda: lax.index_in_dim(np.ones(3), 3), IndexError, "out of bounds"),
        (lambda: lax.batch_matmul(np.ones((2, 3)), np.ones(3)), ValueError, "one rank >= 2"),
        (lambda: lax.dot(np.ones((2, 2, 2)), np.ones(2)), TypeError, "dot_general"),
        (lambda: lax.bitcast_convert_type(np.ones(2), np.int32), TypeError, "differ in width"),
        (lambda: lax.psum(np.ones(2), "i"), NameError, "unbound axis name 'i'"),
    ],
)
def test_errors_name_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dynamic_slice_under_jit_vmap_grad():
    x = np.arange(20.0).reshape(4, 5)

    def f(x, i, j):
        return lax.dynamic_slice(x, (i, j), (2, 2))

    np.testing.assert_array_equal(ft.jit(f)(x, 3, -1), x[2:4, 3:5])
    starts = np.array([0, 2, 5, -7])
    got = ft.vmap(f, in_axes=(None, 0, 0))(x, starts, starts)
    rows, cols = (0, 2, 2, 0), (0, 2, 3, 0)  # clamped (and wrapped: -7 + 4, -7 + 5)
    want = np.stack([x[a : a + 2, b : b + 2] for a, b in zip(rows, cols, strict=True)])
    np.testing.assert_array_equal(got, want)
    g = ft.grad(lambda x: fnp.sum(ft.vmap(f, in_axes=(None, 0, 0))(x, starts, starts)))(x)
    counts = sum(
        np.pad(np.ones((2, 2)), ((a, 2 - a), (b, 3 - b))) for a, b in zip(rows, cols, strict=True)
    )
    np.testing.assert_array_equal(g, counts)
    # a fori_loop writing rows with a traced index
    out = ft.jit(
        lambda: lax.fori_loop(
            0,
            3,
            lambda i, acc: lax.dynamic_update_index_in_dim(acc, fnp.full(2, 1.0 * i), i, 0),
            fnp.zeros((3, 2)),
        )
    )()
    np.testing.assert_array_equal(out, [[0, 0], [1, 1], [2, 2]])


def test_associative_scan_matches_sequential_scan_on_a_matrix_recurrence():
    rng = np.random.default_rng(7)
    mats = rng.standard_normal((9, 2, 2)) * 0.7
    out = lax.associative_scan(lambda a, b: fnp.matmul(b, a), mats)
    acc, want = np.eye(2), []
    for m in mats:
        acc = m @ acc
        want.append(acc)
    np.testing.assert_allclose(out, np.stack(want), rtol=1e-12, atol=1e-12)
    jitted = ft.jit(lambda m: lax.associative_scan(lambda a, b: fnp.matmul(b, a), m))(mats)
    np.testing.assert_allclose(jitted, out, rtol=1e-12)


def test_wrappers_with_jax_numbers(jlax):
    jax = jlax
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4))
    pairs = [
        (lambda m: m.collapse(x, 0, 2), None),
        (lambda m: m.expand_dims(x, (0, 3)), None),
        (lambda m: m.broadcast(x, (2,)), None),
        (lambda m: m.broadcasted_iota(np.int32, (2, 3), 1), None),
        (lambda m: m.iota(np.float32, 4), None),
        (lambda m: m.full((2, 2), 3.0), None),
        (lambda m: m.full_like(x, 2), None),
        (lambda m: m.slice_in_dim(x, 1, None, axis=1), None),
        (lambda m: m.index_in_dim(x, -1, axis=0, keepdims=False), None),
        (lambda m: m.dynamic_slice_in_dim(x, 3, 2, axis=0), None),
        (lambda m: m.dynamic_index_in_dim(x, -1, axis=1), None),
        (lambda m: m.reshape(x, (4, 3), dimensions=(1, 0)), None),
        (lambda m: m.select_n(x > 0, x, -x), None),
        (lambda m: m.integer_pow(x, 3), None),
        (lambda m: m.square(x), None),
        (lambda m: m.reduce_sum(x, (1,)), None),
        (lambda m: m.cumsum(x, 1, reverse=True), None),
        (lambda m: m.sort_key_val(x[0], x[1])[1], None),
        (
            lambda m: m.shift_right_logical(
                np.array([-8, 8], np.int32), np.array([1, 2], np.int32)
            ),
            None,
        ),
        (
            lambda m: m.shift_right_arithmetic(
                np.array([-8, 8], np.int32), np.array([1, 2], np.int32)
            ),
            None,
        ),
        (lambda m: m.population_count(np.array([-1, 5], np.int16)), None),
        (lambda m: m.clz(np.array([-1, 5, 0], np.int64)), None),
        (lambda m: m.reduce_xor(np.array([[1, 2], [3, 7]]), (1,)), None),
        (lambda m: m.tile(x, (2, 1)), None),
        (lambda m: m.stack([x, x], 1), None),
        (lambda m: m.batch_matmul(x[None], x.T[None]), None),
        (lambda m: m.dot(x, x.T), None),
        (lambda m: m.nextafter(x, x + 1), None),
    ]
    for make, _ in pairs:
        got = make(lax)
        want = np.asarray(make(jax.lax))
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
        assert np.asarray(got).dtype == want.dtype or want.dtype.kind == np.asarray(got).dtype.kind


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_conv_vmap_each_operand_against_a_loop(config):
    ls, rs, strides, padding, ld, rd, g, b = config
    rng = np.random.default_rng(9)
    xs, ws = rng.standard_normal((2, *ls)), rng.standard_normal((3, *rs))
    kw = dict(lhs_dilation=ld, rhs_dilation=rd, feature_group_count=g, batch_group_count=b)

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, **kw)

    got = ft.vmap(f, in_axes=(None, 0))(xs[0], ws)
    np.testing.assert_allclose(got, np.stack([f(xs[0], w) for w in ws]), rtol=1e-12, atol=1e-12)
    got = ft.vmap(f, in_axes=(0, None), out_axes=1)(xs, ws[0])
    np.testing.assert_allclose(got, np.stack([f(x, ws[0]) for x in xs], 1), rtol=1e-12, atol=1e-12)
    got = ft.vmap(f, in_axes=(0, 0))(xs, ws[:2])
    np.testing.assert_allclose(got, np.stack([f(x, w) for x, w in zip(xs, ws[:2])]), atol=1e-12)
