"""The test registry (STYLE habit 5): one or more specs per primitive and per public
``ftrans.numpy`` function. ``test_registry.py`` runs every check over every spec, and fails when
a primitive or a function has no spec.

Specs live in :mod:`registry_primitives` and :mod:`registry_numpy`; the :class:`spec.Spec`
record and the argument samplers in :mod:`spec`.
"""

from __future__ import annotations

import types

import numpy as np

import ftrans  # noqa: F401  (registers every primitive)
import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES
from registry_numpy import SPECS as NUMPY_SPECS
from registry_primitives import SPECS as PRIMITIVE_SPECS
from spec import Spec

SPECS: list[Spec] = PRIMITIVE_SPECS + NUMPY_SPECS

_duplicates = sorted({s.name for s in SPECS if [t.name for t in SPECS].count(s.name) > 1})
if _duplicates:
    raise RuntimeError(f"registry: duplicate spec names {_duplicates}")

#: Public names of ftrans.numpy that are not functions to test (classes; the dtype aliases and
#: constants are filtered out by type).
NOT_FUNCTIONS = {"IndexUpdateHelper"}


def public_numpy_functions() -> list[str]:
    """Every public callable of ``ftrans.numpy`` except types (dtype aliases, classes)."""
    names = []
    for name in dir(fnp):
        obj = getattr(fnp, name)
        if name.startswith("_") or name in NOT_FUNCTIONS or isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, (type, np.dtype)) or not callable(obj):
            continue
        names.append(name)
    return sorted(names)


def specs_for(kind: str, target: str) -> list[Spec]:
    return [s for s in SPECS if s.kind == kind and s.target == target]


def primitive_names() -> list[str]:
    return sorted(PRIMITIVES)
