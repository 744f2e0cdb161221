"""Named axes and collectives beyond the registry: comparison with JAX (stored outputs, and live
JAX when installed), the identity between per-member gradients and the gradient of the sum,
errors, the jit cache under different axis sizes, and the external-axis interface with a
backend that records its calls."""

from __future__ import annotations

import pathlib
import sys
import types

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.errors import ShapeError
from ftrans.primitives.collectives import (
    UnboundAxisError,
    bind_external_axis,
    external_axes,
    unbind_external_axis,
)

DATA = pathlib.Path(__file__).with_name("data")
sys.path.insert(0, str(DATA))

from collectives_cases import CASES  # noqa: E402

FTRANS = types.SimpleNamespace(
    lax=lax,
    np=fnp,
    vmap=ft.vmap,
    grad=ft.grad,
    jvp=ft.jvp,
    vjp=ft.vjp,
    jacfwd=ft.jacfwd,
    jacrev=ft.jacrev,
    hessian=ft.hessian,
    jit=ft.jit,
)


def _close(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, JAX gives {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=what)


# ----------------------------------------------------------------------------- JAX


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_stored_jax_outputs(name):
    stored = np.load(DATA / "collectives_jax.npz")
    outs = CASES[name](FTRANS)
    keys = sorted(k for k in stored.files if k.split("/")[0] == name)
    assert len(keys) == len(outs), f"{name}: {len(outs)} outputs, JAX stored {len(keys)}"
    for i, out in enumerate(outs):
        _close(out, stored[f"{name}/{i}"], f"{name}, output {i}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_live_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    m = types.SimpleNamespace(
        lax=jax.lax,
        np=jnp,
        vmap=jax.vmap,
        grad=jax.grad,
        jvp=jax.jvp,
        vjp=jax.vjp,
        jacfwd=jax.jacfwd,
        jacrev=jax.jacrev,
        hessian=jax.hessian,
        jit=jax.jit,
    )
    for i, (got, want) in enumerate(zip(CASES[name](FTRANS), CASES[name](m), strict=True)):
        _close(got, want, f"{name}, output {i}")


def test_psum_of_a_python_int_is_a_python_int():
    seen = []
    ft.vmap(lambda r: seen.append(lax.psum(1, "i")) or r, axis_name="i")(np.ones(5))
    assert seen == [5] and type(seen[0]) is int
    assert ft.vmap(lambda r: r * lax.axis_size("i"), axis_name="i")(np.ones(2)).tolist() == [2, 2]


# ----------------------------------------------------------------------------- per-member grads

X = np.random.default_rng(3).uniform(-1, 1, (4, 3))
_W = np.arange(1.0, 9.0) / 8  # 8 = twice the axis size
PER_MEMBER = {
    "psum": lambda r: fnp.sum(fnp.sin(r) * lax.psum(r**2, "i")),
    "pmean": lambda r: fnp.sum(fnp.exp(r) * lax.pmean(r, "i")),
    "pmax": lambda r: fnp.sum(r * lax.pmax(r**2, "i")),
    "all_gather": lambda r: fnp.sum(fnp.tanh(lax.all_gather(r, "i", axis=1) * r[:, None])),
    "all_gather_tiled": lambda r: fnp.sum(lax.all_gather(r, "i", tiled=True) ** 3),
    "psum_scatter": lambda r: fnp.sum(
        fnp.sin(lax.psum_scatter(fnp.outer(r, _W), "i", scatter_dimension=1, tiled=True))
    ),
    "ppermute": lambda r: fnp.sum(lax.ppermute(r, "i", [(0, 3), (2, 1)]) * fnp.cos(r)),
    "all_to_all": lambda r: fnp.sum(
        fnp.sin(lax.all_to_all(fnp.outer(r, _W), "i", 1, 0, tiled=True)) ** 2
    ),
    "axis_index": lambda r: fnp.sum(r**2 * lax.axis_index("i")),
}


@pytest.mark.parametrize("name", sorted(PER_MEMBER))
def test_member_gradients_are_the_gradient_of_the_sum(name):
    """vmap(grad(f)) runs the collectives' transpose rules; grad(sum(vmap(f))) runs their
    batching rules and the transposes of reductions: JAX's convention makes them agree."""
    f = PER_MEMBER[name]
    inside = ft.vmap(ft.grad(f), axis_name="i")(X)
    outside = ft.grad(lambda xs: fnp.sum(ft.vmap(f, axis_name="i")(xs)))(X)
    np.testing.assert_allclose(inside, outside, rtol=1e-12, atol=1e-12)
    jitted = ft.jit(ft.vmap(ft.jit(ft.grad(f)), axis_name="i"))(X)
    np.testing.assert_allclose(jitted, outside, rtol=1e-12, atol=1e-12)


def test_vmap_of_vmap_with_two_names_and_an_unnamed_one():
    y = np.random.default_rng(0).normal(size=(5, 2, 3))

    def f(r):  # r: one (i, j) member
        return r * lax.psum(r, "i") + lax.pmean(r, "j") - lax.psum(r, ("i", "j"))

    got = ft.vmap(ft.vmap(ft.vmap(f, axis_name="j"), axis_name="i"))(y)
    want = y * y.sum(1, keepdims=True) + y.mean(2, keepdims=True) - y.sum((1, 2), keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_inner_name_shadows_outer_name():
    y = np.arange(6.0).reshape(2, 3)
    got = ft.vmap(ft.vmap(lambda r: lax.psum(r, "i"), axis_name="i"), axis_name="i")(y)
    np.testing.assert_array_equal(got, np.broadcast_to(y.sum(1, keepdims=True), (2, 3)))


def test_collective_of_a_closed_over_value_and_of_constants():
    w = np.array([1.0, 2.0])
    got = ft.vmap(
        lambda r: r + lax.psum(w, "i") + fnp.sum(lax.all_gather(3.0, "i")), axis_name="i"
    )(np.zeros((3, 2)))
    np.testing.assert_array_equal(got, np.broadcast_to(3 * w + 9.0, (3, 2)))


def test_collective_inside_cond_and_while_under_vmap():
    xs = np.array([-1.0, 2.0, 0.5])

    def f(x):
        y = lax.cond(x > 0, lambda v: v * lax.psum(v, "i"), lambda v: v - lax.pmax(v, "i"), x)
        return lax.while_loop(
            lambda c: c[1] < 2, lambda c: (c[0] + lax.pmean(c[0], "i"), c[1] + 1), (y, 0)
        )[0]

    got = ft.vmap(f, axis_name="i")(xs)
    y = np.where(xs > 0, xs * xs.sum(), xs - xs.max())
    for _ in range(2):
        y = y + y.mean()
    np.testing.assert_allclose(got, y, rtol=1e-13)


def test_jit_inside_vmap_is_retraced_for_another_axis_size():
    f = ft.jit(lambda r: lax.all_gather(r, "i"))
    assert ft.vmap(f, axis_name="i")(np.ones(3)).shape == (3, 3)
    assert ft.vmap(f, axis_name="i")(np.ones(4)).shape == (4, 4)
    g = ft.jit(lambda r: r * lax.axis_index("i"))
    assert ft.vmap(g, axis_name="i")(np.ones(3)).tolist() == [0, 1, 2]


def test_jit_of_vmap_compiles_no_collective():
    f = ft.jit(ft.vmap(lambda r: r - lax.pmean(r, "i"), axis_name="i"))
    assert "psum" not in f.lower(np.ones(3)).as_text()
    np.testing.assert_allclose(f(np.arange(3.0)), [-1.0, 0.0, 1.0])


# ----------------------------------------------------------------------------- errors


def test_unbound_axis_names_the_axis_the_names_in_scope_and_the_line():
    with pytest.raises(UnboundAxisError) as info:
        ft.vmap(ft.vmap(lambda r: lax.psum(r, "k"), axis_name="j"), axis_name="i")(np.ones((2, 2)))
    message = str(info.value)
    assert "'k'" in message and "'i'" in message and "'j'" in message
    assert "test_collectives.py" in message and "axis_name='k'" in message
    assert isinstance(info.value, NameError)


def test_unbound_axis_outside_any_vmap():
    for call in (
        lambda: lax.psum(np.ones(2), "nope"),
        lambda: lax.axis_index("nope"),
        lambda: lax.all_gather(np.ones(2), "nope"),
        lambda: lax.psum(1, "nope"),
        lambda: ft.jit(lambda x: lax.pmean(x, "nope"))(np.ones(2)),
        lambda: ft.grad(lambda x: lax.pmax(x, "nope"))(1.0),
    ):
        with pytest.raises(UnboundAxisError, match="unbound axis name 'nope'"):
            call()


def test_a_program_traced_under_vmap_called_outside_it():
    programs = []

    def f(r):
        programs.append(ft.make_jaxpr(lambda v: lax.psum(v, "i"))(r))
        return r

    ft.vmap(f, axis_name="i")(np.ones(2))
    # Other test modules (the registry) may have bound external axes; set them aside here.
    saved = dict(external_axes())
    for name in saved:
        unbind_external_axis(name)
    try:
        with pytest.raises(
            UnboundAxisError, match="unbound axis name 'i'.*Axis names in scope: none"
        ):
            programs[0](np.ones(()))
    finally:
        for backend in saved.values():
            bind_external_axis(backend)


def test_bad_shapes_and_arguments():
    with pytest.raises(
        ShapeError, match="scatter_dimension 0 of shape \\(4,\\) has size 4, but must be 3"
    ):
        ft.vmap(lambda r: lax.psum_scatter(r, "i"), axis_name="i")(np.ones((3, 4)))
    with pytest.raises(ShapeError, match="must be a multiple of 3"):
        ft.vmap(lambda r: lax.all_to_all(r, "i", 0, 0, tiled=True), axis_name="i")(np.ones((3, 4)))
    with pytest.raises(ValueError, match="no source and no destination repeated"):
        ft.vmap(lambda r: lax.ppermute(r, "i", [(0, 1), (1, 1)]), axis_name="i")(np.ones(3))
    with pytest.raises(ValueError, match=r"out of range: \[\(0, 5\)\]"):
        ft.vmap(lambda r: lax.ppermute(r, "i", [(0, 5)]), axis_name="i")(np.ones(3))
    with pytest.raises(ValueError, match="not a permutation"):
        ft.vmap(lambda r: lax.pshuffle(r, "i", [0, 0, 1]), axis_name="i")(np.ones(3))
    with pytest.raises(NotImplementedError, match="axis_index_groups"):
        ft.vmap(lambda r: lax.all_gather(r, "i", axis_index_groups=[[0]]), axis_name="i")(
            np.ones(1)
        )
    with pytest.raises(ft.BatchAxisError, match="not hashable"):
        ft.vmap(lambda r: r, axis_name=["i"])(np.ones(2))
    with pytest.raises(ft.BatchAxisError, match="binds one name"):
        ft.vmap(lambda r: r, axis_name=("i", "j"))(np.ones(2))


def test_spmd_axis_name_is_accepted():
    got = ft.vmap(lambda r: lax.psum(r, "i"), axis_name="i", spmd_axis_name="data")(np.ones(2))
    assert got.tolist() == [2.0, 2.0]


def test_pcast_and_pswapaxes():
    x = np.arange(6.0).reshape(3, 2)
    same = ft.vmap(lambda r: lax.pcast(r, "i", to="varying"), axis_name="i")(x)
    np.testing.assert_array_equal(same, x)
    with pytest.raises(UnboundAxisError):
        lax.pcast(x, "nope", to="varying")
    y = np.arange(9.0).reshape(3, 3)
    got = ft.vmap(lambda r: lax.pswapaxes(r, "i", 0), axis_name="i")(y)
    np.testing.assert_array_equal(got, y.T)


# ----------------------------------------------------------------------------- external axes


class Recorder:
    """A fake process axis of ``n`` members: every member is assumed to hold this one's value,
    so psum is ``x * n``; each call is recorded."""

    def __init__(self, name="processes", n=4, rank=1):
        self.name, self.n, self.rank, self.calls = name, n, rank, []

    def size(self):
        return self.n

    def index(self):
        return self.rank

    def psum(self, x):
        self.calls.append(("psum", x.shape))
        return x * self.n

    def pmax(self, x):
        self.calls.append(("pmax", x.shape))
        return x.copy()

    def pmin(self, x):
        self.calls.append(("pmin", x.shape))
        return x.copy()

    def all_gather(self, x):
        self.calls.append(("all_gather", x.shape))
        return np.stack([x] * self.n)

    def all_to_all(self, x, split_axis, concat_axis):
        self.calls.append(("all_to_all", x.shape, split_axis, concat_axis))
        chunks = np.split(x, self.n, axis=split_axis)
        return np.concatenate([chunks[self.rank]] * self.n, axis=concat_axis)

    def ppermute(self, x, perm):
        self.calls.append(("ppermute", x.shape, tuple(perm)))
        return x.copy()


@pytest.fixture
def processes():
    backend = Recorder()
    bind_external_axis(backend)
    yield backend
    unbind_external_axis("processes")


def test_external_axis_registry(processes):
    assert external_axes()["processes"] is processes
    assert lax.axis_size("processes") == 4 and lax.psum(1, "processes") == 4
    assert int(lax.axis_index("processes")) == 1
    with pytest.raises(TypeError, match="lacks the method"):
        bind_external_axis(types.SimpleNamespace(name="half", size=lambda: 2))
    unbind_external_axis("never-bound")  # nothing to do


def test_psum_over_processes_runs_in_the_backward_pass_under_jit(processes):
    def loss(w):
        return fnp.sum(lax.psum(w**2, "processes"))

    step = ft.jit(ft.value_and_grad(loss))
    w = np.array([1.0, 2.0, 3.0])
    for _ in range(2):  # the second call runs the cached compiled program
        processes.calls.clear()
        value, grad = step(w)
        assert value == pytest.approx(4 * 14.0)
        np.testing.assert_allclose(grad, 4 * 2 * w)  # psum of the cotangent in the backward pass
        assert processes.calls == [("psum", (3,)), ("psum", (3,))]
    assert "p_psum" in step.lower(w).as_text() or "psum" in step.lower(w).as_text()


def test_pmean_of_gradients_over_processes(processes):
    def loss(params, x):
        return fnp.sum((x @ params["w"] + params["b"]) ** 2)

    params = {"w": np.ones((3, 2)), "b": np.zeros(2)}
    x = np.arange(6.0).reshape(2, 3)

    @ft.jit
    def step(params, x):
        grads = ft.grad(loss)(params, x)
        return lax.pmean(grads, "processes")

    got = step(params, x)
    want = ft.grad(loss)(params, x)
    for k in want:
        np.testing.assert_allclose(got[k], want[k])  # every process holds the same gradient
    assert sorted(c[0] for c in processes.calls) == ["psum", "psum"]  # one per leaf


def test_every_collective_reaches_its_backend_method(processes):
    x = np.arange(8.0).reshape(4, 2)
    assert lax.all_gather(x, "processes").shape == (4, 4, 2)
    assert lax.all_gather(x, "processes", axis=1, tiled=True).shape == (4, 8)
    np.testing.assert_allclose(lax.psum_scatter(x, "processes"), 4 * x[1])
    np.testing.assert_allclose(lax.psum_scatter(x, "processes", tiled=True), 4 * x[1:2])
    np.testing.assert_allclose(
        lax.all_to_all(x, "processes", 0, 1, tiled=True), np.concatenate([x[1:2]] * 4, axis=1)
    )
    assert lax.all_to_all(x, "processes", 0, 1).shape == (2, 4)
    lax.ppermute(x, "processes", [(0, 1), (1, 0)])
    lax.pmax(x, "processes")
    lax.pmin(x, "processes")
    kinds = [c[0] for c in processes.calls]
    for method in ("all_gather", "psum", "all_to_all", "ppermute", "pmax", "pmin"):
        assert method in kinds, method


def test_vmap_inside_the_process_axis(processes):
    """An inner named axis composes with the process axis: the vmap part becomes a reduction,
    the process part a backend call."""
    xs = np.arange(3.0)
    got = ft.jit(ft.vmap(lambda r: lax.psum(r, ("processes", "i")), axis_name="i"))(xs)
    np.testing.assert_allclose(got, [12.0, 12.0, 12.0])
    assert processes.calls == [("psum", ())]
    grad = ft.grad(
        lambda v: fnp.sum(ft.vmap(lambda r: lax.pmean(r**2, "processes"), axis_name="i")(v))
    )(xs)
    np.testing.assert_allclose(grad, 2 * xs)


def test_process_axis_inside_scan(processes):
    def body(c, x):
        return c + lax.psum(x, "processes"), None

    total = ft.jit(lambda xs: lax.scan(body, 0.0, xs)[0])(np.arange(3.0))
    assert total == pytest.approx(12.0)
    assert [c[0] for c in processes.calls] == ["psum"] * 3


def test_collectives_are_effects_for_the_compiler(processes):
    """An unused psum over processes is still run (every process must take part), and two
    equal ones are not merged."""
    f = ft.jit(lambda x: (lax.psum(x, "processes"), x)[1] + 0 * lax.psum(x, "processes"))
    processes.calls.clear()
    f(np.ones(2))
    f(np.ones(2))
    assert processes.calls == [("psum", (2,))] * 4  # two per call, none while tracing


class TreeRecorder(Recorder):
    """A `Recorder` that also takes all leaves of a pytree at once, as the MPI backend does."""

    def psum_leaves(self, xs, paths):
        self.calls.append(("psum_leaves", tuple(x.shape for x in xs), tuple(paths)))
        return [x * self.n for x in xs]


def test_a_backend_with_psum_leaves_gets_a_pytree_in_one_call():
    """psum/pmean of a pytree is one equation: the backend gets every array leaf in one call
    with the leaves' paths (one agreement check over processes); the backward pass of psum
    is one call too, over the leaves whose cotangent is not zero."""
    backend = TreeRecorder()
    bind_external_axis(backend)
    try:

        def loss(params, x):
            return fnp.sum((x @ params["w"] + params["b"]) ** 2)

        @ft.jit
        def step(params, x):
            value, grads = ft.value_and_grad(loss)(params, x)
            return lax.pmean((value, grads, 1.0), "processes")

        params = {"w": np.ones((3, 2)), "b": np.zeros(2)}
        x = np.arange(6.0).reshape(2, 3)
        for _ in range(2):
            backend.calls.clear()
            value, grads, one = step(params, x)
            want = ft.grad(loss)(params, x)
            np.testing.assert_allclose(grads["w"], want["w"])
            assert value == pytest.approx(loss(params, x)) and one == 1.0
            assert backend.calls == [
                ("psum_leaves", ((), (2,), (3, 2)), ("[0]", "[1]['b']", "[1]['w']"))
            ]

        backend.calls.clear()
        w = np.array([1.0, 2.0])
        g = ft.grad(lambda w: fnp.sum(lax.psum({"a": w**2, "b": w}, "processes")["a"]))(w)
        np.testing.assert_allclose(g, 4 * 2 * w)
        assert backend.calls == [
            ("psum_leaves", ((2,), (2,)), ("['a']", "['b']")),
            ("psum_leaves", ((2,),), ("['a']",)),  # the cotangent of 'b' is zero
        ]
    finally:
        unbind_external_axis("processes")


class InPlaceRecorder(TreeRecorder):
    """A `TreeRecorder` that can also reduce the buffers it is handed in place, as MPI can
    (``MPI_IN_PLACE``): every member holds the same values, so the sum is ``n * x``."""

    reduces_in_place = True

    def psum_leaves(self, xs, paths, in_place=False):
        self.calls.append(("psum_leaves", in_place, tuple(paths)))
        if not in_place:
            return [x * self.n for x in xs]
        for x in xs:
            x *= self.n
        self.handed = xs
        return xs


@pytest.mark.parametrize("n", [2, 3, 4])
def test_pmean_over_a_power_of_two_scales_first_and_reduces_in_place(n):
    """pmean over processes of a power-of-two size reduces ``x / n`` in a buffer of its own
    (one pass fewer than dividing a new sum); the caller's arrays are never written, other
    sizes and integer leaves divide afterwards, and the values are psum / n either way."""
    backend = InPlaceRecorder(n=n)
    bind_external_axis(backend)
    try:
        x = {"w": np.random.default_rng(0).normal(size=(4, 3)), "b": np.array(1.5)}
        keep = {k: v.copy() for k, v in x.items()}
        for run in (
            lambda t: lax.pmean(t, "processes"),
            ft.jit(lambda t: lax.pmean(t, "processes")),
        ):
            backend.calls.clear()
            got = run(x)
            assert backend.calls == [("psum_leaves", n == 4 or n == 2, ("['b']", "['w']"))]
            for k in x:
                np.testing.assert_array_equal(x[k], keep[k])  # inputs untouched
                np.testing.assert_array_equal(got[k], (keep[k] * n) / n)
                assert got[k].dtype == np.float64 and got[k].shape == keep[k].shape
            if n != 3:
                assert all(o is not x["w"] and o is not x["b"] for o in backend.handed)
        backend.calls.clear()
        assert lax.pmean(np.arange(4), "processes").tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        unbind_external_axis("processes")


@pytest.mark.parametrize("n", [2, 3, 4, 8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128])
def test_pmean_over_a_backend_is_psum_divided_by_the_size_exactly(n, dtype):
    """pmean over processes divides the received sum in place (by a reciprocal for a power of
    two): the same bits as psum / n, eagerly and jitted."""
    backend = Recorder(n=n)
    bind_external_axis(backend)
    try:
        rng = np.random.default_rng(n)
        decades = {np.float16: 3, np.float32: 20}.get(dtype, 200)  # no overflow in psum
        x = rng.normal(size=(5, 7)) * 10.0 ** rng.integers(-decades, decades, size=(5, 7))
        x = (x + 1j * x[::-1] if dtype == np.complex128 else x).astype(dtype)
        want = np.asarray(lax.psum(x, "processes")) / np.asarray(n, dtype)
        for got in (lax.pmean(x, "processes"), ft.jit(lambda v: lax.pmean(v, "processes"))(x)):
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want)
    finally:
        unbind_external_axis("processes")
