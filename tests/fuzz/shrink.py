"""Shrink a failing case to a minimal one and print it as a standalone script.

Greedy: drop transform layers, drop outputs, delete statements (rewiring their uses to an
earlier variable of the same shape and dtype), drop unused arguments, shrink argument
dimensions and vmap sizes; keep each step only when the same failure (kind and detail) still
happens. Then ``script`` prints the case as a Python file that reproduces it with nothing but
numpy and ftrans.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import oracles, stacks
from . import program as prog


def reproduces(case: oracles.Case, key: tuple) -> bool:
    kind = key[0]
    try:
        v = oracles.judge(case, use_jax=kind == "jax", use_fd=kind == "fd")
    except Exception:  # a broken candidate does not reproduce
        return False
    return any(f.key == key for f in v.failures)


def _candidates(case: oracles.Case):
    p, layers = case.program, case.layers
    # 1. shallower stacks
    for i in range(len(layers)):
        yield dataclasses.replace(case, layers=layers[:i] + layers[i + 1 :])
    # 2. fewer outputs
    if len(p.outs) > 1:
        for o in p.outs:
            yield dataclasses.replace(case, program=dataclasses.replace(p, outs=(o,)))
    # 3. fewer statements (last first), rewiring uses to an earlier same-typed variable
    known = {a.name: (a.shape, a.dtype) for a in p.args}
    for s in p.stmts:
        if s.var is not None:
            known[s.var.name] = (s.var.shape, s.var.dtype)
    for idx in range(len(p.stmts) - 1, -1, -1):
        s = p.stmts[idx]
        used = any(s.out in t.uses for t in p.stmts[idx + 1 :]) or s.out in p.outs
        rest = p.stmts[:idx] + p.stmts[idx + 1 :]
        if not used:
            yield dataclasses.replace(case, program=dataclasses.replace(p, stmts=rest))
            continue
        earlier = [a.name for a in p.args] + [t.out for t in p.stmts[:idx]]
        for name in reversed(earlier):
            if known.get(name) == known.get(s.out):
                q = prog.rename(dataclasses.replace(p, stmts=rest), s.out, name)
                yield dataclasses.replace(case, program=q)
                break
    # 4. unused arguments
    for j, a in enumerate(p.args):
        if any(a.name in s.uses for s in p.stmts) or len(p.args) == 1:
            continue
        if any(layer.argnum == j for layer in layers if layer.kind != "vmap"):
            continue
        new_layers = []
        for layer in layers:
            if layer.kind == "vmap":
                axes = layer.in_axes[:j] + layer.in_axes[j + 1 :]
                if all(x is None for x in axes):
                    break
                layer = dataclasses.replace(layer, in_axes=axes)
            else:
                layer = dataclasses.replace(layer, argnum=layer.argnum - (layer.argnum > j))
            new_layers.append(layer)
        else:
            q = dataclasses.replace(p, args=p.args[:j] + p.args[j + 1 :])
            yield dataclasses.replace(case, program=q, layers=tuple(new_layers))
    # 5. smaller vmap sizes and argument dimensions
    for i, layer in enumerate(layers):
        if layer.kind == "vmap" and layer.size > 1:
            smaller = dataclasses.replace(layer, size=layer.size - 1)
            yield dataclasses.replace(case, layers=layers[:i] + (smaller,) + layers[i + 1 :])
    for j, a in enumerate(p.args):
        for d, n in enumerate(a.shape):
            if n > 1:
                shape = a.shape[:d] + (n - 1,) + a.shape[d + 1 :]
                args = p.args[:j] + (dataclasses.replace(a, shape=shape),) + p.args[j + 1 :]
                yield dataclasses.replace(case, program=dataclasses.replace(p, args=args))


def shrink(case: oracles.Case, failure: oracles.Failure, max_steps: int = 400) -> oracles.Case:
    """The smallest case found that still shows ``failure``'s signature."""
    sig = failure.key
    steps = 0
    progress = True
    while progress and steps < max_steps:
        progress = False
        for cand in _candidates(case):
            steps += 1
            if reproduces(cand, sig):
                case = cand
                progress = True
                break
            if steps >= max_steps:
                break
    return case


def _array_source(name: str, a: np.ndarray) -> str:
    vals = [float(v) for v in a.ravel()]
    return f"{name} = np.array({vals!r}, dtype=np.{a.dtype}).reshape({a.shape!r})"


def script(case: oracles.Case, failure: oracles.Failure | None = None) -> str:
    """A standalone Python script reproducing ``case`` (numpy and ftrans only)."""
    import ftrans

    n = len(case.layers)
    args = case.args()
    backend = ftrans.config.read("jit_backend")
    alt = (
        stacks.stack_source(
            case.layers, True, case.program.flags, prefix="g", base_shapes=case.base_shapes()
        )
        if n
        else "g0 = f0\n"
    )
    lines = [
        f'"""Fuzz case: seed {case.seed}, stack {case.label}.',
        "",
        f"Failure: {failure}" if failure is not None else "Failure: (none recorded)",
        '"""',
        "",
        "import numpy as np",
        "",
        "import ftrans as ft",
        "import ftrans.numpy as fnp",
        "from ftrans import lax",
        "",
        *(
            [
                "from ftrans.compiler.native.tiering import set_native_sync",
                "",
                f"ft.config.update({'jit_backend'!r}, {backend!r})",
                "set_native_sync(True)  # native code compiles before the first call",
            ]
            if backend != "numpy"
            else []
        ),
        "",
        oracles.case_source(
            case,
            extra="\n\n# the same numbers computed another way (loops, "
            "the other AD mode, no jit)\n" + alt,
        ).rstrip(),
        "",
        "",
    ]
    lines += [_array_source(f"a{j}", a) for j, a in enumerate(args)]
    call = ", ".join(f"a{j}" for j in range(len(args)))
    lines += [
        f"args = ({call},)",
        f"out = f{n}(*args)",
        'print("stack:", out)',
        f"ref = g{n if n else 0}(*args)",
        'print("reference:", ref)',
        "for o, r in zip(out, ref):",
        '    print("max abs difference:", np.max(np.abs(np.asarray(o) - np.asarray(r))),',
        '          "dtypes:", np.asarray(o).dtype, np.asarray(r).dtype, "type:", type(o).__name__)',
    ]
    return "\n".join(lines) + "\n"
