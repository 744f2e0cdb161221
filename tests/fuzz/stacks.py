"""Random transform stacks, rendered as Python source in two versions.

A stack is a list of layers, innermost first. Layer ``i`` turns function ``f{i}`` into
``f{i+1}``; every function takes the arguments positionally and returns a tuple of arrays.
Each layer renders twice: the transform itself (``jit``, ``grad``, ``vmap``, ...) and an
*alternative* that computes the same numbers another way (``jit`` -> the plain function,
``vmap`` -> a Python loop, ``grad`` -> one ``jvp`` per basis vector, ``jvp`` -> a Jacobian
from ``vjp``s contracted with the tangent, ``vjp`` -> Jacobian from ``jvp``s transposed (the
dot-product test), ``jacfwd`` <-> ``jacrev`` (as loops of ``vjp``/``jvp``), ``hessian`` ->
forward-over-forward). The source only uses the names ``ft``, ``fnp``, ``np``, so the same text
runs on ftrans and on JAX.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

# Helpers shared by every rendered case. They use only ``ft``/``fnp``/``np`` from the namespace.
HELPERS = '''\
def _w(o):
    """Fixed weights that turn an output into a scalar (a deterministic function of shape)."""
    n = int(np.prod(o.shape))
    return np.cos(1.0 + 0.37 * np.arange(n)).reshape(o.shape).astype(o.dtype)


def _scal(outs):
    return sum(fnp.sum(o * _w(o)) for o in outs)


def _tangents(a):
    return tuple(
        np.sin(2.0 + 0.61 * np.arange(int(np.prod(x.shape)))).reshape(x.shape).astype(x.dtype)
        for x in a
    )


def _cotangents(outs):
    return tuple(
        np.cos(0.5 + 0.83 * np.arange(int(np.prod(o.shape)))).reshape(o.shape).astype(o.dtype)
        for o in outs
    )


def _basis(x, i):
    e = np.zeros(int(np.prod(x.shape)), dtype=x.dtype)
    e[i] = 1
    return e.reshape(x.shape)


def _jac_by_jvp(f, a, k):
    """d f(a) / d a[k] for every output, one jvp per element of a[k] (forward mode only)."""
    cols = []
    for i in range(int(np.prod(a[k].shape))):
        t = tuple(_basis(x, i) if j == k else np.zeros(x.shape, x.dtype)
                  for j, x in enumerate(a))
        cols.append(ft.jvp(f, tuple(a), t)[1])
    outs = []
    for m, o in enumerate(cols[0]):
        col = fnp.stack([c[m] for c in cols], axis=-1) if cols else None
        outs.append(fnp.reshape(col, tuple(o.shape) + tuple(a[k].shape)))
    return tuple(outs)


def _jac_by_vjp(f, a, k):
    """d f(a) / d a[k] for every output, one vjp per output element (reverse mode only)."""
    outs, back = ft.vjp(f, *a)
    jacs = []
    for m, o in enumerate(outs):
        rows = []
        for i in range(int(np.prod(o.shape))):
            ct = tuple(_basis(p, i) if q == m else np.zeros(p.shape, p.dtype)
                       for q, p in enumerate(outs))
            rows.append(back(ct)[k])
        jac = fnp.stack(rows, axis=0)
        jacs.append(fnp.reshape(jac, tuple(o.shape) + tuple(a[k].shape)))
    return tuple(jacs)


def _apply_jac(jacs_by_arg, tangents):
    """sum_j J[i][j] . t[j] for each output i."""
    n_out = len(jacs_by_arg[0])
    outs = []
    for i in range(n_out):
        acc = 0.0
        for j, t in enumerate(tangents):
            acc = acc + fnp.tensordot(jacs_by_arg[j][i], t, axes=np.ndim(t))
        outs.append(acc)
    return tuple(outs)


def _apply_jac_t(jacs_by_arg, cotangents):
    """sum_i c[i] . J[i][j] for each argument j (the transpose, contracted with c)."""
    outs = []
    for jacs in jacs_by_arg:
        acc = 0.0
        for c, jac in zip(cotangents, jacs):
            acc = acc + fnp.tensordot(c, jac, axes=np.ndim(c))
        outs.append(acc)
    return tuple(outs)


def _loop_vmap(f, a, in_axes, out_axis, size):
    """vmap by a Python loop: slice each mapped argument, call f, stack the results."""
    res = []
    for b in range(size):
        sl = tuple(x if ax is None else x[(slice(None),) * (ax % x.ndim) + (b,)]
                   for x, ax in zip(a, in_axes))
        res.append(f(*sl))
    return tuple(fnp.stack([r[m] for r in res], axis=out_axis) for m in range(len(res[0])))
'''


def _helper_defs() -> dict:
    defs = {}
    for chunk in HELPERS.split("\n\n\n"):
        name = chunk.split("(", 1)[0].removeprefix("def ").strip()
        defs[name] = chunk.strip() + "\n"
    return defs


HELPER_DEFS = _helper_defs()


def helpers_for(source: str) -> str:
    """The helper definitions ``source`` uses (directly or through other helpers)."""
    need, todo = set(), [source]
    while todo:
        text = todo.pop()
        for name, body in HELPER_DEFS.items():
            if name not in need and re.search(rf"\b{name}\(", text):
                need.add(name)
                todo.append(body)
    return "".join(HELPER_DEFS[n] + "\n\n" for n in HELPER_DEFS if n in need)


@dataclasses.dataclass(frozen=True)
class Layer:
    kind: str  # eval jit checkpoint grad value_and_grad jvp vjp linearize vmap jacfwd ...
    argnum: int = 0
    in_axes: tuple = ()
    out_axis: int = 0
    size: int = 2

    def label(self) -> str:
        if self.kind == "vmap":
            return f"vmap(in_axes={self.in_axes!r}, out_axes={self.out_axis})"
        if self.kind in ("grad", "value_and_grad", "jacfwd", "jacrev", "hessian"):
            return f"{self.kind}(argnums={self.argnum})" if self.argnum else self.kind
        return self.kind

    def source(
        self, i: int, alt: bool, flags=frozenset(), prefix: str = "f", vectorized: bool = False
    ) -> str:
        """Lines defining f{i+1} from f{i}; ``alt`` renders the other way of computing it.

        ``vectorized`` alternatives use ``jacfwd``/``jacrev`` instead of Python loops of
        ``jvp``/``vjp`` (nested loops multiply; deep stacks over big arguments use these).
        """
        f, g, k = (f"{prefix}{i}" if i else "f0"), f"{prefix}{i + 1}", self.argnum
        scal = f"lambda *a: _scal({f}(*a))"
        fwd_only = "no_reverse" in flags
        if alt and vectorized and "concrete_only" not in flags:
            alt_src = self._vectorized_alt(f, g, k, fwd_only)
            if alt_src:
                return alt_src
        if self.kind in ("jit", "checkpoint"):
            return f"{g} = {f}\n" if alt else f"{g} = ft.{self.kind}({f})\n"
        if self.kind == "grad":
            body = (
                f"_jac_by_jvp(lambda *a: (_scal({f}(*a)),), a, {k})[0]"
                if alt
                else f"ft.grad({scal}, argnums={k})(*a)"
            )
            return f"def {g}(*a):\n    return ({body},)\n"
        if self.kind == "value_and_grad":
            if alt:
                return (
                    f"def {g}(*a):\n    return (_scal({f}(*a)), "
                    f"_jac_by_jvp(lambda *a: (_scal({f}(*a)),), a, {k})[0])\n"
                )
            return (
                f"def {g}(*a):\n    v, d = ft.value_and_grad({scal}, argnums={k})(*a)\n"
                f"    return (v, d)\n"
            )
        if self.kind == "jvp":
            if alt:
                jac = "_jac_by_jvp" if fwd_only else "_jac_by_vjp"
                return (
                    f"def {g}(*a):\n    p = {f}(*a)\n"
                    f"    jacs = [{jac}({f}, a, j) for j in range(len(a))]\n"
                    f"    return tuple(p) + _apply_jac(jacs, _tangents(a))\n"
                )
            return (
                f"def {g}(*a):\n    p, t = ft.jvp({f}, a, _tangents(a))\n"
                f"    return tuple(p) + tuple(t)\n"
            )
        if self.kind == "vjp":
            if alt:
                return (
                    f"def {g}(*a):\n    p = {f}(*a)\n"
                    f"    jacs = [_jac_by_jvp({f}, a, j) for j in range(len(a))]\n"
                    f"    return tuple(p) + _apply_jac_t(jacs, _cotangents(p))\n"
                )
            return (
                f"def {g}(*a):\n    p, back = ft.vjp({f}, *a)\n"
                f"    return tuple(p) + tuple(back(_cotangents(p)))\n"
            )
        if self.kind == "linearize":
            if alt:
                return (
                    f"def {g}(*a):\n    p, t = ft.jvp({f}, a, _tangents(a))\n"
                    f"    return tuple(p) + tuple(t)\n"
                )
            return (
                f"def {g}(*a):\n    p, lin = ft.linearize({f}, *a)\n"
                f"    return tuple(p) + tuple(lin(*_tangents(a)))\n"
            )
        if self.kind == "vmap":
            if alt:
                return (
                    f"def {g}(*a):\n    return _loop_vmap({f}, a, {self.in_axes!r}, "
                    f"{self.out_axis}, {self.size})\n"
                )
            return f"{g} = ft.vmap({f}, in_axes={self.in_axes!r}, out_axes={self.out_axis})\n"
        if self.kind in ("jacfwd", "jacrev"):
            if alt:
                jac = "_jac_by_vjp" if self.kind == "jacfwd" and not fwd_only else "_jac_by_jvp"
                return f"def {g}(*a):\n    return {jac}({f}, a, {k})\n"
            return f"def {g}(*a):\n    return tuple(ft.{self.kind}({f}, argnums={k})(*a))\n"
        if self.kind == "hessian":
            if alt:
                inner = f"lambda *b: (_jac_by_jvp(lambda *a: (_scal({f}(*a)),), b, {k})[0],)"
                return f"def {g}(*a):\n    return (_jac_by_jvp({inner}, a, {k})[0],)\n"
            return f"def {g}(*a):\n    return (ft.hessian({scal}, argnums={k})(*a),)\n"
        raise ValueError(self.kind)

    def _vectorized_alt(self, f: str, g: str, k: int, fwd_only: bool) -> str | None:
        scal = f"lambda *a: _scal({f}(*a))"
        rev = "ft.jacfwd" if fwd_only else "ft.jacrev"
        if self.kind == "grad":
            return f"def {g}(*a):\n    return (ft.jacfwd({scal}, argnums={k})(*a),)\n"
        if self.kind == "value_and_grad":
            return (
                f"def {g}(*a):\n    return (_scal({f}(*a)), ft.jacfwd({scal}, argnums={k})(*a))\n"
            )
        if self.kind == "jvp":
            return (
                f"def {g}(*a):\n    p = {f}(*a)\n"
                f"    jacs = [tuple({rev}({f}, argnums=j)(*a)) for j in range(len(a))]\n"
                f"    return tuple(p) + _apply_jac(jacs, _tangents(a))\n"
            )
        if self.kind == "vjp":
            return (
                f"def {g}(*a):\n    p = {f}(*a)\n"
                f"    jacs = [tuple(ft.jacfwd({f}, argnums=j)(*a)) for j in range(len(a))]\n"
                f"    return tuple(p) + _apply_jac_t(jacs, _cotangents(p))\n"
            )
        if self.kind == "jacfwd" and not fwd_only:
            return f"def {g}(*a):\n    return tuple(ft.jacrev({f}, argnums={k})(*a))\n"
        if self.kind == "jacrev":
            return f"def {g}(*a):\n    return tuple(ft.jacfwd({f}, argnums={k})(*a))\n"
        if self.kind == "hessian":
            return (
                f"def {g}(*a):\n    return (ft.jacfwd(ft.jacfwd({scal}, argnums={k}), "
                f"argnums={k})(*a),)\n"
            )
        return None

    def inner_shapes(self, shapes: list) -> list:
        """Argument shapes seen by the inner function, given this layer's argument shapes."""
        if self.kind != "vmap":
            return shapes
        return [
            s if ax is None else s[:ax] + s[ax + 1 :]
            for s, ax in zip(shapes, self.in_axes, strict=True)
        ]


REVERSE = {"grad", "value_and_grad", "vjp", "jacrev", "hessian"}
FORWARD = {"jvp", "linearize", "jacfwd", "hessian"}
ALL = [
    "jit",
    "checkpoint",
    "grad",
    "value_and_grad",
    "jvp",
    "vjp",
    "linearize",
    "vmap",
    "jacfwd",
    "jacrev",
    "hessian",
]
WEIGHTS = {
    "jit": 3,
    "checkpoint": 1,
    "grad": 3,
    "value_and_grad": 1,
    "jvp": 2,
    "vjp": 2,
    "linearize": 1,
    "vmap": 3,
    "jacfwd": 1.5,
    "jacrev": 1.5,
    "hessian": 1.5,
}
CONCRETE_OK = {"grad", "value_and_grad", "jvp", "vjp"}
DIFFERENTIATING = REVERSE | FORWARD


def allowed(flags: frozenset) -> list:
    kinds = list(ALL)
    if "no_reverse" in flags:
        kinds = [k for k in kinds if k not in REVERSE]
    if "concrete_only" in flags:
        kinds = [k for k in kinds if k in CONCRETE_OK]
    return kinds


def random_stack(
    rng: np.random.Generator, base_shapes: list, flags: frozenset, max_depth: int = 3
) -> tuple:
    """Layers (innermost first) and the outermost argument shapes."""
    kinds = allowed(flags)
    depth = int(rng.choice([0, 1, 1, 2, 2, 3][: max_depth + 3]))
    depth = min(depth, max_depth)
    layers = []
    shapes = list(base_shapes)
    order = 0  # derivative order of the stack so far
    for _ in range(depth):
        w = np.array([WEIGHTS[k] for k in kinds], dtype=float)
        kind = kinds[int(rng.choice(len(kinds), p=w / w.sum()))]
        n = len(shapes)
        # "low_order" programs (float32 singular values) are differentiated at most twice
        step = 2 if kind == "hessian" else int(kind in DIFFERENTIATING)
        if "low_order" in flags and order + step > 2:
            if "jit" not in kinds:  # concrete_only programs: every allowed kind differentiates
                break
            kind, step = "jit", 0
        order += step
        # keep Jacobians small: no Jacobian layer over a big argument
        if kind in ("jacfwd", "jacrev", "hessian") and max(np.prod(s) for s in shapes) > 8:
            kind = "grad" if "grad" in kinds else "jit"
        if kind == "vmap":
            axes = []
            for s in shapes:
                axes.append(None if rng.random() < 0.3 else int(rng.integers(0, len(s) + 1)))
            if all(a is None for a in axes):
                axes[int(rng.integers(n))] = 0
            size = int(rng.integers(1, 4))
            layer = Layer("vmap", in_axes=tuple(axes), out_axis=int(rng.choice([0, -1])), size=size)
            shapes = [
                s if ax is None else s[:ax] + (size,) + s[ax:]
                for s, ax in zip(shapes, axes, strict=True)
            ]
            if max(np.prod(s) for s in shapes) > 24:
                break
        else:
            layer = Layer(kind, argnum=int(rng.integers(n)))
        layers.append(layer)
    return tuple(layers), shapes


def outer_shapes(layers, base_shapes) -> list:
    shapes = list(base_shapes)
    for layer in layers:
        if layer.kind == "vmap":
            shapes = [
                s if ax is None else s[:ax] + (layer.size,) + s[ax:]
                for s, ax in zip(shapes, layer.in_axes, strict=True)
            ]
    return shapes


def stack_label(layers) -> str:
    s = "f"
    for layer in layers:
        s = f"{layer.label()}({s})"
    return s


LOOP_BUDGET = 24  # Python-loop alternatives only while their nested loop count stays below


def loop_cost(layers, base_shapes) -> int:
    """How many times the innermost function runs in the looped alternative (an estimate)."""
    cost, shapes = 1, list(base_shapes)
    for layer in layers:
        if layer.kind in ("grad", "value_and_grad", "jacfwd", "jacrev"):
            cost *= max(1, int(np.prod(shapes[layer.argnum])))
        elif layer.kind == "hessian":
            cost *= max(1, int(np.prod(shapes[layer.argnum]))) ** 2
        elif layer.kind in ("jvp", "vjp"):
            cost *= max(1, sum(int(np.prod(s)) for s in shapes))
        elif layer.kind == "vmap":
            cost *= layer.size
            shapes = outer_shapes([layer], shapes)
    return cost


def stack_source(layers, alt: bool, flags=frozenset(), prefix: str = "f", base_shapes=None) -> str:
    vectorized = base_shapes is not None and loop_cost(layers, base_shapes) > LOOP_BUDGET
    return "".join(
        layer.source(i, alt, flags, prefix, vectorized) for i, layer in enumerate(layers)
    )
