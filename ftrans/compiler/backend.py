"""Which backend compiles a jitted program: NumPy code, native code (numba), or a choice.

* ``"numpy"``: generated Python calling NumPy (always available).
* ``"native"``: the program compiled by numba (``ftrans.compiler.native``); equations
  without a native rule run their NumPy lowering between native segments, and a program with
  no native part runs the NumPy code, with the reason recorded.
* ``"auto"`` (the default; without numba it is ``"numpy"``): native code where it pays, see
  ``native_pays``.

Native compilation is tiered: the first calls run the NumPy code while numba compiles in a
background thread, and the native function takes over once ready (``set_native_sync(True)``
compiles before the first call instead, which tests use).
"""

from __future__ import annotations

import threading

from ftrans.core import ClosedJaxpr

BACKENDS = ("numpy", "native", "auto")
_state = {"default": "auto", "sync": False}

#: arrays at most this many elements count as small for "auto"
SMALL = 4096
#: "auto" compiles straight-line programs natively from this many equations on
AUTO_MIN_EQNS = 8
#: ... and no program with more (loop bodies counted once)
AUTO_MAX_EQNS = 1500


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"jit backend must be one of {BACKENDS}, got {name!r}")
    return name


def set_default_backend(name: str) -> None:
    """The backend of programs that do not choose one (``jit(f, backend=...)``)."""
    _state["default"] = check_backend(name)


def default_backend() -> str:
    return _state["default"]


def set_native_sync(sync: bool) -> None:
    """Compile native code before the first call (True) or in the background (False)."""
    _state["sync"] = bool(sync)


def native_pays(closed: ClosedJaxpr) -> bool:
    """The ``"auto"`` choice: native code for programs on small arrays (every value at most
    ``SMALL`` elements) that loop or run at least ``AUTO_MIN_EQNS`` operations, where
    NumPy's per-call cost dominates; NumPy code for large arrays (NumPy's SIMD loops, BLAS,
    LAPACK and FFT calls gain nothing) and for programs past ``AUTO_MAX_EQNS`` equations
    (numba's compile time grows faster than the program)."""
    count, loops = 0, False
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        for eqn in jaxpr.eqns:
            count += 1
            for v in (*eqn.inputs, *eqn.outputs):
                aval = getattr(v, "aval", None)
                if aval is not None and aval.size > SMALL:
                    return False
            if eqn.primitive.name in ("scan", "while"):
                loops = True
            for value in eqn.params.values():
                for sub in value if isinstance(value, tuple) else (value,):
                    if isinstance(sub, ClosedJaxpr):
                        stack.append(sub.jaxpr)
    return count <= AUTO_MAX_EQNS and (loops or count >= AUTO_MIN_EQNS)


class Tiered:
    """Runs the NumPy code until the native code is ready, then the native code."""

    __slots__ = ("numpy_fn", "native_fn", "reason", "program", "_thread", "__weakref__")

    def __init__(self, closed: ClosedJaxpr, numpy_fn, sync: bool):
        self.numpy_fn, self.native_fn, self.reason = numpy_fn, None, "compiling"
        self.program = closed
        self._thread = None
        if sync:
            self._compile(closed)

    def _start(self):
        # after the first call has returned: numba holds the GIL while it compiles, so a
        # thread started before would slow the call that tiering exists to keep fast
        if self._thread is None and self.native_fn is None and self.reason == "compiling":
            self._thread = threading.Thread(target=self._compile, args=(self.program,), daemon=True)
            self._thread.start()

    def _compile(self, closed):
        from ftrans.compiler.native import NativeUnsupported, compile_native

        try:
            fn = compile_native(closed)
            description = getattr(fn, "description", None)
            self.native_fn = fn
            self.reason = "native code" if description is None else f"native code ({description})"
        except NativeUnsupported as err:
            self.reason = f"NumPy code ({err})"

    def wait(self):
        """Block until the native code is compiled (or known not to compile)."""
        self._start()
        if self._thread is not None:
            self._thread.join()

    @property
    def source(self) -> str:
        fn = self.native_fn
        return fn.source if fn is not None else self.numpy_fn.source

    @property
    def n_out(self):
        return self.numpy_fn.n_out

    @property
    def out_avals(self):
        return self.numpy_fn.out_avals

    @property
    def fn(self):
        # the fast path of jit calls .fn(*args): the native function itself once it is ready
        native = self.native_fn
        return native if native is not None else self

    def __call__(self, *args):
        native = self.native_fn
        if native is not None:
            return native(*args)
        out = self.numpy_fn(*args)
        if self._thread is None:
            self._start()
        return out


def choose(closed: ClosedJaxpr, numpy_fn):
    """The function to run for ``closed``: its NumPy code, or a tiered native one."""
    backend = closed.cache.get("backend") or _state["default"]
    if backend == "numpy":
        return numpy_fn
    from ftrans.compiler.native import available

    if not available():
        return numpy_fn
    if backend == "auto" and not native_pays(closed):
        return numpy_fn
    return Tiered(closed, numpy_fn, _state["sync"])
