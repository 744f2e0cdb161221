"""Jacobians and Hessians: ``vmap`` over ``jvp``/``vjp`` of basis vectors (no Python loop)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from ftrans import tree
from ftrans.api import _vjp, differentiable_args, fun_name, jvp
from ftrans.core import get_aval, shape_of
from ftrans.mapping import vmap
from ftrans.primitives.shape import reshape
from ftrans.primitives.shape import transpose as _transpose


def _basis(leaves):
    """For leaves of total size n: per leaf, an (n, *leaf.shape) slab of the identity."""
    sizes = [int(np.prod(shape_of(x), dtype=np.int64)) for x in leaves]
    n = sum(sizes)
    dtype = np.result_type(*[get_aval(x).dtype for x in leaves]) if leaves else np.float64
    eye = np.eye(n, dtype=dtype)
    out, start = [], 0
    for x, size in zip(leaves, sizes, strict=True):
        aval = get_aval(x)
        block = eye if len(leaves) == 1 else eye[:, start : start + size]
        out.append(block.astype(aval.dtype, copy=False).reshape((n, *aval.shape)))
        start += size
    return out, sizes


def _split_columns(block, n_lead, sizes, shapes):
    """Split the trailing flattened axis (length sum(sizes)) of ``block`` into per-leaf shapes."""
    from ftrans.primitives.shape import slice_

    lead = shape_of(block)[:n_lead]
    pieces, start = [], 0
    for size, shape in zip(sizes, shapes, strict=True):
        starts = [0] * (n_lead + 1)
        limits = [*lead, start + size]
        starts[-1] = start
        piece = slice_(block, starts, limits) if len(sizes) > 1 else block
        pieces.append(reshape(piece, new_sizes=(*lead, *shape)))
        start += size
    return pieces


def _nest(out_tree, in_tree, blocks, single):
    """JAX's layout: the output pytree, each leaf holding a pytree shaped like the inputs."""
    per_output = []
    for row in blocks:
        inner = tree.unflatten(in_tree, [np.asarray(b) if not _is_tracer(b) else b for b in row])
        per_output.append(inner[0] if single else inner)
    return tree.unflatten(out_tree, per_output)


def _is_tracer(x):
    from ftrans.core import Tracer

    return isinstance(x, Tracer)


def _check_outputs(leaves, name, holomorphic):
    """jacrev needs real outputs (complex ones only with holomorphic=True), like JAX."""
    for i, y in enumerate(leaves):
        dtype = get_aval(y).dtype
        is_complex = np.issubdtype(dtype, np.complexfloating)
        if holomorphic and not is_complex:
            raise TypeError(
                f"{name} was given holomorphic=True, but output leaf {i} has dtype {dtype.name}; "
                "a holomorphic function returns complex values. Drop holomorphic=True."
            )
        if is_complex and not holomorphic:
            raise TypeError(
                f"{name}: output leaf {i} has dtype {dtype.name}; reverse-mode Jacobians need "
                "real outputs. Pass holomorphic=True for a holomorphic function, return "
                "fnp.real(y) and fnp.imag(y) separately, or use ft.vjp directly."
            )


def jacfwd(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable:
    """Jacobian by forward mode: one batched JVP over the basis of the inputs.

    Costs about ``n`` forward passes for ``n`` input elements, so it suits tall Jacobians
    (few inputs, many outputs). Inputs must be real unless ``holomorphic=True``, which takes
    complex inputs and gives the complex derivative of a holomorphic ``fun``. The result has
    shape ``output.shape + input.shape`` for each (output leaf, input leaf) pair, nested as the
    output pytree of input pytrees.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> ft.jacfwd(lambda x: fnp.sin(x) * 2.0)(np.zeros(3)).tolist()
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    """
    name = f"jacfwd({fun_name(fun)})"
    single = isinstance(argnums, int)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        f, primals = differentiable_args(
            fun, args, kwargs, argnums, name, "require" if holomorphic else "forbid"
        )
        in_leaves, in_tree = tree.flatten(primals)
        basis, sizes = _basis(in_leaves)

        def push(*tangent_leaves):
            tangents = tree.unflatten(in_tree, list(tangent_leaves))
            if has_aux:
                _, t_out, aux = jvp(f, primals, tangents, has_aux=True)
                return t_out, aux
            return jvp(f, primals, tangents)[1]

        if has_aux:
            t_out, aux = vmap(push, out_axes=(-1, None))(*basis)
        else:
            t_out = vmap(push, out_axes=-1)(*basis)
        out_leaves, out_tree = tree.flatten(t_out)
        shapes = [shape_of(x) for x in in_leaves]
        blocks = [_split_columns(o, len(shape_of(o)) - 1, sizes, shapes) for o in out_leaves]
        result = _nest(out_tree, in_tree, blocks, single)
        return (result, aux) if has_aux else result

    return jac


def jacrev(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable:
    r"""Jacobian by reverse mode: one forward pass, then one batched VJP over the output basis.

    Costs about ``k`` backward passes for ``k`` output elements, so it suits wide Jacobians
    (many inputs, few outputs). Same output layout as `jacfwd`. Outputs must be real unless
    ``holomorphic=True`` (complex inputs and outputs, the complex derivative); complex inputs
    of a real function follow `grad`'s convention
    $\partial f / \partial x - i \, \partial f / \partial y$.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> ft.jacrev(lambda x, y: x * y, argnums=(0, 1))(np.ones(2), np.full(2, 3.0))[1].tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    name = f"jacrev({fun_name(fun)})"
    single = isinstance(argnums, int)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        f, primals = differentiable_args(
            fun, args, kwargs, argnums, name, "require" if holomorphic else "allow"
        )
        in_leaves, in_tree = tree.flatten(primals)
        outs = _vjp(f, primals, has_aux, name)
        out, vjp_fn = outs[0], outs[1]
        out_leaves, out_tree = tree.flatten(out)
        _check_outputs(out_leaves, name, holomorphic)
        basis, out_sizes = _basis(out_leaves)

        def pull(*ct_leaves):
            return tree.flatten(vjp_fn(tree.unflatten(out_tree, list(ct_leaves))))[0]

        rows = vmap(pull)(*basis)  # per input leaf: (k, *in_shape)
        in_shapes = [shape_of(x) for x in in_leaves]
        out_shapes = [shape_of(x) for x in out_leaves]
        blocks = [[None] * len(in_leaves) for _ in out_leaves]
        for j, (r, in_shape) in enumerate(zip(rows, in_shapes, strict=True)):
            # r: (k, *in_shape) -> per output leaf (*out_shape, *in_shape)
            n_in = len(in_shape)
            moved = _transpose(r, permutation=(*range(1, n_in + 1), 0)) if n_in else r
            parts = _split_columns(moved, n_in, out_sizes, out_shapes)
            for i, (part, out_shape) in enumerate(zip(parts, out_shapes, strict=True)):
                nd = len(out_shape)
                perm = (*range(n_in, n_in + nd), *range(n_in))
                blocks[i][j] = _transpose(part, permutation=perm) if n_in and nd else part
        result = _nest(out_tree, in_tree, blocks, single)
        return (result, outs[2]) if has_aux else result

    return jac


def hessian(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable:
    """The Hessian, ``jacfwd(jacrev(fun))``: forward-over-reverse.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> ft.hessian(lambda x: fnp.sum(x ** 3))(np.array([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
