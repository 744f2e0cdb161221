"""Structured control flow that works under every transformation: ``cond`` and ``switch``.

With a concrete predicate (eager code, or under ``grad``/``jvp`` where primal values are
concrete) only the chosen branch runs. With a traced predicate (under ``jit``, ``vmap`` or
``make_jaxpr``) both branches are evaluated and the results selected elementwise, which is what
a batched predicate needs anyway; branches must therefore be pure and return the same types.
A primitive holding both branches as sub-programs (so ``jit`` runs only the taken one) is
planned together with ``scan`` and ``while_loop``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.core import Tracer, get_aval
from ftrans.errors import ConcretizationError, FtransError


class BranchMismatchError(FtransError, TypeError):
    """The branches of ``cond``/``switch`` return different structures, shapes or dtypes."""


def _concrete(x):
    """The concrete value of ``x``, or None while it is traced abstractly."""
    if not isinstance(x, Tracer):
        return x
    try:
        return x.to_concrete("cond")
    except ConcretizationError:
        return None


def _describe(out):
    leaves, treedef = tree.flatten(out)
    return treedef, [get_aval(np.asarray(x) if not isinstance(x, Tracer) else x) for x in leaves]


def _check_same(outs, names):
    first_tree, first_avals = _describe(outs[0])
    for out, name in zip(outs[1:], names[1:], strict=True):
        t, avals = _describe(out)
        if t != first_tree or [(a.shape, a.dtype) for a in avals] != [
            (a.shape, a.dtype) for a in first_avals
        ]:
            left = ", ".join(a.str_short() for a in first_avals)
            right = ", ".join(a.str_short() for a in avals)
            raise BranchMismatchError(
                f"{names[0]} returned {first_tree} with ({left}) but {name} returned {t} with "
                f"({right}); every branch must return the same pytree structure, shapes and "
                "dtypes (cast or broadcast inside the branches)."
            )


def _select(index, outs):
    import ftrans.numpy as fnp

    leaves = [tree.flatten(o)[0] for o in outs]
    treedef = tree.structure(outs[0])
    chosen = []
    for parts in zip(*leaves, strict=True):
        value = parts[-1]
        for k in range(len(parts) - 2, -1, -1):
            value = fnp.where(index == k, parts[k], value)
        chosen.append(value)
    return tree.unflatten(treedef, chosen)


def switch(index: Any, branches: Sequence[Callable], *operands):
    """Apply ``branches[index](*operands)`` (index clamped to the valid range, like JAX).

    Examples:
        >>> import ftrans as ft
        >>> fns = [lambda x: x + 1.0, lambda x: x * 10.0]
        >>> pick = ft.jit(lambda i: ft.lax.switch(i, fns, 2.0))
        >>> float(ft.lax.switch(1, fns, 2.0)), float(pick(0))
        (20.0, 3.0)
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch needs at least one branch")
    concrete = _concrete(index)
    if concrete is not None:
        k = int(np.clip(int(np.asarray(concrete)), 0, len(branches) - 1))
        return branches[k](*operands)
    import ftrans.numpy as fnp

    outs = [b(*operands) for b in branches]
    names = [f"branch {k}" for k in range(len(branches))]
    _check_same(outs, names)
    return _select(fnp.clip(index, 0, len(branches) - 1), outs)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, in any transformation.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> f = lambda x: ft.lax.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x)
        >>> float(f(3.0)), float(ft.jit(f)(-3.0)), ft.vmap(f)(np.array([1.0, -1.0])).tolist()
        (6.0, 3.0, [2.0, 1.0])
    """
    concrete = _concrete(pred)
    if concrete is not None:
        return true_fun(*operands) if bool(np.asarray(concrete)) else false_fun(*operands)
    outs = [false_fun(*operands), true_fun(*operands)]
    _check_same(outs, ["false_fun", "true_fun"])
    import ftrans.numpy as fnp

    return _select(fnp.asarray(pred).astype(np.int64) if isinstance(pred, Tracer) else pred, outs)
