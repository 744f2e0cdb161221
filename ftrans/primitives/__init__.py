"""The primitives of ftrans, one module per family; each primitive stands with all its rules.

Importing this package registers every primitive in `ftrans.core.PRIMITIVES`.
"""

from ftrans.core import PRIMITIVES as _PRIMITIVES
from ftrans.primitives import (  # noqa: F401  (imported for registration)
    bits,
    collectives,
    conv,
    dot,
    dynamic,
    eig,
    elementwise,
    fft,
    indexing,
    linalg,
    linalg_lu,
    numpy_ufuncs,
    reductions,
    shape,
    sorting,
    special,
)

#: Names of the primitives ftrans itself defines (user-made primitives register in
#: ``ftrans.core.PRIMITIVES`` too, but the registry test covers only these).
BUILTIN = frozenset(_PRIMITIVES)
