"""ftrans.tree_util against jax.tree_util: the same names, the same answers."""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, NamedTuple

import numpy as np
import pytest

import ftrans as ft
from ftrans import tree, tree_util


class Pt(NamedTuple):
    x: Any
    y: Any


TREES = [
    1.0,
    None,
    [1, None, (2, 3)],
    {"b": [1, 2], "a": None, "c": {"z": 3, "y": (4,)}},
    Pt(1, [2, {"k": 3}]),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    ((), [], {}),
]


def _jax_tree_util():
    return pytest.importorskip("jax.tree_util")


def _paths(pairs, keystr):
    return [(keystr(p), x) for p, x in pairs]


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_flatten_leaves_paths_match_jax(t):
    jtu = _jax_tree_util()
    assert tree_util.tree_leaves(t) == jtu.tree_leaves(t)
    assert tree_util.tree_structure(t).num_leaves == jtu.tree_structure(t).num_leaves
    assert tree_util.tree_structure(t).num_nodes == jtu.tree_structure(t).num_nodes
    ours = _paths(tree_util.tree_leaves_with_path(t), tree_util.keystr)
    theirs = _paths(jtu.tree_leaves_with_path(t), jtu.keystr)
    assert ours == theirs
    simple = [
        tree_util.keystr(p, simple=True, separator="/")
        for p, _ in tree_util.tree_leaves_with_path(t)
    ]
    assert simple == [
        jtu.keystr(p, simple=True, separator="/") for p, _ in jtu.tree_leaves_with_path(t)
    ]
    f = lambda x: x * 10
    assert tree_util.tree_map(f, t) == jtu.tree_map(f, t)
    leaves, treedef = tree_util.tree_flatten(t)
    assert tree_util.tree_unflatten(treedef, leaves) == t
    assert tree_util.treedef_is_leaf(treedef) == jtu.treedef_is_leaf(jtu.tree_structure(t))
    assert len(tree_util.treedef_children(treedef)) == len(
        jtu.treedef_children(jtu.tree_structure(t))
    )
    assert tree_util.all_leaves(leaves) == jtu.all_leaves(leaves)


def test_is_leaf_and_none_match_jax():
    jtu = _jax_tree_util()
    t = [(1, 2), None, {"a": (3,)}]
    pred = lambda x: isinstance(x, tuple)
    assert tree_util.tree_leaves(t, is_leaf=pred) == jtu.tree_leaves(t, is_leaf=pred)
    none_leaf = lambda x: x is None
    assert tree_util.tree_leaves(t, is_leaf=none_leaf) == jtu.tree_leaves(t, is_leaf=none_leaf)
    assert tree_util.all_leaves([1, None]) == jtu.all_leaves([1, None]) is False
    assert tree_util.all_leaves([(1,)], is_leaf=pred) == jtu.all_leaves([(1,)], is_leaf=pred)


def test_reduce_all_transpose_broadcast_match_jax():
    jtu = _jax_tree_util()
    jt = pytest.importorskip("jax.tree")
    t = {"a": [1, 2], "b": 3}
    add = lambda a, b: a + b
    assert tree_util.tree_reduce(add, t) == jtu.tree_reduce(add, t)
    assert tree_util.tree_reduce(add, t, 10) == jtu.tree_reduce(add, t, 10)
    assert tree.reduce_associative(add, t) == jt.reduce_associative(add, t)
    assert tree.reduce_associative(add, [], identity=0) == 0
    with pytest.raises(TypeError, match="identity="):
        tree.reduce_associative(add, [])
    assert tree_util.tree_all([True, 1]) == jtu.tree_all([True, 1])
    assert tree_util.tree_all([True, 0]) == jtu.tree_all([True, 0])
    nested = [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    ours = tree_util.tree_transpose(
        tree.structure([0, 0]), tree.structure({"a": 0, "b": 0}), nested
    )
    theirs = jtu.tree_transpose(
        jtu.tree_structure([0, 0]), jtu.tree_structure({"a": 0, "b": 0}), nested
    )
    assert ours == theirs
    full = ((2, 3), {"a": 4, "b": (5, 6)})
    assert tree.broadcast((1, 2), full) == jt.broadcast((1, 2), full)
    with pytest.raises(ValueError, match="not a prefix of full_tree at \\[1\\]"):
        tree.broadcast((1, None), full)


def test_treedef_methods_match_jax():
    jtu = _jax_tree_util()
    ours, theirs = tree.structure([1, (2, 3)]), jtu.tree_structure([1, (2, 3)])
    t = [{"x": 1}, (2, [3])]
    assert ours.flatten_up_to(t) == theirs.flatten_up_to(t)
    composed = ours.compose(tree.structure((0, 0)))
    assert composed.num_leaves == theirs.compose(jtu.tree_structure((0, 0))).num_leaves == 6
    assert composed == tree.structure([(0, 0), ((0, 0), (0, 0))])
    assert ours.node_data()[0] is list and tree.structure(1).node_data() is None
    tup = tree_util.treedef_tuple([tree.structure(1), tree.structure([1, 2])])
    assert tup == tree.structure((0, [0, 0]))
    assert ours.walk(lambda xs, _: sum(xs), None, [1, 2, 3]) == 6
    with pytest.raises(ValueError, match="flatten_up_to"):
        ours.flatten_up_to([1, 2])


def test_flatten_one_level_and_is_tree_node():
    jtu = _jax_tree_util()
    children, _ = tree_util.flatten_one_level({"b": 1, "a": 2})
    assert children == list(jtu.flatten_one_level({"b": 1, "a": 2})[0])
    keyed, _ = tree_util.flatten_one_level_with_keys(Pt(1, 2))
    assert [(tree_util.keystr((k,)), c) for k, c in keyed] == [(".x", 1), (".y", 2)]
    with pytest.raises(ValueError, match="leaf"):
        tree_util.flatten_one_level(1.0)
    for typ in (list, dict, int, type(None), Pt, float):
        assert tree_util.is_tree_node(typ) == jtu.is_tree_node(typ), typ


def test_dataclass_static_drop_fields():
    @tree_util.register_dataclass
    @dataclasses.dataclass
    class Op:
        x: Any
        y: Any
        op: str = tree.static(default="add")

    leaves, treedef = tree.flatten(Op(1.0, 2.0))
    assert leaves == [1.0, 2.0]
    assert treedef != tree.structure(Op(1.0, 2.0, op="mul"))

    @functools.partial(
        tree_util.register_dataclass, data_fields=["a"], meta_fields=[], drop_fields=["cache"]
    )
    @dataclasses.dataclass
    class WithCache:
        a: Any
        cache: Any = None

    assert tree.leaves(WithCache(1.0, cache="big")) == [1.0]


def test_register_with_keys_and_static():
    class Params:
        def __init__(self, w, b):
            self.w, self.b = w, b

    tree_util.register_pytree_with_keys(
        Params,
        lambda p: (((tree.GetAttrKey("w"), p.w), (tree.GetAttrKey("b"), p.b)), None),
        lambda aux, ch: Params(*ch),
    )
    out = tree.map(lambda x: x + 1, Params(1.0, 2.0))
    assert (out.w, out.b) == (2.0, 3.0)
    assert [tree.keystr(p) for p, _ in tree.leaves_with_path(Params(1, 2))] == [".w", ".b"]

    @tree_util.register_pytree_with_keys_class
    class Box:
        def __init__(self, v):
            self.v = v

        def tree_flatten_with_keys(self):
            return ((tree.GetAttrKey("v"), self.v),), None

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(*children)

    assert tree.leaves(Box(3.0)) == [3.0]

    with pytest.raises(TypeError, match="tree_flatten_with_keys"):

        @tree_util.register_pytree_with_keys_class
        class NoKeys:
            pass

    @tree_util.register_static
    @dataclasses.dataclass(frozen=True)
    class Tag:
        name: str

    assert tree.leaves([1.0, Tag("relu")]) == [1.0]
    assert tree.structure(Tag("a")) != tree.structure(Tag("b"))
    # A static value passed to jit is part of the cache key, like a static argument.
    calls = []

    @ft.jit
    def f(x, tag):
        calls.append(tag.name)
        return x * 2 if tag.name == "double" else x

    assert float(f(1.0, Tag("double"))) == 2.0
    assert float(f(1.0, Tag("same"))) == 1.0
    assert calls == ["double", "same"]


def test_partial_is_a_pytree_through_jit_and_vmap():
    jtu = _jax_tree_util()

    def fn(a, b, c=0.0):
        return a * b + c

    p = tree_util.Partial(fn, np.array([1.0, 2.0]), c=3.0)
    assert isinstance(p, functools.partial)
    leaves = tree.leaves(p)
    assert len(leaves) == 2 and leaves[1] == 3.0
    jp = jtu.Partial(fn, np.array([1.0, 2.0]), c=3.0)
    assert len(jtu.tree_leaves(jp)) == len(leaves)
    out = ft.jit(lambda g, x: g(x))(p, 2.0)
    np.testing.assert_allclose(out, [5.0, 7.0])
    out = ft.vmap(lambda g, x: g(x), in_axes=(None, 0))(p, np.array([1.0, 2.0]))
    np.testing.assert_allclose(out, [[4.0, 5.0], [5.0, 7.0]])
    # the function is static: a different function is a different structure
    assert tree.structure(p) != tree.structure(tree_util.Partial(max, 1.0, c=3.0))
    g = ft.grad(lambda q: q(2.0).sum())(p)
    np.testing.assert_allclose(g.args[0], [2.0, 2.0])
    assert float(g.keywords["c"]) == 2.0
