"""The test registry (STYLE habit 5): one or more specs per primitive and per public
``ftrans.numpy`` function. ``test_registry.py`` runs every check over every spec, and fails when
a primitive or a function has no spec.

Specs live in :mod:`registry_primitives` and :mod:`registry_numpy`; the :class:`spec.Spec`
record and the argument samplers in :mod:`spec`.
"""

from __future__ import annotations

import dataclasses
import types

import numpy as np
from registry_numpy import SPECS as NUMPY_SPECS
from registry_primitives import SPECS as PRIMITIVE_SPECS
from spec import Spec

import ftrans  # noqa: F401  (registers every primitive)
import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES

# ----------------------------------------------------------------------------- known library bugs
# {spec name: {check: reason}}: each becomes a strict xfail of that check for that spec, so the
# suite stays green while the bug is visible (and turns red once it is fixed: then delete the
# entry). Each reason names the faulty line and the fix.

BUG_LINSPACE_STEP = (
    "BUG: fnp.linspace(a, b, n, retstep=True) under a transform returns a step of shape (1,) "
    "for 0-d a, b (NumPy: shape ()): ftrans/numpy/_creation.py linspace computes the step from "
    "start/stop *after* expand_dims(-1). Fix: compute `step = (stop - start) / div` from the "
    "original start/stop before expanding them."
)
BUG_LINSPACE_DTYPE = (
    "BUG: fnp.linspace on float32 start/stop under a transform returns float64 (NumPy: "
    "float32): ftrans/numpy/_creation.py linspace multiplies by `steps = np.arange(num, "
    "dtype=np.float64) / ...`, a float64 array that promotes. Fix: cast steps to "
    "np.result_type(start_dtype, stop_dtype, 1.0) (a Python float *value* is weak, as in "
    "NumPy's own linspace; `float` the type is not)."
)
BUG_LOGADDEXP2_DTYPE = (
    "BUG: fnp.logaddexp2 on float32 inputs under a transform returns float64 (NumPy: float32): "
    "ftrans/numpy/_math.py logaddexp2 uses `ln2 = np.log(2.0)`, a np.float64 scalar, which is "
    "not weak and promotes. Fix: `ln2 = float(np.log(2.0))` (a Python float is weak)."
)
BUG_MESHGRID_TUPLE = (
    "BUG: fnp.meshgrid under a transform returns a list, eagerly np.meshgrid's tuple (NumPy 2 "
    "returns a tuple): the output pytree changes with tracing, so vjp with a cotangent shaped "
    "like the eager output fails ('cotangent has structure (*, *) but ... returned [*, *]'). "
    "ftrans/numpy/_creation.py meshgrid: `return out` -> `return tuple(out)`."
)
BUG_BROADCAST_ARRAYS_TUPLE = (
    "BUG: fnp.broadcast_arrays returns a list (eager `list(np.broadcast_arrays(...))` and "
    "traced) but NumPy 2 returns a tuple. ftrans/numpy/_shape.py broadcast_arrays: return "
    "tuple(...) on both paths."
)
BUG_SCATTER_0D_TRANSPOSE = (
    "BUG: transposing `scatter` w.r.t. its updates fails when the index arrays are 0-d "
    "(scatter(x[4], u[], 2, axes=(0,)); so x.at[1, 2].set(v), any set of a single element): "
    "ValueError 'setting an array element with a sequence'. ftrans/primitives/indexing.py "
    "_scatter_transpose passes `np.ascontiguousarray(numbers)`, which turns the 0-d array of "
    "update numbers into shape (1,). Fix: `np.array(numbers)` (a contiguous copy that keeps "
    "its shape)."
)
BUG_LOGADDEXP_NEG_INF = (
    "BUG: the derivative of logaddexp(x, y) w.r.t. an argument equal to -inf is exp(-out), "
    "not 0: ft.grad(lambda x: fnp.logaddexp(x, 1.0))(-np.inf) gives 0.3679 (= e^-1), central "
    "differences and the math give 0.0 (fnp.logaddexp2 inherits it). "
    "ftrans/primitives/elementwise.py _replace_inf selects on is_finite, so it replaces -inf "
    "(and nan) by 0 and exp(0 - out) survives. Fix: replace only +inf (select on x == +inf), "
    "so exp(-inf - out) = 0."
)
_SCATTER_0D = dict.fromkeys(("vjp", "traced", "order2", "jit"), BUG_SCATTER_0D_TRANSPOSE)
KNOWN_BUGS = {
    "prim:logaddexp[-inf]": {"jvp": BUG_LOGADDEXP_NEG_INF},
    "fnp:logaddexp[-inf]": {"jvp": BUG_LOGADDEXP_NEG_INF},
    "fnp:logaddexp2[-inf]": {"jvp": BUG_LOGADDEXP_NEG_INF},
    "prim:scatter[scalar_index]": {**_SCATTER_0D, "transpose": BUG_SCATTER_0D_TRANSPOSE},
    "fnp:at[scalar_x.set]": _SCATTER_0D,
    "fnp:at[1,2.set]": _SCATTER_0D,
    "fnp:linspace[retstep]": dict.fromkeys(
        ("value", "jvp", "order2", "vmap", "jit"), BUG_LINSPACE_STEP
    ),
    "fnp:linspace": {"float32": BUG_LINSPACE_DTYPE},
    "fnp:logaddexp2": {"float32": BUG_LOGADDEXP2_DTYPE},
    "fnp:meshgrid": dict.fromkeys(("value", "order2", "vmap", "jit"), BUG_MESHGRID_TUPLE),
    "fnp:meshgrid[ij]": dict.fromkeys(("value", "order2", "vmap", "jit"), BUG_MESHGRID_TUPLE),
    "fnp:broadcast_arrays": dict.fromkeys(("value", "jit"), BUG_BROADCAST_ARRAYS_TUPLE),
    "fnp:broadcast_arrays[scalar]": dict.fromkeys(("value", "jit"), BUG_BROADCAST_ARRAYS_TUPLE),
}


def _with_known_bugs(specs: list[Spec]) -> list[Spec]:
    names = {s.name for s in specs}
    stale = sorted(set(KNOWN_BUGS) - names)
    if stale:
        raise RuntimeError(f"registry: KNOWN_BUGS names specs that do not exist: {stale}")
    return [
        dataclasses.replace(s, xfail={**s.xfail, **KNOWN_BUGS[s.name]})
        if s.name in KNOWN_BUGS
        else s
        for s in specs
    ]


SPECS: list[Spec] = _with_known_bugs(PRIMITIVE_SPECS + NUMPY_SPECS)

_duplicates = sorted({s.name for s in SPECS if [t.name for t in SPECS].count(s.name) > 1})
if _duplicates:
    raise RuntimeError(f"registry: duplicate spec names {_duplicates}")


def public_numpy_functions() -> list[str]:
    """Every public callable of ``ftrans.numpy`` except types: dtype aliases, and the classes
    behind ``x.at[...]`` (IndexUpdateHelper, IndexUpdateRef), which the ``at`` specs cover."""
    names = []
    for name in dir(fnp):
        obj = getattr(fnp, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, (type, np.dtype)) or not callable(obj):
            continue
        names.append(name)
    return sorted(names)


def specs_for(kind: str, target: str) -> list[Spec]:
    return [s for s in SPECS if s.kind == kind and s.target == target]


def primitive_names() -> list[str]:
    return sorted(PRIMITIVES)
