"""Elementwise primitives behind a few NumPy functions that arithmetic on the existing
primitives cannot express exactly: ``signbit``, the integer ``gcd``, ``lcm`` and
``bitwise_count`` (NumPy's: the bits of the absolute value, unlike lax's ``population_count``),
and C's ``fmod``. ``nextafter`` is lax's primitive (``ftrans.primitives.bits``).

All but ``fmod`` are piecewise constant or integer valued (a symbolic zero JVP); each runs
NumPy's ufunc, batches elementwise and lowers to the same ufunc under ``jit``.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import native_elementwise, numpy_only
from ftrans.primitives.bits import nextafter  # noqa: F401  (one nextafter primitive: lax's)
from ftrans.primitives.elementwise import binary, div, mul, neg, trunc, unary

signbit_p = unary("signbit", np.signbit, out_dtype=np.bool_)
signbit = signbit_p.bind
native_elementwise(signbit_p, "np.signbit({0})")

gcd_p = binary("gcd", np.gcd)
gcd = gcd_p.bind
numpy_only("integer and bit operations: NumPy's kernels", gcd_p)

lcm_p = binary("lcm", np.lcm)
lcm = lcm_p.bind
numpy_only("integer and bit operations: NumPy's kernels", lcm_p)

bitwise_count_p = unary("bitwise_count", np.bitwise_count, out_dtype=np.uint8)
bitwise_count = bitwise_count_p.bind
numpy_only("integer and bit operations: NumPy's kernels", bitwise_count_p)

# C's fmod (the remainder takes the dividend's sign): d/dx = 1, d/dy = -trunc(x / y).
fmod_p = binary(
    "fmod",
    np.fmod,
    lambda t, x, y, out: t,
    lambda t, x, y, out: neg(mul(t, trunc(div(x, y)))),
)
fmod = fmod_p.bind
native_elementwise(fmod_p, "np.fmod({0}, {1})")
