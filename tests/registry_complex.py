"""Registry specs for complex numbers: the primitives ``real``, ``imag``, ``conj`` and
``complex``, complex operands of the other elementwise primitives, and ``ftrans.numpy``'s
complex functions (``real``, ``imag``, ``conj``, ``angle``, ``iscomplexobj``...).

Complex arguments are differentiable (``diff_argnums`` lists them explicitly); the checks draw
complex tangents and cotangents for them and pair complex values by ``Re(sum(a * b))``, the
bilinear pairing under which ftrans's (and JAX's) transposes are adjoints. Second-order checks
see a complex function as a real function of real and imaginary parts.
"""

from __future__ import annotations

import numpy as np
from spec import F64, Arg, Spec, fixed, uniform

import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES

SPECS: list[Spec] = []


def complex_uniform(lo: float = -2.0, hi: float = 2.0):
    """Real and imaginary parts uniform in [lo, hi]; complex128 for float64 (complex64 for
    float32)."""

    def sample(rng, shape, dtype):
        parts = rng.uniform(lo, hi, (2, *shape))
        return np.asarray(parts[0] + 1j * parts[1], np.result_type(dtype, np.complex64))

    return sample


def complex_away_from_zero(lo: float = 0.5, hi: float = 2.0):
    """Moduli in [lo, hi], any argument: away from 0 (a kink of abs, a pole of 1/z, log)."""

    def sample(rng, shape, dtype):
        r = rng.uniform(lo, hi, shape)
        theta = rng.uniform(-np.pi, np.pi, shape)
        return np.asarray(r * np.exp(1j * theta), np.result_type(dtype, np.complex64))

    return sample


def right_half_plane(lo: float = 0.3, hi: float = 2.0):
    """Real parts in [lo, hi]: away from the branch cut of log, sqrt and power (the negative
    real axis)."""

    def sample(rng, shape, dtype):
        re = rng.uniform(lo, hi, shape)
        im = rng.uniform(-hi, hi, shape)
        return np.asarray(re + 1j * im, np.result_type(dtype, np.complex64))

    return sample


Z = complex_uniform()
NONZERO = complex_away_from_zero()
RIGHT = right_half_plane()
U = uniform()


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


def _inexact(args) -> tuple[int, ...]:
    probe = [a.sample(np.random.default_rng(0), a.shape, F64) for a in args]
    return tuple(i for i, a in enumerate(probe) if np.issubdtype(np.asarray(a).dtype, np.inexact))


def prim(name, args, reference, *, params=None, label="complex", **options) -> None:
    """A spec calling ``PRIMITIVES[name].bind`` on complex operands."""
    primitive = PRIMITIVES[name]
    params = dict(params or {})

    def fun(*arrays):
        return primitive.bind(*arrays, **params)

    fun.__name__ = name
    options.setdefault("diff_argnums", _inexact(args))
    full = f"prim:{name}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(full, "primitive", name, fun, reference, tuple(args), **options))


def fn(target, args, *, call=None, label="complex", reference=None, **options) -> None:
    """A spec for ``fnp.<target>`` against ``np.<target>`` (or ``reference``) on complex data."""
    if call is None:

        def call(f):
            return lambda *a: f(*a)

    np_fn = reference if reference is not None else getattr(np, target)
    options.setdefault("diff_argnums", () if options.get("meta") else _inexact(args))
    full = f"fnp:{target}" + (f"[{label}]" if label else "")
    fun = call(getattr(fnp, target))
    SPECS.append(Spec(full, "numpy", target, fun, call(np_fn), tuple(args), **options))


# ----------------------------------------------------------------------------- new primitives

prim("real", [A((2, 3), Z)], np.real, label=None, linear_argnums=((0,),))
prim("real", [A((), Z)], np.real, label="scalar", linear_argnums=((0,),))
prim("imag", [A((2, 3), Z)], np.imag, label=None, linear_argnums=((0,),))
prim("conj", [A((2, 3), Z)], np.conj, label=None, linear_argnums=((0,),))


def _complex_reference(x, y):
    return x + 1j * y


prim(
    "complex",
    [A((2, 3), U), A((2, 3), U)],
    _complex_reference,
    label=None,
    linear_argnums=((0, 1),),
)
prim(
    "complex",
    [A((2, 3), U), A((3,), U)],
    _complex_reference,
    label="broadcast",
    linear_argnums=((0, 1),),
)
prim(
    "complex", [A((), U), A((2,), U)], _complex_reference, label="scalar", linear_argnums=((0, 1),)
)

# ----------------------------------------------------------------------------- complex operands

UNARY = [  # primitive, NumPy reference, sampler
    ("neg", np.negative, Z),
    ("exp", np.exp, Z),
    ("log", np.log, NONZERO),
    ("log1p", np.log1p, RIGHT),
    ("expm1", np.expm1, Z),
    ("sin", np.sin, Z),
    ("cos", np.cos, Z),
    ("tan", np.tan, complex_uniform(-1.0, 1.0)),
    ("sinh", np.sinh, Z),
    ("cosh", np.cosh, Z),
    ("tanh", np.tanh, complex_uniform(-1.0, 1.0)),
    ("sqrt", np.sqrt, RIGHT),
    ("abs", np.abs, NONZERO),
    ("sign", np.sign, NONZERO),
    ("conj", np.conj, Z),
]
for _name, _ref, _sampler in UNARY:
    _lin = ((0,),) if PRIMITIVES[_name].linear else ()
    if _name == "conj":
        continue  # registered above
    prim(_name, [A((2, 3), _sampler)], _ref, linear_argnums=_lin)

prim("integer_pow", [A((2, 3), Z)], lambda x: x**3, params={"y": 3})
prim("integer_pow", [A((2, 3), NONZERO)], lambda x: x**-2, params={"y": -2}, label="complex,y=-2")

BINARY = [  # primitive, reference, samplers
    ("add", np.add, (Z, Z)),
    ("sub", np.subtract, (Z, Z)),
    ("mul", np.multiply, (Z, Z)),
    ("div", np.true_divide, (Z, NONZERO)),
    ("pow", np.power, (RIGHT, Z)),
]
for _name, _ref, (_sx, _sy) in BINARY:
    _lin = ((0, 1),) if PRIMITIVES[_name].linear else ()
    prim(_name, [A((2, 3), _sx), A((2, 3), _sy)], _ref, linear_argnums=_lin)
    prim(
        _name, [A((2, 3), _sx), A((3,), _sy)], _ref, label="complex,broadcast", linear_argnums=_lin
    )


def _convert(dtype):
    def reference(x):
        x = np.asarray(x)
        return (x.real if np.dtype(dtype).kind != "c" else x).astype(dtype)

    return reference


prim(
    "convert_element_type",
    [A((2, 3), Z)],
    _convert(np.float64),
    params={"new_dtype": np.dtype(np.float64)},
    label="complex128->float64",
    linear_argnums=((0,),),
)
prim(
    "convert_element_type",
    [A((2, 3), U)],
    _convert(np.complex128),
    params={"new_dtype": np.dtype(np.complex128)},
    label="float64->complex128",
    diff_argnums=(0,),
    linear_argnums=((0,),),
)
prim(
    "select",
    [A((2, 3), fixed([[True, False, True], [False, False, True]])), A((2, 3), Z), A((2, 3), Z)],
    np.where,
    label="complex",
    linear_argnums=((1, 2),),
)
prim("reduce_sum", [A((2, 3), Z)], lambda x: x.sum(axis=1), params={"axes": (1,)})
prim(
    "dot_general",
    [A((2, 3), Z), A((3, 4), Z)],
    lambda a, b: a @ b,
    params={"dimension_numbers": (((1,), (0,)), ((), ()))},
)

# ----------------------------------------------------------------------------- ftrans.numpy


fn("real", [A((2, 3), Z)])
fn("imag", [A((2, 3), Z)])
fn("conj", [A((2, 3), Z)])
fn("conjugate", [A((2, 3), Z)])
fn("angle", [A((2, 3), NONZERO)])
fn("angle", [A((2, 3), NONZERO)], call=lambda f: lambda z: f(z, deg=True), label="complex,deg")
fn("angle", [A((2, 3), uniform())], label="real", order=0, diff_argnums=(0,))
fn("iscomplexobj", [A((2, 3), Z)], meta=True)
fn("iscomplexobj", [A((2, 3), U)], meta=True, label="real")
fn("abs", [A((2, 3), NONZERO)])
fn("absolute", [A((2, 3), NONZERO)])
fn("exp", [A((2, 3), Z)])
fn("log", [A((2, 3), NONZERO)])
fn("sqrt", [A((2, 3), RIGHT)])
fn("multiply", [A((2, 3), Z), A((3,), U)], label="complex*real")
fn("multiply", [A((2, 3), Z), A((), Z)], call=lambda f: lambda a, b: f(a, 2.0j), label="complex*2j")
fn("divide", [A((2, 3), U), A((2, 3), NONZERO)], label="real/complex")
fn("add", [A((2, 3), Z), A((2, 3), U)], label="complex+real")
fn("square", [A((2, 3), Z)])
fn("power", [A((2, 3), Z)], call=lambda f: lambda z: f(z, 3), label="complex,3")
fn("sum", [A((2, 3), Z)], call=lambda f: lambda z: f(z, axis=0), label="complex,axis=0")
fn("mean", [A((2, 3), Z)])
fn("matmul", [A((2, 3), Z), A((3, 2), Z)])
fn(
    "where",
    [A((2, 3), U), A((2, 3), Z), A((2, 3), Z)],
    call=lambda f: lambda c, a, b: f(c > 0, a, b),
)
fn("astype", [A((2, 3), U)], call=lambda f: lambda x: f(x, np.complex128), label="to_complex")
fn("vdot", [A((2, 3), Z), A((2, 3), Z)])
fn("var", [A((2, 3), Z)])
fn("var", [A((2, 3), Z)], call=lambda f: lambda z: f(z, axis=1, ddof=1), label="complex,axis=1")
fn("std", [A((3, 4), NONZERO)], call=lambda f: lambda z: f(z, axis=0), label="complex,axis=0")
