"""Registry specs for the collectives (``psum``, ``pmax``, ``all_gather``, ``ppermute``...).

Each spec is a function of stacked arrays (the members along axis 0) that runs a per-member
function under ``vmap(axis_name="i")`` (or two nested named vmaps), so every registry check
(values, JVP against central differences, VJP dot test, jit, vmap of it, second order) runs
through the collective's batching, JVP and transpose rules. References are NumPy loops over the
members, written from the collectives' definitions.

The linear primitives also get a spec over :data:`ONE`, an external axis of one member bound for
the whole test session (a single-process backend: every collective is the identity up to
shapes), so the one-equation transpose check sees the primitive itself and the
external-axis path (impl, jit lowering) runs under every transform too.
"""

from __future__ import annotations

import numpy as np
from spec import Arg, Spec, uniform

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.primitives.collectives import bind_external_axis

SPECS: list[Spec] = []
U = uniform()
ONE = "one_member"


class OneMember:
    """An external axis with a single member (what one MPI process without peers sees)."""

    name = ONE

    def size(self):
        return 1

    def index(self):
        return 0

    def psum(self, x):
        return np.array(x)

    pmax = pmin = psum

    def all_gather(self, x):
        return np.array(x)[None]

    def all_to_all(self, x, split_axis, concat_axis):
        return np.array(x)

    def ppermute(self, x, perm):
        return np.array(x) if (0, 0) in perm else np.zeros_like(x)


bind_external_axis(OneMember())


def add(label, target, shapes, fun, reference, **options):
    fun.__name__ = f"{target}[{label}]"
    args = tuple(Arg(tuple(s), U) for s in shapes)
    SPECS.append(
        Spec(f"collective:{target}[{label}]", "primitive", target, fun, reference, args, **options)
    )


def named(f, **kwargs):
    return ft.vmap(f, axis_name="i", **kwargs)


def nested(f):
    """Two named axes: ``i`` over axis 0, ``j`` over axis 1 of the stacked argument."""
    return ft.vmap(ft.vmap(f, axis_name="j"), axis_name="i")


# ----------------------------------------------------------------------------- psum / pmean


add(
    "sin(x)*psum(x^2)",
    "psum",
    [(4, 3)],
    named(lambda r: fnp.sin(r) * lax.psum(r**2, "i")),
    lambda x: np.sin(x) * (x**2).sum(0),
)
add(
    "linear",
    "psum",
    [(4, 3)],
    named(lambda r: lax.psum(r, "i")),
    lambda x: np.broadcast_to(x.sum(0), x.shape),
)
add(
    "pytree, unbatched operand",
    "psum",
    [(3, 2), (2,)],
    lambda x, w: named(
        lambda r, v: (lambda s: s["a"] * r + s["b"])(lax.psum({"a": v * v, "b": r}, "i")),
        in_axes=(0, None),
    )(x, w),
    lambda x, w: 3 * w * w * x + x.sum(0),
)
add(
    "nested, outer name",
    "psum",
    [(2, 3, 2)],
    nested(lambda r: fnp.cos(r) + lax.psum(r**2, "i")),
    lambda x: np.cos(x) + (x**2).sum(0),
)
add(
    "nested, tuple of names",
    "psum",
    [(2, 3, 2)],
    nested(lambda r: r * lax.psum(fnp.exp(r), ("i", "j"))),
    lambda x: x * np.exp(x).sum((0, 1)),
)
add(
    "inside jit",
    "psum",
    [(3, 2)],
    named(ft.jit(lambda r: fnp.tanh(r) * lax.psum(r, "i"))),
    lambda x: np.tanh(x) * x.sum(0),
)
add(
    "inside scan",
    "psum",
    [(3, 2)],
    named(lambda r: lax.scan(lambda c, _: (c * lax.psum(fnp.sin(c), "i"), None), r, None, 2)[0]),
    lambda x: _scan_reference(x),
)
add(
    "pmean centering",
    "psum",
    [(5, 2)],
    named(lambda r: (r - lax.pmean(r, "i")) ** 2),
    lambda x: (x - x.mean(0)) ** 2,
)
add(
    "pbroadcast",
    "psum",
    [(3, 2)],
    named(lambda r: r * lax.pbroadcast(fnp.sin(r), "i", 2)),
    lambda x: x * np.sin(x[2]),
)
add("one member", "psum", [(3,)], lambda x: lax.psum(x, ONE), lambda x: x, linear_argnums=((0,),))
add(
    "pmean, nested, tuple of names, a pytree",
    "psum",
    [(2, 3, 2), (2, 3)],
    lambda x, y: nested(
        lambda r, s: (lambda m: m[0] * r + m[1]["s"])(
            lax.pmean((fnp.sin(r), {"s": s * s}), ("j", "i"))
        )
    )(x, y),
    lambda x, y: np.sin(x).mean((0, 1)) * x + (y * y).mean(),
)
add(
    "pmean, one member, a pytree",
    "psum",
    [(3,), (2, 2)],
    lambda x, y: lax.pmean((x, y), ONE),
    lambda x, y: (x, y),
    linear_argnums=((0, 1),),
)


def _scan_reference(x):
    c = x
    for _ in range(2):
        c = c * np.sin(c).sum(0)
    return c


# ----------------------------------------------------------------------------- pmax / pmin


add(
    "softmax over the axis",
    "pmax",
    [(4, 3)],
    named(lambda r: (lambda e: e / lax.psum(e, "i"))(fnp.exp(r - lax.pmax(r, "i")))),
    lambda x: np.exp(x) / np.exp(x).sum(0),
)
add(
    "x*pmax(x)",
    "pmax",
    [(4, 3)],
    named(lambda r: r * lax.pmax(r, "i")),
    lambda x: x * x.max(0),
    order=1,
)
add(
    "nested, tuple of names",
    "pmin",
    [(2, 3, 2)],
    nested(lambda r: r + lax.pmin(r, ("j", "i"))),
    lambda x: x + x.min((0, 1)),
    order=1,
)
add("one member", "pmax", [(3,)], lambda x: lax.pmax(x, ONE) * x, lambda x: x * x)
add("one member", "pmin", [(3,)], lambda x: lax.pmin(x, ONE) * x, lambda x: x * x)


# ----------------------------------------------------------------------------- all_gather


add(
    "gathered @ x",
    "all_gather",
    [(4, 3)],
    named(lambda r: lax.all_gather(r, "i") @ fnp.sin(r)),
    lambda x: np.stack([x @ np.sin(xk) for xk in x]),
)
add(
    "axis=1, tiled",
    "all_gather",
    [(3, 2, 2)],
    named(lambda r: fnp.tanh(lax.all_gather(r, "i", axis=1, tiled=True))),
    lambda x: np.broadcast_to(np.tanh(np.concatenate(list(x), axis=1)), (3, 2, 6)),
)
add(
    "nested, tuple of names",
    "all_gather",
    [(2, 3, 2)],
    nested(lambda r: lax.all_gather(r**2, ("i", "j"), axis=1) * r[:, None]),
    lambda x: np.stack(
        [[(x.reshape(6, 2) ** 2).T * x[a, b][:, None] for b in range(3)] for a in range(2)]
    ),
)
add(
    "linear",
    "all_gather",
    [(3, 2)],
    named(lambda r: lax.all_gather(r, "i", axis=1)),
    lambda x: np.broadcast_to(np.stack(list(x), axis=1), (3, 2, 3)),
)
add(
    "one member",
    "all_gather",
    [(3, 2)],
    lambda x: lax.all_gather(x, ONE, axis=1),
    lambda x: x[:, None],
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- psum_scatter


add(
    "untiled",
    "psum_scatter",
    [(3, 3, 2)],
    named(lambda r: lax.psum_scatter(r**2, "i") * fnp.sum(r)),
    lambda x: (x**2).sum(0) * x.sum((1, 2))[:, None],
)
add(
    "tiled, dimension 1",
    "psum_scatter",
    [(2, 3, 4)],
    named(lambda r: fnp.sin(lax.psum_scatter(r, "i", scatter_dimension=1, tiled=True))),
    lambda x: np.stack([np.sin(x.sum(0)[:, 2 * k : 2 * k + 2]) for k in range(2)]),
)
add(
    "nested, tuple of names",
    "psum_scatter",
    [(2, 3, 12)],
    nested(lambda r: lax.psum_scatter(fnp.exp(r), ("i", "j"), tiled=True)),
    lambda x: np.exp(x).sum((0, 1)).reshape(2, 3, 2),
)
add(
    "one member",
    "psum_scatter",
    [(1, 3)],
    lambda x: lax.psum_scatter(x, ONE),
    lambda x: x[0],
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- all_to_all


add(
    "untiled",
    "all_to_all",
    [(3, 3, 2)],
    named(lambda r: fnp.sin(lax.all_to_all(r, "i", 0, 1)) * r[0, 0]),
    lambda x: np.stack([np.sin(x[:, k, :].T) * x[k, 0, 0] for k in range(3)]),
)
add(
    "tiled",
    "all_to_all",
    [(2, 4, 3)],
    named(lambda r: lax.all_to_all(r**2, "i", 0, 1, tiled=True)),
    lambda x: np.stack(
        [np.concatenate([x[m, 2 * k : 2 * k + 2] ** 2 for m in range(2)], axis=1) for k in range(2)]
    ),
)
add(
    "nested, tuple of names",
    "all_to_all",
    [(2, 2, 4)],
    nested(lambda r: fnp.tanh(lax.all_to_all(r, ("i", "j"), 0, 0))),
    lambda x: np.stack(
        [[np.tanh(x.reshape(4, 4)[:, 2 * a + b]) for b in range(2)] for a in range(2)]
    ),
)
add(
    "linear",
    "all_to_all",
    [(3, 3, 2)],
    named(lambda r: lax.all_to_all(r, "i", 0, 0)),
    lambda x: np.stack([x[:, k, :] for k in range(3)]),
)
add(
    "one member",
    "all_to_all",
    [(1, 3)],
    lambda x: lax.all_to_all(x, ONE, 0, 1),
    lambda x: x.T,
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- ppermute


_RING = [(0, 1), (1, 2), (2, 3), (3, 0)]
add(
    "ring",
    "ppermute",
    [(4, 3)],
    named(lambda r: lax.ppermute(fnp.sin(r), "i", _RING) * r),
    lambda x: np.sin(np.roll(x, 1, axis=0)) * x,
)
add(
    "partial permutation",
    "ppermute",
    [(4, 2)],
    named(lambda r: lax.ppermute(r, "i", [(0, 2), (3, 1)])),
    lambda x: np.stack([np.zeros(2), x[3], x[0], np.zeros(2)]),
)
add(
    "pshuffle",
    "ppermute",
    [(3, 2)],
    named(lambda r: lax.pshuffle(r**2, "i", [2, 0, 1]) + r),
    lambda x: x[[2, 0, 1]] ** 2 + x,
)
add(
    "nested, tuple of names",
    "ppermute",
    [(2, 3, 2)],
    nested(lambda r: lax.ppermute(fnp.exp(r), ("i", "j"), [(k, (k + 1) % 6) for k in range(6)])),
    lambda x: np.exp(np.roll(x.reshape(6, 2), 1, axis=0)).reshape(2, 3, 2),
)
add(
    "one member",
    "ppermute",
    [(3,)],
    lambda x: lax.ppermute(x, ONE, [(0, 0)]),
    lambda x: x,
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- axis_index


add(
    "x * index",
    "axis_index",
    [(4, 2)],
    named(lambda r: r * lax.axis_index("i")),
    lambda x: x * np.arange(4)[:, None],
)
add(
    "nested, tuple of names",
    "axis_index",
    [(2, 3)],
    nested(lambda r: fnp.sin(r) + lax.axis_index(("i", "j"))),
    lambda x: np.sin(x) + np.arange(6).reshape(2, 3),
)
add(
    "one member",
    "axis_index",
    [(3,)],
    lambda x: x + lax.axis_index(ONE),
    lambda x: x,
)


# ----------------------------------------------------------------------------- grad inside vmap
# Per-member gradients run the collectives' own JVP and transpose rules (outside, batching has
# already turned them into reductions). JAX's convention: psum's transpose is psum, so each
# member gets the gradient of the sum over members of the per-member losses.


def _member_grad(g):
    return named(ft.grad(g))


_W = np.arange(1.0, 7.0).reshape(2, 3)

add(
    "grad inside vmap",
    "psum",
    [(4, 3)],
    _member_grad(lambda r: fnp.sum(fnp.sin(r) * lax.psum(r**2, "i"))),
    lambda x: np.cos(x) * (x**2).sum(0) + 2 * x * np.sin(x).sum(0),
)
add(
    "grad inside vmap",
    "all_gather",
    [(4, 3)],
    _member_grad(lambda r: fnp.sum(lax.all_gather(r, "i") @ fnp.sin(r))),
    lambda x: np.sin(x).sum(0) + x.sum(0) * np.cos(x),
)
add(
    "grad inside vmap",
    "ppermute",
    [(4, 3)],
    _member_grad(lambda r: fnp.sum(lax.ppermute(fnp.sin(r), "i", _RING) * r)),
    lambda x: np.sin(np.roll(x, 1, axis=0)) + np.cos(x) * np.roll(x, -1, axis=0),
)
add(
    "grad inside vmap",
    "pmax",
    [(4, 3)],
    _member_grad(lambda r: fnp.sum(r * lax.pmax(r, "i"))),
    lambda x: x.max(0) + (x == x.max(0)) * x.sum(0),
    order=1,
)
add(
    "grad inside vmap",
    "psum_scatter",
    [(3, 3, 2)],
    _member_grad(lambda r: fnp.sum(fnp.sin(lax.psum_scatter(r**2, "i")))),
    lambda x: np.cos((x**2).sum(0)) * 2 * x,
)
add(
    "grad inside vmap",
    "all_to_all",
    [(3, 3, 2)],
    _member_grad(lambda r: fnp.sum(lax.all_to_all(r, "i", 0, 1) * _W * fnp.sum(r))),
    lambda x: _all_to_all_grad(x),
)


def _all_to_all_grad(x):
    # member k: out_k[l, m] = x[m, k, l]; loss_k = sum(out_k * W) * sum(x_k)
    n = x.shape[0]
    grad = np.zeros_like(x)
    for k in range(n):
        a = sum(x[m, k, c] * _W[c, m] for m in range(n) for c in range(2))
        grad[k] += a
        for m in range(n):
            grad[m, k, :] += _W[:, m] * x[k].sum()
    return grad
