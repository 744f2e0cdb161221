"""Registry specs for the public ``ftrans.numpy`` functions, each against its NumPy namesake.

A spec's ``call`` turns a function (``fnp.f`` or ``np.f``) into the function under test, so one
lambda fixes the non-array arguments of both sides: ``call=lambda f: lambda x: f(x, (4, -1))``.
"""

from __future__ import annotations

import operator

import numpy as np
from spec import (
    F32,
    F64,
    Arg,
    Spec,
    Tol,
    as_dtype,
    bools,
    distinct,
    divisors,
    ints,
    nonzero,
    off_integers,
    positive,
    small_integers,
    uniform,
    with_neg_inf,
    with_specials,
)

import ftrans.numpy as fnp

BOTH = (F64, F32)
SPECS: list[Spec] = []
_LOOSE = {F64: Tol(1e-4, 1e-5)}  # float32 on one side: central differences with eps=1e-2


def _label(params: dict) -> str:
    return ",".join(f"{k}={v!r}" for k, v in params.items())


def fn(target, args, *, call=None, params=None, label=None, reference=None, **options) -> None:
    """Register a spec for ``fnp.<target>`` against ``np.<target>`` (or ``reference``)."""
    params = dict(params or {})
    if call is None:

        def call(f, params=params):
            return lambda *a: f(*a, **params)

        label = label if label is not None else (_label(params) or None)
    np_fn = reference if reference is not None else getattr(np, target)
    if options.get("family"):
        options.setdefault("base", getattr(fnp, target))
        options.setdefault("base_reference", np_fn)
    full_name = f"fnp:{target}" + (f"[{label}]" if label else "")
    fun = call(getattr(fnp, target))
    SPECS.append(Spec(full_name, "numpy", target, fun, call(np_fn), tuple(args), **options))


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


U = uniform()

# ----------------------------------------------------------------------------- elementwise unary

UNARY = [  # name, sampler, derivative order
    ("negative", U, 2),
    ("positive", U, 2),
    ("exp", U, 2),
    ("exp2", U, 2),
    ("expm1", U, 2),
    ("log", positive(), 2),
    ("log2", positive(), 2),
    ("log10", positive(), 2),
    ("log1p", uniform(-0.5, 2.0), 2),
    ("sin", uniform(-3, 3), 2),
    ("cos", uniform(-3, 3), 2),
    ("tan", uniform(-1.2, 1.2), 2),
    ("arcsin", uniform(-0.9, 0.9), 2),
    ("asin", uniform(-0.9, 0.9), 2),
    ("arccos", uniform(-0.9, 0.9), 2),
    ("acos", uniform(-0.9, 0.9), 2),
    ("arctan", uniform(-3, 3), 2),
    ("atan", uniform(-3, 3), 2),
    ("sinh", U, 2),
    ("cosh", U, 2),
    ("tanh", U, 2),
    ("arcsinh", uniform(-3, 3), 2),
    ("asinh", uniform(-3, 3), 2),
    ("arccosh", uniform(1.2, 3.0), 2),
    ("acosh", uniform(1.2, 3.0), 2),
    ("arctanh", uniform(-0.9, 0.9), 2),
    ("atanh", uniform(-0.9, 0.9), 2),
    ("sqrt", positive(), 2),
    ("cbrt", nonzero(), 2),
    ("square", U, 2),
    ("reciprocal", nonzero(), 2),
    ("deg2rad", U, 2),
    ("radians", U, 2),
    ("rad2deg", U, 2),
    ("degrees", U, 2),
    ("real", U, 2),
    ("conj", U, 2),
    ("conjugate", U, 2),
    ("imag", U, 0),
    ("abs", nonzero(), 1),
    ("absolute", nonzero(), 1),
    ("sign", nonzero(), 0),
    ("floor", off_integers(), 0),
    ("ceil", off_integers(), 0),
    ("trunc", off_integers(), 0),
    ("rint", off_integers(), 0),
    ("round", off_integers(), 0),
    ("around", off_integers(), 0),
    ("isfinite", with_specials(), 0),
    ("isnan", with_specials(), 0),
    ("isinf", with_specials(), 0),
    ("logical_not", small_integers(0, 2), 0),
]
for _name, _sampler, _order in UNARY:
    fn(_name, [A((2, 3), _sampler)], order=_order, dtypes=BOTH, family="unary")

for _name in ("round", "around"):
    fn(
        _name,
        [A((2, 3), lambda rng, shape, dtype: off_integers(-30, 30)(rng, shape, dtype) / 10)],
        params={"decimals": 1},
        order=0,
    )
for _name in ("invert", "bitwise_not"):
    fn(_name, [A((2, 3), ints())], label="int")
    fn(_name, [A((2, 3), bools())], label="bool")
fn("square", [A((2, 3), ints())], label="int")
fn("reciprocal", [A((2, 3), ints(1, 4))], label="int")

# ----------------------------------------------------------------------------- elementwise binary

BINARY = [  # name, sampler x1, sampler x2, derivative order
    ("add", U, U, 2),
    ("subtract", U, U, 2),
    ("multiply", U, U, 2),
    ("divide", U, nonzero(), 2),
    ("true_divide", U, nonzero(), 2),
    ("power", positive(), U, 2),
    ("pow", positive(), U, 2),
    ("arctan2", nonzero(), nonzero(), 2),
    ("atan2", nonzero(), nonzero(), 2),
    ("logaddexp", U, U, 2),
    ("logaddexp2", U, U, 2),
    ("maximum", U, U, 1),
    ("minimum", U, U, 1),
    ("remainder", off_integers(), divisors(), 1),
    ("mod", off_integers(), divisors(), 1),
    ("floor_divide", off_integers(), divisors(), 0),
    ("equal", small_integers(), small_integers(), 0),
    ("not_equal", small_integers(), small_integers(), 0),
    ("less", small_integers(), small_integers(), 0),
    ("less_equal", small_integers(), small_integers(), 0),
    ("greater", small_integers(), small_integers(), 0),
    ("greater_equal", small_integers(), small_integers(), 0),
    ("logical_and", small_integers(0, 2), small_integers(0, 2), 0),
    ("logical_or", small_integers(0, 2), small_integers(0, 2), 0),
    ("logical_xor", small_integers(0, 2), small_integers(0, 2), 0),
]
for _name, _sx, _sy, _order in BINARY:
    fn(_name, [A((2, 3), _sx), A((3,), _sy)], order=_order, dtypes=BOTH, family="binary")

for _name in ("left_shift", "right_shift"):
    fn(
        _name,
        [A((2, 3), ints(0, 1 << 20, np.uint32)), A((3,), ints(0, 32, np.uint32))],
        label="u32",
    )
    fn(_name, [A((2, 3), ints(-50, 50))], call=lambda f: lambda x: f(x, 3), label="int_by_3")

for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    fn(_name, [A((2, 3), ints()), A((3,), ints())], label="int")
    fn(_name, [A((2, 3), bools()), A((3,), bools())], label="bool")

# Python scalars are weak (float32 stays float32); mixed dtypes promote like NumPy 2.
fn("add", [A((2, 3), U)], call=lambda f: lambda x: f(x, 2.5), label="x+2.5", dtypes=BOTH)
fn("multiply", [A((2, 3), U)], call=lambda f: lambda x: f(3, x), label="3*x", dtypes=BOTH)
fn("subtract", [A((), U), A((2, 3), U)], label="scalar_lhs")
fn(
    "add",
    [A((2, 3), as_dtype(U, F32)), A((3,), as_dtype(U, F64))],
    label="f32+f64",
    eps=1e-2,
    grad_tol=_LOOSE,
)
fn("add", [A((2, 3), ints()), A((3,), U)], label="int+float")
fn("divide", [A((2, 3), ints()), A((3,), ints(1, 5))], label="int/int")
for _k, _sampler in ((3, U), (-2, nonzero()), (0, U), (1, U), (0.5, positive())):
    fn(
        "power",
        [A((2, 3), _sampler)],
        call=lambda f, k=_k: lambda x: f(x, k),
        label=f"x**{_k}",
        dtypes=BOTH if _k == 3 else (F64,),
    )
fn("power", [A((2, 3), ints())], call=lambda f: lambda x: f(x, 2), label="int**2")
fn("power", [A((2, 3), positive()), A((), U)], label="array**scalar_array")

for _name, _pick in (("maximum", np.greater), ("minimum", np.less)):

    def _ties(args, tangents, pick=_pick):
        x, y = args
        tx, ty = tangents
        return np.where(pick(x, y), tx, np.where(pick(y, x), ty, (tx + ty) / 2))

    fn(
        _name,
        [A((3, 4), small_integers(-1, 2)), A((3, 4), small_integers(-1, 2))],
        label="ties",
        order=1,
        tangent_rule=_ties,
    )

fn("where", [A((2, 3), bools()), A((2, 3), U), A((3,), U)], dtypes=BOTH)
fn("where", [A((2, 1), bools()), A((3,), U), A((2, 3), U)], label="broadcast_condition")
fn(
    "where",
    [A((2, 3), bools()), A((2, 3), U)],
    call=lambda f: lambda c, x: f(c, x, 0.0),
    label="weak_scalar_branch",
    dtypes=BOTH,
)
fn(
    "where",
    [A((2, 3), small_integers(0, 2)), A((), U), A((2, 1), U)],
    label="float_condition",
    diff_argnums=(1, 2),
)
fn("clip", [A((2, 3), U)], call=lambda f: lambda x: f(x, -0.5, 0.7), label="-0.5,0.7", order=1)
fn("clip", [A((2, 3), U)], call=lambda f: lambda x: f(x, None, 0.7), label="None,0.7", order=1)
fn("clip", [A((2, 3), U)], call=lambda f: lambda x: f(x, -0.5, None), label="-0.5,None", order=1)
fn(
    "clip",
    [A((2, 3), U), A((3,), uniform(-2, -0.5)), A((2, 3), uniform(0.5, 2))],
    label="array_bounds",
    order=1,
    dtypes=BOTH,
)

# ----------------------------------------------------------------------------- reductions

X3 = (2, 3, 4)
AXES_PARAMS = [
    {},
    {"axis": 0},
    {"axis": -1},
    {"axis": (0, 2)},
    {"axis": (0, 2), "keepdims": True},
    {"axis": None, "keepdims": True},
]
AXIS_PARAMS = [{}, {"axis": 1}, {"axis": -1, "keepdims": True}, {"axis": None, "keepdims": True}]
AXIS_ONLY_PARAMS = [{}, {"axis": 0}, {"axis": -1}, {"axis": None}]
_PARAMS = {"axes": AXES_PARAMS, "axis": AXIS_PARAMS, "axis_only": AXIS_ONLY_PARAMS}

REDUCTIONS = [  # name, sampler, order, axis kind, extra options
    ("sum", U, 2, "axes", {}),
    ("mean", U, 2, "axes", {}),
    ("prod", nonzero(0.5, 1.5), 2, "axes", {}),
    ("var", U, 2, "axes", {}),
    ("std", U, 2, "axes", {"min_reduced": 2}),
    ("max", distinct(), 1, "axes", {}),
    ("amax", distinct(), 1, "axes", {}),
    ("min", distinct(), 1, "axes", {}),
    ("amin", distinct(), 1, "axes", {}),
    ("any", small_integers(0, 2), 0, "axes", {}),
    ("all", small_integers(0, 2), 0, "axes", {}),
    ("argmax", distinct(), 0, "axis", {}),
    ("argmin", distinct(), 0, "axis", {}),
    ("cumsum", U, 2, "axis_only", {}),
    ("cumprod", nonzero(0.5, 1.5), 2, "axis_only", {}),
    ("sort", distinct(), 1, "axis_only", {}),
    ("argsort", distinct(), 0, "axis_only", {}),
]
for _name, _sampler, _order, _kind, _extra in REDUCTIONS:
    for _i, _params in enumerate(_PARAMS[_kind]):
        _family = {"family": "reduction", "axis_kind": _kind, **_extra} if _i == 0 else {}
        fn(
            _name,
            [A(X3, _sampler)],
            params=_params,
            order=_order,
            dtypes=BOTH if _i in (0, 3) else (F64,),
            **_family,
        )

for _name in ("var", "std"):
    fn(_name, [A(X3, U)], params={"axis": 1, "ddof": 1})
fn("sum", [A((2, 3), ints())], label="int")
fn("sum", [A((2, 3), bools())], label="bool")
fn("mean", [A((2, 3), ints())], label="int")
fn("cumsum", [A((2, 3), bools())], params={"axis": 1}, label="bool")
fn("prod", [A((2, 3), ints(1, 4))], label="int")
fn("any", [A((2, 3), bools())], params={"axis": 0}, label="bool")
fn("all", [A((2, 3), bools())], params={"axis": 0}, label="bool")
for _params in ({"axis": -1}, {"axis": 0}, {"axis": None}):
    _axis = _params["axis"]
    fn(
        "sort",
        [A((3, 4), distinct())],
        call=lambda f, axis=_axis: lambda x: f(x, axis=axis, descending=True),
        reference=lambda x, axis=None, descending=False: np.flip(
            np.sort(x, axis=axis), axis=-1 if axis is None else axis
        ),
        label=f"axis={_axis},descending",
        order=1,
    )
    fn(
        "argsort",
        [A((3, 4), distinct())],
        call=lambda f, axis=_axis: lambda x: f(x, axis=axis, descending=True),
        reference=lambda x, axis=None, descending=False: np.argsort(-x, axis=axis, kind="stable"),
        label=f"axis={_axis},descending",
        order=0,
    )

_IDX = np.array([[3, 0, 1, 2], [1, 1, 0, 2], [0, 3, 2, 1]])
for _label, _indices, _axis in (
    ("axis=None", np.array([[3, 0], [11, 5]]), None),
    ("axis=0", np.array([2, 0, 2]), 0),
    ("axis=-1", np.array([[1, 3], [0, 0]]), -1),
):
    fn(
        "take",
        [A((3, 4), U)],
        call=lambda f, i=_indices, a=_axis: lambda x: f(x, i, a),
        label=_label,
    )

for _label, _indices, _axis in (
    ("axis=1", _IDX, 1),
    ("axis=0", np.array([[2, 0, 1, 1], [0, 0, 2, 1]]), 0),
    ("axis=None", np.array([11, 0, 5, 5, 7]), None),
    ("broadcast", np.array([[3, 1]]), 1),
):
    fn(
        "take_along_axis",
        [A((3, 4), U)],
        call=lambda f, i=_indices, a=_axis: lambda x: f(x, i, a),
        label=_label,
        dtypes=BOTH if _axis == 1 else (F64,),
    )

# ----------------------------------------------------------------------------- shapes


def shaped(target, shapes, make, label, **options):
    """A spec for ``fnp.<target>`` with uniform arguments of ``shapes``; ``make(f)`` calls it."""
    fn(target, [A(s, U) for s in shapes], call=make, label=label, **options)


shaped("reshape", [X3], lambda f: lambda x: f(x, (4, -1)), "(4,-1)", dtypes=BOTH)
shaped("reshape", [(6,)], lambda f: lambda x: f(x, (2, 3)), "(2,3)")
shaped("reshape", [()], lambda f: lambda x: f(x, (1, 1)), "()->(1,1)")
shaped("ravel", [(2, 3)], lambda f: lambda x: f(x), None)
shaped("transpose", [X3], lambda f: lambda x: f(x), None, dtypes=BOTH)
shaped("transpose", [X3], lambda f: lambda x: f(x, (1, 2, 0)), "(1,2,0)")
shaped("transpose", [X3], lambda f: lambda x: f(x, (-1, 0, 1)), "(-1,0,1)")
shaped("permute_dims", [X3], lambda f: lambda x: f(x, (2, 0, 1)), "(2,0,1)")
shaped("moveaxis", [X3], lambda f: lambda x: f(x, 0, -1), "0,-1")
shaped("moveaxis", [X3], lambda f: lambda x: f(x, [0, 1], [-1, -2]), "[0,1],[-1,-2]")
shaped("swapaxes", [X3], lambda f: lambda x: f(x, 0, 2), "0,2")
shaped("swapaxes", [X3], lambda f: lambda x: f(x, -1, 0), "-1,0")
shaped("expand_dims", [(2, 3)], lambda f: lambda x: f(x, 1), "1")
shaped("expand_dims", [(2, 3)], lambda f: lambda x: f(x, (0, 3)), "(0,3)")
shaped("expand_dims", [(2, 3)], lambda f: lambda x: f(x, -1), "-1")
shaped("squeeze", [(1, 3, 1)], lambda f: lambda x: f(x), None)
shaped("squeeze", [(1, 3, 1)], lambda f: lambda x: f(x, 0), "0")
shaped("squeeze", [(1, 3, 1)], lambda f: lambda x: f(x, (0, 2)), "(0,2)")
shaped("broadcast_to", [(3,)], lambda f: lambda x: f(x, (2, 3)), "(3,)->(2,3)", dtypes=BOTH)
shaped("broadcast_to", [()], lambda f: lambda x: f(x, (2, 2)), "()->(2,2)")
shaped("broadcast_to", [(3, 1)], lambda f: lambda x: f(x, (2, 3, 4)), "(3,1)->(2,3,4)")
shaped("broadcast_arrays", [(2, 1), (3,)], lambda f: lambda x, y: f(x, y), None)
shaped("broadcast_arrays", [(), (2,)], lambda f: lambda x, y: f(x, y), "scalar")
for _name, _shapes in (("atleast_1d", [(), (3,)]), ("atleast_2d", [(), (3,), (2, 3)])):
    for _s in _shapes:
        shaped(_name, [_s], lambda f: lambda x: f(x), str(_s))
shaped("concatenate", [(2, 3), (1, 3)], lambda f: lambda x, y: f([x, y]), None, dtypes=BOTH)
shaped("concatenate", [(2, 3), (2, 2)], lambda f: lambda x, y: f([x, y], axis=1), "axis=1")
shaped("concatenate", [(2, 3), (2, 2)], lambda f: lambda x, y: f((x, y), axis=-1), "axis=-1")
shaped("concatenate", [(2, 3), (4,)], lambda f: lambda x, y: f([x, y], axis=None), "axis=None")
for _axis in (0, 1, -1):
    shaped(
        "stack",
        [(2, 3), (2, 3)],
        lambda f, a=_axis: lambda x, y: f([x, y], axis=a),
        f"axis={_axis}",
    )
shaped("hstack", [(2,), (3,)], lambda f: lambda x, y: f([x, y]), "1d")
shaped("hstack", [(2, 3), (2, 1)], lambda f: lambda x, y: f([x, y]), "2d")
shaped("hstack", [(), ()], lambda f: lambda x, y: f((x, y)), "scalars")
shaped("vstack", [(3,), (3,)], lambda f: lambda x, y: f([x, y]), "1d")
shaped("vstack", [(2, 3), (1, 3)], lambda f: lambda x, y: f([x, y]), "2d")
shaped("split", [(6, 4)], lambda f: lambda x: f(x, 3), "3")
shaped("split", [(6, 4)], lambda f: lambda x: f(x, [1, 3]), "[1,3]")
shaped("split", [(3, 4)], lambda f: lambda x: f(x, 2, axis=1), "2,axis=1")
shaped("split", [(6, 4)], lambda f: lambda x: f(x, [1, 10]), "[1,10]")
shaped("array_split", [(5, 3)], lambda f: lambda x: f(x, 3), "3")
shaped("array_split", [(5, 3)], lambda f: lambda x: f(x, [2]), "[2]")
shaped("array_split", [(3, 5)], lambda f: lambda x: f(x, 2, axis=1), "2,axis=1")
for _axis in (None, 0, (0, 2), -1):
    shaped("flip", [X3], lambda f, a=_axis: lambda x: f(x, a), f"axis={_axis}")
shaped("fliplr", [(2, 3)], lambda f: lambda x: f(x), None)
shaped("flipud", [(2, 3)], lambda f: lambda x: f(x), None)
shaped("roll", [(5,)], lambda f: lambda x: f(x, 2), "2")
shaped("roll", [(3, 4)], lambda f: lambda x: f(x, -1, axis=0), "-1,axis=0")
shaped("roll", [(3, 4)], lambda f: lambda x: f(x, (1, 2), axis=(0, 1)), "(1,2),axis=(0,1)")
shaped("roll", [(3, 4)], lambda f: lambda x: f(x, 5), "5,axis=None")
shaped("tile", [(2, 3)], lambda f: lambda x: f(x, 2), "2")
shaped("tile", [(2, 3)], lambda f: lambda x: f(x, (2, 1, 2)), "(2,1,2)")
shaped("tile", [(3,)], lambda f: lambda x: f(x, (2, 2)), "(2,2)")
shaped("repeat", [(2, 3)], lambda f: lambda x: f(x, 2), "2")
shaped("repeat", [(2, 3)], lambda f: lambda x: f(x, [1, 0, 2], axis=1), "[1,0,2],axis=1")
shaped("repeat", [(2, 3)], lambda f: lambda x: f(x, 3, axis=0), "3,axis=0")
# ----------------------------------------------------------------------------- indexing

_B = np.array([True, False, True, False])
for _label, _shape, _index in (
    ("1,::2", (4, 5), (1, slice(0, 5, 2))),
    ("-1", (4, 5), -1),
    ("1:3", (4, 5), (slice(1, 3),)),
    (":,2", (4, 5), (slice(None), 2)),
    ("::-2,1:", (4, 5), (slice(None, None, -2), slice(1, None))),
    ("...,1", (2, 3, 4), (Ellipsis, 1)),
    ("None,1", (4, 5), (None, 1)),
    (":,None,1:", (4, 5), (slice(None), None, slice(1, None))),
    ("[0,2,2]", (4, 5), [0, 2, 2]),
    (":,[4,0]", (4, 5), (slice(None), [4, 0])),
    ("[0,1],[2,3]", (4, 5), ([0, 1], [2, 3])),
    ("2d_index", (4, 5), np.array([[0, 1], [3, -1]])),
    ("bool_mask", (4, 5), _B),
    ("[0,1],:,[2,3]", (2, 3, 4), ([0, 1], slice(None), [2, 3])),
    (":,[0,2],1", (2, 3, 4), (slice(None), [0, 2], 1)),
    ("scalar_x[()]", (), ()),
):
    fn(
        "getitem",
        [A(_shape, U)],
        call=lambda f, i=_index: lambda x: f(x, i),
        reference=operator.getitem,
        label=_label,
        dtypes=BOTH if _label == "[0,1],[2,3]" else (F64,),
    )


def _update_reference(index, op):
    """NumPy's in-place update, on a copy: what ``x.at[index].<op>(v)`` must return."""

    def ref(x, v):
        out = np.array(x, copy=True)
        if op == "set":
            out[index] = v
        elif op == "get":
            return out[index]
        else:
            ufunc = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}
            if op in ufunc:
                ufunc[op].at(out, index, v)
            elif op == "subtract":
                np.subtract.at(out, index, v)
            else:  # divide
                np.divide.at(out, index, v)
        return out

    return ref


def _update_call(index, op):
    def fun(x, v):
        ref = fnp.at(x)[index]
        return ref.get() if op == "get" else getattr(ref, op)(v)

    return fun


for _label, _op, _index, _values, _order in (
    ("1.set", "set", 1, A((5,), U), 2),
    ("[0,2].set(scalar)", "set", [0, 2], A((), U), 2),
    (":,1:3.set", "set", (slice(None), slice(1, 3)), A((4, 2), U), 2),
    ("[0,2,0].set(repeated)", "set", [0, 2, 0], A((3, 5), U), 2),
    ("[0,0,3].add(repeated)", "add", [0, 0, 3], A((3, 5), U), 2),
    ("1:3,2.add", "add", (slice(1, 3), 2), A((2,), U), 2),
    ("2.subtract", "subtract", 2, A((5,), U), 2),
    ("[1,3].multiply", "multiply", [1, 3], A((2, 5), U), 2),
    ("[1,3],0.divide", "divide", ([1, 3], 0), A((2,), nonzero()), 2),
    ("[0,2].min", "min", [0, 2], A((2, 5), distinct()), 1),
    ("[0,2,0].max(repeated)", "max", [0, 2, 0], A((3, 5), distinct()), 1),
    ("1,2.set", "set", (1, 2), A((), U), 2),
    ("[1,2].get", "get", [1, 2], A((), U), 2),
):
    _x = A((4, 5), distinct() if _op in ("min", "max") else U)
    SPECS.append(
        Spec(
            f"fnp:at[{_label}]",
            "numpy",
            "at",
            _update_call(_index, _op),
            _update_reference(_index, _op),
            (_x, _values),
            order=_order,
            dtypes=BOTH if _label == "[0,0,3].add(repeated)" else (F64,),
            diff_argnums=(0,) if _op == "get" else None,
        )
    )
SPECS.append(
    Spec(
        "fnp:at[scalar_x.set]",
        "numpy",
        "at",
        _update_call((), "set"),
        _update_reference((), "set"),
        (A((), U), A((), U)),
    )
)


# ----------------------------------------------------------------------------- products

for _label, _shapes in (
    ("2d.2d", [(3, 4), (4, 5)]),
    ("2d.1d", [(3, 4), (4,)]),
    ("1d.1d", [(4,), (4,)]),
    ("3d.3d", [(2, 3, 4), (3, 4, 5)]),
    ("scalar.2d", [(), (3, 4)]),
):
    shaped(
        "dot",
        _shapes,
        lambda f: lambda a, b: f(a, b),
        _label,
        dtypes=BOTH if _label == "2d.2d" else (F64,),
    )
for _label, _shapes in (
    ("2d@2d", [(3, 4), (4, 5)]),
    ("1d@2d", [(4,), (4, 5)]),
    ("2d@1d", [(3, 4), (4,)]),
    ("1d@1d", [(4,), (4,)]),
    ("3d@2d", [(2, 3, 4), (4, 5)]),
    ("broadcast_batch", [(2, 1, 3, 4), (5, 4, 2)]),
):
    shaped(
        "matmul",
        _shapes,
        lambda f: lambda a, b: f(a, b),
        _label,
        dtypes=BOTH if _label == "2d@2d" else (F64,),
    )
shaped("vdot", [(2, 3), (2, 3)], lambda f: lambda a, b: f(a, b), None)
shaped("inner", [(2, 3), (4, 3)], lambda f: lambda a, b: f(a, b), "2d")
shaped("inner", [(3,), (3,)], lambda f: lambda a, b: f(a, b), "1d")
shaped("inner", [(), (2, 3)], lambda f: lambda a, b: f(a, b), "scalar")
shaped("outer", [(3,), (2, 2)], lambda f: lambda a, b: f(a, b), None)
for _label, _shapes, _axes in (
    ("axes=2", [(2, 3, 4), (3, 4, 5)], 2),
    ("axes=1", [(3, 4), (4, 5)], 1),
    ("axes=0", [(2, 3), (4,)], 0),
    ("axes=([0,2],[1,0])", [(2, 3, 4), (4, 2, 5)], ([0, 2], [1, 0])),
):
    shaped("tensordot", _shapes, lambda f, ax=_axes: lambda a, b: f(a, b, ax), _label)
for _subscripts, _shapes in (
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ijk->kj", [(2, 3, 4)]),
    ("ij->", [(2, 3)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (1, 4, 5)]),
    ("...ij,jk", [(2, 3, 4), (4, 5)]),
    ("i...->...", [(3, 2, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
):
    shaped(
        "einsum",
        _shapes,
        lambda f, s=_subscripts: lambda *ops: f(s, *ops),
        _subscripts,
        dtypes=BOTH if _subscripts == "ij,jk->ik" else (F64,),
    )
shaped(
    "einsum",
    [(3, 4), (4, 5)],
    lambda f: lambda a, b: f(a, [0, 1], b, [1, 2], [0, 2]),
    "sublist[0,1],[1,2]->[0,2]",
)
shaped(
    "einsum",
    [(2, 3, 4), (4,)],
    lambda f: lambda a, b: f(a, [Ellipsis, 1], b, [1]),
    "sublist[...,1],[1]",
)
for _label, _shape, _args in (
    ("", (3, 3), ()),
    ("offset=1", (3, 4), (1,)),
    ("offset=-1", (3, 4), (-1,)),
    ("axes=(1,2)", (2, 3, 3), (0, 1, 2)),
    ("axes=(2,1)", (2, 3, 4), (0, 2, 1)),
):
    shaped("trace", [_shape], lambda f, a=_args: lambda x: f(x, *a), _label or None)
    shaped("diagonal", [_shape], lambda f, a=_args: lambda x: f(x, *a), _label or None)

# ----------------------------------------------------------------------------- creation

for _name, _make in (
    ("zeros", lambda f: lambda: f((2, 3))),
    ("ones", lambda f: lambda: f((2, 3), np.float32)),
    ("empty", lambda f: lambda: f(3)),
    ("eye", lambda f: lambda: f(3, 4, 1)),
    ("identity", lambda f: lambda: f(3)),
    ("tri", lambda f: lambda: f(3, 4, -1)),
    ("arange", lambda f: lambda: f(5)),
):
    reference = {"empty": np.zeros}.get(_name)
    fn(_name, [], call=_make, reference=reference, order=0)
fn("arange", [], call=lambda f: lambda: f(1, 7, 2), label="1,7,2")
fn("arange", [], call=lambda f: lambda: f(0.5, 3.0, 0.5), label="0.5,3.0,0.5")
for _name in ("zeros_like", "ones_like", "empty_like"):
    reference = np.zeros_like if _name == "empty_like" else None
    fn(_name, [A((2, 3), U)], call=lambda f: lambda x: f(x), reference=reference, order=0)
fn("zeros_like", [A((2, 3), U)], call=lambda f: lambda x: f(x, np.int32), label="int32", order=0)
fn("full", [A((), U)], call=lambda f: lambda v: f((2, 3), v))
fn("full", [], call=lambda f: lambda: f((2, 3), 7, np.int32), label="int", order=0)
fn("full_like", [A((2, 3), U), A((), U)], call=lambda f: lambda x, v: f(x, v))
fn("full_like", [A((2, 3), U)], call=lambda f: lambda x: f(x, 2.5), label="2.5", order=0)
fn("linspace", [A((), U), A((), U)], call=lambda f: lambda a, b: f(a, b, 5), dtypes=BOTH)
fn(
    "linspace",
    [A((), U), A((), U)],
    call=lambda f: lambda a, b: f(a, b, 4, endpoint=False),
    label="endpoint=False",
)
fn(
    "linspace",
    [A((2,), U), A((2,), U)],
    call=lambda f: lambda a, b: f(a, b, 3, axis=-1),
    label="arrays,axis=-1",
)
fn(
    "linspace",
    [A((), U), A((), U)],
    call=lambda f: lambda a, b: f(a, b, 5, retstep=True),
    label="retstep",
)
fn("meshgrid", [A((3,), U), A((4,), U)], call=lambda f: lambda x, y: f(x, y))
fn(
    "meshgrid",
    [A((3,), U), A((4,), U)],
    call=lambda f: lambda x, y: f(x, y, indexing="ij"),
    label="ij",
)
fn("array", [A((3,), U), A((3,), U)], call=lambda f: lambda x, y: f([x, y]), dtypes=BOTH)
fn("array", [A((2, 3), U)], call=lambda f: lambda x: f(x), label="array")
fn("array", [A((), U)], call=lambda f: lambda x: f([x, 2.0]), label="[x,2.0]")
fn("asarray", [A((2, 3), U)], call=lambda f: lambda x: f(x))
fn("asarray", [A((), U), A((), U)], call=lambda f: lambda x, y: f([x, y]), label="[x,y]")
fn("copy", [A((2, 3), U)], call=lambda f: lambda x: f(x))
fn(
    "astype",
    [A((2, 3), U)],
    call=lambda f: lambda x: f(x, np.float32),
    label="float32",
    eps=1e-2,
    grad_tol=_LOOSE,
)
fn(
    "astype",
    [A((2, 3), off_integers())],
    call=lambda f: lambda x: f(x, np.int32),
    label="int32",
    order=0,
)
fn("astype", [A((2, 3), ints())], call=lambda f: lambda x: f(x, np.float64), label="int->float")

# ----------------------------------------------------------------------------- edge cases
# Integer inputs to float functions, empty arrays, bools and unsigned integers.

fn("sin", [A((2, 3), ints())], label="int")
fn("sqrt", [A((2, 3), ints(0, 9))], label="int")
fn("mean", [A((2, 3), bools())], params={"axis": 0}, label="bool")
fn("multiply", [A((2, 3), ints())], call=lambda f: lambda x: f(x, 2.5), label="int*2.5")
fn("add", [A((2, 3), bools()), A((3,), bools())], label="bool")
fn("add", [A((2, 3), ints(0, 100, np.uint8)), A((3,), ints(0, 100, np.uint8))], label="uint8")
fn("subtract", [A((2, 3), ints(0, 9, np.uint8))], call=lambda f: lambda x: f(x, 1), label="uint8-1")
fn("matmul", [A((3, 4), ints()), A((4, 2), U)], label="int@float")
fn(
    "einsum",
    [A((3, 4), ints()), A((4,), ints())],
    call=lambda f: lambda a, b: f("ij,j->i", a, b),
    label="int",
)
fn("exp", [A((0, 3), U)], label="empty")
fn("add", [A((0, 3), U), A((3,), U)], label="empty")
fn("sum", [A((0, 3), U)], params={"axis": 0}, label="empty,axis=0")
fn("prod", [A((0, 3), U)], params={"axis": 0}, label="empty,axis=0")
fn("cumsum", [A((0, 3), U)], params={"axis": 0}, label="empty")
fn("matmul", [A((3, 0), U), A((0, 2), U)], label="empty_contraction")
fn(
    "concatenate",
    [A((0, 3), U), A((2, 3), U)],
    call=lambda f: lambda x, y: f([x, y]),
    label="empty",
)
fn("reshape", [A((0, 3), U)], call=lambda f: lambda x: f(x, (3, 0)), label="empty")
fn("sort", [A((0,), U)], label="empty")
fn("where", [A((0, 2), bools()), A((0, 2), U), A((), U)], label="empty")
fn(
    "getitem",
    [A((4, 5), U)],
    call=lambda f: lambda x: f(x, slice(2, 2)),
    reference=operator.getitem,
    label="empty_slice",
)

for _name in ("logaddexp", "logaddexp2"):  # -inf is log(0): its derivative is exactly 0
    fn(_name, [A((2, 3), with_neg_inf()), A((2, 3), U)], label="-inf", order=1)

# ----------------------------------------------------------------------------- metadata

fn("ndim", [A((2, 3), U)], call=lambda f: lambda x: f(x), meta=True)
fn("shape", [A((2, 3), U)], call=lambda f: lambda x: f(x), meta=True)
fn("size", [A((2, 3), U)], call=lambda f: lambda x: f(x), meta=True)
fn("size", [A((2, 3), U)], call=lambda f: lambda x: f(x, 1), label="axis=1", meta=True)
fn(
    "result_type",
    [A((2, 3), as_dtype(U, F32)), A((), U)],
    call=lambda f: lambda x, y: f(x, y),
    meta=True,
)
fn("isscalar", [A((2, 3), U)], call=lambda f: lambda x: f(x), meta=True)
