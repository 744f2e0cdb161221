"""``lax.ragged_dot_general`` / ``lax.ragged_dot``: the error messages of its shape checks, and
its numbers against JAX's when jax is installed (the registry, ``tests/registry_lax.py``,
checks values against loop references and every transform)."""

from __future__ import annotations

import numpy as np
import pytest

from ftrans import lax

RDN = lax.RaggedDotDimensionNumbers

#: label, lhs shape, rhs shape, group_sizes shape, dot dimension numbers, ragged, group dims
CASES = [
    ("rows", (5, 3), (3, 3, 4), (3,), (((1,), (1,)), ((), ())), 0, [0]),
    ("rows_batched", (2, 5, 3), (3, 2, 3, 4), (2, 3), (((2,), (2,)), ((0,), (1,))), 1, [0]),
    ("rows_outer_free_axis", (4, 5, 3), (3, 3, 2), (4, 3), (((2,), (1,)), ((), ())), 1, [0]),
    ("contracting", (2, 4, 6), (2, 6, 3), (2, 3), (((2,), (1,)), ((0,), (0,))), 2, []),
    ("contracting_shared_sizes", (4, 6), (6, 3), (3,), (((1,), (0,)), ((), ())), 1, []),
    ("contracting_two_axes", (4, 3, 6), (3, 6, 2), (3, 2), (((1, 2), (0, 1)), ((), ())), 2, []),
    ("batch", (5, 2, 3), (5, 3, 4), (3,), (((2,), (1,)), ((0,), (0,))), 0, []),
]


def _group_sizes(rng, shape, total):
    rows = [rng.multinomial(total - rng.integers(0, 2), [1 / shape[-1]] * shape[-1])]
    rows += [rng.multinomial(total, [1 / shape[-1]] * shape[-1]) for _ in range(1, 99)]
    return np.asarray(rows[: int(np.prod(shape[:-1]))], np.int32).reshape(shape)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_jax(case):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    _, ls, rs, gs_shape, dims, ragged, group = case
    rng = np.random.default_rng(len(ls) + len(rs))
    lhs, rhs = rng.standard_normal(ls), rng.standard_normal(rs)
    gs = _group_sizes(rng, gs_shape, ls[ragged])
    ours = lax.ragged_dot_general(lhs, rhs, gs, RDN(dims, [ragged], group))
    theirs = jax.lax.ragged_dot_general(
        lhs, rhs, gs, jax.lax.RaggedDotDimensionNumbers(dims, [ragged], group)
    )
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-12, atol=1e-12)


def test_dimension_numbers_are_values():
    a = RDN((([1], [1]), ([], [])), [0], [0])
    assert a == RDN((((1,), (1,)), ((), ())), (0,), (0,))
    assert hash(a) == hash(RDN((([1], [1]), ([], [])), [0], [0]))
    assert a.lhs_ragged_dimensions == (0,) and a.rhs_group_dimensions == (0,)
    with pytest.raises(AttributeError, match="immutable"):
        a.lhs_ragged_dimensions = (1,)


ROWS = RDN((([1], [1]), ([], [])), [0], [0])
CONTRACT = RDN((([1], [0]), ([], [])), [1], [])
GS = np.array([2, 3])
L, R = np.ones((5, 3)), np.ones((2, 3, 4))  # rows mode: lhs (m, k), rhs (g, k, n)
L2, R2 = np.ones((4, 5)), np.ones((5, 2))  # contracting mode: lhs (m, k), rhs (k, n)


@pytest.mark.parametrize(
    "args, message",
    [
        ((L, R, GS, (((1,), (1,)), ((), ()))), "must be a lax.Ragged"),
        ((L, np.ones((3, 3, 4)), GS, ROWS), "group dimension 0 has size 3, not the 2"),
        ((L, R, GS.astype(float), ROWS), "integer dtype"),
        ((L, R, np.int32(2), ROWS), "rank >= 1"),
        ((L, np.ones((2, 4, 4)), GS, ROWS), "contracting axes have different sizes"),
        (
            (L, R, GS, RDN((([1], [1]), ([], [])), [0], [])),
            "needs exactly one rhs group dimension",
        ),
        (
            (L, R, GS, RDN((([1], [1]), ([], [])), [0], [1])),
            "must be an rhs axis that is neither contracting",
        ),
        ((L2, R2, GS, RDN((([1], [0]), ([], [])), [1], [0])), "takes no rhs"),
        ((L2, R2, GS, RDN((([1], [0]), ([], [])), [0, 1], [])), "exactly one lhs"),
        ((L2, R2, GS, RDN((([1], [0]), ([], [])), [2], [])), "out of range"),
        ((L2, R2, np.ones((3, 2), int), CONTRACT), r"shape \(2,\)"),
    ],
)
def test_shape_errors_say_what_is_wrong(args, message):
    with pytest.raises(TypeError, match=f"lax.ragged_dot_general: .*{message}"):
        lax.ragged_dot_general(*args)


def test_group_offset_and_ragged_dot_shapes():
    with pytest.raises(ValueError, match="group_offset is not supported"):
        lax.ragged_dot(L, R, GS, group_offset=np.array([0]))
    with pytest.raises(TypeError, match=r"lhs must be \(m, k\) and rhs \(g, k, n\)"):
        lax.ragged_dot(np.ones((5, 3)), np.ones((3, 4)), GS)


def test_mixed_dtypes_promote_as_in_jax():
    lhs, rhs = np.ones((3, 2), np.float32), np.ones((2, 2, 2))
    out = lax.ragged_dot(lhs, rhs, np.array([1, 2]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(
        out, lax.ragged_dot(lhs.astype(np.float64), rhs, np.array([1, 2]))
    )
    typed = lax.ragged_dot(lhs, rhs, np.array([1, 2]), preferred_element_type=np.float32)
    assert typed.dtype == np.float32
