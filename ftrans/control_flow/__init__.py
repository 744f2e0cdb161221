"""Structured control flow that every transformation understands.

``cond``/``switch`` (the ``cond`` primitive), ``scan``, ``while_loop`` and ``fori_loop`` are
primitives holding sub-programs (jaxprs), with rules for evaluation, JVP, partial evaluation,
transposition, batching and ``jit`` lowering (a Python loop around the compiled body).
"""

from ftrans.control_flow._common import (
    BranchMismatchError,
    CarryMismatchError,
    WhileLoopReverseError,
)
from ftrans.control_flow._cond import cond, cond_p, switch
from ftrans.control_flow._loops import fori_loop, scan, scan_p, while_loop, while_p

__all__ = [
    "BranchMismatchError",
    "CarryMismatchError",
    "WhileLoopReverseError",
    "cond",
    "cond_p",
    "fori_loop",
    "scan",
    "scan_p",
    "switch",
    "while_loop",
    "while_p",
]
