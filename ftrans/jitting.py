"""``jit``: trace once per input signature, optimise, generate NumPy source, reuse it."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ftrans import tree
from ftrans.api import _is_leaf_value, _to_array, _to_output, check_arguments, fun_name
from ftrans.compiler.native.tiering import Tiered
from ftrans.config import state as _config_state
from ftrans.core import ClosedJaxpr, ShapedArray, Tracer, get_aval
from ftrans.errors import FtransError
from ftrans.interpreters.jit import compiled, jit_call
from ftrans.interpreters.programs import lift_traced_consts
from ftrans.interpreters.tracing import trace_to_jaxpr
from ftrans.primitives._axes import vmap_axes_in_scope, vmap_names_used
from ftrans.tree._registry import _DictKeys, _registry

_dict_keys = _DictKeys.of
_dict_memo: dict = {}  # a dict's keys in insertion order -> its _DictKeys
_namedtuples: dict = {}  # type -> is it a namedtuple class?

_LEAF = tree.structure(0.0)  # the treedef of a single array


class StaticArgumentError(FtransError, TypeError):
    """A static argument of a jitted function cannot be used as a cache key."""


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


@dataclass
class _Entry:
    closed: ClosedJaxpr
    out_tree: Any
    # values of enclosing transformations the function closes over (e.g. a grad tracer):
    # leading inputs of ``closed``, good for this one call only, so never cached
    captured: list = ()
    # the program has a collective over a name an enclosing vmap binds (its shapes depend on
    # that axis): good for this one call only, never cached
    local: bool = False


class Lowered:
    """What ``jit(f).lower(*args)`` returns: the optimised program and its generated source."""

    def __init__(self, closed: ClosedJaxpr, jitted=None, key=None):
        self.closed = closed
        self._jitted = jitted
        self._key = key

    @property
    def jaxpr(self):
        return self.closed

    def as_text(self) -> str:
        """The generated Python/NumPy source of the compiled function."""
        return compiled(self.closed).source

    def compile(self) -> Compiled:
        """Generate (or fetch) the code; the result is called like the jitted function."""
        compiled(self.closed)
        return Compiled(self)

    def cost_analysis(self) -> dict:
        """Op counts of the program (see `ftrans.compiler.cost.cost_analysis`)."""
        from ftrans.compiler.cost import cost_analysis

        return cost_analysis(self.closed.jaxpr)


class Compiled:
    """What ``jit(f).lower(*args).compile()`` returns: call it with arguments of the lowered
    signature (other shapes or dtypes are an error, as in JAX)."""

    def __init__(self, lowered: Lowered):
        self.lowered = lowered

    def __call__(self, *args, **kwargs):
        jitted = self.lowered._jitted
        key, _, _ = jitted._signature_of(args, kwargs)
        if key != self.lowered._key:
            raise TypeError(
                f"jit({jitted.name}).lower(...).compile() was called with arguments of another "
                f"structure, shape or dtype than it was lowered for ({key[1]} against "
                f"{self.lowered._key[1]}); lower again for these arguments, or call the jitted "
                "function itself, which compiles per signature."
            )
        return jitted._call_slow(args, kwargs)

    def as_text(self) -> str:
        return self.lowered.as_text()

    def cost_analysis(self) -> dict:
        return self.lowered.cost_analysis()


def _describe(key):
    in_tree, avals, statics = key
    return in_tree, avals, statics


class JitFunction:
    """A jitted function: call it like the original; see ``cache_info`` and ``explain``."""

    def __init__(self, fun, static_argnums, static_argnames, backend=None, donate=((), ())):
        functools.update_wrapper(self, fun)
        # accepted, never acted on: ftrans never writes into a caller's arrays
        self.donate_argnums, self.donate_argnames = donate
        self.fun = fun
        self.backend = backend
        self.name = fun_name(fun)
        self.static_argnums = tuple(sorted(static_argnums))
        self.static_argnames = tuple(static_argnames)
        try:
            self.signature = inspect.signature(fun)
        except (TypeError, ValueError):
            self.signature = None
        self._cache: dict = {}
        # Fast paths for calls with no static arguments (see __call__): key -> runner
        self._simple = not self.static_argnums and not self.static_argnames
        self._fast: dict = {}
        self._fast_tree: dict = {}
        self._general: dict = {}  # treedef key -> (program, runner)
        self._hits = 0
        self._misses = 0
        self._last_miss: str | None = None
        self._last_program: ClosedJaxpr | None = None
        self._static_seen: dict[int, tuple[Any, int]] = {}
        self._resolve_static_names()

    def _resolve_static_names(self):
        """Check static_argnums/static_argnames against the signature and make them agree.

        A parameter marked static by position is also static by name and vice versa, so
        ``f(x, 3)`` and ``f(x, n=3)`` share one cache entry.
        """
        if self.signature is None:
            return
        params = list(self.signature.parameters.values())
        kinds = {p.kind for p in params}
        positional = [
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        names = {p.name for p in params}
        for n in self.static_argnames:
            if n not in names and inspect.Parameter.VAR_KEYWORD not in kinds:
                raise StaticArgumentError(
                    f"jit({self.name}): static_argnames names {n!r}, which is not a parameter "
                    f"of {self.name} (parameters: {', '.join(names) or 'none'})."
                )
        for i in self.static_argnums:
            if i >= len(positional) and inspect.Parameter.VAR_POSITIONAL not in kinds:
                raise StaticArgumentError(
                    f"jit({self.name}): static_argnums includes {i}, but {self.name} takes "
                    f"{len(positional)} positional parameter(s)."
                )
        by_name = set(self.static_argnames) | {
            positional[i] for i in self.static_argnums if i < len(positional)
        }
        by_pos = set(self.static_argnums) | {
            positional.index(n) for n in self.static_argnames if n in positional
        }
        self.static_argnames = tuple(sorted(by_name))
        self.static_argnums = tuple(sorted(by_pos))
        self._positional = positional

    # -- signature ------------------------------------------------------------------------
    def _split(self, args, kwargs):
        static_pos = set(self.static_argnums)
        positional = getattr(self, "_positional", [])
        statics = []
        for i in sorted(static_pos):
            if i < len(args):
                name = positional[i] if i < len(positional) else i
                statics.append((f"argument {name!r} (position {i})", name, args[i]))
        for n in self.static_argnames:
            if n in kwargs:
                statics.append((f"argument {n!r}", n, kwargs[n]))
        statics.sort(key=lambda s: str(s[1]))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in static_pos)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        return static_pos, statics, dyn_args, dyn_kwargs

    def _static_key(self, statics):
        key = []
        for label, where, value in statics:
            try:
                h = hash(value)
            except TypeError:
                raise StaticArgumentError(
                    f"jit({self.name}): static {label} has unhashable type "
                    f"{type(value).__name__} ({value!r:.60}). Static arguments key the compile "
                    "cache, so they must be hashable: use a tuple instead of a list, a frozen "
                    "dataclass or NamedTuple instead of a dict/object, or pass arrays as "
                    "ordinary (traced) arguments."
                ) from None
            seen = self._static_seen.get(id(value))
            if seen is not None and seen[0] is value and seen[1] != h:
                raise StaticArgumentError(
                    f"jit({self.name}): static {label} ({type(value).__name__}) changed its hash "
                    "since it was first used (it was mutated). Static arguments must be "
                    "immutable: use a frozen dataclass or a tuple, or pass a new object."
                )
            self._static_seen[id(value)] = (value, h)
            key.append((where, value))
        return tuple(key)

    def _signature_of(self, args, kwargs):
        static_pos, statics, dyn_args, dyn_kwargs = self._split(args, kwargs)
        static_key = self._static_key(statics)
        leaves, in_tree = check_arguments(f"jit({self.name})", dyn_args, dyn_kwargs, self.fun)
        leaves = [_to_array(x) for x in leaves]
        avals = tuple((tuple(get_aval(x).shape), get_aval(x).dtype) for x in leaves)
        return (in_tree, avals, static_key), leaves, static_pos

    # -- tracing --------------------------------------------------------------------------
    def _trace(self, key, args, kwargs, static_pos):
        in_tree, avals, _ = key
        store = {}

        def flat(*leaves):
            dyn_args, dyn_kwargs = tree.unflatten(in_tree, list(leaves))
            it = iter(dyn_args)
            full = [args[i] if i in static_pos else next(it) for i in range(len(args))]
            full_kwargs = {
                **dyn_kwargs,
                **{k: kwargs[k] for k in self.static_argnames if k in kwargs},
            }
            out = self.fun(*full, **full_kwargs)
            out_leaves, out_tree = tree.check_leaves(
                out, what=f"the output of jit({self.name})", is_valid=_is_leaf_value
            )
            store["out_tree"] = out_tree
            return out_leaves

        in_avals = [ShapedArray(s, d) for s, d in avals]
        arg_names = self._argument_names(in_tree, args, static_pos)
        jaxpr, consts = trace_to_jaxpr(flat, in_avals, f"jit({self.name})", arg_names=arg_names)
        closed, captured = lift_traced_consts(jaxpr, consts)
        if not captured and self.backend is not None:
            closed.cache["backend"] = self.backend
        local = vmap_axes_in_scope() and vmap_names_used(closed.jaxpr)
        return _Entry(closed, store["out_tree"], captured, local)

    def _argument_names(self, in_tree, args, static_pos):
        names = []
        params = list(self.signature.parameters) if self.signature is not None else []
        dyn_positions = [i for i in range(len(args)) if i not in static_pos]
        dummy = tree.unflatten(in_tree, list(range(in_tree.num_leaves)))
        for path, _ in tree.leaves_with_path(dummy):
            if path and path[0].idx == 0 and len(path) > 1:
                pos = dyn_positions[path[1].idx]
                base = params[pos] if pos < len(params) else f"argument {pos}"
                names.append(base + tree.keystr(path[2:]))
            elif path and len(path) > 1:
                names.append(f"{path[1].key}{tree.keystr(path[2:])}")
            else:
                names.append("an argument")
        return names

    def _explain_miss(self, key, names):
        if not self._cache:
            return f"jit({self.name}): first call, traced and compiled."
        in_tree, avals, statics = key
        lines = []
        for other in self._cache:
            o_tree, o_avals, o_statics = other
            if o_tree != in_tree:
                lines.append(f"argument structure changed from {o_tree} to {in_tree}")
            elif o_statics != statics:
                for (w, v), (_, ov) in zip(statics, o_statics):
                    if v != ov:
                        lines.append(f"static argument {w!r} changed from {ov!r:.40} to {v!r:.40}")
            else:
                for p, (s, d), (os_, od) in zip(names, avals, o_avals):
                    if (s, d) != (os_, od):
                        lines.append(
                            f"argument {p} changed from {od.name}{list(os_)} to {d.name}{list(s)}"
                        )
            if lines:
                break
        return f"jit({self.name}) recompiled: " + "; ".join(lines or ["new signature"])

    # -- calling --------------------------------------------------------------------------
    # Three paths, fastest first. (1) Every argument a plain ndarray: the key is the shapes and
    # dtypes, looked up in ``_fast``. (2) Arguments that are tuples, lists, dicts, namedtuples,
    # None, Python scalars and ndarrays (and static values): the key is a flat tuple of tokens
    # describing the structure, shapes and dtypes (``_tokens``), looked up in ``_fast_tree``.
    # (3) Everything else (tracers, registered pytrees): ``_call_general`` / ``_call_slow``.
    # A hit calls a runner built once per entry (``_runner``): the compiled function and the
    # output's unflattening in one Python function.
    def __call__(self, *args, **kwargs):
        if _config_state.jit_disabled:  # ft.disable_jit(): run the Python function eagerly
            return self.fun(*args, **kwargs)
        if not self._simple:
            return self._call_static(args, kwargs)
        if not kwargs:
            n = len(args)
            if n == 1:
                a = args[0]
                if type(a) is _ndarray:
                    key = (a.shape, a.dtype)
                    hit = self._fast.get(key)
                    if hit is not None:
                        self._hits += 1
                        return hit(a)
                    return self._call_and_remember(self._fast, key, args, kwargs)
            elif n == 2:
                a, b = args
                if type(a) is _ndarray and type(b) is _ndarray:
                    key = (a.shape, a.dtype, b.shape, b.dtype)
                    hit = self._fast.get(key)
                    if hit is not None:
                        self._hits += 1
                        return hit(a, b)
                    return self._call_and_remember(self._fast, key, args, kwargs)
        tokens, leaves = [], []
        try:
            _tokens(args, tokens, leaves)
            if kwargs:
                _tokens(kwargs, tokens, leaves)
        except _NotSimple:
            return self._call_general(args, kwargs)
        key = tuple(tokens)
        hit = self._fast_tree.get(key)
        if hit is not None:
            self._hits += 1
            return hit(*leaves)
        return self._call_and_remember(self._fast_tree, key, args, kwargs)

    def _call_static(self, args, kwargs):
        """Static arguments: the key is their values (hashed and compared as the slow path's
        key does: an unhashable or mutated one takes the slow path, which says what is wrong)
        and the dynamic arguments' tokens."""
        nums, names, n = self.static_argnums, self.static_argnames, len(args)
        try:
            statics = tuple([args[i] for i in nums if i < n])
            dyn_args = tuple([a for i, a in enumerate(args) if i not in nums]) if statics else args
            tokens, leaves, dyn_kwargs = [n, statics], [], None
            if kwargs:
                tokens.append(tuple([(k, kwargs[k]) for k in names if k in kwargs]))
                dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
            _tokens(dyn_args, tokens, leaves)
            if dyn_kwargs:
                _tokens(dyn_kwargs, tokens, leaves)
            key = tuple(tokens)
            hit = self._fast_tree.get(key)
        except (_NotSimple, TypeError):
            return self._call_slow(args, kwargs)
        if hit is not None:
            self._hits += 1
            return hit(*leaves)
        return self._call_and_remember(self._fast_tree, key, args, kwargs)

    def _call_general(self, args, kwargs):
        """Arguments with tracers or other pytree nodes: keyed by their treedef."""
        if kwargs:
            return self._call_slow(args, kwargs)
        try:
            leaves, treedef = tree.flatten(args)
            fast_key = (treedef, tuple(map(_leaf_signature, leaves)))
        except KeyError:  # a leaf that is not an array: the slow path explains
            return self._call_slow(args, kwargs)
        hit = self._general.get(fast_key)
        if hit is not None:
            self._hits += 1
            closed, out_tree, run = hit
            if any(isinstance(x, Tracer) for x in leaves):
                outs = jit_call(*leaves, jaxpr=closed, name=self.name)
                return tree.unflatten(out_tree, outs)
            return run(*[x if type(x) is _ndarray else np.asarray(x) for x in leaves])
        return self._call_and_remember(self._general, fast_key, args, kwargs)

    def _call_and_remember(self, store, key, args, kwargs):
        """The slow path, then a runner for ``key`` in ``store`` (unless the program is good
        for this one call only). A tiered program's runner is replaced by one calling the
        native function directly once that is ready (``Tiered.when_done``)."""
        out = self._call_slow(args, kwargs)
        entry = self._last_entry
        if entry.captured or entry.local:  # depends on enclosing transformations: this call only
            return out
        out_tree, closed = entry.out_tree, entry.closed
        fn = compiled(closed)
        if isinstance(fn, Tiered) and fn.done:
            fn = fn.final
        general = store is self._general  # its entries keep the program for tracer calls
        run = _runner(fn, out_tree)
        store[key] = (closed, out_tree, run) if general else run
        if isinstance(fn, Tiered) and not fn.done:

            def swap(final):
                current = store.get(key)
                if (current[2] if general and current is not None else current) is run:
                    new = _runner(final, out_tree)
                    store[key] = (closed, out_tree, new) if general else new

            fn.when_done(swap)
        return out

    def _call_slow(self, args, kwargs):
        key, leaves, static_pos = self._signature_of(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            self._misses += 1
            in_tree = key[0]
            self._last_miss = self._explain_miss(
                key, self._argument_names(in_tree, args, static_pos)
            )
            entry = self._trace(key, args, kwargs, static_pos)
            self._last_program = None if entry.captured else entry.closed
            if not entry.captured and not entry.local:
                self._cache[key] = entry
        else:
            self._hits += 1
        self._last_entry = entry
        if entry.captured:
            outs = jit_call(*entry.captured, *leaves, jaxpr=entry.closed, name=self.name)
        elif any(isinstance(x, Tracer) for x in leaves):
            outs = jit_call(*leaves, jaxpr=entry.closed, name=self.name)
        else:
            outs = compiled(entry.closed)(*leaves)
        return tree.unflatten(entry.out_tree, [_to_output(o) for o in outs])

    def lower(self, *args, **kwargs) -> Lowered:
        """Trace (or fetch from the cache) for these arguments without running."""
        key, _, static_pos = self._signature_of(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._trace(key, args, kwargs, static_pos)
            self._misses += 1
        return Lowered(entry.closed, self, key)

    def cache_info(self) -> CacheInfo:
        """Hits, misses and the number of compiled signatures."""
        return CacheInfo(self._hits, self._misses, len(self._cache))

    def explain(self) -> str | None:
        """Why the last cache miss happened (which argument changed, from what to what), and
        which backend runs that signature's program and why, unless the backend is
        ``"numpy"``: ``native code ready``, ``native code compiling in a background thread``
        (NumPy code runs meanwhile) or ``NumPy code: <reason>``."""
        if self._last_miss is None:
            return None
        from ftrans.compiler.native.tiering import status

        program = self._last_program
        why = None if program is None else status(program)
        return self._last_miss if why is None else f"{self._last_miss}\nbackend: {why}"

    def clear_cache(self):
        self._cache.clear()
        self._fast.clear()
        self._fast_tree.clear()
        self._general.clear()


_SCALAR_SIGNATURES = {
    float: ((), np.dtype(np.float64)),
    int: ((), np.dtype(np.int64)),
    bool: ((), np.dtype(np.bool_)),
    complex: ((), np.dtype(np.complex128)),
}


_ndarray = np.ndarray
_asarray = np.asarray
_SCALAR_DTYPES = {t: d for t, (_, d) in _SCALAR_SIGNATURES.items()}


class _NotSimple(Exception):
    """An argument the token key does not describe (a tracer, a namedtuple, an object)."""


def _tokens(x, tokens: list, leaves: list) -> None:
    """Describe the container ``x`` (a tuple, list, dict or unregistered namedtuple) as flat
    tokens, collecting its leaves in ``tree.flatten`` order (dicts by sorted key); Python and
    NumPy scalars become 0-d arrays. Tokens are a prefix code: a container's type and length
    (a dict's sorted keys), then each child: a leaf is its shape and dtype, None is None. Two
    calls with equal tokens have equal treedefs and leaf shapes and dtypes, hence the same
    compiled program."""
    t = type(x)
    if t is tuple or t is list:
        tokens.append(t)
        tokens.append(len(x))
        children = x
    elif t is dict:
        inserted = tuple(x)
        keys = _dict_memo.get(inserted)
        if keys is None:  # the treedef's aux data: keys compare by ==, as the treedef's do
            if len(_dict_memo) >= 4096:
                _dict_memo.clear()
            keys = _dict_memo[inserted] = _dict_keys(x)
        tokens.append(keys)
        children = x.values() if keys.order is None else map(x.__getitem__, keys.keys)
    else:
        named = _namedtuples.get(t)
        if named is None:
            named = _namedtuples[t] = issubclass(t, tuple) and hasattr(t, "_fields")
        if not named or t in _registry:  # a registered class flattens its own way
            raise _NotSimple
        tokens.append(t)  # the class: two namedtuples with the same fields differ
        tokens.append(len(x))
        children = x
    for c in children:
        tc = type(c)
        if tc is _ndarray:
            leaves.append(c)
            tokens.append(c.shape)
            tokens.append(c.dtype)
        elif c is None:
            tokens.append(None)
        else:
            dtype = _SCALAR_DTYPES.get(tc)
            if dtype is None and not isinstance(c, np.generic):
                _tokens(c, tokens, leaves)  # a container, or _NotSimple
                continue
            a = _asarray(c)
            if dtype is not None and a.dtype != dtype:  # an int past int64: the slow path says
                raise _NotSimple
            leaves.append(a)
            tokens.append(())
            tokens.append(a.dtype)


def _runner(fn, out_tree):
    """One function calling ``fn`` and rebuilding the output pytree from its flat results."""
    if out_tree == _LEAF:
        native = _native_runner(fn, single=True)
        if native is not None:
            return native

        def run(*args):
            o = fn(*args)[0]
            return o if type(o) is _ndarray else _asarray(o)

    elif out_tree == tree.structure((0.0,) * out_tree.num_leaves):
        fn = _native_runner(fn, single=False) or fn

        def run(*args):  # a flat tuple of arrays
            return tuple([o if type(o) is _ndarray else _asarray(o) for o in fn(*args)])

    else:
        fn = _native_runner(fn, single=False) or fn

        def run(*args):
            return tree.unflatten(out_tree, [_asarray(o) for o in fn(*args)])

    return run


def _native_runner(fn, single: bool):
    """For a native function: numba's dispatcher called directly, with 0-d array arguments
    passed as NumPy scalars (the compiled signature; a 0-d array would make numba raise and
    ``fn`` convert, at ~100 µs a call), its constants appended, and its outputs as arrays
    (the first only if ``single``). None for any other function."""
    # Loaded if fn can be native code. A background compile may be importing the module right
    # now (sys.modules holds it half-initialised): then fn cannot be one of its functions yet.
    native = sys.modules.get("ftrans.compiler.native.compile")
    compiled = getattr(native, "NativeCompiled", None)
    if compiled is None or type(fn) is not compiled or fn.scratch:
        return None  # (buffers passed in: fn's own call supplies them)
    raw, consts = fn.fn, fn.consts
    rank0 = tuple(k for k, _ in fn._scalar_in)  # rank-0 parameters
    if single and not consts and not rank0 and not fn._rank0:

        def run(*args):  # the common case: arrays in, one array out
            try:
                o = raw(*args)[0]
            except TypeError:  # not the compiled layout (a strided view): fn converts
                o = fn(*args)[0]
            return o if type(o) is _ndarray else _asarray(o)

        return run
    dtypes = [a.dtype for a in fn.out_avals]

    def run(*args):
        if rank0:
            args = list(args)
            for k in rank0:
                a = args[k]
                if type(a) is _ndarray:
                    args[k] = a[()]
        try:
            outs = raw(*args, *consts)
        except TypeError:
            return fn(*args)[0] if single else fn(*args)
        if single:
            o = outs[0]
            return o if type(o) is _ndarray else _asarray(o, dtypes[0])
        return [o if type(o) is _ndarray else _asarray(o, d) for o, d in zip(outs, dtypes)]

    return run


def _leaf_signature(x):
    if isinstance(x, (np.ndarray, np.generic, Tracer)):
        return (x.shape, x.dtype)
    return _SCALAR_SIGNATURES[type(x)]  # KeyError for anything else


def jit(
    fun: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    backend: str | None = None,
    donate_argnums: int | Sequence[int] = (),
    donate_argnames: str | Sequence[str] = (),
    inline: bool = False,
    keep_unused: bool = False,
    device: Any = None,
):
    """Compile ``fun``: trace once per signature, optimise the IR, run generated NumPy code.

    ``backend``: ``"numpy"`` (generated NumPy code), ``"native"`` (numba machine code, with the
    ``native`` extra; programs it cannot compile run NumPy code) or ``"auto"`` (native code for
    loops over small arrays); None uses ``ftrans.compiler.native.tiering.default_backend()``.

    The cache key is the arguments' pytree structure, shapes and dtypes (Python scalars count
    as 0-d float64/int64, so ``f(1.0)`` and ``f(2.0)`` share an entry) and the values of the
    static arguments. Usable as ``@jit`` or ``@jit(static_argnames=...)``.

    JAX's ``donate_argnums``/``donate_argnames``, ``inline``, ``keep_unused`` and ``device``
    are accepted so JAX code runs unchanged: donation does nothing (ftrans never writes into a
    caller's arrays, so there is no buffer to hand over), a nested jitted function is always a
    sub-program the compiler may optimise across, unused arguments cost nothing, and the only
    device is the CPU (``device`` may be ``None``, ``'cpu'`` or ``ft.devices()[0]``; JAX's
    ``backend='cpu'`` means the default backend).
    ``jit(f).lower(*args).compile()`` gives an object called like ``f``;
    ``.cost_analysis()`` on either counts the program's operations.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> f = ft.jit(lambda x: fnp.sin(x) * 2.0)
        >>> f(np.zeros(3)).tolist(), f(np.ones(3)).shape, f.cache_info().misses
        ([0.0, 0.0, 0.0], (3,), 1)
        >>> print(f.lower(np.zeros(3)).as_text())
        def jitted(a):
            b = np.sin(a)
            c = np.multiply(b, s0, b)  # s0 = 2.0
            return (c,)
        <BLANKLINE>
    """
    if fun is None:
        return lambda f: jit(
            f,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            backend=backend,
            donate_argnums=donate_argnums,
            donate_argnames=donate_argnames,
            inline=inline,
            keep_unused=keep_unused,
            device=device,
        )
    if not (device is None or getattr(device, "platform", device) == "cpu"):
        raise ValueError(
            f"jit: device={device!r}: ftrans runs on the CPU, so the only device is "
            "ft.devices()[0] ('cpu')."
        )
    if backend == "cpu":  # JAX's platform name: the default ftrans backend
        backend = None
    if backend is not None:
        from ftrans.compiler.native.tiering import check_backend

        check_backend(backend)
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    donate = (
        (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums),
        (donate_argnames,) if isinstance(donate_argnames, str) else tuple(donate_argnames),
    )
    return JitFunction(fun, nums, names, backend, donate)
