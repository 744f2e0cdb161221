"""The ``accuracy=`` argument of ``ftrans.lax``'s transcendental functions (JAX's
``lax.AccuracyMode`` and ``lax.Tolerance``), and the thirteen functions that take it.

JAX hands the requested accuracy to XLA, which may pick a faster or a more accurate kernel.
ftrans evaluates NumPy's functions (the platform's libm for float64, NumPy's own SIMD kernels
for some float32 loops, up to ~2 ulp off). ``AccuracyMode.HIGHEST`` or a ``Tolerance`` asks for
more: a float16/float32/complex64 operand is then converted to double precision, evaluated, and
rounded back (``convert_element_type`` around the primitive, so derivatives, ``vmap`` and
``jit`` are those of the composition). float64 operands are NumPy's function either way. The
measured errors are in the docs (``docs/guide/lax.md``, "Accuracy").
"""

from __future__ import annotations

import enum

import numpy as np

from ftrans.lax_wrappers import rsqrt as _rsqrt
from ftrans.primitives import elementwise as _ew


class AccuracyMode(enum.Enum):
    """Which implementation to prefer (JAX's enum): ``HIGHEST`` accuracy or the ``DEFAULT``.
    ftrans has one implementation of each function, so both give the same numbers."""

    HIGHEST = 1
    DEFAULT = 2


class Tolerance:
    """A requested error bound for a transcendental function, as ``jax.lax.Tolerance``: an
    absolute ``atol``, a relative ``rtol`` and/or ``ulps`` units in the last place (JAX documents
    at most two of them together). All must be non-negative and at least one positive.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.exp(np.array([0.0, 1.0]), accuracy=lax.Tolerance(rtol=1e-15))
        array([1.        , 2.71828183])
    """

    def __init__(self, atol: float = 0.0, rtol: float = 0.0, ulps: int = 0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0:
            raise ValueError(
                f"lax.Tolerance: tolerances must be non-negative, got atol={atol!r}, "
                f"rtol={rtol!r}, ulps={ulps!r}"
            )
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError(
                "lax.Tolerance: set at least one of atol, rtol or ulps to a positive value "
                "(all three are 0)"
            )
        self.atol = atol
        self.rtol = rtol
        self.ulps = ulps

    def __repr__(self) -> str:
        return f"Tolerance(atol={self.atol!r}, rtol={self.rtol!r}, ulps={self.ulps!r})"


def check_accuracy(name: str, accuracy) -> None:
    """Raise a ``TypeError`` unless ``accuracy`` is ``None``, an ``AccuracyMode`` or a
    ``Tolerance`` (JAX accepts nothing else either; it fails later, when lowering)."""
    if accuracy is None or isinstance(accuracy, (AccuracyMode, Tolerance)):
        return
    raise TypeError(
        f"lax.{name}: accuracy must be None, a lax.AccuracyMode (HIGHEST or DEFAULT) or a "
        f"lax.Tolerance(atol=, rtol=, ulps=), got {accuracy!r} of type "
        f"{type(accuracy).__name__}"
    )


#: the dtype a sub-64-bit operand is evaluated in when more accuracy is asked for
_WIDER = {
    np.dtype(np.float16): np.dtype(np.float64),
    np.dtype(np.float32): np.dtype(np.float64),
    np.dtype(np.complex64): np.dtype(np.complex128),
}


_DEFAULT, _MODE = AccuracyMode.DEFAULT, AccuracyMode


def _with_accuracy(name: str, fn, what: str):
    def op(x, *, accuracy: AccuracyMode | Tolerance | None = None):
        if accuracy is None or accuracy is _DEFAULT:
            return fn(x)
        if type(accuracy) is not _MODE and type(accuracy) is not Tolerance:
            check_accuracy(name, accuracy)
        wide = _WIDER.get(getattr(x, "dtype", None))  # arrays and tracers; scalars are float64
        if wide is None:
            return fn(x)
        dtype = x.dtype
        # NumPy's float32 kernels are up to ~2 ulp off; in float64 and rounded once, the
        # result is correctly rounded but for double rounding (<= 0.5 + 2**-29 ulp)
        return _ew.convert_element_type(
            fn(_ew.convert_element_type(x, new_dtype=wide)), new_dtype=dtype
        )

    op.__name__ = op.__qualname__ = name
    op.__module__ = "ftrans.lax"
    op.__doc__ = (
        f"Elementwise {what}, as ``jax.lax.{name}``. ``accuracy``: ``None`` or "
        "``AccuracyMode.DEFAULT`` is NumPy's function in the operand's dtype; "
        "``AccuracyMode.HIGHEST`` or any ``Tolerance`` evaluates float16/float32/complex64 "
        "operands in double precision and rounds once (float64 operands: NumPy's function, "
        "within about 1 ulp). Differentiable, batched and jitted either way."
    )
    return op


exp = _with_accuracy("exp", _ew.exp, "exponential e**x")
exp2 = _with_accuracy("exp2", _ew.exp2, "base-2 exponential 2**x")
expm1 = _with_accuracy("expm1", _ew.expm1, "e**x - 1 (accurate near 0)")
log = _with_accuracy("log", _ew.log, "natural logarithm")
log1p = _with_accuracy("log1p", _ew.log1p, "log(1 + x) (accurate near 0)")
tanh = _with_accuracy("tanh", _ew.tanh, "hyperbolic tangent")
logistic = _with_accuracy("logistic", _ew.logistic, "logistic sigmoid 1 / (1 + e**-x)")
sin = _with_accuracy("sin", _ew.sin, "sine")
cos = _with_accuracy("cos", _ew.cos, "cosine")
tan = _with_accuracy("tan", _ew.tan, "tangent")
sqrt = _with_accuracy("sqrt", _ew.sqrt, "square root")
rsqrt = _with_accuracy("rsqrt", _rsqrt, "reciprocal square root 1 / sqrt(x)")
cbrt = _with_accuracy("cbrt", _ew.cbrt, "cube root")

#: the functions that take ``accuracy=`` (JAX's list)
WITH_ACCURACY = (
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "tanh",
    "logistic",
    "sin",
    "cos",
    "tan",
    "sqrt",
    "rsqrt",
    "cbrt",
)
