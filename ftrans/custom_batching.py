"""``custom_vmap``: a function with its own batching rule (``jax.custom_batching``).

The function becomes one primitive holding its traced program. Evaluated, jitted or
differentiated it is that program; under ``vmap`` ftrans calls the user's rule instead of
batching the program equation by equation. Derivatives come from the program itself (so the
batching of a derivative uses the ordinary rules, not the custom one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ftrans import core, tree
from ftrans.compiler.native_rules import native_rule
from ftrans.control_flow._common import fun_name, run
from ftrans.core import Primitive, get_aval
from ftrans.interpreters.programs import avals_of, closure_convert
from ftrans.primitives._batch import moveaxis

__all__ = ["custom_vmap", "sequential_vmap"]

custom_vmap_call_p = Primitive("custom_vmap_call", multiple_results=True)
custom_vmap_call_p.impl = lambda *args, fun, rule, num_consts, name: list(run(fun, args))
custom_vmap_call_p.abstract_eval = lambda *avals, fun, **_: list(fun.out_avals)
native_rule(custom_vmap_call_p)(lambda g, eqn, *values, fun, **_: g.inline(fun, values))


def _custom_vmap_jvp(primals, tangents, *, fun, rule, num_consts, name):
    from ftrans.interpreters.jvp import jvp_flat

    return jvp_flat(lambda *a: run(fun, a), list(primals), list(tangents), f"jvp of {name}")


def _custom_vmap_batch(vals, dims, *, fun, rule, num_consts, name):
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    if any(d is not None for d in dims[:num_consts]):
        raise TypeError(
            f"custom_vmap {name}: a value it closes over is batched; pass it as an argument so "
            "the batching rule sees it"
        )
    args = [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims, strict=True)]
    outs, out_batched = rule(size, [d is not None for d in dims[num_consts:]], args[num_consts:])
    return outs, [0 if b else None for b in out_batched]


custom_vmap_call_p.jvp = _custom_vmap_jvp
custom_vmap_call_p.batch = _custom_vmap_batch


class custom_vmap:
    """A function with its own ``vmap`` rule.

    ``@f.def_vmap`` sets ``rule(axis_size, in_batched, *args) -> (out, out_batched)``:
    ``in_batched`` mirrors the arguments (a bool per leaf: batched along axis 0 or not),
    ``out_batched`` mirrors the output. Batched arguments arrive with the batch in front.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> @ft.custom_batching.custom_vmap
        ... def row_sum(x):
        ...     return fnp.sum(x)
        >>> @row_sum.def_vmap
        ... def _(axis_size, in_batched, x):
        ...     (batched,) = in_batched
        ...     return (fnp.sum(x, axis=1) if batched else fnp.sum(x)), batched
        >>> ft.vmap(row_sum)(np.arange(6.0).reshape(2, 3)).tolist()
        [3.0, 12.0]
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name = fun_name(fun)
        self.vmap_rule: Callable | None = None

    def def_vmap(self, rule: Callable) -> Callable:
        """Set the batching rule ``rule(axis_size, in_batched, *args) -> (out, out_batched)``."""
        if not callable(rule):
            raise TypeError(f"custom_vmap {self.name}: def_vmap needs a function, got {rule!r}")
        self.vmap_rule = rule
        return rule

    def __call__(self, *args):
        if self.vmap_rule is None:
            raise TypeError(
                f"custom_vmap function {self.name} has no batching rule: define one with "
                f"@{self.name}.def_vmap before calling it."
            )
        if not core._stack:
            return self.fun(*args)
        leaves, in_tree = tree.check_leaves(args, what=f"the arguments of {self.name}")
        out_trees = []

        def flat_fun(*xs):
            out = self.fun(*tree.unflatten(in_tree, list(xs)))
            out_leaves, out_tree = tree.check_leaves(out, what=f"the output of {self.name}")
            out_trees.append(out_tree)
            return out_leaves

        program, captured = closure_convert(flat_fun, avals_of(leaves), f"custom_vmap {self.name}")
        out_tree = out_trees[0]
        name, user_rule = self.name, self.vmap_rule

        def rule(size, batched, flat_args):
            in_batched = tree.unflatten(in_tree, batched)
            out, out_batched = user_rule(
                size, list(in_batched), *tree.unflatten(in_tree, flat_args)
            )
            o_leaves, o_tree = tree.check_leaves(out, what=f"the output of {name}'s vmap rule")
            if o_tree != out_tree:
                raise TypeError(
                    f"the vmap rule of {name} returned a pytree of structure {o_tree}, but "
                    f"{out_tree} was expected"
                )
            b_leaves = tree.broadcast_prefix(
                out_batched, out, prefix_name="out_batched", full_name=f"the output of {name}"
            )
            for leaf, want, batched_out in zip(o_leaves, program.out_avals, b_leaves, strict=True):
                shape = get_aval(leaf).shape
                expected = (size, *want.shape) if batched_out else want.shape
                if shape != expected:
                    raise TypeError(
                        f"the vmap rule of {name} returned shape {shape} where {expected} was "
                        "expected (batched outputs carry the batch on axis 0)"
                    )
            return list(o_leaves), [bool(b) for b in b_leaves]

        outs = custom_vmap_call_p.bind(
            *captured, *leaves, fun=program, rule=rule, num_consts=len(captured), name=name
        )
        return tree.unflatten(out_tree, outs)


def sequential_vmap(fun: Callable) -> custom_vmap:
    """``fun`` as a ``custom_vmap`` whose batching rule loops over the batch in Python (for
    functions that cannot be batched otherwise, e.g. ones calling back into NumPy)."""
    import ftrans.numpy as fnp

    f = custom_vmap(fun)

    @f.def_vmap
    def _(size, in_batched, *args):
        results = []
        for i in range(size):
            picked = [
                tree.map(lambda a, i=i: a[i], x) if b else x
                for x, b in zip(args, in_batched, strict=True)
            ]
            results.append(fun(*picked))
        stacked = tree.map(lambda *xs: fnp.stack(xs), *results)
        return stacked, True

    return f
