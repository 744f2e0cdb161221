"""The eager fast paths of ftrans.lax (concrete NumPy inputs, no transform: NumPy directly)
give exactly what the traced path gives: ``gather`` in every mode and layout of the registry's
cases, ``top_k`` with ties and NaNs where the quick pick is ambiguous."""

from __future__ import annotations

import numpy as np
import pytest
from registry_lax import GATHER_CASES
from test_lax_ragged import CASES as RAGGED_CASES

import ftrans as ft
from ftrans import lax
from ftrans.lax_indexing import _eager_gather_program


@pytest.mark.parametrize("case", GATHER_CASES, ids=[c[0] for c in GATHER_CASES])
@pytest.mark.parametrize("mode", ["clip", "fill", "promise_in_bounds", None])
def test_eager_gather_is_the_traced_gather(case, mode):
    _, xs, ishape, (lo, hi), dn, sizes, _ = case
    assert _eager_gather_program(xs, ishape, dn, sizes, mode) is not None  # the fast path runs
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs)
    for dtype in (np.int64, np.int32):
        idx = rng.integers(lo, hi, ishape).astype(dtype)
        eager = lax.gather(x, idx, dn, sizes, mode=mode, fill_value=0.5)
        traced = ft.jit(lambda x, i: lax.gather(x, i, dn, sizes, mode=mode, fill_value=0.5))(x, idx)
        np.testing.assert_array_equal(eager, traced)
    # lists and a plain tuple of fields (unhashable spellings) take the same path
    listed = lax.gather(x, idx, tuple(list(f) for f in dn), list(sizes), mode=mode, fill_value=0.5)
    np.testing.assert_array_equal(listed, traced)


def test_eager_gather_errors_are_the_general_ones():
    dn = lax.GatherDimensionNumbers((1,), (0,), (0,))
    with pytest.raises(TypeError, match="indices must be integers"):
        lax.gather(np.ones((5, 3)), np.zeros((2, 1)), dn, (1, 3))
    with pytest.raises(ValueError, match="unknown gather/scatter mode"):
        lax.gather(np.ones((5, 3)), np.zeros((2, 1), int), dn, (1, 3), mode="wrap")
    with pytest.raises(Exception, match="slice size 4 on operand axis 1 does not fit"):
        lax.gather(np.ones((5, 3)), np.zeros((2, 1), int), dn, (1, 4))


def _tied_top(x):
    x = x.copy()
    x[..., [3, 50, 120]] = 10.0
    x[..., [7, 9]] = 9.0
    return x


def _top_k_traced(x, k):
    return ft.jit(lambda v: lax.top_k(v, k))(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.standard_normal(200),
        lambda rng: rng.standard_normal((7, 200)),
        lambda rng: rng.integers(0, 6, (5, 200)).astype(float),  # ties at the k-th value
        lambda rng: rng.integers(0, 6, (5, 200)),  # integers with ties
        lambda rng: np.where(rng.random((4, 200)) < 0.01, np.nan, rng.standard_normal((4, 200))),
        lambda rng: np.where(rng.random(200) < 0.2, np.nan, rng.standard_normal(200)),
        lambda rng: _tied_top(rng.standard_normal(200)),  # ties among the k, none at the k-th
        lambda rng: _tied_top(rng.standard_normal((3, 200))),
    ],
)
@pytest.mark.parametrize("k", [1, 5, 30])
def test_eager_top_k_is_the_traced_top_k(make, k):
    x = make(np.random.default_rng(k))
    values, idx = lax.top_k(x, k)
    want_values, want_idx = _top_k_traced(x, k)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(values, want_values)
    assert idx.dtype == np.int32


@pytest.mark.parametrize("case", RAGGED_CASES, ids=[c[0] for c in RAGGED_CASES])
def test_eager_ragged_dot_general_is_the_traced_one(case):
    _, ls, rs, gs_shape, dims, ragged, group = case
    rng = np.random.default_rng(3)
    lhs, rhs = rng.standard_normal(ls), rng.standard_normal(rs)
    numbers = lax.RaggedDotDimensionNumbers(dims, [ragged], group)
    n = ls[ragged]
    g = gs_shape[-1]
    for sizes in ([n] + [0] * (g - 1), [0] * (g - 1) + [n - 1], [-1, n + 2] + [1] * (g - 2)):
        gs = np.broadcast_to(np.asarray(sizes, np.int32), gs_shape).copy()
        f = lambda x, w, s: lax.ragged_dot_general(x, w, s, numbers)
        np.testing.assert_allclose(f(lhs, rhs, gs), ft.jit(f)(lhs, rhs, gs), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("sizes", [[2, 0, 3], [6, 1, 0], [-1, 4, 4], [0, 0, 0]])
def test_eager_ragged_dot_is_the_traced_one(sizes):
    rng = np.random.default_rng(4)
    lhs, rhs, gs = rng.standard_normal((5, 3)), rng.standard_normal((3, 3, 2)), np.array(sizes)
    np.testing.assert_allclose(
        lax.ragged_dot(lhs, rhs, gs), ft.jit(lax.ragged_dot)(lhs, rhs, gs), rtol=1e-14
    )
