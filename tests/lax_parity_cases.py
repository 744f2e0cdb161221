"""Cases run through both ``jax.lax`` and ``ftrans.lax``: general gather/scatter and the
implicitly differentiated solvers. Each case is ``make(L, NP, grad)`` (the lax module, its NumPy
module and its ``grad``) returning a function of arrays; ``tests/data/make_lax_parity_reference.py``
stores JAX's outputs and gradients, ``tests/test_lax_parity.py`` checks ftrans against them and,
when jax is installed, against JAX live.
"""

from __future__ import annotations

import numpy as np


def _gdn(L, *fields):
    return L.GatherDimensionNumbers(*fields)


def _sdn(L, *fields):
    return L.ScatterDimensionNumbers(*fields)


def _direct_solve(NP, n):
    """``solve(matvec, b)`` by building the matrix from matvec's columns."""

    def solve(matvec, b):
        return NP.linalg.solve(NP.stack([matvec(e) for e in NP.eye(n)], axis=1), b)

    return solve


def _newton(G, steps=25):
    def solve(f, x):
        for _ in range(steps):
            x = x - f(x) / G(f)(x)
        return x

    return solve


def cases(rng):
    """name -> (make, inputs, differentiable argnums)"""
    x345 = rng.standard_normal((3, 4, 5))
    x56 = rng.standard_normal((5, 6))
    spd = rng.standard_normal((3, 3))
    spd = spd @ spd.T + 3 * np.eye(3)
    gen = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b3 = rng.standard_normal(3)
    pairs = np.array([[0, 0], [4, 4], [2, 5], [1, 1], [1, 1], [-1, 2]])
    return {
        "gather_rows_default": (
            lambda L, NP, G: lambda x, i: L.gather(x, i, _gdn(L, (1, 2), (0,), (0,)), (1, 4, 5)),
            (x345, np.array([[0], [2], [5], [-1]])),
            (),  # out of bounds, JAX's gradient is undefined (dropped)
        ),
        "gather_rows_clip": (
            lambda L, NP, G: (
                lambda x, i: L.gather(x, i, _gdn(L, (1, 2), (0,), (0,)), (1, 4, 5), mode="clip")
            ),
            (x345, np.array([[0], [2], [5], [-1]])),
            (0,),
        ),
        "gather_windows_fill": (
            lambda L, NP, G: (
                lambda x, i: L.gather(
                    x, i, _gdn(L, (0, 3), (1,), (1, 2)), (2, 1, 3), mode="fill", fill_value=-3.0
                )
            ),
            (x345, rng.integers(-2, 6, (2, 3, 2))),
            (0,),
        ),
        "gather_windows_fill_nan": (
            lambda L, NP, G: (
                lambda x, i: L.gather(x, i, _gdn(L, (0, 3), (1,), (1, 2)), (2, 1, 3), mode="fill")
            ),
            (x345, rng.integers(-2, 6, (2, 3, 2))),
            (),
        ),
        "gather_batching_clip": (
            lambda L, NP, G: (
                lambda x, i: L.gather(
                    x, i, _gdn(L, (2,), (1,), (1,), (0,), (1,)), (1, 1, 5), mode="clip"
                )
            ),
            (x345, rng.integers(-1, 6, (6, 3, 1))),
            (0,),
        ),
        "gather_int_fill": (
            lambda L, NP, G: (
                lambda x, i: L.gather(x, i, _gdn(L, (), (0,), (0,)), (1,), mode="fill")
            ),
            (np.arange(5, dtype=np.int32), np.array([[0], [4], [7], [-1]])),
            (),
        ),
        **{
            f"{op}_{mode}": (
                lambda L, NP, G, op=op, mode=mode: (
                    lambda x, i, u: getattr(L, op)(x, i, u, _sdn(L, (1,), (0,), (0, 1)), mode=mode)
                ),
                (x56, pairs, rng.standard_normal((6, 2))),
                # JAX's gradients of out-of-bounds windows are undefined under promise_in_bounds
                (0, 2)
                if op in ("scatter_add", "scatter_sub", "scatter") and mode != "promise_in_bounds"
                else (),
            )
            for op in (
                "scatter",
                "scatter_add",
                "scatter_sub",
                "scatter_mul",
                "scatter_min",
                "scatter_max",
            )
            for mode in ("clip", "fill", "promise_in_bounds")
            if not (op == "scatter" and mode == "clip")  # clamped duplicates: order unspecified
        },
        "scatter_add_batching": (
            lambda L, NP, G: (
                lambda x, i, u: L.scatter_add(x, i, u, _sdn(L, (1,), (1,), (1,), (0,), (0,)))
            ),
            (x345, rng.integers(-1, 5, (3, 1)), rng.standard_normal((3, 5))),
            (0, 2),
        ),
        "scatter_apply_repeated": (
            lambda L, NP, G: (
                lambda x: L.scatter_apply(
                    x,
                    np.array([[1], [1], [3], [9]]),
                    lambda v: v * 2 + 1,
                    _sdn(L, (), (0,), (0,)),
                    update_shape=(4,),
                )
            ),
            (rng.standard_normal(5),),
            (),
        ),
        "linear_solve_symmetric": (
            lambda L, NP, G: (
                lambda a, b: L.custom_linear_solve(
                    lambda x: a @ x, b, _direct_solve(NP, 3), symmetric=True
                )
            ),
            (spd, b3),
            (0, 1),
        ),
        "linear_solve_transpose": (
            lambda L, NP, G: (
                lambda a, b: L.custom_linear_solve(
                    lambda x: a @ x, b, _direct_solve(NP, 3), _direct_solve(NP, 3)
                )
            ),
            (gen, b3),
            (0, 1),
        ),
        "linear_solve_pytree": (
            lambda L, NP, G: (
                lambda a, b: L.custom_linear_solve(
                    lambda xs: {"u": a @ xs["u"] + xs["v"], "v": xs["v"] * 2.0 - xs["u"][:1]},
                    {"u": b, "v": b[:1]},
                    lambda mv, r: _pytree_direct(NP, mv, r),
                    lambda vm, r: _pytree_direct(NP, vm, r),
                )["u"]
            ),
            (gen, b3),
            (0, 1),
        ),
        "root_cube": (
            lambda L, NP, G: (
                lambda a: L.custom_root(
                    lambda x: x**3 - a, NP.ones_like(a), _newton(G), lambda g, y: y / g(1.0)
                )
            ),
            (np.array(8.0),),
            (0,),
        ),
    }


def _pytree_direct(NP, matvec, r):
    """Solve a matvec on ``{"u": (3,), "v": (1,)}`` by building its 4x4 matrix."""

    def flat(t):
        return NP.concatenate([t["u"], t["v"]])

    cols = [flat(matvec({"u": e[:3], "v": e[3:]})) for e in NP.eye(4)]
    sol = NP.linalg.solve(NP.stack(cols, axis=1), flat(r))
    return {"u": sol[:3], "v": sol[3:]}
