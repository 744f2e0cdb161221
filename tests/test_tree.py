"""Tests of ftrans.tree: round trips, key paths, registration, matching trees and error messages."""

from __future__ import annotations

import collections
import copy
import dataclasses
import doctest
import re
from typing import Any, NamedTuple

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import ftrans.tree as tree
from ftrans.tree import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey


class Point(NamedTuple):
    x: Any
    y: Any


Pair = collections.namedtuple("Pair", ["first", "second"])


class Weights(NamedTuple):
    w: Any
    b: Any


def same(a: Any, b: Any) -> bool:
    """Strict structural equality: types, dict key order and leaves all agree."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if list(a) != list(b):
            return False
        if isinstance(a, collections.defaultdict) and a.default_factory is not b.default_factory:
            return False
        return all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def roundtrip(t: Any) -> Any:
    flat, treedef = tree.flatten(t)
    assert treedef.num_leaves == len(flat)
    return treedef.unflatten(flat)


# ----------------------------------------------------------------------------- round trips

BUILTIN_CASES = [
    1.0,
    None,
    (),
    [],
    {},
    (1.0,),
    [1.0, 2.0],
    {"a": 1.0, "b": 2.0},
    Point(1.0, (2.0, 3.0)),
    Pair([1.0], {"k": None}),
    collections.OrderedDict([("z", 1.0), ("a", 2.0)]),
    collections.defaultdict(list, {"b": 1.0, "a": [2.0, 3.0]}),
    {"layers": [{"w": np.ones(2), "b": np.zeros(2)}, (None, 3.0)], "step": 4},
    [None, (None,), {"x": None}],
]


@pytest.mark.parametrize("t", BUILTIN_CASES, ids=repr)
def test_roundtrip_builtin_nodes(t):
    assert same(roundtrip(t), t)


def test_leaf_counts_and_none_is_an_empty_node():
    assert tree.leaves([None, 1, (None, 2)]) == [1, 2]
    treedef = tree.structure(None)
    assert treedef.num_leaves == 0
    assert treedef.num_nodes == 1
    assert treedef.node_type is type(None)
    assert tree.structure(1.0).node_type is None
    assert tree.structure({"a": (1, 2), "b": None}).num_nodes == 5


def test_children_and_node_type():
    treedef = tree.structure(Point(1.0, [2.0, 3.0]))
    assert treedef.node_type is Point
    kids = treedef.children()
    assert [k.node_type for k in kids] == [None, list]
    assert kids[1] == tree.structure([0, 0])


def test_is_leaf_helper():
    assert tree.is_leaf(np.ones(3))
    assert tree.is_leaf("text")
    assert not tree.is_leaf(None)
    assert not tree.is_leaf(Point(1, 2))
    assert not tree.is_leaf({})


def test_tuple_subclass_without_fields_is_a_leaf():
    class MyTuple(tuple):
        pass

    t = MyTuple((1, 2))
    assert tree.leaves([t]) == [t]


def test_is_leaf_predicate_keeps_subtrees_whole():
    t = {"a": (1, 2), "b": [(3, 4), 5]}
    flat, treedef = tree.flatten(t, is_leaf=lambda x: isinstance(x, tuple))
    assert flat == [(1, 2), (3, 4), 5]
    assert same(treedef.unflatten(flat), t)
    assert tree.leaves(None, is_leaf=lambda x: x is None) == [None]


def test_namedtuple_unflatten_skips_custom_new():
    class Checked(collections.namedtuple("CheckedBase", ["a", "b"])):
        def __new__(cls, a, b):
            if not isinstance(a, float):
                raise TypeError("validation")
            return super().__new__(cls, a, b)

    t = Checked(1.0, 2.0)
    flat, treedef = tree.flatten(t)
    assert treedef.unflatten(["not", "floats"]) == ("not", "floats")
    assert type(treedef.unflatten(flat)) is Checked


# ----------------------------------------------------------------------------- dicts


def test_dict_leaves_sorted_but_user_key_order_kept():
    t = {"b": 1, "c": 2, "a": 3}
    flat, treedef = tree.flatten(t)
    assert flat == [3, 1, 2]
    out = treedef.unflatten(["A", "B", "C"])
    assert list(out) == ["b", "c", "a"]
    assert out == {"a": "A", "b": "B", "c": "C"}
    assert list(tree.map(lambda x: x, t)) == ["b", "c", "a"]


def test_dict_treedef_equality_ignores_insertion_order():
    one = tree.structure({"x": 1, "y": (2, 3)})
    two = tree.structure({"y": (0, 0), "x": 0})
    assert one == two
    assert hash(one) == hash(two)
    assert one != tree.structure({"x": 1, "z": (2, 3)})
    assert one != tree.structure({"x": 1, "y": [2, 3]})
    assert len({one, two}) == 1


def test_dict_with_unsortable_keys_falls_back_to_type_and_repr():
    t = {1: "int", "a": "str", (0,): "tuple"}
    flat, treedef = tree.flatten(t)
    # sorted by (type name, repr): int < str < tuple
    assert flat == ["int", "str", "tuple"]
    assert list(treedef.unflatten(flat)) == [1, "a", (0,)]


def test_equal_keys_of_different_types_are_not_confused():
    # 1 == 1.0 == True, so the key-set cache must look at types too.
    for key in (1, 1.0, True):
        out = tree.map(lambda x: x, {key: 0})
        assert type(next(iter(out))) is type(key)


def test_ordered_dict_keeps_insertion_order_for_leaves_and_equality():
    t = collections.OrderedDict([("z", 1), ("a", 2)])
    flat, treedef = tree.flatten(t)
    assert flat == [1, 2]
    assert treedef != tree.structure(collections.OrderedDict([("a", 2), ("z", 1)]))
    assert treedef != tree.structure({"z": 1, "a": 2})


def test_defaultdict_keeps_its_factory():
    t = collections.defaultdict(list, {"b": 1, "a": 2})
    out = roundtrip(t)
    assert out.default_factory is list
    assert tree.structure(t) != tree.structure(collections.defaultdict(dict, {"b": 1, "a": 2}))


# ----------------------------------------------------------------------------- registration


def test_register_pytree_node_roundtrip_and_index_paths():
    class Box:
        def __init__(self, items, label):
            self.items, self.label = items, label

    tree.register_pytree_node(
        Box, lambda b: (b.items, b.label), lambda label, items: Box(list(items), label)
    )
    t = {"box": Box([1.0, (2.0, 3.0)], "L")}
    flat, treedef = tree.flatten(t)
    assert flat == [1.0, 2.0, 3.0]
    out = treedef.unflatten([4.0, 5.0, 6.0])
    assert out["box"].items == [4.0, (5.0, 6.0)]
    assert out["box"].label == "L"
    assert treedef != tree.structure({"box": Box([1.0, (2.0, 3.0)], "other")})
    paths = [tree.keystr(p) for p, _ in tree.leaves_with_path(t)]
    assert paths == [
        "['box'][<flat index 0>]",
        "['box'][<flat index 1>][0]",
        "['box'][<flat index 1>][1]",
    ]
    assert tree.leaves_with_path(t)[0][0] == (DictKey("box"), FlattenedIndexKey(0))
    assert "Box" in repr(treedef)


def test_register_with_keys_gives_named_paths():
    class Affine:
        def __init__(self, w, b):
            self.w, self.b = w, b

    tree.register_pytree_node(
        Affine,
        lambda a: ((a.w, a.b), None),
        lambda aux, ch: Affine(*ch),
        lambda a: ([(GetAttrKey("w"), a.w), (GetAttrKey("b"), a.b)], None),
    )
    pairs, _ = tree.flatten_with_path([Affine(1.0, 2.0)])
    assert [tree.keystr(p) for p, _ in pairs] == ["[0].w", "[0].b"]


def test_register_twice_names_the_type():
    class Twice:
        pass

    tree.register_pytree_node(Twice, lambda x: ((), None), lambda aux, ch: Twice())
    with pytest.raises(ValueError, match=r"Twice is already registered"):
        tree.register_pytree_node(Twice, lambda x: ((), None), lambda aux, ch: Twice())
    with pytest.raises(ValueError, match=r"dict is already registered"):
        tree.register_pytree_node(dict, lambda x: ((), None), lambda aux, ch: {})


def test_register_pytree_node_class():
    @tree.register_pytree_node_class
    class Scaled:
        def __init__(self, value, scale):
            self.value, self.scale = value, scale

        def tree_flatten(self):
            return (self.value,), self.scale

        @classmethod
        def tree_unflatten(cls, scale, children):
            return cls(children[0], scale)

    out = tree.map(lambda v: v * 10, Scaled(2.0, scale=3))
    assert isinstance(out, Scaled)
    assert (out.value, out.scale) == (20.0, 3)
    assert tree.structure(Scaled(1.0, 3)) != tree.structure(Scaled(1.0, 4))


def test_dataclass_with_static_field():
    @tree.register_dataclass
    @dataclasses.dataclass
    class Layer:
        w: Any
        b: Any
        activation: str = dataclasses.field(default="relu", metadata={"static": True})

    layer = Layer(np.ones(2), np.zeros(2))
    flat, treedef = tree.flatten(layer)
    assert len(flat) == 2
    out = treedef.unflatten([1.0, 2.0])
    assert (out.w, out.b, out.activation) == (1.0, 2.0, "relu")
    assert treedef == tree.structure(Layer(0, 0))
    assert treedef != tree.structure(Layer(0, 0, activation="tanh"))
    assert hash(treedef) == hash(tree.structure(Layer(5, 6)))
    assert repr(treedef) == "PyTreeDef(Layer(w=*, b=*, activation='relu'))"
    paths = [tree.keystr(p) for p, _ in tree.leaves_with_path({"l": layer})]
    assert paths == ["['l'].w", "['l'].b"]


def test_frozen_dataclass_and_post_init_not_rerun():
    calls = []

    @tree.register_dataclass
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        a: Any
        derived: Any = dataclasses.field(default=None, init=False)

        def __post_init__(self):
            calls.append(self.a)
            object.__setattr__(self, "derived", "from init")

    t = Frozen(1.0)
    out = tree.map(lambda x: x, t)
    assert isinstance(out, Frozen)
    assert out.a == 1.0
    assert out.derived == "from init"  # a data field, carried as a leaf
    assert calls == [1.0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.a = 2.0


def test_dataclass_explicit_field_lists():
    @tree.register_dataclass(data_fields=["x"], meta_fields=["name"])
    @dataclasses.dataclass
    class Named:
        x: Any
        name: str

    flat, treedef = tree.flatten(Named(3.0, "n"))
    assert flat == [3.0]
    assert treedef.unflatten([4.0]) == Named(4.0, "n")


def test_dataclass_field_list_errors():
    @dataclasses.dataclass
    class Three:
        a: Any
        b: Any
        c: Any

    with pytest.raises(ValueError, match=r"missing fields \['c'\]"):
        tree.register_dataclass(Three, data_fields=["a"], meta_fields=["b"])
    with pytest.raises(ValueError, match=r"does not have \['zzz'\]"):
        tree.register_dataclass(Three, data_fields=["a", "b", "c", "zzz"], meta_fields=[])
    with pytest.raises(ValueError, match=r"more than once \['a'\]"):
        tree.register_dataclass(Three, data_fields=["a", "b", "c"], meta_fields=["a"])
    with pytest.raises(TypeError, match=r"not a dataclass"):
        tree.register_dataclass(int)


def test_unhashable_static_value_is_explained():
    @tree.register_dataclass
    @dataclasses.dataclass
    class Config:
        x: Any
        sizes: list = dataclasses.field(default_factory=list, metadata={"static": True})

    treedef = tree.structure(Config(1.0, [1, 2]))
    with pytest.raises(TypeError, match=r"unhashable.*must be hashable; use tuples"):
        hash(treedef)


# ----------------------------------------------------------------------------- PyTreeDef


def test_treedef_repr():
    assert repr(tree.structure({"b": (1, 2), "a": 1})) == "PyTreeDef({'a': *, 'b': (*, *)})"
    assert repr(tree.structure((1,))) == "PyTreeDef((*,))"
    assert repr(tree.structure([None, 1])) == "PyTreeDef([None, *])"
    assert repr(tree.structure(Point(1, 2))) == "PyTreeDef(Point(x=*, y=*))"
    assert repr(tree.structure(5)) == "PyTreeDef(*)"


def test_treedef_is_immutable_and_copies_to_itself():
    treedef = tree.structure([1, 2])
    with pytest.raises(AttributeError):
        treedef.num_leaves = 3
    with pytest.raises(AttributeError):
        treedef.node_type = tuple
    with pytest.raises(AttributeError):
        treedef.extra = 1
    assert copy.deepcopy(treedef) is treedef
    with pytest.raises(TypeError):
        tree.PyTreeDef()


def test_unflatten_wrong_leaf_count():
    treedef = tree.structure({"a": 1, "b": (2, 3)})
    with pytest.raises(ValueError, match=r"expects 3 leaves, got 2"):
        treedef.unflatten([1, 2])
    with pytest.raises(ValueError, match=r"expects 3 leaves, got 4"):
        tree.unflatten(treedef, iter([1, 2, 3, 4]))


def test_treedef_equality_distinguishes_structure():
    assert tree.structure((1, 2)) != tree.structure([1, 2])
    assert tree.structure((1, 2)) != tree.structure(Point(1, 2))
    assert tree.structure((1, (2,))) != tree.structure(((1,), 2))
    assert tree.structure([None]) != tree.structure([1])
    assert tree.structure((1, 2)) == tree.structure(("a", np.ones(3)))
    assert tree.structure(1) != "not a treedef"


# ----------------------------------------------------------------------------- paths


def test_key_entries_render_and_hash():
    assert str(DictKey("w")) == "['w']"
    assert str(DictKey(3)) == "[3]"
    assert str(SequenceKey(0)) == "[0]"
    assert str(GetAttrKey("w")) == ".w"
    assert str(FlattenedIndexKey(2)) == "[<flat index 2>]"
    assert len({DictKey("a"), DictKey("a"), SequenceKey(0)}) == 2
    assert tree.keystr(()) == ""
    assert tree.keystr((DictKey("layers"), SequenceKey(0), GetAttrKey("w"))) == "['layers'][0].w"


def test_map_with_path_and_keystr():
    t = {"layers": [Point(1.0, 2.0)], "b": (3.0,)}
    out = tree.map_with_path(lambda p, x: tree.keystr(p), t)
    assert out == {"layers": [Point("['layers'][0].x", "['layers'][0].y")], "b": ("['b'][0]",)}
    out = tree.map_with_path(lambda p, x, y: (len(p), x + y), [1, 2], [10, 20])
    assert out == [(1, 11), (1, 22)]


def test_flatten_with_path_matches_flatten():
    t = {"b": [1, {"z": 2, "y": 3}], "a": Pair(4, None)}
    pairs, treedef = tree.flatten_with_path(t)
    flat, treedef2 = tree.flatten(t)
    assert [x for _, x in pairs] == flat
    assert treedef == treedef2
    assert [tree.keystr(p) for p, _ in pairs] == [
        "['a'].first",
        "['b'][0]",
        "['b'][1]['y']",
        "['b'][1]['z']",
    ]


# ----------------------------------------------------------------------------- map


def test_map_multiple_trees():
    a = {"x": 1, "y": [2, 3]}
    b = {"y": [20, 30], "x": 10}
    assert tree.map(lambda p, q: p + q, a, b) == {"x": 11, "y": [22, 33]}
    assert list(tree.map(lambda p, q: p + q, a, b)) == ["x", "y"]  # first tree's key order


def test_map_rest_may_have_first_tree_as_prefix():
    out = tree.map(lambda axis, arg: (axis, arg), (0, 1), ([1, 2], {"k": 3}))
    assert out == ((0, [1, 2]), (1, {"k": 3}))
    # None is an empty node, not a leaf: the other trees must have None there too.
    assert tree.map(lambda a, b: b, [None, 1], [None, (2, 3)]) == [None, (2, 3)]
    with pytest.raises(ValueError, match=r"at \[0\]: expected None, got a leaf of type int"):
        tree.map(lambda a, b: b, [None, 1], [0, 1])


def test_map_is_leaf():
    t = [(1, 2), (3, 4)]
    assert tree.map(sum, t, is_leaf=lambda x: isinstance(x, tuple)) == [3, 7]


def test_map_mismatch_message_names_path_types_and_fix():
    msg = (
        r"ftrans\.tree\.map: tree 1 does not match tree 0 at \['b'\]: expected a dict with "
        r"keys \['x', 'y'\], got a list of length 2\. All trees passed to map must share the "
        r"first tree's structure \(or have it as a prefix\)\."
    )
    with pytest.raises(ValueError, match=msg):
        tree.map(lambda *a: None, {"a": 1, "b": {"x": 1, "y": 2}}, {"a": 1, "b": [1, 2]})


def test_map_mismatch_details():
    with pytest.raises(ValueError, match=r"tree 2 does not match tree 0 at \[1\]\[0\]"):
        tree.map(lambda *a: None, [1, [(1, 2)]], [1, [(1, 2)]], [1, [[1, 2]]])
    with pytest.raises(ValueError, match=r"expected a tuple of length 2, got a tuple of length 3"):
        tree.map(lambda *a: None, [(1, 2)], [(1, 2, 3)])
    with pytest.raises(
        ValueError, match=r"at the root: expected a list of length 1, got a leaf of type int"
    ):
        tree.map(lambda *a: None, [1], 5)
    with pytest.raises(ValueError, match=r"expected None, got a leaf of type int"):
        tree.map(lambda *a: None, [None], [5])
    with pytest.raises(
        ValueError,
        match=r"expected a dict with keys \['a', 'b'\], got a dict with keys "
        r"\['a', 'c'\] \(missing \['b'\], extra \['c'\]\)",
    ):
        tree.map(lambda *a: None, {"a": 1, "b": 2}, {"a": 1, "c": 2})
    with pytest.raises(
        ValueError,
        match=r"expected a namedtuple Point with fields \['x', 'y'\], "
        r"got a tuple of length 2",
    ):
        tree.map(lambda *a: None, Point(1, 2), (1, 2))
    with pytest.raises(ValueError, match=r"ftrans\.tree\.map_with_path: tree 1 .* at \['k'\]\.x"):
        tree.map_with_path(lambda *a: None, {"k": Point((1,), 2)}, {"k": Point([1], 2)})


def test_map_mismatch_in_dataclass_static_field():
    @tree.register_dataclass
    @dataclasses.dataclass
    class Act:
        x: Any
        kind: str = dataclasses.field(default="relu", metadata={"static": True})

    with pytest.raises(
        ValueError,
        match=r"at \[0\]: expected a Act with static fields \(kind='relu'\), "
        r"got a Act with static fields \(kind='tanh'\)",
    ):
        tree.map(lambda *a: None, [Act(1)], [Act(1, "tanh")])


# ----------------------------------------------------------------------------- reduce, transpose


def test_reduce_and_all():
    assert tree.reduce(lambda a, b: a + b, {"a": 1, "b": [2, 3]}) == 6
    assert tree.reduce(lambda a, b: a + b, {"a": 1}, 10) == 11
    assert tree.reduce(lambda a, b: a + b, [], initializer=0) == 0
    with pytest.raises(TypeError):
        tree.reduce(lambda a, b: a + b, [])
    assert tree.all({"a": True, "b": [1, 2.0]})
    assert not tree.all([True, (0,)])
    assert tree.all([None, ()])


def test_transpose():
    outer = tree.structure([0, 0, 0])
    inner = tree.structure({"a": 0, "b": (0, 0)})
    t = [{"a": i, "b": (10 * i, 100 * i)} for i in range(3)]
    out = tree.transpose(outer, inner, t)
    assert out == {"a": [0, 1, 2], "b": ([0, 10, 20], [0, 100, 200])}
    assert tree.transpose(outer, None, t) == out
    # transposing back
    assert tree.transpose(inner, outer, out) == t


def test_transpose_errors():
    outer = tree.structure((0, 0))
    inner = tree.structure([0, 0])
    with pytest.raises(
        ValueError, match=r"tree does not match outer_treedef at the root: expected a tuple"
    ):
        tree.transpose(outer, inner, [[1, 2], [3, 4]])
    with pytest.raises(
        ValueError,
        match=r"subtree at outer leaf \[1\] does not match inner_treedef at the root: "
        r"expected a list of length 2, got a list of length 3",
    ):
        tree.transpose(outer, inner, ([1, 2], [3, 4, 5]))
    with pytest.raises(ValueError, match=r"cannot infer inner_treedef"):
        tree.transpose(tree.structure(()), None, ())


# ----------------------------------------------------------------------------- broadcast_prefix


def test_broadcast_prefix():
    full = ([1, 2], {"a": 3, "b": (4, 5)}, 6)
    assert tree.broadcast_prefix((0, None, 1), full) == [0, 0, None, None, None, 1]
    assert tree.broadcast_prefix((0, {"a": 1, "b": None}, 2), full) == [0, 0, 1, None, None, 2]
    assert tree.broadcast_prefix(0, full) == [0] * 6
    assert tree.broadcast_prefix(None, full) == [None] * 6
    assert tree.broadcast_prefix(full, full) == [1, 2, 3, 4, 5, 6]
    assert tree.broadcast_prefix((0, 1), (None, [2])) == [1]


def test_broadcast_prefix_mismatch_message():
    with pytest.raises(
        ValueError,
        match=r"ftrans\.tree\.broadcast_prefix: in_axes is not a prefix of the arguments at "
        r"\[1\]: in_axes has a dict with keys \['a'\], the arguments has a list of length 1\. "
        r".*a leaf \(or None\) of in_axes covers the whole subtree",
    ):
        tree.broadcast_prefix(
            (0, {"a": 0}), (1, [2]), prefix_name="in_axes", full_name="the arguments"
        )
    with pytest.raises(ValueError, match=r"prefix_tree is not a prefix of full_tree at the root"):
        tree.broadcast_prefix((0, 0), (1, 2, 3))


# ----------------------------------------------------------------------------- check_leaves


class FakeTracer:
    __ftrans_array__ = True


def test_check_leaves_accepts_arrays_scalars_and_tracers():
    t = {"a": np.ones(2), "b": np.float32(1), "c": [True, 1, 2.0, 3j], "d": FakeTracer(), "e": None}
    flat, treedef = tree.check_leaves(t, what="argument 0 of grad(loss)")
    assert len(flat) == 7
    assert treedef == tree.structure(t)


def test_check_leaves_message():
    class Foo:
        pass

    msg = (
        r"argument 0 of grad\(loss\) has a leaf of type Foo at path \['layer'\]\.w, which is "
        r"not an array\. Leaves must be numpy arrays, NumPy/Python scalars or ftrans tracers\. "
        r"If Foo is a container, register it with ftrans\.tree\.register_pytree_node or "
        r"ftrans\.tree\.register_dataclass; if it is a constant, close over it instead of "
        r"passing it as an argument\."
    )
    with pytest.raises(TypeError, match=msg):
        tree.check_leaves(
            {"layer": Weights(w=Foo(), b=np.ones(1))}, what="argument 0 of grad(loss)"
        )
    with pytest.raises(
        TypeError, match=r"argument 1 of jvp\(f\) is of type str, which is not an array"
    ):
        tree.check_leaves("text", what="argument 1 of jvp(f)")


def test_check_leaves_points_at_the_first_bad_leaf_and_is_valid_overrides():
    with pytest.raises(TypeError, match=re.escape("type str at path [2]")):
        tree.check_leaves([1.0, np.ones(1), "x", object()], what="args")
    flat, _ = tree.check_leaves(["x", "y"], what="args", is_valid=lambda v: isinstance(v, str))
    assert flat == ["x", "y"]
    with pytest.raises(TypeError, match=r"type float at path \[0\]"):
        tree.check_leaves([1.0], what="args", is_valid=lambda v: isinstance(v, str))


# ----------------------------------------------------------------------------- hypothesis

floats = st.floats(allow_nan=False, allow_infinity=False, width=32)
keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(children, children),
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=4),
        st.builds(Point, children, children),
        st.builds(Pair, children, children),
    )


pytrees = st.recursive(st.one_of(floats, st.none()), extend, max_leaves=30)


def count_leaves(t: Any) -> int:
    if t is None:
        return 0
    if isinstance(t, dict):
        return sum(count_leaves(v) for v in t.values())
    if isinstance(t, (list, tuple)):
        return sum(count_leaves(v) for v in t)
    return 1


@settings(max_examples=300, deadline=None)
@given(pytrees)
def test_hypothesis_roundtrip(t):
    flat, treedef = tree.flatten(t)
    assert len(flat) == treedef.num_leaves == count_leaves(t)
    assert same(treedef.unflatten(flat), t)
    assert same(tree.unflatten(treedef, flat), t)
    assert treedef == tree.structure(t)
    assert hash(treedef) == hash(tree.structure(t))
    assert same(tree.map(lambda x: x, t), t)
    pairs, path_treedef = tree.flatten_with_path(t)
    assert [x for _, x in pairs] == flat
    assert path_treedef == treedef
    assert tree.broadcast_prefix(t, t) == flat


@settings(max_examples=100, deadline=None)
@given(pytrees)
def test_hypothesis_map_two_trees(t):
    doubled = tree.map(lambda x: 2 * x, t)
    summed = tree.map(lambda x, y: x + y, t, t)
    assert same(doubled, summed)


# ----------------------------------------------------------------------------- docstrings


def test_docstring_examples_run():
    # The examples use the package's names unqualified, so run each submodule's examples with
    # the package namespace (pytest's own doctest collection skips ftrans/tree/_*.py).
    import importlib

    attempted = 0
    for name in ("_keys", "_registry", "_treedef", "_ops", "_io"):
        module = importlib.import_module(f"ftrans.tree.{name}")
        globs = {**vars(module), **{n: getattr(tree, n) for n in tree.__all__}}
        result = doctest.testmod(module, globs=globs, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0
        attempted += result.attempted
    assert attempted > 20
