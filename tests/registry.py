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
from registry_collectives import SPECS as COLLECTIVE_SPECS
from registry_complex import SPECS as COMPLEX_SPECS
from registry_control import SPECS as CONTROL_SPECS
from registry_fft import SPECS as FFT_SPECS
from registry_lax import SPECS as LAX_SPECS
from registry_linalg import SPECS as LINALG_SPECS
from registry_nn import SPECS as NN_SPECS
from registry_numpy import SPECS as NUMPY_SPECS
from registry_numpy_extra import SPECS as NUMPY_EXTRA_SPECS
from registry_optim import SPECS as OPTIM_SPECS
from registry_primitives import SPECS as PRIMITIVE_SPECS
from registry_scipy_linalg import SPECS as SCIPY_LINALG_SPECS
from registry_special import SPECS as SPECIAL_SPECS
from spec import Spec

import ftrans  # noqa: F401  (registers every primitive)
import ftrans.numpy as fnp
from ftrans.primitives import BUILTIN

# ----------------------------------------------------------------------------- known library bugs
# {spec name: {check: reason}}: each becomes a strict xfail of that check for that spec, so the
# suite stays green while the bug is visible (and turns red once it is fixed: then delete the
# entry). Each reason names the faulty line and the fix.

KNOWN_BUGS: dict[str, dict[str, str]] = {}


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


SPECS: list[Spec] = _with_known_bugs(
    PRIMITIVE_SPECS
    + NUMPY_SPECS
    + COMPLEX_SPECS
    + CONTROL_SPECS
    + FFT_SPECS
    + LINALG_SPECS
    + SPECIAL_SPECS
    + LAX_SPECS
    + SCIPY_LINALG_SPECS
    + NUMPY_EXTRA_SPECS
    + NN_SPECS
    + OPTIM_SPECS
    + COLLECTIVE_SPECS
)

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
    return sorted(BUILTIN)  # user-made primitives (docs, tests) register too; not ours
