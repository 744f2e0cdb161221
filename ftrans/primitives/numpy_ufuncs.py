"""Elementwise primitives behind a few NumPy functions that arithmetic on the existing
primitives cannot express exactly: bit-level float ops (``signbit``, ``nextafter``) and integer
ones (``gcd``, ``lcm``, ``bitwise_count``), and C's ``fmod``.

All but ``fmod`` are piecewise constant or integer valued (a symbolic zero JVP); each runs
NumPy's ufunc, batches elementwise and lowers to the same ufunc under ``jit``.
"""

from __future__ import annotations

import numpy as np

from ftrans.primitives.elementwise import binary, div, mul, neg, trunc, unary

signbit_p = unary("signbit", np.signbit, out_dtype=np.bool_)
signbit = signbit_p.bind

nextafter_p = binary("nextafter", np.nextafter)
nextafter = nextafter_p.bind

gcd_p = binary("gcd", np.gcd)
gcd = gcd_p.bind

lcm_p = binary("lcm", np.lcm)
lcm = lcm_p.bind

bitwise_count_p = unary("bitwise_count", np.bitwise_count, out_dtype=np.uint8)
bitwise_count = bitwise_count_p.bind

# C's fmod (the remainder takes the dividend's sign): d/dx = 1, d/dy = -trunc(x / y).
fmod_p = binary(
    "fmod",
    np.fmod,
    lambda t, x, y, out: t,
    lambda t, x, y, out: neg(mul(t, trunc(div(x, y)))),
)
fmod = fmod_p.bind
