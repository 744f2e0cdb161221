"""Which backend compiles a jitted program: NumPy code, native code (numba), or a choice.

* ``"numpy"``: generated Python calling NumPy (always available; the default).
* ``"native"``: the program compiled by numba (:mod:`ftrans.compiler.native`), when every
  primitive in it has a native rule; otherwise the NumPy code, with the reason recorded.
* ``"auto"``: native code for programs that loop (``scan``/``while``) over small arrays, where
  the interpreter's per-operation cost dominates; NumPy code for the rest (one big BLAS call or
  long elementwise chains gain nothing from numba).

Native compilation is tiered: the first calls run the NumPy code while numba compiles in a
background thread, and the native function takes over once ready (``set_native_sync(True)``
compiles before the first call instead, which tests use).
"""

from __future__ import annotations

import threading

from ftrans.core import ClosedJaxpr

BACKENDS = ("numpy", "native", "auto")
_state = {"default": "numpy", "sync": False}

#: arrays at most this many elements count as small for "auto"
SMALL = 4096


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


def _loops_over_small_arrays(closed: ClosedJaxpr) -> bool:
    found = [False]

    def walk(jaxpr):
        for eqn in jaxpr.eqns:
            for v in [*eqn.inputs, *eqn.outputs]:
                if hasattr(v, "aval") and v.aval.size > SMALL:
                    return False
            if eqn.primitive.name in ("scan", "while"):
                found[0] = True
            for value in eqn.params.values():
                subs = value if isinstance(value, tuple) else (value,)
                for sub in subs:
                    if isinstance(sub, ClosedJaxpr) and not walk(sub.jaxpr):
                        return False
        return True

    return walk(closed.jaxpr) and found[0]


class Tiered:
    """Runs the NumPy code until the native code is ready, then the native code."""

    __slots__ = ("numpy_fn", "native_fn", "reason", "program", "_thread", "__weakref__")

    def __init__(self, closed: ClosedJaxpr, numpy_fn, sync: bool):
        self.numpy_fn, self.native_fn, self.reason = numpy_fn, None, "compiling"
        self.program = closed
        self._thread = None
        if sync:
            self._compile(closed)
        else:
            self._thread = threading.Thread(target=self._compile, args=(closed,), daemon=True)
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
        return self.numpy_fn(*args)


def choose(closed: ClosedJaxpr, numpy_fn):
    """The function to run for ``closed``: its NumPy code, or a tiered native one."""
    backend = closed.cache.get("backend") or _state["default"]
    if backend == "numpy":
        return numpy_fn
    from ftrans.compiler.native import available

    if not available():
        return numpy_fn
    if backend == "auto" and not _loops_over_small_arrays(closed):
        return numpy_fn
    return Tiered(closed, numpy_fn, _state["sync"])
