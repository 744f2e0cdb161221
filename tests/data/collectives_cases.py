"""Programs with named axes whose outputs ``collectives_jax.npz`` records from JAX.

Each case is ``name -> fn(m)`` where ``m`` is a namespace with ``lax``, ``np`` (``jax.numpy``
or ``ftrans.numpy``) and the transformations ``vmap``, ``grad``, ``jvp``, ``vjp``, ``jacfwd``,
``jacrev``, ``hessian``, ``jit``; ``fn`` returns a tuple of arrays. The cases cover each
collective's values and its derivatives under every transform, with the transformation inside
the named vmap (the collectives' own JVP/transpose rules) and outside it (their batching).
``make_collectives_reference.py`` runs them under JAX (x64); ``tests/test_collectives.py`` runs
them under ftrans and compares.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(17)
X = _rng.uniform(-1.5, 1.5, (4, 3))  # four members of shape (3,)
X3 = _rng.uniform(-1.5, 1.5, (3, 3, 2))  # three members of shape (3, 2)
T = _rng.uniform(-1.0, 1.0, (4, 3))  # a tangent of X
Y = _rng.uniform(-1.0, 1.0, (2, 3, 2))  # 2 x 3 members (two names)
X6 = _rng.uniform(-1.0, 1.0, (3, 6))  # three members of shape (6,)
RING = [(0, 1), (1, 2), (2, 3), (3, 0)]


def _loss(m):
    return lambda r: m.np.sum(m.np.sin(r) * m.lax.psum(r**2, "i"))


def _sum_of(m, g):
    return lambda xs: m.np.sum(m.vmap(g, axis_name="i")(xs))


CASES = {
    "psum": lambda m: (m.vmap(lambda r: m.np.sin(r) * m.lax.psum(r**2, "i"), axis_name="i")(X),),
    "psum_int": lambda m: (m.vmap(lambda r: r * m.lax.psum(1, "i"), axis_name="i")(X),),
    "pmean": lambda m: (m.vmap(lambda r: r - m.lax.pmean(r, "i"), axis_name="i")(X),),
    "pmax_pmin": lambda m: (
        m.vmap(lambda r: m.lax.pmax(r, "i") - m.lax.pmin(r, "i"), axis_name="i")(X),
    ),
    "grad_inside_psum": lambda m: (m.vmap(m.grad(_loss(m)), axis_name="i")(X),),
    "grad_inside_pmean": lambda m: (
        m.vmap(m.grad(lambda r: m.np.sum(m.lax.pmean(r**3, "i"))), axis_name="i")(X),
    ),
    "grad_outside_psum": lambda m: (m.grad(_sum_of(m, _loss(m)))(X),),
    "jvp_outside_psum": lambda m: m.jvp(
        m.vmap(lambda r: m.np.sin(r) * m.lax.psum(r**2, "i"), axis_name="i"), (X,), (T,)
    ),
    "jvp_inside_psum": lambda m: m.vmap(
        lambda r, t: m.jvp(lambda v: m.np.sin(v) * m.lax.psum(v**2, "i"), (r,), (t,)),
        axis_name="i",
    )(X, T),
    "vjp_inside_psum": lambda m: m.vmap(
        lambda r, c: m.vjp(lambda v: m.np.cos(v) * m.lax.psum(v, "i"), r)[1](c), axis_name="i"
    )(X, T),
    "jacfwd_outside_psum": lambda m: (
        m.jacfwd(m.vmap(lambda r: m.np.tanh(m.lax.psum(r, "i")) * r, axis_name="i"))(X),
    ),
    "jacrev_inside_psum": lambda m: (
        m.vmap(m.jacrev(lambda r: m.np.tanh(m.lax.psum(r, "i")) * r), axis_name="i")(X),
    ),
    "hessian_outside_psum": lambda m: (m.hessian(_sum_of(m, _loss(m)))(X),),
    "hessian_inside_psum": lambda m: (m.vmap(m.hessian(_loss(m)), axis_name="i")(X),),
    "jit_vmap_grad_psum": lambda m: (m.jit(m.vmap(m.grad(_loss(m)), axis_name="i"))(X),),
    "vmap_jit_grad_psum": lambda m: (m.vmap(m.jit(m.grad(_loss(m))), axis_name="i")(X),),
    "all_gather": lambda m: (
        m.vmap(lambda r: m.lax.all_gather(r, "i", axis=1, tiled=True), axis_name="i")(X3),
    ),
    "grad_inside_all_gather": lambda m: (
        m.vmap(m.grad(lambda r: m.np.sum(m.lax.all_gather(r, "i") @ m.np.sin(r))), axis_name="i")(
            X
        ),
    ),
    "psum_scatter": lambda m: (
        m.vmap(lambda r: m.lax.psum_scatter(r, "i", tiled=True), axis_name="i")(X6),
    ),
    "grad_inside_psum_scatter": lambda m: (
        m.vmap(m.grad(lambda r: m.np.sum(m.np.sin(m.lax.psum_scatter(r**2, "i")))), axis_name="i")(
            X3
        ),
    ),
    "all_to_all": lambda m: (m.vmap(lambda r: m.lax.all_to_all(r, "i", 0, 1), axis_name="i")(X3),),
    "all_to_all_tiled": lambda m: (
        m.vmap(lambda r: m.lax.all_to_all(r, "i", 0, 0, tiled=True), axis_name="i")(X6),
    ),
    "grad_inside_all_to_all": lambda m: (
        m.vmap(
            m.grad(lambda r: m.np.sum(m.np.sin(m.lax.all_to_all(r, "i", 0, 0)) * r[0, 0])),
            axis_name="i",
        )(X3),
    ),
    "ppermute": lambda m: (m.vmap(lambda r: m.lax.ppermute(r, "i", RING), axis_name="i")(X),),
    "pshuffle": lambda m: (
        m.vmap(lambda r: m.lax.pshuffle(r, "i", [2, 0, 3, 1]), axis_name="i")(X),
    ),
    "grad_inside_ppermute": lambda m: (
        m.vmap(
            m.grad(lambda r: m.np.sum(m.lax.ppermute(m.np.sin(r), "i", RING) * r)), axis_name="i"
        )(X),
    ),
    "axis_index_two_names": lambda m: (
        m.vmap(m.vmap(lambda r: r * m.lax.axis_index(("i", "j")), axis_name="j"), axis_name="i")(Y),
    ),
    "psum_two_names": lambda m: (
        m.vmap(m.vmap(lambda r: r * m.lax.psum(r, ("i", "j")), axis_name="j"), axis_name="i")(Y),
    ),
    "grad_inside_outer_name": lambda m: (
        m.vmap(
            m.vmap(m.grad(lambda r: m.np.sum(m.np.sin(r) * m.lax.psum(r, "i"))), axis_name="j"),
            axis_name="i",
        )(Y),
    ),
}
