"""Registry specs for the primitives: one or more per entry of ``ftrans.core.PRIMITIVES``.

Each spec calls ``primitive.bind(*arrays, **params)``; its reference is a NumPy expression
written independently of the primitive's ``impl`` where that is practical (loops for
gather/scatter, einsum for dot_general).
"""

from __future__ import annotations

import string

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
    fixed,
    ints,
    nonzero,
    off_integers,
    positive,
    small_integers,
    uniform,
    with_neg_inf,
    with_specials,
    with_zeros,
)

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES
from ftrans.random._normal import normal_traced

BOTH = (F64, F32)
SPECS: list[Spec] = []


def prim(name, args, reference, *, params=None, label=None, **options) -> None:
    """Register a spec calling ``PRIMITIVES[name].bind(*args, **params)``."""
    primitive = PRIMITIVES[name]
    params = dict(params or {})

    def fun(*arrays):
        return primitive.bind(*arrays, **params)

    fun.__name__ = name
    full_name = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full_name, "primitive", name, fun, reference, tuple(args), **options))


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


def _linear(name, argnums):
    return (argnums,) if PRIMITIVES[name].linear else ()


# ----------------------------------------------------------------------------- elementwise unary


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


UNARY = [  # name, reference, sampler, derivative order
    ("neg", np.negative, uniform(), 2),
    ("exp", np.exp, uniform(), 2),
    ("log", np.log, positive(), 2),
    ("log1p", np.log1p, uniform(-0.5, 2.0), 2),
    ("expm1", np.expm1, uniform(), 2),
    ("log2", np.log2, positive(), 2),
    ("log10", np.log10, positive(), 2),
    ("exp2", np.exp2, uniform(), 2),
    ("sin", np.sin, uniform(-3, 3), 2),
    ("cos", np.cos, uniform(-3, 3), 2),
    ("tan", np.tan, uniform(-1.2, 1.2), 2),
    ("asin", np.arcsin, uniform(-0.9, 0.9), 2),
    ("acos", np.arccos, uniform(-0.9, 0.9), 2),
    ("atan", np.arctan, uniform(-3, 3), 2),
    ("sinh", np.sinh, uniform(), 2),
    ("cosh", np.cosh, uniform(), 2),
    ("tanh", np.tanh, uniform(), 2),
    ("asinh", np.arcsinh, uniform(-3, 3), 2),
    ("acosh", np.arccosh, uniform(1.2, 3.0), 2),
    ("atanh", np.arctanh, uniform(-0.9, 0.9), 2),
    ("sqrt", np.sqrt, positive(), 2),
    ("cbrt", np.cbrt, nonzero(), 2),
    ("logistic", _logistic, uniform(-4, 4), 2),
    ("abs", np.abs, nonzero(), 1),
    ("sign", np.sign, nonzero(), 0),
    ("floor", np.floor, off_integers(), 0),
    ("ceil", np.ceil, off_integers(), 0),
    ("round", np.round, off_integers(), 0),
    ("trunc", np.trunc, off_integers(), 0),
    ("is_finite", np.isfinite, with_specials(), 0),
    ("stop_gradient", lambda x: x, uniform(), 0),  # zero derivative by definition
]

for _name, _ref, _sampler, _order in UNARY:
    _lin = _linear(_name, (0,))
    prim(_name, [A((2, 3), _sampler)], _ref, order=_order, dtypes=BOTH, linear_argnums=_lin)
    prim(_name, [A((), _sampler)], _ref, order=_order, label="scalar", linear_argnums=_lin)

prim(
    "name",
    [A((2, 3), uniform())],
    lambda x: x,
    params={"name": "hidden"},
    dtypes=BOTH,
    linear_argnums=((0,),),
)
prim("not", [A((2, 3), bools())], np.invert)
prim("not", [A((2, 3), ints())], np.invert, label="int")

for _y in (0, 1, 2, 3, -2):
    prim(
        "integer_pow",
        [A((2, 3), nonzero())],
        lambda x, y=_y: np.power(x, y),
        params={"y": _y},
        label=f"y={_y}",
        dtypes=BOTH if _y == 3 else (F64,),
    )
prim("integer_pow", [A((2, 3), ints())], lambda x: np.power(x, 3), params={"y": 3}, label="int")

# ----------------------------------------------------------------------------- elementwise binary


def _tie_tangent(pick):
    """Expected tangent of max/min with JAX's tie rule: ties share the tangent equally."""

    def rule(args, tangents):
        x, y = args
        tx, ty = tangents
        return np.where(pick(x, y), tx, np.where(pick(y, x), ty, (tx + ty) / 2))

    return rule


BINARY = [  # name, reference, sampler x, sampler y, order, linear argnum sets
    ("add", np.add, uniform(), uniform(), 2, ((0, 1),)),
    ("sub", np.subtract, uniform(), uniform(), 2, ((0, 1),)),
    ("mul", np.multiply, uniform(), uniform(), 2, ((0,), (1,))),
    ("div", np.true_divide, uniform(), nonzero(), 2, ((0,),)),
    ("pow", np.power, positive(), uniform(), 2, ()),
    ("max", np.maximum, uniform(), uniform(), 1, ()),
    ("min", np.minimum, uniform(), uniform(), 1, ()),
    ("atan2", np.arctan2, nonzero(), nonzero(), 2, ()),
    ("rem", np.remainder, off_integers(), divisors(), 1, ()),
    ("logaddexp", np.logaddexp, uniform(), uniform(), 2, ()),
    ("floor_divide", np.floor_divide, off_integers(), divisors(), 0, ()),
]
BINARY_SHAPES = [((2, 3), (2, 3), None), ((2, 3), (), "scalar_rhs"), ((), (2, 3), "scalar_lhs")]

for _name, _ref, _sx, _sy, _order, _lin in BINARY:
    for _shx, _shy, _label in BINARY_SHAPES:
        prim(
            _name,
            [A(_shx, _sx), A(_shy, _sy)],
            _ref,
            label=_label,
            order=_order,
            dtypes=BOTH if _label is None else (F64,),
            linear_argnums=_lin,
        )

prim(  # -inf is log(0): the derivative there is exactly 0
    "logaddexp",
    [A((2, 3), with_neg_inf()), A((2, 3), uniform())],
    np.logaddexp,
    label="-inf",
    order=1,
)

for _name, _pick in (("max", np.greater), ("min", np.less)):
    prim(
        _name,
        [A((3, 4), small_integers(-1, 2)), A((3, 4), small_integers(-1, 2))],
        getattr(np, {"max": "maximum", "min": "minimum"}[_name]),
        label="ties",
        order=1,
        tangent_rule=_tie_tangent(_pick),
    )

for _name, _ref in (
    ("eq", np.equal),
    ("ne", np.not_equal),
    ("lt", np.less),
    ("le", np.less_equal),
    ("gt", np.greater),
    ("ge", np.greater_equal),
):
    prim(_name, [A((3, 4), small_integers()), A((3, 4), small_integers())], _ref, order=0)
    prim(
        _name,
        [A((3, 4), small_integers()), A((), small_integers())],
        _ref,
        order=0,
        label="scalar_rhs",
    )

for _name, _ref in (("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor)):
    prim(_name, [A((2, 3), bools()), A((2, 3), bools())], _ref)
    prim(_name, [A((2, 3), ints()), A((2, 3), ints())], _ref, label="int")

for _name, _ref in (("shift_left", np.left_shift), ("shift_right", np.right_shift)):
    prim(_name, [A((2, 3), ints(0, 1 << 20, np.uint32)), A((2, 3), ints(0, 32, np.uint32))], _ref)
    prim(_name, [A((2, 3), ints(-50, 50)), A((2, 3), ints(0, 8))], _ref, label="int64")


def _threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32, 20 rounds, in plain NumPy arithmetic, as Salmon et al. (2011) state it."""
    k0, k1, x0, x1 = np.broadcast_arrays(*[np.asarray(w, np.uint32) for w in (k0, k1, x0, x1)])
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for i in range(20):
        r = np.uint32(((13, 15, 26, 6), (17, 29, 16, 24))[(i // 4) % 2][i % 4])
        x0 = x0 + x1
        x1 = ((x1 << r) | (x1 >> (np.uint32(32) - r))) ^ x0
        if i % 4 == 3:
            j = i // 4 + 1
            x0 = x0 + ks[j % 3]
            x1 = x1 + ks[(j + 1) % 3] + np.uint32(j)
    return [x0, x1]


_WORDS = ints(0, 2**32, np.uint32)
prim(
    "threefry2x32",
    [A((), _WORDS), A((), _WORDS), A((2, 3), _WORDS), A((), _WORDS)],
    _threefry2x32,
)
prim(
    "threefry2x32",
    [A((3,), _WORDS), A((3,), _WORDS), A((2, 3), _WORDS), A((2, 1), _WORDS)],
    _threefry2x32,
    label="key_per_column",
)
# the in-place normal kernel against its definition in ftrans.numpy operations
for _n in (1, 6, 9):
    prim(
        "threefry_normal",
        [A((2,), _WORDS)],
        lambda key, n=_n: np.asarray(normal_traced(key, n)),
        params={"n": _n},
        label=f"n={_n}",
    )


# the samplers' exact-rounding helpers (ftrans/random/_ops.py)
def _fma_reference(a, b, c):
    from fractions import Fraction

    a, b, c = np.broadcast_arrays(a, b, c)
    exact = zip(a.flat, b.flat, c.flat)
    out = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in exact]
    return np.array(out, np.result_type(a, b, c)).reshape(a.shape)


prim("random_fma", [A((2, 3), uniform()), A((2, 3), uniform()), A((3,), uniform())],
     _fma_reference, order=2)  # fmt: skip
prim("random_nextafter", [A((2, 3), uniform()), A((), uniform())], np.nextafter,
     dtypes=BOTH, order=0)  # fmt: skip
for _bits, _float in ((np.uint64, np.float64), (np.uint32, np.float32)):
    prim(
        "random_unit",
        [A((2, 3), ints(0, 2**31, _bits))],
        lambda b, f=_float: (
            (b >> (np.finfo(f).bits - np.finfo(f).nmant)) * np.finfo(f).eps
        ).astype(f),
        params={"dtype": np.dtype(_float)},
        label=np.dtype(_float).name,
        order=0,
    )

prim(
    "select",
    [A((2, 3), bools()), A((2, 3), uniform()), A((2, 3), uniform())],
    np.where,
    dtypes=BOTH,
    linear_argnums=((1, 2),),
)
prim(
    "select",
    [A((), bools()), A((2, 3), uniform()), A((2, 3), uniform())],
    np.where,
    label="scalar_pred",
    linear_argnums=((1, 2),),
)

# ----------------------------------------------------------------------------- dtypes

_LOOSE = {F64: Tol(1e-4, 1e-5)}  # float32 on one side: central differences with eps=1e-2
for _src, _dst, _sampler, _order in (
    (F64, F32, uniform(), 2),
    (F32, F64, uniform(), 2),
    (F64, np.dtype(np.int32), off_integers(), 0),
    (F64, np.dtype(np.bool_), uniform(), 0),
    (np.dtype(np.int64), F64, ints(), 2),
    (np.dtype(np.bool_), F64, bools(), 2),
):
    _float_to_float = _src.kind == "f" and _dst.kind == "f"
    prim(
        "convert_element_type",
        [A((2, 3), as_dtype(_sampler, _src) if _src.kind == "f" else _sampler)],
        lambda x, dst=_dst: x.astype(dst),
        params={"new_dtype": _dst},
        label=f"{_src.name}->{_dst.name}",
        order=_order,
        linear_argnums=((0,),) if _float_to_float else (),
        eps=1e-2 if F32 in (_src, _dst) else 1e-6,
        grad_tol=_LOOSE if F32 in (_src, _dst) else {F64: Tol(1e-5, 1e-7)},
    )

# ----------------------------------------------------------------------------- reductions

X3 = (2, 3, 4)
for _axes in ((), (0,), (2,), (0, 2), (0, 1, 2)):
    prim(
        "reduce_sum",
        [A(X3, uniform())],
        lambda x, axes=_axes: np.sum(x, axis=axes),
        params={"axes": _axes},
        label=f"axes={_axes}",
        linear_argnums=((0,),),
        dtypes=BOTH if _axes == (0, 2) else (F64,),
    )


def _extremum_ties(np_fn):
    def rule(args, tangents):
        (x,), (t,) = args, tangents
        hit = (x == np_fn(x, axis=1, keepdims=True)).astype(x.dtype)
        return np.sum(t * hit, axis=1) / np.sum(hit, axis=1)

    return rule


for _name, _np_fn in (("reduce_max", np.max), ("reduce_min", np.min)):
    for _axes in ((1,), (0, 2), (0, 1, 2)):
        prim(
            _name,
            [A(X3, distinct())],
            lambda x, axes=_axes, f=_np_fn: f(x, axis=axes),
            params={"axes": _axes},
            label=f"axes={_axes}",
            order=1,
            dtypes=BOTH if _axes == (0, 2) else (F64,),
        )
    prim(
        _name,
        [A((3, 4), small_integers(0, 2))],
        lambda x, f=_np_fn: f(x, axis=1),
        params={"axes": (1,)},
        label="ties",
        order=1,
        tangent_rule=_extremum_ties(_np_fn),
    )

for _axes, _sampler, _label in (
    ((1,), uniform(0.5, 1.5), None),
    ((0, 2), uniform(0.5, 1.5), None),
    ((0, 1, 2), nonzero(0.5, 1.5), None),
    ((1,), with_zeros(1), "one_zero"),
    ((0, 1, 2), with_zeros(2), "two_zeros"),
):
    prim(
        "reduce_prod",
        [A(X3, _sampler)],
        lambda x, axes=_axes: np.prod(x, axis=axes),
        params={"axes": _axes},
        label=f"axes={_axes}" + (f",{_label}" if _label else ""),
        dtypes=BOTH if _axes == (0, 2) else (F64,),
    )

for _name, _np_fn in (("reduce_and", np.all), ("reduce_or", np.any)):
    for _axes in ((), (0,), (0, 1)):
        prim(
            _name,
            [A((2, 3), bools())],
            lambda x, axes=_axes, f=_np_fn: f(x, axis=axes),
            params={"axes": _axes},
            label=f"axes={_axes}",
        )

for _name, _np_fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    for _axis, _dtype in ((0, np.dtype(np.int64)), (1, np.dtype(np.int32))):
        prim(
            _name,
            [A((3, 4), distinct())],
            lambda x, axis=_axis, f=_np_fn, d=_dtype: f(x, axis=axis).astype(d),
            params={"axis": _axis, "index_dtype": _dtype},
            label=f"axis={_axis},{_dtype.name}",
            order=0,
        )


def _cumulative(op, axis, reverse):
    if reverse:
        return lambda x: np.flip(op(np.flip(x, axis), axis=axis), axis)
    return lambda x: op(x, axis=axis)


for _axis in (0, 1):
    for _reverse in (False, True):
        _params = {"axis": _axis, "reverse": _reverse}
        _label = f"axis={_axis},reverse={_reverse}"
        _f32 = BOTH if (_axis, _reverse) == (1, False) else (F64,)
        prim(
            "cumsum",
            [A((3, 4), uniform())],
            _cumulative(np.cumsum, _axis, _reverse),
            params=_params,
            label=_label,
            linear_argnums=((0,),),
            dtypes=_f32,
        )
        prim(
            "cumprod",
            [A((3, 4), nonzero(0.5, 1.5))],
            _cumulative(np.cumprod, _axis, _reverse),
            params=_params,
            label=_label,
            dtypes=_f32,
        )
        prim(
            "cummax",
            [A((3, 4), distinct())],
            _cumulative(np.maximum.accumulate, _axis, _reverse),
            params=_params,
            label=_label,
            order=1,
        )
        prim(
            "cummin",
            [A((3, 4), distinct())],
            _cumulative(np.minimum.accumulate, _axis, _reverse),
            params=_params,
            label=_label,
            order=1,
        )
        prim(
            "argsort",
            [A((3, 4), distinct())],
            lambda x, a=_axis, d=_reverse: np.argsort(-x if d else x, axis=a, kind="stable"),
            params={"axis": _axis, "descending": _reverse},
            label=f"axis={_axis},descending={_reverse}",
            order=0,
        )

prim(
    "cumprod",
    [A((3, 4), with_zeros(2))],
    _cumulative(np.cumprod, 1, False),
    params={"axis": 1, "reverse": False},
    label="zeros",
)

# ----------------------------------------------------------------------------- shapes

for _shape_in, _shape, _dims in (
    ((), (2, 3), ()),
    ((3,), (2, 3), (1,)),
    ((2,), (2, 3), (0,)),
    ((3, 1), (2, 3, 4), (1, 2)),
    ((1, 3), (4, 3), (0, 1)),
    ((2, 3), (2, 3), (0, 1)),
):
    _new = tuple(d for d in range(len(_shape)) if d not in _dims)
    prim(
        "broadcast_in_dim",
        [A(_shape_in, uniform())],
        lambda x, new=_new, shape=_shape: np.broadcast_to(np.expand_dims(x, new), shape),
        params={"shape": _shape, "broadcast_dimensions": _dims},
        label=f"{_shape_in}->{_shape},dims={_dims}",
        linear_argnums=((0,),),
        dtypes=BOTH if _shape_in == (3, 1) else (F64,),
    )

for _shape_in, _shape in (((2, 3), (3, 2)), ((6,), (2, 3)), ((), (1, 1)), ((2, 3, 4), (4, 6))):
    prim(
        "reshape",
        [A(_shape_in, uniform())],
        lambda x, shape=_shape: np.reshape(x, shape),
        params={"new_sizes": _shape},
        label=f"{_shape_in}->{_shape}",
        linear_argnums=((0,),),
    )

for _shape_in, _perm in (((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (1, 0, 2)), ((2, 3), (1, 0))):
    prim(
        "transpose",
        [A(_shape_in, uniform())],
        lambda x, perm=_perm: np.transpose(x, perm),
        params={"permutation": _perm},
        label=f"perm={_perm}",
        linear_argnums=((0,),),
        dtypes=BOTH if _perm == (2, 0, 1) else (F64,),
    )

for _shape_in, _dims in (((1, 3, 1), (0, 2)), ((1, 3, 1), (2,)), ((1,), (0,))):
    prim(
        "squeeze",
        [A(_shape_in, uniform())],
        lambda x, dims=_dims: np.squeeze(x, axis=dims),
        params={"dimensions": _dims},
        label=f"{_shape_in},dims={_dims}",
        linear_argnums=((0,),),
    )

for _shape_in, _dims in (((3, 4), (0,)), ((3, 4), (0, 1)), ((2, 3, 4), (1,))):
    prim(
        "rev",
        [A(_shape_in, uniform())],
        lambda x, dims=_dims: np.flip(x, axis=dims),
        params={"dimensions": _dims},
        label=f"{_shape_in},dims={_dims}",
        linear_argnums=((0,),),
    )

for _shape_in, _start, _limit, _strides in (
    ((5, 6), (1, 0), (4, 6), (1, 2)),
    ((7,), (0,), (7,), (3,)),
    ((4, 4), (2, 2), (2, 4), (1, 1)),
    ((3, 4, 5), (0, 1, 2), (3, 4, 5), (2, 2, 2)),
):
    prim(
        "slice",
        [A(_shape_in, uniform())],
        lambda x, s=_start, e=_limit, st=_strides: x[
            tuple(slice(*b) for b in zip(s, e, st, strict=True))
        ],
        params={"start_indices": _start, "limit_indices": _limit, "strides": _strides},
        label=f"{_shape_in}[{_start}:{_limit}:{_strides}]",
        linear_argnums=((0,),),
    )


def _pad_reference(config):
    def ref(x, value):
        dilated_shape = tuple(n + max(0, n - 1) * i for (_, _, i), n in zip(config, x.shape))
        dilated = np.full(dilated_shape, value, x.dtype)
        dilated[tuple(slice(None, None, i + 1) for _, _, i in config)] = x
        return np.pad(dilated, [(lo, hi) for lo, hi, _ in config], constant_values=value)

    return ref


for _shape_in, _config in (
    ((2, 3), ((1, 2, 0), (0, 1, 1))),
    ((2, 3), ((0, 0, 2), (1, 1, 0))),
    ((2, 3), ((0, 0, 0), (0, 0, 0))),
    ((4,), ((2, 0, 1),)),
):
    prim(
        "pad",
        [A(_shape_in, uniform()), A((), uniform())],
        _pad_reference(_config),
        params={"padding_config": _config},
        label=f"{_shape_in},config={_config}",
        linear_argnums=((0, 1),),
    )

for _shapes, _dim in ((((2, 3), (4, 3)), 0), (((2, 1), (2, 3), (2, 2)), 1), (((3,), (1,)), 0)):
    prim(
        "concatenate",
        [A(s, uniform()) for s in _shapes],
        lambda *xs, dim=_dim: np.concatenate(xs, axis=dim),
        params={"dimension": _dim},
        label=f"{_shapes},dim={_dim}",
        linear_argnums=(tuple(range(len(_shapes))),),
    )

# ----------------------------------------------------------------------------- dot_general


def _dot_general_reference(dimension_numbers):
    """``dot_general`` written as an einsum, letter by letter."""
    (lc, rc), (lb, rb) = dimension_numbers

    def ref(a, b):
        letters = iter(string.ascii_letters)
        sa, sb = [None] * a.ndim, [None] * b.ndim
        for i, j in list(zip(lb, rb)) + list(zip(lc, rc)):
            sa[i] = sb[j] = next(letters)
        sa = [c or next(letters) for c in sa]
        sb = [c or next(letters) for c in sb]
        out = [sa[i] for i in lb]
        out += [sa[k] for k in range(a.ndim) if k not in lc and k not in lb]
        out += [sb[k] for k in range(b.ndim) if k not in rc and k not in rb]
        return np.einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)

    return ref


for _label, _ls, _rs, _dims in (
    ("matmul", (3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ("matvec", (3, 4), (4,), (((1,), (0,)), ((), ()))),
    ("vdot", (4,), (4,), (((0,), (0,)), ((), ()))),
    ("batch", (2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ("transposed", (4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ("two_contract", (2, 3, 4), (4, 3, 5), (((1, 2), (1, 0)), ((), ()))),
    ("outer", (3,), (4,), (((), ()), ((), ()))),
    ("batch_inner", (3, 2, 4), (4, 5, 2), (((2,), (0,)), ((1,), (2,)))),
    ("two_batch", (2, 3, 4, 5), (3, 2, 5, 6), (((3,), (2,)), ((0, 1), (1, 0)))),
):
    prim(
        "dot_general",
        [A(_ls, uniform()), A(_rs, uniform())],
        _dot_general_reference(_dims),
        params={"dimension_numbers": _dims},
        label=_label,
        linear_argnums=((0,), (1,)),
        dtypes=BOTH if _label == "matmul" else (F64,),
    )

prim(
    "dot_general",
    [A((3, 4), ints()), A((4, 5), ints())],
    _dot_general_reference((((1,), (0,)), ((), ()))),
    params={"dimension_numbers": (((1,), (0,)), ((), ()))},
    label="int",
)

# ----------------------------------------------------------------------------- gather / scatter


def _positions(x_ndim, axes, indices, p):
    sel = [slice(None)] * x_ndim
    for a, ix in zip(axes, indices, strict=True):
        sel[a] = int(ix[p])
    return tuple(sel)


def _gather_reference(axes):
    def ref(x, *indices):
        shape = indices[0].shape
        others = tuple(n for d, n in enumerate(x.shape) if d not in axes)
        out = np.empty(shape + others, x.dtype)
        for p in np.ndindex(*shape):
            out[p] = x[_positions(x.ndim, axes, indices, p)]
        return out

    return ref


def _scatter_reference(axes, combine):
    def ref(x, updates, *indices):
        out = x.copy()
        for p in np.ndindex(*indices[0].shape):
            at = _positions(x.ndim, axes, indices, p)
            out[at] = combine(out[at], updates[p])
        return out

    return ref


_I = np.array
for _label, _shape_in, _indices, _axes in (
    ("rows_repeated", (5, 3), [_I([4, 0, 2, 2])], (0,)),
    ("axis1_2d_index", (3, 5), [_I([[1, 4], [0, 1]])], (1,)),
    ("two_axes", (3, 4, 5), [_I([0, 2, 1]), _I([4, 0, 4])], (0, 2)),
    ("axes_unsorted", (3, 4, 5), [_I([1, 3]), _I([2, 0])], (2, 0)),
    ("scalar_index", (4,), [_I(2)], (0,)),
):
    prim(
        "gather",
        [A(_shape_in, uniform())] + [A(i.shape, fixed(i)) for i in _indices],
        _gather_reference(_axes),
        params={"axes": _axes},
        label=_label,
        linear_argnums=((0,),),
        dtypes=BOTH if _label == "two_axes" else (F64,),
    )

_SCATTERS = {  # name: (combine, order, needs unique indices, value sampler, linear sets)
    "scatter_add": (np.add, 2, False, uniform(), ((0, 1),)),
    "scatter": (lambda old, new: new, 2, True, uniform(), ((0, 1),)),
    "scatter_mul": (np.multiply, 2, True, uniform(), ()),
    "scatter_max": (np.maximum, 1, False, distinct(), ()),
    "scatter_min": (np.minimum, 1, False, distinct(), ()),
}
for _name, (_combine, _order, _unique, _sampler, _lin) in _SCATTERS.items():
    for _label, _shape_in, _indices, _axes in (
        ("rows", (5, 3), [_I([4, 0, 2] if _unique else [4, 0, 2, 2])], (0,)),
        ("two_axes", (3, 4, 5), [_I([0, 2, 0]), _I([4, 1, 1 if _unique else 4])], (0, 2)),
        ("scalar_index", (4,), [_I(2)], (0,)),
    ):
        _updates_shape = _indices[0].shape + tuple(
            n for d, n in enumerate(_shape_in) if d not in _axes
        )
        prim(
            _name,
            [A(_shape_in, _sampler), A(_updates_shape, _sampler)]
            + [A(i.shape, fixed(i)) for i in _indices],
            _scatter_reference(_axes, _combine),
            params={"axes": _axes},
            label=_label,
            order=_order,
            linear_argnums=_lin,
        )

# ----------------------------------------------------------------------------- jit_call


def _program(fun, *shapes):
    """The ClosedJaxpr a jit_call holds: ``fun`` traced on float64 arrays of ``shapes``."""
    return ft.make_jaxpr(fun)(*[np.zeros(s) for s in shapes])


prim(
    "jit_call",
    [A((2, 3), uniform()), A((2, 3), uniform())],
    lambda x, y: [np.sin(x) * y, np.sum(x * x, axis=0)],
    params={
        "jaxpr": _program(lambda x, y: [fnp.sin(x) * y, fnp.sum(x * x, axis=0)], (2, 3), (2, 3)),
        "name": "nonlinear",
    },
    label="nonlinear",
)
prim(
    "jit_call",
    [A((2, 3), uniform()), A((2, 3), uniform())],
    lambda x, y: [2.0 * x - y, np.cumsum(x, axis=1)],
    params={
        "jaxpr": _program(lambda x, y: [2.0 * x - y, fnp.cumsum(x, axis=1)], (2, 3), (2, 3)),
        "name": "linear",
    },
    label="linear",
    linear_argnums=((0, 1),),
)
