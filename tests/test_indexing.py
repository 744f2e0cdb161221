"""NumPy indexing (``x[idx]``) and functional updates (``x.at[idx].set/add/...``) on traced arrays.

Every result is compared with NumPy itself: values and tangents through ``jvp`` (so the traced
path runs), gradients against ``numpy.add.at`` or central differences, and the jaxpr of basic
indexing against the primitives it may use.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.numpy._indexing import IndexUpdateHelper, at


def sample(shape):
    return np.random.normal(size=shape)  # seeded per test by conftest


def positions(shape, index):
    """The flat positions of the elements ``x[index]`` selects, shaped like ``x[index]``."""
    return np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index]


def gather_transpose(shape, index, cotangent):
    """What the gradient of ``(x[index] * cotangent).sum()`` must be: a scatter-add."""
    pos = positions(shape, index)
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, pos.ravel(), np.broadcast_to(cotangent, pos.shape).ravel())
    return out.reshape(shape)


def central_grad(f, args, argnum, eps=1e-6):
    """Central differences of a scalar NumPy function ``f(*args)`` wrt ``args[argnum]``."""
    args = [np.array(a, dtype=float) for a in args]
    x = args[argnum]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi = [a.copy() for a in args]
        lo = [a.copy() for a in args]
        hi[argnum][i] += eps
        lo[argnum][i] -= eps
        grad[i] = (f(*hi) - f(*lo)) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------- index strategy


@st.composite
def indexed_arrays(draw, with_arrays=True):
    """An array shape and a NumPy index for it, mixing every kind of index NumPy accepts."""
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    if ndim and draw(st.integers(0, 7)) == 0:
        shape = (*shape[:-1], 0)
    kinds = ["int", "slice", "none", "ellipsis"]
    if with_arrays:
        kinds += ["array", "list", "mask", "bool"]
    block = draw(st.sampled_from([(2,), (3,), (1,), (2, 3), (3, 1)]))
    plan, consumed, seen_ellipsis = [], 0, False
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=ndim + 2)):
        if kind == "ellipsis":
            if seen_ellipsis:
                continue
            seen_ellipsis = True
            plan.append((kind, 0))
        elif kind in ("none", "bool"):
            plan.append((kind, 0))
        elif consumed < ndim:
            width = draw(st.integers(1, min(2, ndim - consumed))) if kind == "mask" else 1
            plan.append((kind, width))
            consumed += width
    # Axes: from the front before an ellipsis, from the back after it.
    after = 0
    if seen_ellipsis:
        split = [k for k, _ in plan].index("ellipsis")
        after = sum(w for _, w in plan[split + 1 :])
    axis = 0
    index = []
    for kind, width in plan:
        if kind == "ellipsis":
            index.append(Ellipsis)
            axis = ndim - after
            continue
        sizes = shape[axis : axis + width]
        axis += width
        if kind == "none":
            index.append(None)
        elif kind == "bool":
            index.append(draw(st.booleans()))
        elif kind == "slice" or (kind == "int" and sizes[0] == 0):
            n = sizes[0]
            bound = st.none() | st.integers(-n - 2, n + 2)
            step = st.none() | st.sampled_from([1, 2, 3, -1, -2, -3])
            index.append(slice(draw(bound), draw(bound), draw(step)))
        elif kind == "int":
            index.append(draw(st.integers(-sizes[0], sizes[0] - 1)))
        elif kind == "mask":
            count = int(np.prod(sizes))
            bits = draw(st.lists(st.booleans(), min_size=count, max_size=count))
            index.append(np.array(bits, dtype=bool).reshape(sizes))
        else:
            n = sizes[0]
            # A shape that broadcasts to `block`: some dims 1, maybe the leading one dropped.
            ishape = tuple(d if draw(st.booleans()) else 1 for d in block)
            ishape = (0,) if n == 0 else ishape[draw(st.integers(0, 1)) :]
            size = int(np.prod(ishape))
            values = []
            if size:
                values = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            arr = np.array(values, dtype=np.int64).reshape(ishape)
            index.append(arr.tolist() if kind == "list" and arr.ndim else arr)
    return shape, tuple(index) if draw(st.booleans()) or len(index) != 1 else index[0]


# ----------------------------------------------------------------------------- reading


def check_getitem(shape, index):
    x = np.arange(int(np.prod(shape)), dtype=float).reshape(shape) + 0.5
    t = sample(shape)
    try:
        expected = x[index]
    except IndexError:
        with pytest.raises(IndexError):
            ft.jvp(lambda a: a[index], (x,), (t,))
        return
    y, ty = ft.jvp(lambda a: a[index], (x,), (t,))
    assert np.shape(y) == expected.shape and np.shape(ty) == expected.shape
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(ty, t[index])
    w = sample(expected.shape)
    g = ft.grad(lambda a: (a[index] * w).sum())(x)
    np.testing.assert_allclose(g, gather_transpose(shape, index, w), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(indexed_arrays(with_arrays=False))
def test_basic_indexing_matches_numpy(case):
    check_getitem(*case)


@settings(max_examples=30, deadline=None)
@given(indexed_arrays())
def test_any_indexing_matches_numpy(case):
    check_getitem(*case)


M23 = np.array([[True, False, True], [False, False, True]])
M34 = np.array([[1, 0, 0, 1], [0, 1, 1, 1], [0, 0, 0, 1]], dtype=bool)
SHAPE = (2, 3, 4, 5)


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        (0, -1),
        (slice(None, None, -1),),
        (slice(3, 0, -2), slice(None, None, 2)),
        (slice(None), slice(-1, None, -3)),
        (slice(10, -10, -1),),
        (slice(2, 1),),
        (None, 1, None),
        (Ellipsis, 0),
        (0, Ellipsis, None),
        (1, slice(None), -2),
        (),
        Ellipsis,
        [0, 1, 1],
        ([[0], [1]], [0, 2]),
        (slice(None), [0, 2], [1, 3]),
        ([0, 1], slice(None), [1, 3]),  # separated by a slice: advanced dims first
        (0, slice(None), [1, 2]),  # an integer counts as an advanced index here
        (slice(None), 0, [1, 2]),
        (slice(None), [0], None, [1]),  # separated by None
        (slice(None), [0], Ellipsis, [1]),  # separated by Ellipsis (even an empty one)
        (slice(None), [2, 0], slice(None, None, -1), [[1], [3]]),
        (True,),
        (False,),
        (slice(None), True, [0], [1]),
        (M23,),
        (slice(None), M34),
        (M23, [1, 0, 4]),
        (slice(None), M34, [0, 2, 4, 1, 3, 0][: int(M34.sum())] or [0]),
        (np.array(1),),
        (np.array([], dtype=int),),
        ([],),
        ((0, 1),),
        (np.array([-1, -2], dtype=np.int32), Ellipsis, np.uint8(3)),
        (np.array([[0, -1]]), slice(None), None, np.array([[2], [-3]])),
    ],
)
def test_index_table_matches_numpy(index):
    check_getitem(SHAPE, index)


def test_indexing_a_scalar_array():
    check_getitem((), ())
    check_getitem((), None)
    check_getitem((), Ellipsis)
    check_getitem((), True)
    check_getitem((), (None, False, Ellipsis))


def test_eager_getitem_is_numpy():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(fnp.getitem(x, (slice(None), [0, 2])), x[:, [0, 2]])


# ----------------------------------------------------------------------------- the IR


def jaxpr_of(fun, *args):
    return ft.make_jaxpr(fun)(*args)


def primitive_names(jaxpr):
    return [eqn.primitive.name for eqn in jaxpr.eqns]


X34 = np.arange(12.0).reshape(3, 4)


def test_basic_indexing_emits_only_shape_primitives():
    allowed = {"slice", "rev", "reshape", "squeeze"}
    for index in [
        (slice(1, 3),),
        (0,),
        (None, slice(None, None, -1), 2),
        (Ellipsis, slice(None, None, 3)),
        (-1, None),
    ]:
        names = primitive_names(jaxpr_of(lambda a, index=index: a[index], X34))
        assert names and set(names) <= allowed, (index, names)
    assert primitive_names(jaxpr_of(lambda a: a[1:3], X34)) == ["slice"]
    assert primitive_names(jaxpr_of(lambda a: a[0], X34)) == ["slice", "squeeze"]


def test_no_op_indices_emit_nothing():
    for index in [(slice(None),), (Ellipsis,), (), (slice(None), slice(0, 99))]:
        assert primitive_names(jaxpr_of(lambda a, index=index: a[index], X34)) == []
    assert primitive_names(jaxpr_of(lambda a: a[None], X34)) == ["reshape"]
    assert primitive_names(jaxpr_of(lambda a: a[::-1], X34)) == ["rev"]


def test_advanced_indexing_is_one_gather():
    names = primitive_names(jaxpr_of(lambda a: a[[2, 0], 1:], X34))
    assert names.count("gather") == 1 and "scatter" not in " ".join(names)
    names = primitive_names(jaxpr_of(lambda a: a[:, [0, 3]], X34))
    assert names == ["gather", "transpose"]


def test_traced_index_arrays_wrap_negative_values_at_run_time():
    x = np.arange(24.0).reshape(2, 3, 4)
    closed = jaxpr_of(lambda a, i: a[:, i], x, np.array([0, 1]))
    (out,) = closed(x, np.array([-1, 2]))
    np.testing.assert_array_equal(out, x[:, [-1, 2]])
    closed = jaxpr_of(lambda a, i: a[i, 1:], x, np.int64(0))  # a dynamic scalar index
    (out,) = closed(x, np.int64(-1))
    np.testing.assert_array_equal(out, x[-1, 1:])


def test_gradient_with_traced_index_arrays():
    x = np.arange(5.0)

    def grad_at(a, i):
        return ft.grad(lambda b: (b[i] * b[i]).sum())(a)

    closed = jaxpr_of(grad_at, x, np.array([0, 1, 2]))
    i = np.array([1, 1, -1])
    (out,) = closed(x, i)
    expected = np.zeros(5)
    np.add.at(expected, i, 2 * x[i])
    np.testing.assert_allclose(out, expected)


def test_traced_boolean_mask_is_a_concretization_error():
    x = np.arange(4.0)
    with pytest.raises(ft.ConcretizationError, match=r"boolean mask.*fnp\.where"):
        jaxpr_of(lambda a, m: a[m], x, np.array([True, False, True, False]))
    with pytest.raises(ft.ConcretizationError, match="boolean mask"):
        jaxpr_of(lambda a: a[a > 1.0], x)
    # Under jvp and grad the mask's values are known, so it works.
    y, ty = ft.jvp(lambda a: a[a > 1.0], (x,), (np.arange(4.0),))
    np.testing.assert_array_equal(y, [2.0, 3.0])
    np.testing.assert_array_equal(ty, [2.0, 3.0])
    np.testing.assert_array_equal(ft.grad(lambda a: a[a > 1.0].sum())(x), [0, 0, 1, 1])


# ----------------------------------------------------------------------------- errors


def traced(index, shape=(2, 3)):
    x = np.zeros(shape)
    return ft.jvp(lambda a: a[index], (x,), (x,))


def test_error_too_many_indices():
    with pytest.raises(IndexError, match=r"array of shape \(2, 3\).*2-dimensional, but 3 were"):
        traced((0, 0, 0))
    with pytest.raises(IndexError, match="but 3 were indexed"):
        traced((M23, 0))


def test_error_out_of_bounds():
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 1 with size 3"):
        traced((0, 3))
    with pytest.raises(IndexError, match="index -3 is out of bounds for axis 0 with size 2"):
        traced(-3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1 with size 3"):
        traced((Ellipsis, [0, 5]))


def test_error_bad_index_types():
    with pytest.raises(IndexError, match="only integers, slices"):
        traced(1.0)
    with pytest.raises(IndexError, match="only integers, slices"):
        traced("a")
    with pytest.raises(IndexError, match=r"integer \(or boolean\) type.*float64"):
        traced(np.array([0.5]))
    with pytest.raises(IndexError, match=r"integer \(or boolean\) type"):
        jaxpr_of(lambda a, i: a[i], np.zeros(3), np.array([0.0]))


def test_error_index_structure():
    with pytest.raises(IndexError, match="single ellipsis"):
        traced((Ellipsis, Ellipsis))
    with pytest.raises(IndexError, match=r"broadcast together with shapes \(2,\) \(3,\)"):
        traced(([0, 1], [0, 1, 2]))
    with pytest.raises(IndexError, match="boolean index did not match indexed array along axis 0"):
        traced(np.array([True, False, True]))


# ----------------------------------------------------------------------------- updates

UFUNCS = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "min": np.minimum,
    "max": np.maximum,
}
OPS = ["set", *UFUNCS]


def reference_update(x, index, values, op):
    out = np.array(x, copy=True)
    values = np.asarray(values).astype(out.dtype)
    if op == "set":
        out[index] = values
    else:
        UFUNCS[op].at(out, index, values)
    return out


def has_repeats(shape, index):
    pos = positions(shape, index).ravel()
    return len(np.unique(pos)) != pos.size


def update_values(op, shape):
    if op in ("divide", "multiply"):
        return np.random.uniform(1.0, 2.0, size=shape)  # away from 0 (and from ties)
    return sample(shape)


@settings(max_examples=30, deadline=None)
@given(indexed_arrays(), st.sampled_from(OPS), st.booleans())
def test_updates_match_numpy(case, op, scalar_values):
    shape, index = case
    x = sample(shape)
    try:
        selected = x[index].shape
    except IndexError:
        return
    if op == "set" and has_repeats(shape, index):
        return  # NumPy does not define which of the repeated writes wins
    v = update_values(op, () if scalar_values else selected)
    expected = reference_update(x, index, v, op)
    x_before = x.copy()
    eager = getattr(at(x)[index], op)(v)
    np.testing.assert_allclose(eager, expected, rtol=1e-14)
    np.testing.assert_array_equal(x, x_before)  # never mutated
    assert eager is not x

    tx, tv = sample(shape), sample(np.shape(v))

    def f(a, b):
        return getattr(a.at[index], op)(b)

    if op in ("multiply", "divide") and has_repeats(shape, index):
        with pytest.raises(ValueError, match="repeated"):
            ft.jvp(f, (x, v), (tx, tv))
        return
    y, ty = ft.jvp(f, (x, v), (tx, tv))
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    eps = 1e-6
    numeric = (
        reference_update(x + eps * tx, index, v + eps * tv, op)
        - reference_update(x - eps * tx, index, v - eps * tv, op)
    ) / (2 * eps)
    np.testing.assert_allclose(ty, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    "index",
    [
        (1,),
        (slice(None), slice(None, None, -2)),
        (Ellipsis, None, 1),
        ([2, 0],),
        (slice(None), [3, 0, 1]),
        (M34,),
        ([[0], [2]], [1, 3]),
    ],
)
def test_update_gradients_match_central_differences(op, index):
    x = sample((3, 4))
    v = update_values(op, x[index].shape)
    w = sample((3, 4))

    def loss(a, b):
        return (getattr(a.at[index], op)(b) * w).sum()

    def loss_np(a, b):
        return (reference_update(a, index, b, op) * w).sum()

    gx, gv = ft.grad(loss, argnums=(0, 1))(x, v)
    np.testing.assert_allclose(gx, central_grad(loss_np, (x, v), 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gv, central_grad(loss_np, (x, v), 1), rtol=1e-6, atol=1e-7)


def test_set_gradient_wrt_array_and_values():
    x = np.arange(6.0).reshape(2, 3)
    gx, gv = ft.grad(lambda a, b: (a.at[:, 1].set(b) ** 2).sum(), argnums=(0, 1))(x, 5.0)
    np.testing.assert_allclose(gx, 2 * x * np.array([1, 0, 1]))
    np.testing.assert_allclose(gv, 2 * 5.0 * 2)  # the scalar was broadcast to two elements


def test_add_accumulates_repeated_positions_and_min_max_combine():
    x = np.zeros(3)
    np.testing.assert_array_equal(at(x)[[0, 0, 2, 0]].add(1.0), [3.0, 0.0, 1.0])
    np.testing.assert_array_equal(at(x)[[1, 1]].max(np.array([4.0, 7.0])), [0.0, 7.0, 0.0])
    np.testing.assert_array_equal(at(x)[[1, 1]].min(np.array([-4.0, -7.0])), [0.0, -7.0, 0.0])
    y = ft.jvp(lambda a: a.at[[0, 0, 2, 0]].add(1.0), (x,), (x,))[0]
    np.testing.assert_array_equal(y, [3.0, 0.0, 1.0])
    np.testing.assert_array_equal(at(x)[[1, 1]].set(np.array([4.0, 7.0])), [0.0, 7.0, 0.0])


def test_update_values_broadcast_and_cast():
    x = np.zeros((2, 3))
    row = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(at(x)[:].set(row), np.tile(row, (2, 1)))
    np.testing.assert_array_equal(at(x)[0].set(row[None, None]), [row, [0, 0, 0]])  # leading 1s
    np.testing.assert_array_equal(at(x)[0].add(row[None, None]), [row, [0, 0, 0]])
    y = ft.jvp(lambda a: a.at[0].add(row[None, None]), (x,), (x,))[0]
    np.testing.assert_array_equal(y, [row, [0, 0, 0]])
    ints = np.zeros(3, dtype=np.int32)
    out = at(ints)[1].add(2.7)
    assert out.dtype == np.int32 and out.tolist() == [0, 2, 0]
    y = ft.jvp(lambda a: a.at[1:].set(np.array([1, 2])), (x[0],), (x[0],))[0]
    assert y.dtype == np.float64 and y.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r"could not broadcast.*\(2,\).*\(3,\)"):
        at(x)[0].set(np.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        at(ints)[0].divide(2)


def test_updates_of_scalar_arrays_and_zero_d_booleans():
    x = np.array(2.0)
    np.testing.assert_array_equal(at(x)[()].set(3.0), 3.0)
    np.testing.assert_array_equal(at(x)[None].add(np.array([1.0])), 3.0)
    np.testing.assert_array_equal(at(x)[False].add(1.0), 2.0)
    y = np.arange(3.0)
    np.testing.assert_array_equal(at(y)[True, 1].set(9.0), [0.0, 9.0, 2.0])
    g = ft.grad(lambda a: (a.at[...].multiply(3.0) ** 2).sum())(x)
    np.testing.assert_allclose(g, 2 * 9 * 2.0)


def test_at_on_traced_values_is_the_same_helper():
    x = np.arange(4.0)
    y, ty = ft.jvp(lambda a: a.at[1::2].get(), (x,), (np.arange(4.0) * 2,))
    np.testing.assert_array_equal(y, [1.0, 3.0])
    np.testing.assert_array_equal(ty, [2.0, 6.0])
    assert isinstance(IndexUpdateHelper(x)[0], type(at(x)[0]))
    np.testing.assert_array_equal(at(x)[::-1].get(), x[::-1])


def test_traced_values_never_mutate_the_input():
    x = np.arange(4.0)
    before = x.copy()
    ft.grad(lambda a: a.at[0].set(10.0).sum())(x)
    ft.jvp(lambda a: a.at[[1, 1]].add(1.0), (x,), (x,))
    np.testing.assert_array_equal(x, before)


def test_update_jaxpr_is_one_scatter():
    names = primitive_names(jaxpr_of(lambda a, b: a.at[1, ::2].add(b), X34, 1.0))
    assert names.count("scatter_add") == 1 and "gather" not in names
    closed = jaxpr_of(lambda a, i: a.at[i, 1:].add(1.0), X34, np.array([0, 1, 2]))
    assert primitive_names(closed).count("scatter_add") == 1
    (out,) = closed(X34, np.array([-1, 0, -1]))  # traced indices wrap and accumulate at run time
    expected = X34.copy()
    np.add.at(expected, (np.array([-1, 0, -1]), slice(1, None)), 1.0)
    np.testing.assert_array_equal(out, expected)


def test_updates_keep_the_array_dtype():
    x = np.zeros(3, dtype=np.float32)
    assert at(x)[1].add(np.float64(0.1)).dtype == np.float32
    y, ty = ft.jvp(lambda a: a.at[1:].set(np.ones(2)), (x,), (np.ones(3, np.float32),))
    assert y.dtype == ty.dtype == np.float32
    np.testing.assert_array_equal(ty, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(at([1.0, 2.0])[0].set(5), [5.0, 2.0])
