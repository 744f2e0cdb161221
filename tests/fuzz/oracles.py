"""Run one fuzz case and judge it: the oracles.

A case is a program, a transform stack and a seed for the argument values. It is realised as
one Python source text (``case_source``), so what runs here is exactly what the reproduction
script prints. Oracles (none needs another library; JAX is an extra one when installed):

* ``error``: the stack raises although the eager program runs (an internal error such as
  AssertionError/AttributeError always counts; any other only if JAX runs the same stack).
* ``alt``: the stack disagrees with the same stack computed another way (see ``stacks``).
* ``nan``: a NaN/inf where the other computation is finite.
* ``dtype``/``shape``/``leaf``: dtypes and shapes agree with the other computation, float32
  programs stay float32, every transformed result is a ``numpy.ndarray``.
* ``mutation``: no input array changes.
* ``symmetry``: an outermost ``hessian`` is symmetric.
* ``fd``: ``jvp`` of the whole stack agrees with central differences (float64, smooth cases).
* ``jax``: values, shapes and dtypes agree with the same source run on JAX (x64).
* ``native``: under the native or auto jit backend, numba compiles what the native rules wrote
  (a program it rejects runs NumPy code instead: the other oracles would not see it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
import types

import numpy as np

from . import program as prog
from . import stacks

INTERNAL = (
    AssertionError,
    AttributeError,
    KeyError,
    IndexError,
    NameError,
    UnboundLocalError,
    RecursionError,
)


@dataclasses.dataclass(frozen=True)
class Case:
    program: prog.Program
    layers: tuple
    value_seed: int
    seed: int = -1  # the generator seed that made it (for reports)

    @property
    def label(self) -> str:
        return stacks.stack_label(self.layers)

    def base_shapes(self) -> list:
        return [a.shape for a in self.program.args]

    def outer_shapes(self) -> list:
        return stacks.outer_shapes(self.layers, self.base_shapes())

    def args(self, shapes=None) -> tuple:
        rng = np.random.default_rng(self.value_seed)
        return prog.arg_values(self.program.args, shapes or self.outer_shapes(), rng)


@dataclasses.dataclass(frozen=True)
class Failure:
    kind: str  # error alt nan dtype shape leaf mutation symmetry fd jax eager
    detail: str  # exception type, or which computation
    message: str

    @property
    def signature(self) -> tuple:
        return (self.kind, self.detail)

    @property
    def key(self) -> tuple:
        """The signature plus the gist of an error message (numbers and names dropped)."""
        if self.kind not in ("error", "eager"):
            return self.signature
        gist = re.sub(r"<fuzz case>:\d+|\bv\d+\w*|[\d\[\](),.:'\"]+", "", self.message)
        return self.signature + (" ".join(gist.split()[:8]),)

    def __str__(self) -> str:
        return f"{self.kind}[{self.detail}]: {self.message}"


def case_source(case: Case, alt: bool = False, extra: str = "") -> str:
    """The case as Python source: the helpers it needs, the program, the stack (f0 ... fn)."""
    p = case.program
    parts = []
    for flag in sorted(p.flags):
        if flag.startswith("prelude:"):
            parts.append(prog.PRELUDE[flag.split(":", 1)[1]])
    parts.append(p.source("f0"))
    parts.append(stacks.stack_source(case.layers, alt, p.flags, base_shapes=case.base_shapes()))
    body = "\n\n".join(parts) + extra
    return stacks.helpers_for(body) + body


# ----------------------------------------------------------------------------------------------
# backends


def ftrans_namespace() -> dict:
    import ftrans
    import ftrans.numpy

    return {"ft": ftrans, "fnp": ftrans.numpy, "lax": ftrans.lax, "np": np}


_JAX = None


def jax_namespace() -> dict | None:
    """The JAX names (x64 enabled), or None when JAX is not installed."""
    global _JAX
    if _JAX is None:
        try:
            import jax
        except ImportError:
            _JAX = False
            return None
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        shim = types.SimpleNamespace(
            jit=jax.jit,
            checkpoint=jax.checkpoint,
            grad=jax.grad,
            value_and_grad=jax.value_and_grad,
            jvp=jax.jvp,
            vjp=jax.vjp,
            linearize=jax.linearize,
            vmap=jax.vmap,
            jacfwd=jax.jacfwd,
            jacrev=jax.jacrev,
            hessian=jax.hessian,
            custom_jvp=jax.custom_jvp,
            custom_vjp=jax.custom_vjp,
            stop_gradient=jax.lax.stop_gradient,
            nn=jax.nn,
        )
        fnp = types.SimpleNamespace(
            **{k: getattr(jnp, k) for k in dir(jnp) if not k.startswith("__")}
        )
        fnp.at = lambda x: jnp.asarray(x).at  # ftrans spells x.at as fnp.at(x) for ndarrays
        _JAX = {"ft": shim, "fnp": fnp, "lax": jax.lax, "np": np}
    return _JAX or None


def run_source(src: str, ns: dict, fname: str, args: tuple):
    """Exec ``src`` in a copy of ``ns`` and call ``fname`` on ``args``: (outputs, exception)."""
    scope = dict(ns)
    try:
        exec(compile(src, "<fuzz case>", "exec"), scope)
        out = scope[fname](*args)
        return tuple(out), None
    except Exception as e:  # every exception is a verdict here
        return None, e


# ----------------------------------------------------------------------------------------------
# comparisons


def tolerance(case: Case) -> float:
    dtypes = {a.dtype for a in case.program.args}
    return 1e-6 if dtypes == {"float64"} else 5e-3


def rel_err(a, b) -> float:
    a = np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64)
    b = np.asarray(b, dtype=a.dtype)
    if a.size == 0:
        return 0.0
    fin = np.isfinite(a) & np.isfinite(b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))  # non-finite in both, alike: agreement
    if not (fin | same).all():
        return math.inf
    if not fin.any():
        return 0.0
    return float(np.max(np.abs(a - b)[fin]) / (1.0 + np.max(np.abs(b[fin]))))


def compare(kind: str, got, ref, case: Case, check_dtype: bool = True) -> list:
    """Failures from comparing two output tuples (``got`` is the transformed stack)."""
    out = []
    if len(got) != len(ref):
        return [Failure("shape", kind, f"{len(got)} outputs vs {len(ref)}")]
    tol = tolerance(case)
    for i, (a, b) in enumerate(zip(got, ref, strict=True)):
        a_, b_ = np.asarray(a), np.asarray(b)
        if a_.shape != b_.shape:
            out.append(Failure("shape", kind, f"output {i}: shape {a_.shape} vs {b_.shape}"))
            continue
        if check_dtype and a_.dtype != b_.dtype:
            out.append(Failure("dtype", kind, f"output {i}: dtype {a_.dtype} vs {b_.dtype}"))
        fa, fb = np.isfinite(a_), np.isfinite(b_)
        if (fb & ~fa).any():
            out.append(
                Failure(
                    "nan",
                    kind,
                    f"output {i}: non-finite {a_.ravel()[:6]} where "
                    f"the {kind} reference is finite {b_.ravel()[:6]}",
                )
            )
            continue
        if (fa & ~fb).any():
            out.append(
                Failure(
                    "nan",
                    f"{kind}-ref",
                    f"output {i}: the {kind} reference is non-finite {b_.ravel()[:6]}",
                )
            )
            continue
        err = rel_err(a_, b_)
        if err > tol:
            out.append(
                Failure(
                    kind if kind != "jax" else "jax",
                    "value",
                    f"output {i}: rel. error {err:.3g} > {tol:g}; got "
                    f"{np.ravel(a_)[:5]} want {np.ravel(b_)[:5]}",
                )
            )
    return out


def exc_text(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:200] if msg else ''}"


def fd_source(case: Case) -> str:
    """Source defining ``_fd_jvp`` (jvp of the whole stack) and the stack itself."""
    n = len(case.layers)
    return case_source(
        case,
        extra=(
            f"\n\ndef _fd_jvp(*a):\n    p, t = ft.jvp(f{n}, a, _tangents(a))\n    return tuple(t)\n"
        ),
    )


def fd_check(case: Case, ns: dict, args: tuple, fname: str, jvp_out) -> list:
    """Central differences of the stack along the fixed tangents, at two step sizes."""
    src = fd_source(case)
    scope = dict(ns)
    exec(compile(src, "<fuzz case>", "exec"), scope)
    f = scope[fname]
    tans = scope["_tangents"](args)

    def fd(h):
        plus = f(*[a + h * t for a, t in zip(args, tans, strict=True)])
        minus = f(*[a - h * t for a, t in zip(args, tans, strict=True)])
        return [
            (np.asarray(p, float) - np.asarray(m, float)) / (2 * h)
            for p, m in zip(plus, minus, strict=True)
        ]

    try:
        d1, d2 = fd(1e-5), fd(1e-4)
    except Exception:  # stepping off the domain: no verdict
        return []
    out = []
    for i, (j, a, b) in enumerate(zip(jvp_out, d1, d2, strict=True)):
        if rel_err(a, b) > 1e-5:  # not smooth enough here for a verdict
            continue
        err = rel_err(j, a)
        if err > 1e-4:
            out.append(
                Failure(
                    "fd",
                    "value",
                    f"output {i}: jvp of the stack differs from "
                    f"central differences by {err:.3g}: "
                    f"{np.ravel(j)[:5]} vs {np.ravel(a)[:5]}",
                )
            )
    return out


@dataclasses.dataclass
class Verdict:
    case: Case
    failures: list
    skipped: str = ""  # why the case was not judged (invalid program)
    checks: tuple = ()
    native: tuple = ()  # what each native compile of the case chose (Tiered.reason)


@contextlib.contextmanager
def native_compiles():
    """The outcome (``Tiered.reason``) of every native compile inside the block, in a list."""
    from ftrans.compiler.native import tiering

    seen: list = []
    original = tiering.Tiered._compile

    def recording(self, closed):
        try:
            original(self, closed)
        finally:
            seen.append(self.reason)

    tiering.Tiered._compile = recording
    try:
        yield seen
    finally:
        tiering.Tiered._compile = original


def judge(
    case: Case, use_jax: bool = True, use_fd: bool = True, namespace: dict | None = None
) -> Verdict:
    """Every oracle on one case; ``namespace`` replaces the ftrans names (for tests)."""
    with native_compiles() as outcomes:
        verdict = _judge(case, use_jax, use_fd, namespace)
    verdict.native = tuple(outcomes)
    rejected = [r for r in outcomes if "numba could not compile" in r]
    if rejected:
        verdict.failures.append(Failure("native", "numba", rejected[0][:400]))
    return verdict


def _judge(case: Case, use_jax: bool, use_fd: bool, namespace: dict | None) -> Verdict:
    p = case.program
    ns = namespace or ftrans_namespace()
    jns = jax_namespace() if use_jax else None
    n = len(case.layers)
    checks = []

    # the eager program on unbatched arguments: the reference for validity
    base_args = case.args(case.base_shapes())
    src0 = case_source(dataclasses.replace(case, layers=()))
    eager, e0 = run_source(src0, ns, "f0", base_args)
    if e0 is not None:
        if jns is not None:
            _, je = run_source(src0, jns, "f0", base_args)
            if je is not None:
                return Verdict(case, [], skipped=f"invalid program (JAX too: {exc_text(je)})")
        return Verdict(case, [Failure("eager", type(e0).__name__, exc_text(e0))])
    if not all(np.isfinite(np.asarray(o)).all() for o in eager):
        if jns is not None:
            jout, je = run_source(src0, jns, "f0", base_args)
            if je is None and all(np.isfinite(np.asarray(o)).all() for o in jout):
                return Verdict(
                    case, [Failure("nan", "eager", "eager program non-finite where JAX is finite")]
                )
        return Verdict(case, [], skipped="eager result not finite")

    args = case.args()
    snapshot = [a.copy() for a in args]
    fname = f"f{n}"
    fails = []

    got, e = run_source(case_source(case), ns, fname, args)
    checks.append("stack")
    ref, ea = run_source(case_source(case, alt=True), ns, fname, args)
    checks.append("alt")
    jout, je = (None, None)
    if jns is not None:
        jout, je = run_source(case_source(case), jns, fname, args)
        checks.append("jax")
    if any(not np.array_equal(a, s) for a, s in zip(args, snapshot, strict=True)):
        fails.append(Failure("mutation", "input", "an input array changed"))

    if e is not None:
        if isinstance(e, INTERNAL) or jns is None or je is None:
            fails.append(Failure("error", type(e).__name__, exc_text(e)))
        return Verdict(case, fails, checks=tuple(checks))
    if n and not all(type(o) is np.ndarray for o in got):
        kinds = sorted({type(o).__name__ for o in got if type(o) is not np.ndarray})
        fails.append(Failure("leaf", "type", f"result leaves of type {kinds}, not ndarray"))
    if all(a.dtype == np.float32 for a in args):
        bad = [str(np.asarray(o).dtype) for o in got if np.asarray(o).dtype != np.float32]
        if bad:
            fails.append(Failure("dtype", "float32", f"float32 program gave {bad}"))
    if ea is not None:
        fails.append(Failure("error", "alt:" + type(ea).__name__, exc_text(ea)))
    else:
        # mixed float32/float64 programs: forward and reverse modes legitimately give
        # derivatives the output's or the argument's dtype; JAX checks those dtypes
        mixed = len({a.dtype for a in p.args}) > 1
        fails += compare("alt", got, ref, case, check_dtype=not mixed)
    if jout is not None:
        fails += compare("jax", got, tuple(np.asarray(o) for o in jout), case)
    if case.layers and case.layers[-1].kind == "hessian":
        h = np.asarray(got[0])
        m = math.isqrt(h.size)
        if m * m == h.size:
            hm = h.reshape(m, m)
            if rel_err(hm, hm.T) > tolerance(case) * 10:
                fails.append(Failure("symmetry", "hessian", "hessian is not symmetric"))
    smooth = not ({"nonsmooth", "no_fd"} & p.flags) and not any(a.zeros for a in p.args)
    if use_fd and smooth and all(a.dtype == np.float64 for a in args) and not fails:
        # the program's own derivative, then the derivative of the whole stack
        levels = [(dataclasses.replace(case, layers=()), base_args)] if n else []
        for c, a in levels + [(case, args)]:
            jv, ej = run_source(fd_source(c), ns, "_fd_jvp", a)
            checks.append("fd")
            if ej is not None:
                if isinstance(ej, INTERNAL) or jns is None:
                    fails.append(Failure("error", "fd:" + type(ej).__name__, exc_text(ej)))
                break
            fails += fd_check(c, ns, a, f"f{len(c.layers)}", jv)
            if fails:
                break
    return Verdict(case, fails, checks=tuple(checks))


def make_case(
    seed: int, max_depth: int = 3, n_ops: int | None = None, families: tuple | None = None
) -> Case:
    """The case of one seed: program, stack and argument values all drawn from it.

    ``families`` (keys of ``program.OPS``) restricts the operations drawn, e.g. to look for
    one bug past others that would stop every case first.
    """
    rng = np.random.default_rng([seed, 12])
    p = prog.generate(rng, n_ops, families)
    layers, _ = stacks.random_stack(rng, [a.shape for a in p.args], p.flags, max_depth)
    return Case(p, layers, value_seed=int(rng.integers(2**31)), seed=seed)
