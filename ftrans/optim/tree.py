"""``ftrans.optim.tree``: the `ftrans.optim.tree_utils` functions without their ``tree_`` prefix.

This is optax's ``optax.tree`` namespace: ``tree.add``, ``tree.norm``, ``tree.vdot``, ...

Examples:
    >>> import numpy as np
    >>> from ftrans.optim import tree
    >>> float(tree.norm({"a": np.array([3.0, 4.0])}))
    5.0
"""

from __future__ import annotations

from ftrans.optim import tree_utils as _tu

add = _tu.tree_add
add_scale = _tu.tree_add_scale
allclose = _tu.tree_allclose
batch_shape = _tu.tree_batch_shape
bias_correction = _tu.tree_bias_correction
cast = _tu.tree_cast
cast_like = _tu.tree_cast_like
clip = _tu.tree_clip
conj = _tu.tree_conj
div = _tu.tree_div
dtype = _tu.tree_dtype
full_like = _tu.tree_full_like
get = _tu.tree_get
get_all_with_path = _tu.tree_get_all_with_path
map_params = _tu.tree_map_params
max = _tu.tree_max  # noqa: A001 (optax's name)
min = _tu.tree_min  # noqa: A001
mul = _tu.tree_mul
norm = _tu.tree_norm
ones_like = _tu.tree_ones_like
random_like = _tu.tree_random_like
real = _tu.tree_real
scale = _tu.tree_scale
set = _tu.tree_set  # noqa: A001
size = _tu.tree_size
split_key_like = _tu.tree_split_key_like
sub = _tu.tree_sub
sum = _tu.tree_sum  # noqa: A001
update_infinity_moment = _tu.tree_update_infinity_moment
update_moment = _tu.tree_update_moment
update_moment_per_elem_norm = _tu.tree_update_moment_per_elem_norm
vdot = _tu.tree_vdot
where = _tu.tree_where
zeros_like = _tu.tree_zeros_like

__all__ = [
    "add",
    "add_scale",
    "allclose",
    "batch_shape",
    "bias_correction",
    "cast",
    "cast_like",
    "clip",
    "conj",
    "div",
    "dtype",
    "full_like",
    "get",
    "get_all_with_path",
    "map_params",
    "max",
    "min",
    "mul",
    "norm",
    "ones_like",
    "random_like",
    "real",
    "scale",
    "set",
    "size",
    "split_key_like",
    "sub",
    "sum",
    "update_infinity_moment",
    "update_moment",
    "update_moment_per_elem_norm",
    "vdot",
    "where",
    "zeros_like",
]
