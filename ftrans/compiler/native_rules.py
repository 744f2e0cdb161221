"""What a primitive says about its native (numba) lowering, registered beside the primitive.

A primitive module states one of three things next to its other rules:

* ``native_elementwise(p, template)``: an elementwise primitive, as a scalar expression
  (``"np.sin({0})"``); the native backend places it inside a fused loop nest.
* ``@native_rule(p)`` on ``rule(g, eqn, *values, **params)``: anything else, written against the
  generator ``g`` of ``ftrans.compiler.native.codegen`` (index maps, loops, sub-programs).
* ``numpy_only(reason, p, ...)``: a deliberate choice; an equation of ``p`` runs its NumPy
  lowering at a boundary inside the native program.

This module imports nothing from ftrans, so the primitive modules can import it.
"""

from __future__ import annotations

__all__ = [
    "NATIVE_RULES",
    "NUMPY_ONLY",
    "RUN_NUMPY",
    "SETTINGS",
    "NativeUnsupported",
    "native_elementwise",
    "native_rule",
    "numpy_only",
]

#: primitive name -> ``rule(g, eqn, *values, **params) -> value or list of values``
NATIVE_RULES: dict = {}
#: primitive name -> why it has no native rule (its equations call the NumPy lowering)
NUMPY_ONLY: dict[str, str] = {}


#: the message of a LinAlgError that native code raises to have this call run the NumPy code
#: instead (an input the native rule cannot take at run time: numba's np.linalg refuses
#: non-finite matrices, where NumPy returns NaNs)
RUN_NUMPY = "ftrans native: this call runs the NumPy code"


class NativeSettings:
    """How native code is generated, read by the rules and the backend when a program is
    compiled; ``ft.config.update("native_fast_math", ...)`` writes it (this module sits below
    the primitives, so their templates can read it without importing ``ftrans.config``)."""

    __slots__ = ("fast_math",)

    def __init__(self) -> None:
        #: vectorised exp/log/sin/... kernels (within 4 ulp of NumPy) instead of libm's
        self.fast_math = True


SETTINGS = NativeSettings()


class NativeUnsupported(Exception):
    """A case a native rule does not compile (the equation runs its NumPy lowering instead)."""


def _name(p) -> str:
    return p if isinstance(p, str) else p.name


def native_rule(*primitives):
    """Register the decorated ``rule(g, eqn, *values, **params)`` as the native lowering of each."""

    def register(rule):
        for p in primitives:
            NATIVE_RULES[_name(p)] = rule
        return rule

    return register


def native_elementwise(primitive, template) -> None:
    """An elementwise primitive as a scalar expression: a format string over the operands
    (``"({0} + {1})"``) or ``template(operands, dtype) -> str``."""

    def rule(g, eqn, *values, **params):
        return g.elementwise(eqn, template, values)

    rule.template = template
    NATIVE_RULES[_name(primitive)] = rule


def numpy_only(reason: str, *primitives) -> None:
    """Mark primitives whose equations run their NumPy lowering inside native programs."""
    for p in primitives:
        NUMPY_ONLY[_name(p)] = reason
