"""The primitives of ftrans, one module per family; each primitive stands with all its rules.

Importing this package registers every primitive in :data:`ftrans.core.PRIMITIVES`.
"""

from ftrans.primitives import (  # noqa: F401  (imported for registration)
    dot,
    elementwise,
    indexing,
    reductions,
    shape,
)
