"""Checks of the process axis, run on every rank of ``mpiexec -n N python checks.py``.

Each check runs the same program on every process and compares this rank's result with the
same program run in this one process under ``vmap(axis_name="processes")`` over the stacked
inputs of all ranks (every rank can compute every rank's input: they come from one seed). Rank
0 prints one line ``FTRANS_RESULTS {json}`` mapping each check to each rank's outcome ("ok" or
the traceback); tests/test_distributed.py launches this script and reads that line.
"""

from __future__ import annotations

import json
import sys
import traceback

import numpy as np

import ftrans as ft
import ftrans.distributed as dist
import ftrans.numpy as fnp
from ftrans import lax

P = "processes"
CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def inputs(n, *shape, seed=0):
    """Every rank's input, stacked on axis 0 (the same on every rank)."""
    return np.random.default_rng(seed).normal(size=(n, *shape))


def same_as_vmap(f, *xs_all, rtol=1e-12):
    """``f`` across processes on this rank's rows of ``xs_all`` == ``vmap(f, axis_name=P)``."""
    rank = dist.process_index()
    got = f(*(x[rank] for x in xs_all))
    want_all = ft.vmap(f, axis_name=P)(*xs_all)
    want = ft.tree.map(lambda w: np.asarray(w)[rank], want_all)
    ft.tree.map(
        lambda g, w: np.testing.assert_allclose(np.asarray(g), w, rtol=rtol, atol=1e-14), got, want
    )
    return got


def under_transforms(program, *xs_all):
    """``program`` (vector in, vector out) eagerly, jitted, and its grad/jvp/vjp, each vs vmap."""
    n = dist.process_count()

    def scalar(*xs):  # a scalar per process, the same function on every rank
        return fnp.sum(program(*xs) ** 2)

    same_as_vmap(program, *xs_all)
    same_as_vmap(ft.jit(program), *xs_all)
    same_as_vmap(ft.grad(scalar), *xs_all)
    same_as_vmap(ft.jit(ft.grad(scalar)), *xs_all)
    same_as_vmap(ft.grad(ft.jit(scalar)), *xs_all)
    tangents = [inputs(n, *x.shape[1:], seed=11 + i) for i, x in enumerate(xs_all)]
    k = len(xs_all)
    same_as_vmap(lambda *a: ft.jvp(program, a[:k], a[k:]), *xs_all, *tangents)
    out_shape = np.shape(ft.vmap(program, axis_name=P)(*xs_all))[1:]
    cotangent = inputs(n, *out_shape, seed=5)
    same_as_vmap(lambda *a: ft.vjp(program, *a[:k])[1](a[k]), *xs_all, cotangent)


@check
def axis_index_and_size():
    n, rank = dist.process_count(), dist.process_index()
    assert int(lax.axis_index(P)) == rank
    assert int(ft.jit(lambda: lax.axis_index(P))()) == rank
    assert int(lax.psum(1, P)) == n
    assert dist.is_initialized() and dist.axis_name() == P
    assert (ft.process_index(), ft.process_count()) == (rank, n)  # JAX's top-level queries


@check
def psum_pmean_pmax_pmin():
    x = inputs(dist.process_count(), 4)
    for reduce in (lax.psum, lax.pmean, lax.pmax, lax.pmin):
        got = same_as_vmap(lambda v, r=reduce: r(v, P), x)
        want = {"psum": x.sum(0), "pmean": x.mean(0), "pmax": x.max(0), "pmin": x.min(0)}
        np.testing.assert_allclose(got, want[reduce.__name__], rtol=1e-12)


@check
def dtypes():
    n = dist.process_count()
    x = inputs(n, 3)
    for dtype in (np.float32, np.int64, np.complex128, np.float16):
        xd = (x * 10).astype(dtype) if dtype != np.complex128 else x + 1j * x[::-1]
        got = same_as_vmap(lambda v: lax.psum(v, P), xd, rtol=1e-3 if dtype == np.float16 else 1e-6)
        assert got.dtype == dtype, (got.dtype, dtype)
    flags = np.array([[True, False], [False, False]] + [[False, False]] * (n - 2))
    got = same_as_vmap(lambda v: lax.pmax(v, P), flags)
    np.testing.assert_array_equal(got, [True, False])
    expect_error(dist.DistributedError, lambda: lax.pmax(x[0] + 1j, P), "complex", "abs(x)")


@check
def psum_under_transforms():
    x = inputs(dist.process_count(), 3)
    under_transforms(lambda v: fnp.sin(v) * lax.psum(v**2, P), x)


@check
def pmean_pmax_under_transforms():
    x = inputs(dist.process_count(), 3)
    under_transforms(lambda v: lax.pmean(fnp.cos(v), P) + lax.pmax(v, P) * v, x)


@check
def all_gather_values_and_grads():
    n = dist.process_count()
    x = inputs(n, 2, 3)
    got = same_as_vmap(lambda v: lax.all_gather(v, P), x)
    np.testing.assert_array_equal(got, x)
    same_as_vmap(lambda v: lax.all_gather(v, P, axis=1), x)
    same_as_vmap(lambda v: lax.all_gather(v, P, tiled=True), x)
    under_transforms(lambda v: fnp.tanh(lax.all_gather(v, P)).reshape(-1) * v.sum(), x)


@check
def ppermute_ring_and_partial():
    n, rank = dist.process_count(), dist.process_index()
    x = inputs(n, 3)
    ring = [(i, (i + 1) % n) for i in range(n)]
    got = same_as_vmap(lambda v: lax.ppermute(v, P, ring), x)
    np.testing.assert_array_equal(got, x[(rank - 1) % n])
    partial = [(0, n - 1)]  # only rank n-1 receives; the others get zeros
    got = same_as_vmap(lambda v: lax.ppermute(v, P, partial), x)
    np.testing.assert_array_equal(got, x[0] if rank == n - 1 else np.zeros(3))
    under_transforms(lambda v: lax.ppermute(v**3, P, ring) * v, x)


@check
def all_to_all_values():
    n = dist.process_count()
    x = inputs(n, n, 2)
    same_as_vmap(lambda v: lax.all_to_all(v, P, 0, 0), x)
    same_as_vmap(lambda v: lax.all_to_all(v, P, 0, 1, tiled=True), x)
    under_transforms(lambda v: lax.all_to_all(v * v, P, 0, 0).reshape(-1), x)


@check
def psum_scatter_values():
    n = dist.process_count()
    x = inputs(n, n, 2)
    same_as_vmap(lambda v: lax.psum_scatter(v, P), x)
    same_as_vmap(lambda v: lax.psum_scatter(v, P, tiled=True), x)


@check
def scalar_operands_keep_their_shape():
    n, rank = dist.process_count(), dist.process_index()
    x = inputs(n)  # one 0-d value per rank
    for program in (
        lambda v: lax.psum(v, P),
        lambda v: lax.pmean(v, P),
        lambda v: lax.pmax(v, P),
        lambda v: lax.all_gather(v, P),
        lambda v: lax.ppermute(v, P, [(i, (i + 1) % n) for i in range(n)]),
    ):
        eager = same_as_vmap(program, x)
        jitted = same_as_vmap(ft.jit(program), x)
        assert np.shape(eager) == np.shape(jitted) == np.shape(ft.vmap(program, axis_name=P)(x))[1:]
    got = dist.broadcast({"s": np.array(float(rank)), "t": 3.0 * rank})
    assert got["s"].shape == () and float(got["s"]) == 0.0 and float(got["t"]) == 0.0


@check
def pytree_operands():
    n = dist.process_count()
    a, b = inputs(n, 3), inputs(n, 2, 2, seed=1)
    got = same_as_vmap(lambda u, v: lax.pmean({"a": u, "b": [v, 2.0 * v]}, P), a, b)
    np.testing.assert_allclose(got["b"][1], 2.0 * b.mean(0), rtol=1e-12)


@check
def inner_vmap_inside_process_axis():
    x = inputs(dist.process_count(), 2, 3)

    def program(v):
        inner = lambda row: lax.psum(row, "i") * lax.psum(row**2, P) + lax.axis_index("i")
        return ft.vmap(inner, axis_name="i")(v)

    same_as_vmap(program, x)
    same_as_vmap(ft.jit(program), x)
    same_as_vmap(ft.grad(lambda v: fnp.sum(program(v) ** 2)), x)


@check
def tuple_of_names_with_the_process_axis():
    x = inputs(dist.process_count(), 2, 3)

    def program(v):
        def inner(row):
            index = lax.axis_index((P, "i"))  # row-major: the process index varies slowest
            return lax.pmean(fnp.sin(row), (P, "i")) + lax.psum(row**2, ("i", P)) * index

        return ft.vmap(inner, axis_name="i")(v)

    got = same_as_vmap(program, x)
    n, rank = dist.process_count(), dist.process_index()
    want = np.sin(x).mean((0, 1)) + (x**2).sum((0, 1)) * (rank * 2 + np.arange(2))[:, None]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    same_as_vmap(ft.jit(program), x)
    same_as_vmap(ft.grad(lambda v: fnp.sum(program(v) ** 2)), x)
    assert lax.axis_size((P,)) == n


@check
def scan_with_collective():
    x = inputs(dist.process_count(), 3)

    def program(v):
        def body(carry, _):
            carry = fnp.sin(carry) + lax.pmean(carry * v, P)
            return carry, lax.psum(carry, P)

        return lax.scan(body, v, None, length=3)[1].reshape(-1)

    same_as_vmap(program, x)
    same_as_vmap(ft.jit(program), x)
    same_as_vmap(ft.grad(lambda v: fnp.sum(program(v) ** 2)), x)


@check
def jitted_training_step_with_pmean():
    n, rank = dist.process_count(), dist.process_index()
    w = {"w": np.linspace(-1.0, 1.0, 6).reshape(3, 2), "b": np.array([0.1, -0.2])}
    xs, ys = inputs(n, 4, 3, seed=3), inputs(n, 4, 2, seed=4)

    def loss(params, x, y):
        return fnp.mean((fnp.tanh(x @ params["w"] + params["b"]) - y) ** 2)

    @ft.jit
    def step(params, x, y):
        value, grads = ft.value_and_grad(loss)(params, x, y)
        return lax.pmean(value, P), lax.pmean(grads, P)

    value, grads = step(w, xs[rank], ys[rank])
    # The mean of per-shard gradients is the gradient of the mean loss over all shards.
    mean_loss = lambda p: sum(loss(p, xs[r], ys[r]) for r in range(n)) / n
    np.testing.assert_allclose(value, mean_loss(w), rtol=1e-12)
    whole = ft.grad(mean_loss)(w)
    np.testing.assert_allclose(grads["w"], whole["w"], rtol=1e-12)
    np.testing.assert_allclose(grads["b"], whole["b"], rtol=1e-12)


@check
def broadcast_shard_gather():
    n, rank = dist.process_count(), dist.process_index()
    mine = {"w": np.full((2, 2), float(rank)), "i": np.arange(3) + rank}
    got = dist.broadcast(mine, root=n - 1)
    np.testing.assert_array_equal(got["w"], np.full((2, 2), float(n - 1)))
    np.testing.assert_array_equal(got["i"], np.arange(3) + n - 1)
    data = np.arange(7 * 2.0).reshape(7, 2)  # 7 rows: uneven shards for n = 2 and 3
    part = dist.shard(data)
    start, stop = dist.shard_bounds(7, rank, n)
    np.testing.assert_array_equal(part, data[start:stop])
    np.testing.assert_array_equal(dist.gather(part), data)
    np.testing.assert_array_equal(dist.gather(dist.shard(data.T, axis=1), axis=1), data.T)


def expect_error(kind, fn, *fragments):
    try:
        fn()
    except kind as e:
        message = str(e)
        missing = [f for f in fragments if f not in message]
        assert not missing, f"message lacks {missing}: {message}"
        return message
    raise AssertionError(f"{fn} did not raise {kind.__name__}")


@check
def mismatched_shapes_name_ranks_and_leaf():
    n, rank = dist.process_count(), dist.process_index()
    others = ", ".join(str(r) for r in range(1, n))
    rank_word = "rank" if n == 2 else "ranks"
    operand = np.ones(2) if rank == 0 else np.ones(3)
    message = expect_error(
        dist.CollectiveMismatchError,
        lambda: lax.psum(operand, P),
        "'processes'",
        "rank 0: float64[2]",
        f"{rank_word} {others}: float64[3]",
    )
    # ... and the user's line that called it, on every rank (here the lambda's line above).
    assert f"Called from ranks {', '.join(map(str, range(n)))}: {__file__}:" in message, message
    # A leaf inside a pytree and inside jit: the leaf's path, the ranks and their shapes.
    tree = {"w": np.ones((2, 2)), "b": np.ones(2 if rank == 0 else 4)}
    message = expect_error(
        dist.CollectiveMismatchError,
        lambda: ft.jit(lambda t: lax.pmean(t, P))(tree),
        f"psum on ['b']: rank 0: float64[2]; {rank_word} {others}: float64[4].",
    )
    assert "['w']" not in message, message  # the leaves that agree are not listed
    # ... and under grad (the forward psum finds it; the backward one would have its paths).
    params = {"layer": [np.ones(3), np.ones(2 if rank == 0 else 5)]}
    expect_error(
        dist.CollectiveMismatchError,
        lambda: ft.grad(lambda p: fnp.sum(lax.psum(p, P)["layer"][1] ** 2))(params),
        "psum on ['layer'][1]: rank 0: float64[2]",
        f"{rank_word} {others}: float64[5]",
    )
    # A different number of leaves: the counts per rank.
    leaves = [np.ones(2)] * (2 if rank == 0 else 3)
    expect_error(
        dist.CollectiveMismatchError,
        lambda: lax.psum(leaves, P),
        "psum got a different number of leaves (rank 0: 2;",
    )
    # The host helpers see the pytree, and name the leaf's path.
    expect_error(
        dist.CollectiveMismatchError,
        lambda: dist.broadcast({"p": np.ones(1 + rank), "q": np.ones(3)}),
        "broadcast(root=0) on ['p']",
        "rank 0: float64[1]",
    )
    expect_error(
        dist.CollectiveMismatchError,
        lambda: dist.gather({"g": np.ones((2, 1 + rank))}),
        "['g']",
        "rank 0: float64[*,1] along axis 0",
    )
    dtype = np.float32 if rank == 0 else np.float64
    expect_error(
        dist.CollectiveMismatchError,
        lambda: lax.psum(np.ones(2, dtype), P),
        "float32[2]",
        "float64[2]",
    )
    # Every rank raised at the same point, so the job goes on: the axis still works.
    assert float(lax.psum(1.0, P)) == n


@check
def unbound_axis_is_named():
    expect_error(Exception, lambda: lax.psum(np.ones(2), "nodes"), "'nodes'", "processes")


def main():
    from mpi4py import MPI

    dist.initialize(timeout=120)
    comm = MPI.COMM_WORLD
    results = {}
    for name, fn in CHECKS.items():
        try:
            fn()
            results[name] = "ok"
        except Exception:
            results[name] = traceback.format_exc()
        comm.Barrier()
    everyone = comm.gather(results, root=0)
    if comm.Get_rank() == 0:
        merged = {name: [r[name] for r in everyone] for name in CHECKS}
        print("FTRANS_RESULTS " + json.dumps(merged), flush=True)
    dist.shutdown()


if __name__ == "__main__":
    sys.exit(main())
