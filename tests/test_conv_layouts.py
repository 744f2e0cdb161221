"""The convolution's fast paths against the loop reference, across memory layouts.

The implementation picks its copy order and GEMM orientation from the operands' strides
(channels-last activations, the kernel cotangent whose "batch" axis is the forward pass's
features, reversed kernel views) and takes the transposed-convolution ("col2im") path for
stride-1, lhs-dilated calls. Values must not depend on any of that: every case here runs on
the same numbers laid out several ways, and the gradients of the small CNN's layer shapes are
checked against the loop reference's own linear map.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from registry_lax import conv_reference

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.primitives import conv as conv_module


def _laid_out(a, order, reverse_last=False):
    """The values of ``a`` in memory order ``order`` (a permutation of its axes), optionally
    as a view with the last axis reversed."""
    if reverse_last:
        a = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


def _layouts(ndim):
    """C order, channels-last (features innermost), batch-innermost, and a reversed view."""
    spatial = list(range(2, ndim))
    return [
        (list(range(ndim)), False),
        ([0, *spatial, 1], False),
        ([1, *spatial, 0], False),
        ([0, *spatial, 1], True),
    ]


CASES = [  # lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation
    # the small CNN's forward calls: SAME stride 1 on one feature, SAME stride 2
    ((3, 1, 8, 8), (4, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),
    ((3, 4, 8, 8), (5, 4, 3, 3), (2, 2), ((0, 1), (0, 1)), (1, 1), (1, 1)),
    # their kernel cotangents: windows larger than the outputs, dilated by the strides
    ((4, 3, 8, 8), (5, 3, 4, 4), (1, 1), ((0, 1), (0, 1)), (1, 1), (2, 2)),
    ((1, 3, 8, 8), (4, 3, 8, 8), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1)),
    # their input cotangents: lhs dilation 2, every phase written whole or in part
    ((3, 5, 4, 4), (4, 5, 3, 3), (1, 1), ((2, 1), (2, 1)), (2, 2), (1, 1)),
    ((3, 5, 4, 3), (4, 5, 3, 2), (1, 1), ((1, 2), (0, 3)), (2, 3), (1, 2)),
    # negative padding, strides with lhs dilation (the materialised path), 1-d and 3-d
    ((2, 3, 7, 6), (2, 3, 2, 3), (2, 1), ((-1, 2), (1, -2)), (1, 1), (1, 2)),
    ((2, 3, 5, 4), (2, 3, 3, 2), (2, 2), ((1, 1), (0, 1)), (2, 1), (1, 1)),
    ((2, 3, 9), (4, 3, 3), (1,), ((4, 4),), (3,), (2,)),
    ((2, 2, 4, 3, 5), (3, 2, 2, 2, 3), (1, 2, 1), ((1, 0), (0, 1), (2, 1)), (1, 1, 1), (1, 1, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_impl_matches_reference_in_every_layout(case, dtype):
    ls, rs, strides, padding, ld, rd = case
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(ls).astype(dtype), rng.standard_normal(rs).astype(dtype)
    want = conv_reference(x.astype(np.float64), w.astype(np.float64), strides, padding, ld, rd)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    params = dict(
        window_strides=strides,
        padding=padding,
        lhs_dilation=ld,
        rhs_dilation=rd,
        feature_group_count=1,
        batch_group_count=1,
    )
    for (xo, xr), (wo, wr) in itertools.product(_layouts(len(ls)), _layouts(len(rs))):
        got = conv_module.conv_p.impl(_laid_out(x, xo, xr), _laid_out(w, wo, wr), **params)
        assert got.dtype == dtype  # float32 stays float32 (sgemm, not dgemm)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol, err_msg=f"layouts {xo, xr} {wo, wr}")


def test_padding_keeps_a_channels_last_layout():
    """The padded copy is allocated in the input's memory order: a channels-last input stays
    channels-last, so the window copy reads whole runs of features."""
    x = np.zeros((2, 5, 6, 3)).transpose(0, 3, 1, 2)  # (N, C, H, W) with C innermost
    padded = conv_module._dilate_and_pad(x, (1, 1), ((0, 1), (2, 1)))
    assert padded.shape == (2, 3, 6, 9)
    assert padded.strides[1] == padded.itemsize  # features innermost
    assert padded.strides[3] == 3 * padded.itemsize


def _linear_map_gradient(apply, shape, cotangent):
    """The gradient of ``sum(cotangent * apply(v))`` for a linear ``apply``, one basis vector
    at a time (independent of any transpose rule)."""
    grad = np.zeros(shape)
    for index in np.ndindex(*shape):
        basis = np.zeros(shape)
        basis[index] = 1.0
        grad[index] = np.sum(cotangent * apply(basis))
    return grad


@pytest.mark.parametrize(
    "layer",
    [
        ((2, 5, 5, 1), (3, 3, 1, 3), 1),  # the first layer: stride 1, one input feature
        ((2, 6, 6, 3), (3, 3, 3, 4), 2),  # the strided layers
        ((2, 5, 5, 2), (3, 3, 2, 2), 2),  # odd size: the last window reaches the padding
    ],
    ids=str,
)
def test_cnn_layer_gradients_match_the_reference_linear_maps(layer):
    """NHWC / HWIO 'SAME' convolutions like the benchmark CNN's: the gradients with respect
    to both operands (the kernel-cotangent and col2im paths, eager and under jit) against the
    loop reference applied to basis vectors."""
    xs, ws, s = layer
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    dn = ("NHWC", "HWIO", "NHWC")

    def f(x, w):
        return lax.conv_general_dilated(x, w, (s, s), "SAME", dimension_numbers=dn)

    pads = lax.padtype_to_pads(xs[1:3], ws[:2], (s, s), "SAME")

    def reference(x, w):  # NHWC x HWIO -> NHWC through the canonical loop reference
        y = conv_reference(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), (s, s), pads)
        return y.transpose(0, 2, 3, 1)

    ct = rng.standard_normal(reference(x, w).shape)
    want_x = _linear_map_gradient(lambda v: reference(v, w), xs, ct)
    want_w = _linear_map_gradient(lambda v: reference(x, v), ws, ct)

    def loss(x, w):
        return fnp.sum(f(x, w) * ct)

    for grad in (ft.grad(loss, argnums=(0, 1)), ft.jit(ft.grad(loss, argnums=(0, 1)))):
        gx, gw = grad(x, w)
        np.testing.assert_allclose(gx, want_x, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(gw, want_w, rtol=1e-11, atol=1e-11)


def test_no_spatial_dimensions_is_a_matrix_product():
    """Rank-2 operands (no spatial axes) are a plain (N, C) x (O, C) contraction, with its
    gradients (the im2col copy once indexed an empty list of spatial strides here)."""
    from ftrans.primitives.conv import conv_canonical

    rng = np.random.default_rng(3)
    x, w, ct = (rng.standard_normal(s) for s in ((3, 4), (5, 4), (3, 5)))

    def f(x, w):
        return conv_canonical(x, w, window_strides=(), padding=())

    np.testing.assert_allclose(f(x, w), x @ w.T, rtol=1e-12)
    np.testing.assert_allclose(ft.jit(f)(x, w), x @ w.T, rtol=1e-12)
    gx, gw = ft.grad(lambda x, w: fnp.sum(f(x, w) * ct), argnums=(0, 1))(x, w)
    np.testing.assert_allclose(gx, ct @ w, rtol=1e-12)
    np.testing.assert_allclose(gw, ct.T @ x, rtol=1e-12)


@pytest.mark.parametrize(
    "case", CASES + [((1, 2, 1), (1, 2, 1), (1,), ((0, 0),), (2,), (1,))], ids=str
)
def test_results_never_share_the_reused_scratch(case):
    """Temporaries come from per-thread buffers reused across calls; a result must own its
    memory, or the next call would overwrite it (the one-position, one-example transposed
    convolution is the case where the phase buffer's interleave is already contiguous)."""
    ls, rs, strides, padding, ld, rd = case
    params = dict(
        window_strides=strides,
        padding=padding,
        lhs_dilation=ld,
        rhs_dilation=rd,
        feature_group_count=1,
        batch_group_count=1,
    )
    rng = np.random.default_rng(4)
    first = conv_module.conv_p.impl(rng.standard_normal(ls), rng.standard_normal(rs), **params)
    kept = first.copy()
    second = conv_module.conv_p.impl(rng.standard_normal(ls), rng.standard_normal(rs), **params)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)


def test_threads_do_not_share_scratch():
    """Each thread has its own scratch buffers: concurrent convolutions give the serial
    answers."""
    import threading

    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 3, 4, 6)).astype(np.float32)
    inputs = [rng.standard_normal((4, 12, 12, 4)).astype(np.float32) for _ in range(4)]
    dn = ("NHWC", "HWIO", "NHWC")

    def conv(x):
        return lax.conv_general_dilated(x, w, (2, 2), "SAME", dimension_numbers=dn)

    want = [conv(x) for x in inputs]
    got = [[] for _ in inputs]

    def work(i):
        for _ in range(20):
            got[i].append(conv(inputs[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for results, expected in zip(got, want, strict=True):
        for result in results:
            np.testing.assert_array_equal(result, expected)
