"""Every user-facing error: what was wrong, where, and the fix; and bad input changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp


def test_grad_of_non_scalar_output_names_shape_and_fixes():
    def f(x):
        return fnp.sin(x)

    with pytest.raises(TypeError) as info:
        ft.grad(f)(np.ones(3))
    msg = str(info.value)
    assert "grad(f)" in msg and "f64[3]" in msg and "(3,)" in msg
    assert ".sum()" in msg and "ft.vjp" in msg and "ft.jacrev" in msg


def test_grad_of_pytree_output_is_rejected():
    with pytest.raises(TypeError, match="returned a tuple.*has_aux"):
        ft.grad(lambda x: (x, x))(1.0)


def test_grad_wrt_integer_input_names_argument_and_fix():
    def loss(params, n):
        return params["w"] * n

    with pytest.raises(TypeError) as info:
        ft.grad(loss, argnums=(0, 1))({"w": 1.0}, 3)
    msg = str(info.value)
    assert "argument 1" in msg and "int64" in msg and "floating-point" in msg
    assert "argnums" in msg
    with pytest.raises(TypeError, match=r"argument 0 at \['w'\] has dtype bool"):
        ft.grad(lambda p: 1.0)({"w": np.array(True)})


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums=3.*2 positional"):
        ft.grad(lambda a, b: a, argnums=3)(1.0, 2.0)


def test_leaked_tracer_names_transform_and_fix():
    stash = []

    def f(x):
        stash.append(x)
        return x * 2.0

    ft.grad(f)(1.0)
    with pytest.raises(ft.TracerLeakError) as info:
        fnp.sin(stash[0])
    msg = str(info.value)
    assert "grad(f)" in msg and "test_errors.py" in msg and "Return the value" in msg
    with pytest.raises(ft.TracerLeakError):
        stash[0] + 1.0
    with pytest.raises(ft.TracerLeakError):
        ft.grad(lambda y: y * stash[0])(2.0)


def test_leak_through_make_jaxpr():
    stash = []
    ft.make_jaxpr(lambda x: stash.append(x) or x)(1.0)
    with pytest.raises(ft.TracerLeakError, match=r"make_jaxpr\(<lambda>\)"):
        fnp.exp(stash[0])


def test_raw_numpy_on_tracer_is_a_clear_error():
    # NumPy functions ftrans has run ftrans's (tests/test_numpy_api.py); the rest raise clearly
    with pytest.raises(ft.TracerArrayConversionError) as info:
        ft.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2).sum())(np.ones(3))
    msg = str(info.value)
    assert "sliding_window_view" in msg and "test_errors.py" in msg
    assert "use ftrans.numpy" not in msg  # no hint naming a function that does not exist
    with pytest.raises(ft.TracerArrayConversionError, match="converted to a NumPy array"):
        ft.grad(lambda x: np.asarray(x).sum())(np.ones(2))


def test_numpy_operators_on_tracers_still_work():
    # `ndarray * tracer` goes through __array_ufunc__ and means the ftrans operation
    g = ft.grad(lambda x: (np.array([1.0, 2.0]) * x).sum())(np.ones(2))
    np.testing.assert_allclose(g, [1.0, 2.0])


def test_broadcast_shape_mismatch_reports_user_shapes():
    with pytest.raises(ft.ShapeError) as info:
        ft.grad(lambda x: (x + np.ones(4)).sum())(np.ones(3))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg and "test_errors.py" in msg


def test_matmul_and_dot_mismatch_report_shapes():
    with pytest.raises(ft.ShapeError, match=r"\(2, 3\) and \(4,\)"):
        ft.grad(lambda w: (w @ np.ones(4)).sum())(np.ones((2, 3)))
    with pytest.raises(ft.ShapeError, match=r"dot: shapes \(2, 3\) and \(2,\)"):
        ft.grad(lambda w: fnp.dot(w, np.ones(2)).sum())(np.ones((2, 3)))


def test_unregistered_class_leaf_names_path_and_fix():
    class Weights:
        pass

    with pytest.raises(TypeError) as info:
        ft.grad(lambda p: 1.0)({"layer": [np.ones(2), Weights()]})
    msg = str(info.value)
    assert "Weights" in msg and "['layer'][1]" in msg and "register_pytree_node" in msg


def test_concretization_error_under_make_jaxpr_names_line_and_fixes():
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(ft.ConcretizationError) as info:
        ft.make_jaxpr(f)(1.0)
    msg = str(info.value)
    assert "make_jaxpr(f)" in msg and "test_errors.py" in msg and "(in f)" in msg
    assert "where" in msg and "cond" in msg and "static_argnums" in msg


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="has_aux=True.*pair"):
        ft.grad(lambda x: x, has_aux=True)(1.0)


def test_jvp_tangent_mismatches():
    with pytest.raises(ValueError, match=r"shape \(2,\).*primal has shape \(3,\)"):
        ft.jvp(lambda x: x, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="float32.*float64.*astype"):
        ft.jvp(lambda x: x, (np.ones(3),), (np.ones(3, np.float32),))
    with pytest.raises(ValueError, match="structure"):
        ft.jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match=r"jvp\(f, \(x,\), \(t,\)\)"):
        ft.jvp(lambda x: x, 1.0, 1.0)


def test_vjp_cotangent_mismatches():
    _, f_vjp = ft.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(2,\).*output has shape \(3,\)"):
        f_vjp(np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        f_vjp((np.ones(3), np.ones(3)))


def test_setitem_on_tracer_points_to_at():
    def f(x):
        x[0] = 1.0
        return x.sum()

    with pytest.raises(TypeError, match=r"x.at\[idx\].set\(y\)"):
        ft.grad(f)(np.ones(2))


def test_failed_transform_leaves_no_trace_state_behind():
    from ftrans import core

    with pytest.raises(TypeError):
        ft.grad(lambda x: np.asarray(x))(1.0)
    assert core._stack == []
    np.testing.assert_allclose(ft.grad(fnp.sin)(0.0), 1.0)


def test_bad_input_is_not_mutated():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    with pytest.raises(TypeError):
        ft.grad(lambda v: v)(x)
    np.testing.assert_array_equal(x, before)


def test_indexing_a_numpy_array_with_a_traced_index_suggests_the_fix():
    table = np.arange(5.0)
    with pytest.raises(ft.TracerArrayConversionError, match=r"fnp.take\(array, index\)"):
        ft.jit(lambda i: table[i])(2)
    import ftrans.numpy as fnp

    assert float(ft.jit(lambda i: fnp.take(table, i))(2)) == 2.0


def test_shift_operators_on_tracers():
    x = np.array([1, 2, 3], np.uint32)
    out = ft.jit(lambda a: (a << 3) ^ (a >> np.uint32(1)) ^ (np.uint32(2) << a))(x)
    np.testing.assert_array_equal(out, (x << 3) ^ (x >> 1) ^ (np.uint32(2) << x))
