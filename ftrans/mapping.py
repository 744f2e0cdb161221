"""``vmap``: vectorize a function over a batch axis of its arguments."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.api import _is_leaf_value, _to_array, _to_output, check_arguments, fun_name
from ftrans.core import new_main, shape_of
from ftrans.errors import FtransError
from ftrans.interpreters.batching import BatchAxis, BatchTrace, BatchTracer
from ftrans.primitives._batch import moveaxis


class BatchAxisError(FtransError, ValueError):
    """``in_axes``/``out_axes`` do not fit the arguments or outputs of a vmapped function."""


def _check_axis_spec(axis, what, path):
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise BatchAxisError(
            f"{what} at {tree.keystr(path) or 'the top level'} is {axis!r}; each entry must be an "
            "int (the mapped axis, negative counts from the end) or None (not mapped)."
        )


def _broadcast_axes(axes, full, what, full_name):
    """One axis per leaf of ``full`` from a prefix pytree ``axes`` (None = not mapped)."""
    try:
        return tree.broadcast_prefix(axes, full, prefix_name=what, full_name=full_name)
    except ValueError as e:
        raise BatchAxisError(
            f"{e} Give {what} either one int/None for everything or a pytree prefix of "
            f"{full_name} (e.g. in_axes=(0, None) for two arguments)."
        ) from None


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: Hashable | None = None,
    axis_size: int | None = None,
    spmd_axis_name: Hashable | tuple | None = None,
) -> Callable:
    """Vectorize ``fun`` over an axis of its arguments, as if it ran once per example.

    Args:
        fun: function of pytrees of arrays.
        in_axes: for each positional argument, the axis to map over (int, negative ints
            allowed) or None to pass it unmapped; an int applies to every argument, and any
            pytree prefix of the arguments works (``({"w": None, "b": 0}, 1)``).
        out_axes: where the batch axis goes in each output (pytree prefix of the outputs);
            None is allowed only for outputs that do not depend on the mapped axis.
        axis_name: a name for the mapped axis (any hashable, usually a str), so collectives
            inside ``fun`` (``ftrans.lax.psum(x, "i")``, ``pmean``, ``all_gather``,
            ``axis_index``...) can act across the batch; nested vmaps take different names.
        axis_size: the batch size, needed only when no argument is mapped.
        spmd_axis_name: accepted for JAX compatibility; it names mesh axes for sharding, which
            does not exist on one NumPy process, so it changes nothing here.

    Returns:
        The batched function.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> w = np.ones((3, 2))
        >>> ft.vmap(lambda w, x: x @ w, in_axes=(None, 0))(w, np.ones((5, 3))).shape
        (5, 2)
        >>> per_example = ft.vmap(ft.grad(lambda w, x: fnp.sum(x @ w)), in_axes=(None, 0))
        >>> per_example(w, np.arange(6.0).reshape(2, 3)).shape
        (2, 3, 2)
        >>> center = ft.vmap(lambda x: x - ft.lax.pmean(x, "batch"), axis_name="batch")
        >>> center(np.array([1.0, 2.0, 6.0])).tolist()
        [-2.0, -1.0, 3.0]
    """
    name = f"vmap({fun_name(fun)})"
    if axis_name is not None:
        try:
            hash(axis_name)
        except TypeError:
            raise BatchAxisError(
                f"{name}: axis_name={axis_name!r} is not hashable; use a str such as 'batch'."
            ) from None
        if isinstance(axis_name, tuple):
            raise BatchAxisError(
                f"{name}: axis_name={axis_name!r} is a tuple; a vmap binds one name (nest vmaps "
                "for several, and pass the tuple of names to the collective)."
            )
    if spmd_axis_name is not None:
        try:
            hash(spmd_axis_name)
        except TypeError:
            raise BatchAxisError(
                f"{name}: spmd_axis_name={spmd_axis_name!r} is not hashable."
            ) from None
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    # One int/None per argument (the usual spelling): each argument's leaves share its axis,
    # read off the flattened arguments' structure instead of broadcasting a prefix tree.
    per_argument = type(in_axes) is tuple and all(a is None or type(a) is int for a in in_axes)

    in_axes_tree = tuple(in_axes) if isinstance(in_axes, tuple) else in_axes

    @functools.wraps(fun)
    def batched(*args):
        if type(in_axes_tree) is tuple and len(in_axes_tree) != len(args):
            raise BatchAxisError(
                f"{name}: in_axes has {len(in_axes_tree)} entries but the function was called "
                f"with {len(args)} positional argument(s); give one entry per argument."
            )
        if per_argument:
            leaves, axes, structures = _flatten_per_argument(name, args, in_axes, fun)
        else:
            leaves, in_tree = tree.flatten(args)
            _check_leaves(name, args, leaves, fun)
            if in_axes is None or type(in_axes) is int:
                axes = [in_axes] * len(leaves)
            else:
                axes = _broadcast_axes(in_axes_tree, args, "in_axes", "the arguments")
        paths = _LazyPaths(args)
        size, axes = _mapped_size(name, leaves, paths, axes, axis_size)
        with new_main(BatchTrace, name, BatchAxis(size, axis_name)) as main:
            trace = main.trace
            ins = [
                x if a is None else BatchTracer(trace, x, a)
                for x, a in zip(leaves, axes, strict=True)
            ]
            if per_argument:
                out = fun(*_unflatten_per_argument(structures, ins))
            else:
                out = fun(*tree.unflatten(in_tree, ins))
            if type(out) is BatchTracer or type(out) is np.ndarray:  # one array: no pytree
                out_leaves, out_tree = [out], None
            else:
                out_leaves, out_tree = tree.check_leaves(
                    out, what=f"{name}: the output", is_valid=_is_leaf_value
                )
            pairs = [trace.unpack(o) for o in out_leaves]
        if out_tree is None:  # one array with its batch axis already where it belongs
            val, bdim = pairs[0]
            if bdim == out_axes and type(val) is np.ndarray and val.flags.writeable:
                return val
        if out_axes is None or type(out_axes) is int:
            targets = [out_axes] * len(pairs)
        else:
            targets = _broadcast_axes(out_axes, out, "out_axes", "the outputs")
        out_paths = None
        results = []
        for i, ((val, bdim), target) in enumerate(zip(pairs, targets, strict=True)):
            if bdim == target and type(val) is np.ndarray and val.flags.writeable:
                results.append(val)  # already where it belongs
                continue
            out_paths = out_paths or _LazyPaths(out)
            if target is not None and type(target) is not int:
                _check_axis_spec(target, f"{name}: out_axes", out_paths[i])
            results.append(_place_output(name, out_paths, i, val, bdim, target, size))
        return results[0] if out_tree is None else tree.unflatten(out_tree, results)

    return batched


def _check_leaves(name, args, leaves, fun):
    """Python scalars among ``leaves`` become 0-d arrays (in place); a non-array is an error."""
    for i, x in enumerate(leaves):
        if type(x) is not np.ndarray:
            if not _is_leaf_value(x):
                check_arguments(name, args, fun=fun)  # raises, naming the argument and path
            leaves[i] = _to_array(x)


def _flatten_per_argument(name, args, in_axes, fun):
    """Leaves, their axes, and each argument's structure (None for a bare array, which then
    needs no pytree work at all), for ``in_axes`` holding one int/None per argument."""
    leaves, axes, structures = [], [], []
    for arg, a in zip(args, in_axes, strict=True):
        if type(arg) is np.ndarray:
            leaves.append(arg)
            axes.append(a)
            structures.append(None)
            continue
        arg_leaves, structure = tree.flatten(arg)
        _check_leaves(name, args, arg_leaves, fun)
        leaves += arg_leaves
        axes += [a] * len(arg_leaves)
        structures.append(structure)
    return leaves, axes, structures


def _unflatten_per_argument(structures, ins):
    """The arguments again, from `_flatten_per_argument`'s structures and new leaves."""
    out, at = [], 0
    for structure in structures:
        if structure is None:
            out.append(ins[at])
            at += 1
        else:
            n = structure.num_leaves
            out.append(tree.unflatten(structure, ins[at : at + n]))
            at += n
    return out


class _LazyPaths:
    """Key paths of a pytree's leaves, computed only when an error message needs one."""

    def __init__(self, tree_):
        self.tree = tree_
        self.paths = None

    def __getitem__(self, i):
        if self.paths is None:
            self.paths = [p for p, _ in tree.leaves_with_path(self.tree)]
        return self.paths[i]


def _mapped_size(name, leaves, paths, axes, axis_size):
    """The batch size and the axes made non-negative; errors name each argument's path."""
    normalized = []
    size = None
    agree = True
    for i, (x, a) in enumerate(zip(leaves, axes, strict=True)):
        if a is None:
            normalized.append(None)
            continue
        if type(a) is not int:
            _check_axis_spec(a, f"{name}: in_axes", paths[i])
        shape = shape_of(x)
        ndim = len(shape)
        if not -ndim <= a < ndim:
            where = tree.keystr(paths[i]) or "the argument"
            raise BatchAxisError(
                f"{name}: in_axes={a} is out of range for the argument at {where} with shape "
                f"{shape} (rank {ndim}); use an axis in [-{ndim}, {ndim}) or None."
            )
        a = int(a) % ndim
        normalized.append(a)
        if size is None:
            size = shape[a]
        elif shape[a] != size:
            agree = False
    if not agree:
        sizes = {shape_of(x)[a] for x, a in zip(leaves, normalized, strict=True) if a is not None}
        lines = [
            f"  argument {tree.keystr(paths[i]) or '(top)'}: shape {shape_of(x)}, axis {a}, "
            f"size {shape_of(x)[a]}"
            for i, (x, a) in enumerate(zip(leaves, normalized, strict=True))
            if a is not None
        ]
        raise BatchAxisError(
            f"{name}: mapped axes have different sizes {sorted(sizes)}:\n"
            + "\n".join(lines)
            + "\nEvery mapped axis must have the batch size; use in_axes=None for arguments "
            "that are shared across the batch."
        )
    if size is not None:
        if axis_size is not None and axis_size != size:
            raise BatchAxisError(
                f"{name}: axis_size={axis_size} but the mapped axes have size {size}"
            )
        return size, normalized
    if axis_size is None:
        raise BatchAxisError(
            f"{name}: no argument is mapped (all in_axes are None), so the batch size is "
            "unknown; pass axis_size=N."
        )
    return int(axis_size), normalized


def _place_output(name, paths, index, val, bdim, target, size):
    if target is None:
        path = paths[index]
        if bdim is not None:
            raise BatchAxisError(
                f"{name}: out_axes is None for the output at {tree.keystr(path) or '(top)'}, but "
                "that output depends on the mapped inputs (it differs across the batch). Use an "
                "int out_axes for it, or make it independent of the batch."
            )
        return _to_output(val)
    if bdim is None:  # the same for every example: broadcast it along the batch axis
        from ftrans.primitives.shape import broadcast_in_dim

        shape = shape_of(val)
        val = broadcast_in_dim(
            val if not isinstance(val, (float, int, bool, complex)) else np.asarray(val),
            shape=(size, *shape),
            broadcast_dimensions=tuple(range(1, len(shape) + 1)),
        )
        bdim = 0
    ndim = len(shape_of(val))
    if not -ndim <= target < ndim:
        path = paths[index]
        raise BatchAxisError(
            f"{name}: out_axes={target} is out of range for the output at "
            f"{tree.keystr(path) or '(top)'} of batched rank {ndim}."
        )
    out = moveaxis(val, bdim, int(target) % ndim)
    if isinstance(out, np.ndarray) and not out.flags.writeable:
        out = np.array(out)  # broadcast views are read-only; hand the user a real array
    return _to_output(out)
