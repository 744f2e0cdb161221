"""Which backend compiles a jitted program: NumPy code, native code (numba), or a choice.

* ``"numpy"``: generated Python calling NumPy (always available).
* ``"native"``: the program compiled by numba (``ftrans.compiler.native``); equations
  without a native rule run their NumPy lowering between native segments, and a program with
  no native part runs the NumPy code, with the reason recorded.
* ``"auto"`` (the default; without numba it is ``"numpy"``): native code where it pays, see
  ``native_pays``.

Native compilation is tiered under ``"auto"``: the first calls run the NumPy code while numba
compiles in a background thread, and the native function takes over once ready.
``backend="native"`` and ``set_native_sync(True)`` (which tests use) compile before the first
call instead.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time

import numpy as np

from ftrans.compiler.codegen import compile_jaxpr
from ftrans.compiler.native_rules import NATIVE_RULES, SETTINGS
from ftrans.core import ClosedJaxpr, Jaxpr
from ftrans.interpreters.jit import set_compiler
from ftrans.interpreters.tracing import dead_code_elimination

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


def numba_available() -> bool:
    """Is numba installed? Checked once, without importing numba or the native backend (both
    cost tens of milliseconds, which the first call of an ``"auto"`` program must not pay)."""
    found = _state.get("numba")
    if found is None:
        found = _state["numba"] = importlib.util.find_spec("numba") is not None
    return found


def set_native_sync(sync: bool) -> None:
    """Compile native code before the first call (True) or in the background (False)."""
    _state["sync"] = bool(sync)


def native_pays(closed: ClosedJaxpr) -> bool:
    """The ``"auto"`` choice: native code for programs on small arrays (every value at most
    ``SMALL`` elements) that loop or run at least ``AUTO_MIN_EQNS`` operations, where
    NumPy's per-call cost dominates, for programs on large arrays built around BLAS products
    (``products_verdict``) and for fused elementwise float64 programs over vectorised
    transcendentals (``vectorised_math_pays``); NumPy code for other large-array programs
    (NumPy's SIMD loops, BLAS, LAPACK and FFT calls gain nothing) and for programs past
    ``AUTO_MAX_EQNS``
    equations (numba's compile time grows faster than the program)."""
    return auto_reason(closed) is None


def auto_reason(closed: ClosedJaxpr) -> str | None:
    """None when ``"auto"`` chooses native code for ``closed``, else why it runs NumPy code.

    The rules judge the live equations, as both backends' code generators see them: a
    gradient's program still holds its discarded primal output (W2's ``reduce_sum`` of W1)."""
    jaxpr = closed.jaxpr
    live = ClosedJaxpr(
        Jaxpr(
            jaxpr.constvars,
            jaxpr.invars,
            dead_code_elimination(jaxpr.eqns, jaxpr.outvars),
            jaxpr.outvars,
        ),
        closed.consts,
    )
    big = _first_large_value(live)
    if big is not None:
        if vectorised_math_pays(live):
            closed.cache["auto_note"] = LARGE_MATH_REASON
            return None
        why_not, note = products_verdict(live)
        if why_not is None:
            closed.cache["auto_note"] = note
            return None
        return _too_big(big) + (f"; {why_not}" if why_not else "")
    return _small_reason(live)


def _first_large_value(closed: ClosedJaxpr):
    """The aval of a value of more than ``SMALL`` elements in ``closed``, or None."""
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        # every value is an input, a constant or an equation's output: checking those three
        # checks each once (an equation's inputs are some other value)
        for v in (*jaxpr.invars, *jaxpr.constvars):
            if v.aval.size > SMALL:
                return v.aval
        for eqn in jaxpr.eqns:
            for v in eqn.outputs:
                if v.aval.size > SMALL:
                    return v.aval
            stack.extend(_sub_jaxprs(eqn))
    return None


def _sub_jaxprs(eqn):
    for value in eqn.params.values():
        for sub in value if isinstance(value, tuple) else (value,):
            if isinstance(sub, ClosedJaxpr):
                yield sub.jaxpr


# --- large arrays: fused elementwise programs over vectorised transcendentals ----------------

#: the functions ``ftrans.compiler.native.vecmath`` has vectorised kernels for (that module
#: imports numba, so the names are repeated here; a test checks they agree)
VECTORISED_MATH = frozenset(
    {"exp", "expm1", "exp2", "log", "log1p", "sin", "cos", "tanh", "logistic"}
)
#: elementwise primitives with a native rule of their own (not a scalar template)
_ELEMENTWISE_RULES = frozenset({"div", "integer_pow", "convert_element_type"})
#: equations that only move or broadcast values: index arithmetic inside a fused loop nest
_LAYOUT = frozenset({"broadcast_in_dim", "reshape", "squeeze", "expand_dims", "stop_gradient"})
#: at most this many top-level equations (the whole program is one loop nest)
LARGE_MATH_MAX_EQNS = 400
LARGE_MATH_REASON = (
    "auto: a large elementwise program with transcendentals: one fused native loop with "
    "vectorised exp/log/sin/cos/tanh kernels beats NumPy's chunked ufunc calls"
)


def vectorised_math_pays(closed: ClosedJaxpr) -> bool:
    """The ``"auto"`` rule for programs on large arrays: native code when every equation is
    elementwise on float64 (so the program is fused loop nests, no BLAS/LAPACK/FFT call, no
    reduction or loop) and at least one is a transcendental the native backend vectorises
    (``ft.config.native_fast_math`` on). Measured on bench_native's W1 and its gradient W2
    (10^7 float64): native code well under the NumPy backend's time (bench_native)."""
    from ftrans.compiler.native_rules import NATIVE_RULES

    eqns = closed.jaxpr.eqns
    if not SETTINGS.fast_math or len(eqns) > LARGE_MATH_MAX_EQNS:
        return False
    math = False
    for eqn in eqns:
        name = eqn.primitive.name
        if name in VECTORISED_MATH:
            math = True
        elif not (
            name in _ELEMENTWISE_RULES
            or name in _LAYOUT
            or getattr(NATIVE_RULES.get(name), "template", None) is not None
        ):
            return False
        for v in (*eqn.inputs, *eqn.outputs):
            kind = v.aval.dtype.kind
            if kind not in "fbiu" or (kind == "f" and v.aval.dtype.itemsize != 8):
                # complex: the native backend is real-only; float32: NumPy's own float32
                # kernels were 1.3-13x faster than the float64 ones native code uses for it
                return False
    return math


def _small_reason(closed: ClosedJaxpr) -> str | None:
    """The ``"auto"`` rule for programs on small arrays (every value at most ``SMALL``)."""
    count, loops = 0, False
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        for eqn in jaxpr.eqns:
            count += 1
            if eqn.primitive.name in ("scan", "while"):
                loops = True
            stack.extend(_sub_jaxprs(eqn))
    if count > AUTO_MAX_EQNS:
        return (
            f"auto: {count} equations, more than {AUTO_MAX_EQNS} (numba's compile time grows "
            "faster than the program)"
        )
    if not loops and count < AUTO_MIN_EQNS:
        return (
            f"auto: {count} operation(s) and no loop (native code pays from {AUTO_MIN_EQNS} "
            "operations or a loop)"
        )
    return None


#: libm functions numba calls once per element (no vector math library in its LLVM): NumPy's
#: SIMD ufunc loops beat a native loop over them on large arrays. So do NumPy's float32 loops
#: beat the float32 kernels of ``vecmath`` (1.3-13x, measured with ``vectorised_math_pays``);
#: its float64 kernels vectorise and win (W1, W2), so they do not count.
_LIBM = re.compile(
    r"np\.(sin|cos|tan|arcsin|arccos|arctan|arctan2|sinh|cosh|tanh|arcsinh|arccosh|arctanh|"
    r"exp|exp2|expm1|log|log2|log10|log1p|logaddexp|power|cbrt)\(|vm\.\w+_f32\("
)
_libm_bound: dict[tuple, bool] = {}


def libm_bound(name: str, dtype="float64") -> bool:
    """Does the native lowering of elementwise primitive ``name`` on ``dtype`` call a libm
    function per element (or a kernel NumPy's loops beat)? Read off its template as it is
    generated now (``ft.config.native_fast_math`` included), so a template that stops calling
    libm stops counting."""
    dtype = np.dtype(dtype)
    key = (name, dtype.name, SETTINGS.fast_math)
    found = _libm_bound.get(key)
    if found is None:
        template = getattr(NATIVE_RULES.get(name), "template", None)
        args = ["x0", "x1", "x2", "x3"]
        if template is None:
            text = ""
        elif callable(template):
            text = template(args, dtype)
        else:
            text = template.format(*args)
        found = _libm_bound[key] = bool(_LIBM.search(text))
    return found


def products_verdict(closed: ClosedJaxpr) -> tuple[str | None, str]:
    """The ``"auto"`` rule for programs on large arrays built around matrix products (an MLP's
    training step): ``(None, why native)`` when native code pays, else ``(why not, "")``
    (``""``: the program has no BLAS-sized product, the rule does not apply).

    Native code makes the same BLAS calls as the NumPy code (NumPy's own BLAS, ``blas``, on
    the same operands, transposes passed as flags) and fuses the elementwise work around them
    into one loop per output, without temporaries: bench_native's W3 (784-512-512-10 MLP +
    Adam, float32) ran in 0.7-0.85x the NumPy code's time. It does not pay where native loops
    are slower than NumPy's:
    a libm function (``exp``, ``tanh``, ...) on a large array (one scalar call per element
    against NumPy's SIMD loops), a reduction along the last axis of a large array (a chain of
    dependent scalar adds against NumPy's pairwise SIMD sum), a large product native code
    runs as loops (batched or integer), and ``scan``/``while`` loops (not tuned for this).
    """
    from ftrans.compiler.native.codegen import BLAS_MIN, UNROLL
    from ftrans.primitives.dot import native_product

    flops, gemms, count, biggest = 0, 0, 0, 0
    why_not = None  # the first thing native code does worse
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        for eqn in jaxpr.eqns:
            count += 1
            name = eqn.primitive.name
            size = max((v.aval.size for v in eqn.outputs), default=0)
            biggest = max(biggest, size)
            if name in ("scan", "while"):
                why_not = why_not or f"a {name} loop (large-array loop bodies are not tuned)"
            if name == "dot_general":
                m, n, k, gemm = native_product(eqn)
                if gemm and m * n * k >= BLAS_MIN:
                    flops, gemms = flops + 2 * m * n * k, gemms + 1
                elif m * n * k >= BLAS_MIN and k > UNROLL:
                    why_not = why_not or f"a {m}x{k} by {k}x{n} product native code runs as loops"
            elif size > SMALL and (
                libm_bound(name, eqn.outputs[0].aval.dtype)
                or (name == "integer_pow" and eqn.params["y"] not in (0, 1, 2))
            ):  # x**3 and beyond: np.power, a libm call per element in native code
                why_not = (
                    why_not or f"{name} on {eqn.outputs[0].aval.str_short()} (libm per element)"
                )
            elif name.startswith("reduce_") and eqn.inputs[0].aval.size > SMALL:
                x = eqn.inputs[0].aval
                if x.ndim - 1 in eqn.params.get("axes", ()):
                    why_not = why_not or f"{name} along the last axis of {x.str_short()}"
            for value in eqn.params.values():
                for sub in value if isinstance(value, tuple) else (value,):
                    if isinstance(sub, ClosedJaxpr):
                        stack.append(sub.jaxpr)
    if not gemms:
        return "", ""
    if why_not is not None:
        return why_not, ""
    if count > AUTO_MAX_EQNS:
        return f"{count} equations, more than {AUTO_MAX_EQNS}", ""
    return None, (
        f"auto: {gemms} BLAS product(s) ({flops / 1e6:.3g} MFLOP) and fused loops around them "
        f"(values up to {biggest} elements; no libm function, last-axis reduction or looped "
        "product on large arrays)"
    )


def _too_big(aval) -> str:
    return (
        f"auto: a value of {aval.size} elements ({aval.str_short()}), more than {SMALL} (NumPy's "
        "SIMD loops and BLAS/LAPACK/FFT calls are as fast as native code there)"
    )


#: "auto" programs with fewer top-level equations are judged at once, larger ones in the
#: background thread (judging walks every value: milliseconds for a thousand equations)
AUTO_JUDGE_NOW = 64


class Tiered:
    """Runs the NumPy code until the native code is ready, then the native code.

    ``judge``: the ``"auto"`` choice is still to be made (by the background thread, before it
    compiles); if it says NumPy, the NumPy code stays, with the reason. Callbacks given to
    ``when_done`` receive the function that runs from then on (the native one, or the NumPy
    one when native code does not compile or does not pay), so ``jit`` can call it directly.
    """

    __slots__ = ("numpy_fn", "native_fn", "reason", "program", "_thread", "_judge", "_done",
                 "__weakref__")  # fmt: skip

    def __init__(self, closed: ClosedJaxpr, numpy_fn, sync: bool, judge: bool = False):
        self.numpy_fn, self.native_fn, self.reason = numpy_fn, None, "compiling"
        self.program = closed
        self._thread = None
        self._judge = judge
        self._done: list = []
        if sync:
            self._compile(closed)

    def _start(self):
        # after the first call has returned: numba holds the GIL while it compiles, so a
        # thread started before would slow the call that tiering exists to keep fast
        if self._thread is None and self.native_fn is None and self.reason == "compiling":
            self._thread = threading.Thread(target=self._background, daemon=True)
            self._thread.start()

    def _background(self):
        # give the GIL straight back: the caller's first call is still returning
        time.sleep(0)
        self._compile(self.program)

    def _compile(self, closed):
        try:
            why = auto_reason(closed) if self._judge else None
            if why is not None:
                self.reason = f"NumPy code ({why})"
                return
            from ftrans.compiler.native.compile import NativeUnsupported, compile_native

            try:
                fn = compile_native(closed)
                description = getattr(fn, "description", None)
                self.native_fn = fn
                self.reason = "native code" + (f" ({description})" if description else "")
            except NativeUnsupported as err:
                self.reason = f"NumPy code ({err})"
        finally:
            if self.reason == "compiling":  # an unexpected error: keep running NumPy code
                self.reason = "NumPy code (the native compile failed)"
            final = self.final
            for callback in list(self._done):
                callback(final)
            self._done.clear()

    @property
    def done(self) -> bool:
        """Is the choice made (native code ready, or known not to run)?"""
        return self.reason != "compiling"

    @property
    def final(self):
        """The function that runs once ``done``."""
        native = self.native_fn
        return native if native is not None else self.numpy_fn

    def when_done(self, callback) -> None:
        """Call ``callback(final function)`` once done (now, if it already is)."""
        self._done.append(callback)
        if self.done:  # may also run from the thread: callbacks must not mind a second call
            callback(self.final)

    def wait(self):
        """Block until the native code is compiled (or known not to compile)."""
        self._start()
        if self._thread is not None:
            self._thread.join()

    def status(self) -> str:
        """Which code runs and why, in words (``jit(f).explain()`` shows it)."""
        if self.native_fn is not None:
            note = self.program.cache.get("auto_note")
            ready = "native code ready" + self.reason[len("native code") :]
            return ready if note is None else f"{ready}; {note}"
        if self.done:
            return "NumPy code: " + self.reason[len("NumPy code (") : -1]
        if self._thread is None:
            return (
                "native code compiles in a background thread after the first call; NumPy "
                "code runs until it is ready"
            )
        return "native code compiling in a background thread; NumPy code runs until it is ready"

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
        # the native function itself once it is ready
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
    """The function to run for ``closed``: its NumPy code, or a tiered native one.

    ``backend="native"`` (or ``set_native_sync(True)``) compiles before the first call;
    ``"auto"`` runs the NumPy code first and compiles in a background thread. When NumPy code
    is chosen outright, ``closed.cache["numpy_reason"]`` says why.
    """
    backend = closed.cache.get("backend") or _state["default"]
    if backend == "numpy":
        return numpy_fn
    if not numba_available():
        closed.cache["numpy_reason"] = "numba is not installed (pip install 'ftrans[native]')"
        return numpy_fn
    sync = _state["sync"] or backend == "native"
    if backend == "auto" and (sync or len(closed.jaxpr.eqns) < AUTO_JUDGE_NOW):
        why = auto_reason(closed)
        if why is not None:
            closed.cache["numpy_reason"] = why
            return numpy_fn
        return Tiered(closed, numpy_fn, sync)
    return Tiered(closed, numpy_fn, sync, judge=backend == "auto")


def status(closed: ClosedJaxpr) -> str | None:
    """Which backend runs ``closed`` and why; None when it is NumPy code because the backend
    is ``"numpy"`` (nothing to explain) or it is not compiled yet."""
    fn = closed.cache.get("compiled")
    if isinstance(fn, Tiered):
        return fn.status()
    why = closed.cache.get("numpy_reason")
    return None if why is None else f"NumPy code: {why}"


def compile_program(closed: ClosedJaxpr):
    """What runs ``closed``: its NumPy code (``ftrans.compiler.codegen``), or a tiered native
    function `choose` makes of it. ``ftrans.interpreters.jit.compiled`` calls this (registered
    below: the interpreter below does not import the compiler) and caches the result."""
    fn = compile_jaxpr(closed.jaxpr, closed.consts)
    fn.program = closed
    return choose(closed, fn)


set_compiler(compile_program)
