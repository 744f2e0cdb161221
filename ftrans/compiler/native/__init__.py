"""The native backend: a jaxpr becomes one numba-compiled function (``jit(f, backend="native")``).

The generator walks the program once and keeps every value in one of three forms:

* **scalars**: an array of at most ``SMALL`` elements (an ODE state, a rank-0 value) as one
  scalar variable per element; operations on it are unrolled scalar statements, so a loop
  step over such values allocates nothing;
* **array**: a C-contiguous numba array (an input, a constant, a computed buffer);
* **lazy**: not computed yet, only a function from an index to a scalar expression. Elementwise
  operations, broadcasts, slices, transposes, reshapes, padding and concatenation build lazy
  values (broadcasting is index arithmetic), so a fused chain becomes ONE loop nest over its
  output shape with a scalar expression inside and no intermediate arrays. A lazy value is
  computed (into scalars or a buffer) when it is used twice, read by a reduction, product or
  loop, or returned. A large top-level value used twice is *stored* (``codegen.Stored``): the
  first loop nest that reads it at its own index also writes its buffer, so one pass writes
  several outputs (an Adam step's moments and parameters).

Reductions are loops accumulating in a scalar (unrolled when short; one vector pass over the
operand when the last axis is kept), ``dot_general`` is loops
for small sizes and BLAS on 2-D contiguous operands for large ones (NumPy's own BLAS through
``blas``, where it is found, else numba's ``np.dot``), and ``scan``,
``while``, ``cond`` and nested programs are inlined: native loops and branches whose carries
are scalar variables or preallocated buffers. Buffers needed inside a loop are allocated once
before the outermost loop. An equation whose primitive has no native rule (or whose rule
declines the case) runs its NumPy lowering at a boundary: the program splits there into
native segments chained by Python (``segments`` in ``compile_native``'s result).

The rules live beside their primitives (``ftrans.compiler.native_rules``). This package holds
the generator (``codegen``), the compile and cache machinery (``compile``) and the choice
between backends with tiered compilation (``tiering``). Compiled functions are cached on disk
by numba (``cache=True``) under ``$FTRANS_CACHE_DIR`` (default ``~/.cache/ftrans/native``),
keyed by the generated source, so a program compiles once per machine, not once per process.
"""

from __future__ import annotations

from ftrans.compiler.native.codegen import PARALLEL_MIN, SMALL, Generator, available
from ftrans.compiler.native.compile import (
    NativeCompiled,
    cache_dir,
    compile_native,
    generate_native,
    threads,
)
from ftrans.compiler.native_rules import NATIVE_RULES, NUMPY_ONLY, NativeUnsupported

__all__ = [
    "NATIVE_RULES",
    "NUMPY_ONLY",
    "PARALLEL_MIN",
    "SMALL",
    "Generator",
    "NativeCompiled",
    "NativeUnsupported",
    "available",
    "cache_dir",
    "compile_native",
    "generate_native",
    "threads",
]
