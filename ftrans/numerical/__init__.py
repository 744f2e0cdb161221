"""Finite differences, and the checkers that test ftrans's derivatives (and users' rules) with them.

Numerical differentiation is too slow and too inexact to train with, but it makes a good unit
test of automatic differentiation: along a random direction ``t`` from the unit ball,
``(f(x + eps t) - f(x - eps t)) / (2 eps)`` must agree with ``jvp(f, x, t)`` up to ``O(eps^2)``.
The finite differences here are plain NumPy arithmetic on eager evaluations of ``f``; the
checkers (`check_jvp`, `check_vjp`, `check_grads`) compare them with `ftrans.jvp` and
`ftrans.vjp` and raise an `AssertionError` that says what disagreed, where, and by how much.
"""

from __future__ import annotations

from ftrans.numerical._checks import check_grads, check_jvp, check_vjp
from ftrans.numerical._differences import (
    central_difference,
    forward_difference,
    numerical_grad,
    numerical_jacobian,
    numerical_jvp,
)

__all__ = [
    "central_difference",
    "check_grads",
    "check_jvp",
    "check_vjp",
    "forward_difference",
    "numerical_grad",
    "numerical_jacobian",
    "numerical_jvp",
]
