"""Registry specs for the rest of jax.numpy in ``ftrans.numpy`` (pad, diag, quantiles, set
operations with ``size=``, polynomials, ...), and for the primitives of
``ftrans.primitives.numpy_ufuncs``; each against NumPy.

Functions whose result size depends on values run with ``size=`` (JAX's keyword); their
reference is NumPy's answer padded the documented way (``_fit``). Functions that only read
shapes or dtypes, or need concrete values, are ``meta`` specs.
"""

from __future__ import annotations

import io

import numpy as np
from spec import (
    F32,
    F64,
    Arg,
    Spec,
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
    with_specials,
)

import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES

BOTH = (F64, F32)
SPECS: list[Spec] = []
U = uniform()


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


def fn(target, args, *, call=None, label=None, reference=None, **options) -> None:
    """A spec for ``fnp.<target>`` against ``np.<target>`` (or ``reference``)."""
    if call is None:

        def call(f):
            return f

    np_fn = reference if reference is not None else call(getattr(np, target))
    name = f"fnp:{target}" + (f"[{label}]" if label else "")
    SPECS.append(
        Spec(name, "numpy", target, call(getattr(fnp, target)), np_fn, tuple(args), **options)
    )


def prim(name, args, reference, *, label=None, **options) -> None:
    primitive = PRIMITIVES[name]
    full = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full, "primitive", name, primitive.bind, reference, tuple(args), **options))


def _fit(values, size, fill=0):
    values = np.asarray(values)
    if values.shape[0] >= size:
        return values[:size]
    pad = np.full((size - values.shape[0],) + values.shape[1:], fill, values.dtype)
    return np.concatenate([values, pad])


def _functional(np_inplace):
    """A functional version of an in-place NumPy function (fill_diagonal, put, place)."""

    def run(a, *args, **kwargs):
        out = np.array(a, copy=True)
        np_inplace(out, *args, **kwargs)
        return out

    return run


X = (3, 4)
S = (5,)

# ----------------------------------------------------------------------------- primitives

prim("gcd", [A(X, ints(-20, 20)), A(X, ints(1, 12))], np.gcd)
prim("lcm", [A(X, ints(-20, 20)), A(X, ints(1, 12))], np.lcm)
prim("nextafter", [A(X, U), A(X, U)], np.nextafter, order=0)
prim("signbit", [A(X, U)], np.signbit, order=0)
prim("bitwise_count", [A(X, ints(-100, 100))], np.bitwise_count)
prim("fmod", [A(X, off_integers()), A(X, divisors())], np.fmod, order=1)

# ----------------------------------------------------------------------------- elementwise

fn("hypot", [A(X, nonzero()), A((4,), nonzero())], dtypes=BOTH)
fn("sinc", [A(X, U)], dtypes=BOTH)
fn("fabs", [A(X, nonzero())], order=1)
fn("fmax", [A(X, distinct()), A(X, distinct())], order=1)
fn("fmin", [A(X, distinct()), A(X, distinct())], order=1)
fn("fmax", [A(X, with_specials()), A(X, U)], label="nan", order=0, diff_argnums=())
fn("fmod", [A(X, off_integers()), A((4,), divisors())], order=1)
fn("copysign", [A(X, nonzero()), A(X, nonzero())], order=1)
fn("nextafter", [A(X, U), A(X, U)], order=0)
fn("heaviside", [A(X, nonzero()), A(X, U)], order=0, diff_argnums=(0,))
fn("float_power", [A(X, positive()), A(X, U)])
fn("divmod", [A(X, off_integers()), A(X, divisors())], order=1)
fn("modf", [A(X, off_integers())], order=1)
fn("ldexp", [A(X, U), A(X, ints(-3, 4))])
fn("frexp", [A(X, nonzero(0.6, 3.0))], order=1)
fn("spacing", [A(X, U)], order=0)
fn("signbit", [A(X, U)], order=0)
fn("gcd", [A(X, ints(-20, 20)), A((4,), ints(1, 12))])
fn("lcm", [A(X, ints(-20, 20)), A((4,), ints(1, 12))])
fn("bitwise_count", [A(X, ints(-100, 100))])
fn("bitwise_invert", [A(X, ints())])
fn("bitwise_left_shift", [A(X, ints(0, 100)), A(X, ints(0, 5))])
fn("bitwise_right_shift", [A(X, ints(0, 100)), A(X, ints(0, 5))])
fn("isreal", [A(X, U)], call=lambda f: lambda x: f(x + 1j * (x > 0)), order=0)
fn("iscomplex", [A(X, U)], call=lambda f: lambda x: f(x + 1j * (x > 0)), order=0)
fn("isrealobj", [A(X, U)], meta=True)
fn("isposinf", [A(X, with_specials())], order=0)
fn("isneginf", [A(X, with_specials())], order=0)
fn("nan_to_num", [A(X, U)], dtypes=BOTH)
fn(
    "nan_to_num",
    [A(X, with_specials())],
    call=lambda f: lambda x: f(x, nan=1.0, posinf=2.0, neginf=-2.0),
    label="specials",
    order=1,
)
fn("isclose", [A(X, U), A(X, U)], call=lambda f: lambda x, y: f(x, x + 1e-9 * y), order=0)
fn("isclose", [A(X, with_specials()), A(X, with_specials())], label="specials", order=0)
fn("allclose", [A(X, U), A(X, U)], call=lambda f: lambda x, y: f(x, x + 1e-9 * y), order=0)
fn("array_equal", [A(X, small_integers()), A(X, small_integers())], order=0)
fn("array_equiv", [A((4,), small_integers()), A((1, 4), small_integers())], order=0)
fn("i0", [A(X, uniform(-40, 40))])
fn("i0", [A(X, uniform(-5, 5))], label="small", dtypes=BOTH)
fn("sort_complex", [A(S, distinct())], call=lambda f: lambda x: f(x + 1j * x[::-1]), order=1)

# ----------------------------------------------------------------------------- sorting, searching

fn("lexsort", [A(S, ints(0, 3)), A(S, ints(0, 3))], call=lambda f: lambda a, b: f((a, b)))
fn(
    "partition",
    [A(X, distinct())],
    call=lambda f: lambda x: f(x, 1),
    order=1,
    reference=lambda x: np.sort(x, axis=-1),
)
fn(
    "argpartition",
    [A(X, distinct())],
    call=lambda f: lambda x: f(x, 2, axis=0),
    order=0,
    reference=lambda x: np.argsort(x, axis=0),
)
for _side in ("left", "right"):
    fn(
        "searchsorted",
        [A(S, small_integers()), A(X, small_integers())],
        call=lambda f, s=_side: (
            lambda a, v: f(np.sort(a) if isinstance(a, np.ndarray) else fnp.sort(a), v, side=s)
        ),
        label=_side,
        order=0,
    )
fn("digitize", [A(X, U)], call=lambda f: lambda x: f(x, np.array([-1.0, 0.0, 1.0])), order=0)
fn(
    "digitize",
    [A(X, U)],
    call=lambda f: lambda x: f(x, np.array([1.0, 0.0, -1.0]), right=True),
    label="decreasing,right",
    order=0,
)

# ----------------------------------------------------------------------------- pad

for _mode in (
    "constant",
    "edge",
    "wrap",
    "reflect",
    "symmetric",
    "linear_ramp",
    "maximum",
    "minimum",
    "mean",
    "median",
    "empty",
):
    fn(
        "pad",
        [A(X, distinct())],
        call=lambda f, m=_mode: lambda x: f(x, ((1, 2), (2, 1)), mode=m),
        label=_mode,
        order=1 if _mode in ("maximum", "minimum", "median") else 2,
        reference=(lambda x: np.pad(x, ((1, 2), (2, 1)))) if _mode == "empty" else None,
    )
fn(
    "pad",
    [A(X, U)],
    call=lambda f: lambda x: f(x, ((4, 5), (6, 7)), mode="reflect"),
    label="reflect,wide",
)
fn(
    "pad",
    [A(X, U)],
    call=lambda f: lambda x: f(x, 2, mode="symmetric", reflect_type="odd"),
    label="symmetric,odd",
)
fn(
    "pad",
    [A(X, U)],
    call=lambda f: lambda x: f(x, ((3, 4), (1, 5)), mode="reflect", reflect_type="odd"),
    label="reflect,odd,wide",
)
fn(
    "pad",
    [A(X, U), A((), U)],
    call=lambda f: lambda x, c: f(x, 1, constant_values=c),
    label="traced_constant",
    reference=lambda x, c: np.pad(x, 1, constant_values=c),
)
fn(
    "pad",
    [A(X, U)],
    call=lambda f: lambda x: f(x, 2, mode="mean", stat_length=2),
    label="mean,stat_length",
)

# ----------------------------------------------------------------------------- diagonals

fn("diag", [A(S, U)], dtypes=BOTH)
fn("diag", [A(S, U)], call=lambda f: lambda v: f(v, -2), label="k=-2")
fn("diag", [A(X, U)], call=lambda f: lambda m: f(m, 1), label="2d,k=1")
fn("diagflat", [A((2, 2), U)], call=lambda f: lambda v: f(v, 1))
fn("tril", [A(X, U)], dtypes=BOTH)
fn("tril", [A((2, 3, 4), U)], call=lambda f: lambda m: f(m, -1), label="batched,k=-1")
fn("triu", [A(X, U)], call=lambda f: lambda m: f(m, 1))
fn("fill_diagonal", [A(X, U), A((), U)], reference=_functional(np.fill_diagonal))
fn(
    "fill_diagonal",
    [A((7, 3), U), A((3,), U)],
    call=lambda f: lambda a, v: f(a, v, wrap=True),
    label="wrap",
    reference=lambda a, v: _functional(np.fill_diagonal)(a, v, wrap=True),
)
for _name in ("tril_indices", "triu_indices"):
    fn(_name, [A((), U)], call=lambda f: lambda x: [i.tolist() for i in f(4, 1, 3)], meta=True)
for _name in ("tril_indices_from", "triu_indices_from"):
    fn(_name, [A(X, U)], call=lambda f: lambda x: [i.tolist() for i in f(x, -1)], meta=True)
fn("diag_indices", [A((), U)], call=lambda f: lambda x: [i.tolist() for i in f(3)], meta=True)
fn(
    "diag_indices_from",
    [A((3, 3), U)],
    call=lambda f: lambda x: [i.tolist() for i in f(x)],
    meta=True,
)
fn(
    "mask_indices",
    [A((), U)],
    call=lambda f: lambda x: [i.tolist() for i in f(3, np.triu)],
    meta=True,
)

# ----------------------------------------------------------------------------- stacking, splitting

for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    fn(
        _name,
        [A((), U), A(S, U), A(X, U)],
        call=lambda f: lambda a, b, c: f(a, b, c),
        label="three",
    )
fn("atleast_3d", [A(S, U)], label="1d")
fn("atleast_3d", [A(X, U)], label="2d")
fn("column_stack", [A(S, U), A((5, 2), U)], call=lambda f: lambda a, b: f((a, b)))
fn("dstack", [A(X, U), A(X, U)], call=lambda f: lambda a, b: f([a, b]))
fn("hsplit", [A(X, U)], call=lambda f: lambda x: f(x, 2))
fn("vsplit", [A((4, 3), U)], call=lambda f: lambda x: f(x, [1, 3]))
fn("dsplit", [A((2, 2, 4), U)], call=lambda f: lambda x: f(x, 2))
fn("unstack", [A(X, U)], call=lambda f: lambda x: f(x, axis=1))
fn("concat", [A(X, U), A((1, 4), U)], call=lambda f: lambda a, b: f([a, b], axis=0))
fn(
    "block",
    [A((2, 2), U), A((2, 1), U), A((1, 3), U)],
    call=lambda f: lambda a, b, c: f([[a, b], [c]]),
)
fn("append", [A(X, U), A((2,), U)])
fn("append", [A(X, U), A((1, 4), U)], call=lambda f: lambda a, b: f(a, b, axis=0), label="axis=0")
fn("insert", [A(S, U), A((), U)], call=lambda f: lambda a, v: f(a, 2, v))
fn("insert", [A(X, U), A((3,), U)], call=lambda f: lambda a, v: f(a, 1, v, axis=1), label="axis=1")
fn("insert", [A(X, U)], call=lambda f: lambda a: f(a, [1, 3], 7.0, axis=1), label="indices")
fn("delete", [A(S, U)], call=lambda f: lambda a: f(a, [0, 3]))
fn("delete", [A(X, U)], call=lambda f: lambda a: f(a, slice(0, 2), axis=1), label="slice,axis=1")
fn("resize", [A(S, U)], call=lambda f: lambda a: f(a, (3, 4)))
for _k in (1, 2, 3):
    fn("rot90", [A(X, U)], call=lambda f, k=_k: lambda m: f(m, k), label=f"k={_k}")
fn("rot90", [A((2, 3, 4), U)], call=lambda f: lambda m: f(m, 1, (2, 0)), label="axes=(2,0)")
fn("rollaxis", [A((2, 3, 4), U)], call=lambda f: lambda a: f(a, 2))
fn("rollaxis", [A((2, 3, 4), U)], call=lambda f: lambda a: f(a, 0, 3), label="start=3")
fn(
    "trim_zeros",
    [A((), U)],
    call=lambda f: lambda x: np.asarray(f(np.array([0.0, 0.0, 1.0, 2.0, 0.0]), "b")).tolist(),
    meta=True,
)

# ----------------------------------------------------------------------------- differences

fn("diff", [A(X, U)], dtypes=BOTH)
fn("diff", [A(X, U)], call=lambda f: lambda a: f(a, 2, axis=0), label="n=2,axis=0")
fn(
    "diff",
    [A(S, U), A((), U)],
    call=lambda f: lambda a, p: f(a, prepend=p, append=a[:2]),
    label="prepend,append",
)
fn("ediff1d", [A(X, U)], call=lambda f: lambda a: f(a, to_begin=[1.0], to_end=2.0))
fn("gradient", [A(S, U)])
fn("gradient", [A(X, U)], label="2d")
fn("gradient", [A(S, U)], call=lambda f: lambda y: f(y, 0.5, edge_order=2), label="dx,edge_order=2")
fn(
    "gradient",
    [A(S, U), A(S, distinct())],
    call=lambda f: lambda y, x: f(y, x, edge_order=2),
    label="coordinates",
    diff_argnums=(0,),
)
fn("kron", [A((2, 3), U), A((2, 2), U)])
fn("kron", [A((2,), U), A((2, 3), U)], label="1d,2d")
fn("cross", [A((4, 3), U), A((4, 3), U)])
fn(
    "cross",
    [A((4, 3), U), A((3,), U)],
    call=lambda f: lambda a, b: f(a, b, axisa=-1, axisc=0),
    label="axisc=0",
)
fn("matrix_transpose", [A((2, 3, 4), U)])
fn("matvec", [A((2, 3, 4), U), A((4,), U)])
fn("vecmat", [A((4,), U), A((2, 4, 3), U)])
fn("vecdot", [A(X, U), A((4,), U)])
fn("trapezoid", [A(X, U)])
fn("trapezoid", [A(S, U), A(S, distinct())], label="x", diff_argnums=(0,))
fn("unwrap", [A(S, uniform(-3, 3))], call=lambda f: lambda p: f(p * 2.0), order=1)

# ----------------------------------------------------------------------------- statistics

fn("median", [A(X, distinct())], order=1, dtypes=BOTH)
fn(
    "median",
    [A(X, distinct())],
    call=lambda f: lambda a: f(a, axis=1, keepdims=True),
    label="axis=1,keepdims",
    order=1,
)
for _method in (
    "linear",
    "lower",
    "higher",
    "nearest",
    "midpoint",
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
):
    fn(
        "quantile",
        [A(X, distinct())],
        call=lambda f, m=_method: lambda a: f(a, np.array([0.1, 0.5, 0.85]), axis=1, method=m),
        label=_method,
        order=1,
    )
fn(
    "quantile",
    [A(X, distinct()), A((), uniform(0.05, 0.95))],
    label="traced_q",
    order=1,
    diff_argnums=(0,),
)
fn("percentile", [A(X, distinct())], call=lambda f: lambda a: f(a, 30.0, axis=0), order=1)
fn("nanmedian", [A(X, distinct())], call=lambda f: lambda a: f(a, axis=0), order=1)
fn("nanquantile", [A(X, distinct())], call=lambda f: lambda a: f(a, [0.2, 0.7], axis=1), order=1)
fn("nanpercentile", [A(X, distinct())], call=lambda f: lambda a: f(a, 40.0), order=1)
_NAN_X = fixed(
    np.array([[1.0, np.nan, 2.0, 0.5], [np.nan, np.nan, np.nan, np.nan], [3.0, -1.0, np.nan, 2.5]])
)
for _name in ("nanmedian", "nanquantile", "nanpercentile"):
    _q = {"nanmedian": (), "nanquantile": (0.3,), "nanpercentile": (30.0,)}[_name]
    fn(
        _name,
        [A(X, _NAN_X)],
        call=lambda f, q=_q: lambda a: f(a, *q, axis=1),
        label="nan",
        order=0,
        diff_argnums=(),
    )
for _name, _order in (
    ("nansum", 2),
    ("nanprod", 2),
    ("nanmean", 2),
    ("nanvar", 2),
    ("nanstd", 2),
    ("nanmax", 1),
    ("nanmin", 1),
    ("nanargmax", 0),
    ("nanargmin", 0),
    ("nancumsum", 2),
    ("nancumprod", 2),
):
    fn(_name, [A(X, distinct(0.2))], call=lambda f: lambda a: f(a, axis=1), order=_order)
    fn(
        _name,
        [A(X, _NAN_X)],
        call=lambda f: lambda a: f(a, axis=0),
        label="nan",
        order=0,
        diff_argnums=(),
    )
fn("cumulative_sum", [A(X, U)], call=lambda f: lambda a: f(a, axis=1, include_initial=True))
fn("cumulative_prod", [A(S, nonzero(0.5, 1.5))])
fn("average", [A(X, U), A((4,), positive())], call=lambda f: lambda a, w: f(a, 1, w))
fn(
    "average",
    [A(X, U), A(X, positive())],
    call=lambda f: lambda a, w: f(a, None, w, True),
    label="returned",
)
fn("ptp", [A(X, distinct())], call=lambda f: lambda a: f(a, axis=1), order=1)
fn("cov", [A(X, U)], dtypes=BOTH)
fn("cov", [A(X, U)], call=lambda f: lambda m: f(m, rowvar=False, bias=True), label="columns,bias")
fn(
    "cov",
    [A(X, U), A((4,), positive())],
    call=lambda f: lambda m, w: f(m, aweights=w),
    label="aweights",
)
fn("corrcoef", [A(X, U)])
fn("corrcoef", [A(S, U), A(S, U)], label="x,y")
fn("count_nonzero", [A(X, small_integers())], call=lambda f: lambda a: f(a, axis=0), order=0)
fn(
    "bincount",
    [A((7,), ints(0, 4)), A((7,), U)],
    call=lambda f: lambda x, w: f(x, w, length=5),
    reference=lambda x, w: np.bincount(x, w, minlength=5),
)
fn(
    "bincount",
    [A((7,), ints(0, 4))],
    call=lambda f: lambda x: f(x, length=3),
    label="counts",
    reference=lambda x: np.bincount(x, minlength=3)[:3],
)
_EDGES = np.array([-2.0, -0.5, 0.0, 0.7, 2.0])
fn("histogram", [A((9,), U)], call=lambda f: lambda a: f(a, bins=_EDGES), order=0)
fn(
    "histogram",
    [A((9,), U), A((9,), positive())],
    call=lambda f: lambda a, w: f(a, bins=_EDGES, weights=w, density=True),
    label="weights,density",
    diff_argnums=(1,),
)
fn("histogram_bin_edges", [A((9,), distinct())], call=lambda f: lambda a: f(a, 4), order=1)
fn(
    "histogram2d",
    [A((9,), U), A((9,), U)],
    call=lambda f: lambda x, y: f(x, y, bins=[_EDGES, _EDGES[1:]]),
    order=0,
)
fn("histogramdd", [A((9, 2), U)], call=lambda f: lambda s: f(s, bins=[_EDGES, _EDGES]), order=0)
fn(
    "interp",
    [A((7,), uniform(-2.5, 2.5)), A(S, distinct()), A(S, U)],
    call=lambda f: (
        lambda x, xp, fp: f(x, (np.sort if isinstance(xp, np.ndarray) else fnp.sort)(xp), fp)
    ),
    order=1,
)
fn(
    "interp",
    [A((7,), uniform(-3, 3)), A(S, U)],
    call=lambda f: lambda x, fp: f(x, np.linspace(-2, 2, 5), fp, left=-9.0, right=9.0),
    label="left,right",
    order=1,
)

# ----------------------------------------------------------------------------- size-dependent

fn(
    "nonzero",
    [A(X, small_integers(0, 2))],
    call=lambda f: lambda a: f(a, size=8, fill_value=-1),
    reference=lambda a: tuple(_fit(i, 8, -1) for i in np.nonzero(a)),
    order=0,
)
fn(
    "flatnonzero",
    [A(X, small_integers(0, 2))],
    call=lambda f: lambda a: f(a, size=5),
    reference=lambda a: _fit(np.flatnonzero(a), 5),
    order=0,
)
fn(
    "argwhere",
    [A(X, small_integers(0, 2))],
    call=lambda f: lambda a: f(a, size=6),
    reference=lambda a: _fit(np.argwhere(a), 6),
    order=0,
)
fn(
    "extract",
    [A(X, bools()), A(X, U)],
    call=lambda f: lambda c, a: f(c, a, size=5, fill_value=0.5),
    reference=lambda c, a: _fit(np.extract(c, a), 5, 0.5),
)
fn(
    "compress",
    [A(X, U)],
    call=lambda f: lambda a: f(np.array([True, False, True]), a, axis=0),
    reference=lambda a: np.compress([True, False, True], a, axis=0),
)
fn(
    "compress",
    [A((3,), bools()), A(X, U)],
    call=lambda f: lambda c, a: f(c, a, axis=0, size=2, fill_value=0.0),
    label="size",
    reference=lambda c, a: _fit(np.compress(c, a, axis=0), 2, 0.0),
)
_UX = small_integers(-2, 3)
fn(
    "unique",
    [A((8,), _UX)],
    call=lambda f: lambda a: f(a, size=8, fill_value=9.0),
    reference=lambda a: _fit(np.unique(a), 8, 9.0),
    order=0,
    diff_argnums=(),
)


def _unique_all_ref(a, size=8):
    v, i, inv, c = np.unique(a, True, True, True)
    return _fit(v, size, v.min()), _fit(i, size), inv, _fit(c, size)


fn(
    "unique",
    [A((8,), ints(-2, 3))],
    call=lambda f: lambda a: f(a, True, True, True, size=8),
    label="all",
    reference=_unique_all_ref,
)
fn(
    "unique",
    [A((8,), distinct())],
    call=lambda f: lambda a: f(a, size=8),
    label="distinct",
    reference=np.unique,
    order=1,
)


def _unique_ref(name):
    """NumPy's array-API unique result, sorted as ``numpy.unique`` (newer NumPy may return
    the values in any order) and fitted to 8 entries."""

    def ref(a):
        values, index, inverse, counts = np.unique(a, True, True, True)
        fields = {
            "values": _fit(values, 8, values.min()),
            "indices": _fit(index, 8),
            "inverse_indices": inverse.reshape(a.shape),
            "counts": _fit(counts, 8),
        }
        if name == "unique_values":
            return fields["values"]
        kind = type(getattr(np, name)(a))
        return kind(*[fields[f] for f in kind._fields])

    return ref


for _name in ("unique_all", "unique_counts", "unique_inverse", "unique_values"):
    fn(
        _name,
        [A((2, 4), ints(-2, 3))],
        call=lambda f: lambda a: f(a, size=8),
        reference=_unique_ref(_name),
    )
fn("isin", [A(X, ints(0, 6)), A((3,), ints(0, 6))])
fn(
    "isin",
    [A(X, ints(0, 6)), A((3,), ints(0, 6))],
    call=lambda f: lambda a, b: f(a, b, invert=True),
    label="invert",
)
for _name, _fill in (("union1d", "min"), ("intersect1d", "min"), ("setdiff1d", 0), ("setxor1d", 0)):

    def _set_ref(a, b, name=_name, fill=_fill):
        v = getattr(np, name)(a, b)
        return _fit(v, 6, (v.min() if v.size else 0) if fill == "min" else fill)

    fn(
        _name,
        [A((5,), ints(0, 6)), A((4,), ints(0, 6))],
        call=lambda f: lambda a, b: f(a, b, size=6),
        reference=_set_ref,
    )


def _intersect_ref(a, b):
    v, i, j = np.intersect1d(a, b, return_indices=True)
    return _fit(v, 4, v.min() if v.size else 0), _fit(i, 4), _fit(j, 4)


fn(
    "intersect1d",
    [A((5,), ints(0, 6)), A((4,), ints(0, 6))],
    call=lambda f: lambda a, b: f(a, b, return_indices=True, size=4),
    label="return_indices",
    reference=_intersect_ref,
)

# ----------------------------------------------------------------------------- polynomials

for _mode in ("full", "same", "valid"):
    fn(
        "convolve",
        [A(S, U), A((3,), U)],
        call=lambda f, m=_mode: lambda a, v: f(a, v, m),
        label=_mode,
    )
    fn(
        "correlate",
        [A(S, U), A((3,), U)],
        call=lambda f, m=_mode: lambda a, v: f(a, v, m),
        label=_mode,
    )
fn("convolve", [A((2,), U), A(S, U)], label="short_first")
fn(
    "correlate",
    [A((2,), U), A(S, U)],
    call=lambda f: lambda a, v: f(a, v, "full"),
    label="short_first",
)
fn("polyval", [A((4,), U), A(X, U)], dtypes=BOTH)
fn("polyadd", [A((4,), U), A((2,), U)])
fn("polysub", [A((2,), U), A((4,), U)])
fn("polymul", [A((3,), U), A((2,), U)])
fn("polyder", [A(S, U)], call=lambda f: lambda p: f(p, 2))
fn("polyint", [A((3,), U)], call=lambda f: lambda p: f(p, 2, [1.0, 2.0]))
fn("polydiv", [A(S, U), A((3,), nonzero())])
fn("poly", [A((3,), U)])
fn("polyfit", [A(S, distinct()), A(S, U)], call=lambda f: lambda x, y: f(x, y, 2))
fn("vander", [A((4,), U)], call=lambda f: lambda x: f(x, 3))
fn("vander", [A((4,), U)], call=lambda f: lambda x: f(x, increasing=True), label="increasing")
fn(
    "roots",
    [A((), U)],
    call=lambda f: lambda x: sorted(np.round(np.asarray(f(np.array([1.0, -3.0, 2.0]))).real, 9)),
    meta=True,
)
for _name in ("bartlett", "blackman", "hamming", "hanning"):
    fn(_name, [], call=lambda f: lambda: f(6))
fn("kaiser", [A((), positive(1.0, 5.0))], call=lambda f: lambda b: f(6, b))

# ----------------------------------------------------------------------------- selection

fn(
    "choose",
    [A(X, ints(0, 3)), A(X, U), A((4,), U), A(X, U)],
    call=lambda f: lambda i, a, b, c: f(i, [a, b, c]),
)
fn(
    "choose",
    [A(X, ints(-1, 5)), A(X, U), A(X, U)],
    call=lambda f: lambda i, a, b: f(i, [a, b], mode="clip"),
    label="clip",
)
fn("select", [A(X, U), A(X, U)], call=lambda f: lambda x, y: f([x > 0.5, x < -0.5], [x, y], -1.0))
fn(
    "piecewise",
    [A(X, nonzero())],
    call=lambda f: lambda x: f(x, [x < 0, x > 1], [lambda v: -v, lambda v: v * v, 7.0]),
    order=1,
)
fn(
    "put",
    [A(X, U), A((3,), U)],
    call=lambda f: lambda a, v: f(a, [0, 5, 11], v),
    reference=lambda a, v: _functional(np.put)(a, [0, 5, 11], v),
)
fn(
    "put",
    [A(X, U), A((2,), U)],
    call=lambda f: lambda a, v: f(a, [1, 14], v, mode="wrap"),
    label="wrap",
    reference=lambda a, v: _functional(np.put)(a, [1, 14], v, mode="wrap"),
)
_MASK = np.array(
    [[True, False, True, False], [False, False, True, True], [True, False, False, False]]
)
fn(
    "place",
    [A(X, U), A((2,), U)],
    call=lambda f: lambda a, v: f(a, _MASK, v),
    reference=lambda a, v: _functional(np.place)(a, _MASK, v),
)
_PIDX = np.array([[1], [3], [0]])
fn(
    "put_along_axis",
    [A(X, U), A((3, 1), U)],
    call=lambda f: lambda a, v: f(a, _PIDX, v, 1),
    reference=lambda a, v: _functional(np.put_along_axis)(a, _PIDX, v, 1),
)
fn("unravel_index", [A((5,), ints(0, 12))], call=lambda f: lambda i: f(i, (3, 4)))
fn(
    "ravel_multi_index",
    [A((5,), ints(0, 3)), A((5,), ints(0, 4))],
    call=lambda f: lambda i, j: f((i, j), (3, 4)),
)
fn(
    "ravel_multi_index",
    [A((5,), ints(-2, 6)), A((5,), ints(0, 4))],
    call=lambda f: lambda i, j: f((i, j), (3, 4), mode=("wrap", "clip"), order="F"),
    label="wrap,clip,F",
)
fn("ix_", [A((2,), ints(0, 3)), A((3,), ints(0, 4))])
fn("indices", [], call=lambda f: lambda: f((2, 3)))
fn("fromfunction", [], call=lambda f: lambda: f(lambda i, j: i * 10 + j, (2, 3)))
fn("apply_along_axis", [A(X, U)], call=lambda f: lambda a: f(lambda r: fnp.sum(r * r), 1, a))
fn(
    "apply_along_axis",
    [A(X, U)],
    call=lambda f: lambda a: f(lambda r: r[::-1] * 2.0, 0, a),
    label="vector_out",
)
fn(
    "apply_over_axes",
    [A((2, 3, 4), U)],
    call=lambda f: lambda a: f(fnp.sum if f is fnp.apply_over_axes else np.sum, a, [0, 2]),
)
fn(
    "vectorize",
    [A((2, 3), U), A((3,), U)],
    call=lambda f: lambda a, b: f(lambda x, y: fnp.sum(x * y), signature="(n),(n)->()")(a, b),
)
fn(
    "vectorize",
    [A((2, 3), U)],
    call=lambda f: lambda a: f(lambda x: fnp.sin(x) * 2.0)(a),
    label="elementwise",
)
fn("packbits", [A(X, bools())], call=lambda f: lambda a: f(a, axis=1))
fn(
    "packbits",
    [A((11,), ints(0, 2))],
    call=lambda f: lambda a: f(a, bitorder="little"),
    label="little",
)
fn("unpackbits", [A((4,), ints(0, 256, np.uint8))], call=lambda f: lambda a: f(a, count=13))
fn("logspace", [A((), U), A((), U)], call=lambda f: lambda a, b: f(a, b, 4))
fn(
    "geomspace",
    [A((), positive()), A((), positive(3.0, 5.0))],
    call=lambda f: lambda a, b: f(a, b, 4),
)

# ----------------------------------------------------------------------------- dtypes, meta

fn("finfo", [A(X, U)], call=lambda f: lambda x: float(f(x.dtype).eps), meta=True, dtypes=BOTH)
fn("iinfo", [A(X, ints())], call=lambda f: lambda x: int(f(x.dtype).max), meta=True)
fn("issubdtype", [A(X, U)], call=lambda f: lambda x: f(x.dtype, np.floating), meta=True)
fn("can_cast", [A(X, U)], call=lambda f: lambda x: f(x.dtype, np.float32), meta=True)
fn("promote_types", [A(X, U)], call=lambda f: lambda x: f(x.dtype, np.int64), meta=True)
fn("isdtype", [A(X, U)], call=lambda f: lambda x: f(x.dtype, "real floating"), meta=True)
fn("broadcast_shapes", [A(X, U)], call=lambda f: lambda x: f(x.shape, (2, 1, 1)), meta=True)
fn("iterable", [A(X, U)], meta=True)
fn(
    "einsum_path",
    [A(X, U), A((4, 2), U)],
    call=lambda f: lambda a, b: f("ij,jk->ik", a, b)[0],
    meta=True,
)
fn("array_repr", [A((), U)], call=lambda f: lambda x: f(np.arange(3.0)), meta=True)
fn("array_str", [A((), U)], call=lambda f: lambda x: f(np.arange(3.0)), meta=True)
fn("get_printoptions", [A((), U)], call=lambda f: lambda x: f()["precision"], meta=True)
fn("set_printoptions", [A((), U)], call=lambda f: lambda x: f(precision=8), meta=True)
fn("printoptions", [A((), U)], call=lambda f: lambda x: type(f(precision=3)).__name__, meta=True)


def _roundtrip(save, load):
    buf = io.BytesIO()
    save(buf, np.arange(3.0))
    buf.seek(0)
    return np.asarray(load(buf)).tolist()


fn("save", [A((), U)], call=lambda f: lambda x: _roundtrip(f, np.load), meta=True)
fn("load", [A((), U)], call=lambda f: lambda x: _roundtrip(np.save, f), meta=True)
fn(
    "savez",
    [A((), U)],
    call=lambda f: lambda x: _roundtrip(lambda b, a: f(b, a=a), lambda b: np.load(b)["a"]),
    meta=True,
)
fn("frombuffer", [A((), U)], call=lambda f: lambda x: f(b"\x01\x02", np.uint8).tolist(), meta=True)
fn("fromstring", [A((), U)], call=lambda f: lambda x: f("1 2", sep=" ").tolist(), meta=True)
fn("fromiter", [A((), U)], call=lambda f: lambda x: f(range(3), float).tolist(), meta=True)
fn(
    "fromfile",
    [A((), U)],
    call=lambda f: lambda x: f(_tmpfile(), dtype=np.uint8).tolist(),
    meta=True,
)
fn("from_dlpack", [A((), U)], call=lambda f: lambda x: f(np.arange(2.0)).tolist(), meta=True)
fn(
    "frompyfunc",
    [A((), U)],
    call=lambda f: (
        lambda x: np.asarray(
            f(lambda a, b: a + b, nin=2, nout=1).outer(np.arange(2.0), np.arange(2.0))
        ).tolist()
    ),
    meta=True,
)


def _tmpfile():
    import tempfile

    handle = tempfile.NamedTemporaryFile(delete=False)
    handle.write(b"\x01\x02")
    handle.close()
    return handle.name
