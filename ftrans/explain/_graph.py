"""The computational graph of a traced function as Graphviz DOT, optionally rendered to SVG."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import numpy as np

from ftrans import api
from ftrans.core import Literal, Var
from ftrans.errors import FtransError
from ftrans.explain._program import trace
from ftrans.explain._tables import _equation, forward_table, reverse_table

VALUES = (None, "primal", "tangent", "adjoint")


class GraphvizNotFoundError(FtransError, RuntimeError):
    """Rendering a graph needs Graphviz's ``dot`` program, and it is not installed."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graph(
    f: Callable,
    *args,
    values: str | None = None,
    tangents: tuple | None = None,
    order: str = "depth",
) -> str:
    """The computational graph of ``f`` at ``args`` as Graphviz DOT source.

    One node per variable, numbered as in [`forward_table`][ftrans.explain.forward_table]: inputs
    are ellipses, equations are boxes labelled with their math, outputs are drawn bold and filled;
    literals are plain text. Every edge runs from an equation's input to its output.

    Args:
        f: a function written with ``ftrans.numpy``.
        *args: its arguments (pytrees allowed).
        values: annotate each node with its ``"primal"`` value, its ``"tangent"`` (along
            ``tangents``, by default the derivative with respect to the first input) or its
            ``"adjoint"`` (``f`` must return a scalar); None draws the bare graph.
        tangents: tangents for ``values="tangent"``, structured like ``args``.
        order: variable numbering, as in [`forward_table`][ftrans.explain.forward_table].

    Returns:
        DOT source; render it with [`graph_svg`][ftrans.explain.graph_svg], ``dot -Tsvg`` or any
        Graphviz viewer.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> print(ft.explain.graph(lambda x: fnp.sin(x) * 2.0, 1.0))
        digraph ftrans {
          rankdir=LR;
          node [fontname="Helvetica"];
          v1 [label="v1 = x1", shape=ellipse, style=filled, fillcolor="#dbe9f6"];
          v2 [label="v2 = sin v1", shape=box];
          v3 [label="v3 = v2 * 2", shape=box, style="filled,bold", fillcolor="#fde2c8", penwidth=2];
          lit1 [label="2", shape=plaintext];
          v1 -> v2;
          v2 -> v3;
          lit1 -> v3;
        }
    """
    name = f"graph({api.fun_name(f)})"
    if values not in VALUES:
        raise ValueError(f"{name}: values must be one of {VALUES}, got {values!r}.")
    program = trace(f, args, name, order)
    annotation: dict[str, str] = {}
    if values in ("primal", "tangent"):
        if tangents is None:
            leaves = program.leaves
            tangents_flat = [np.zeros_like(x, dtype=float) for x in leaves]
            if tangents_flat:
                tangents_flat[0] = np.ones_like(leaves[0], dtype=float)
            table = forward_table(_flat(f, args), tuple(leaves), tuple(tangents_flat), order=order)
        else:
            table = forward_table(f, args, tangents, order=order)
        for i, row in enumerate(table.rows):
            if values == "primal":
                annotation[row["var"]] = table.cell(i, "value")
            else:
                annotation[row["var"]] = f"d{row['var']} = {table.cell(i, 'tangent')}"
    elif values == "adjoint":
        table = reverse_table(f, args, order=order)
        for i, row in enumerate(table.rows):
            annotation[row["var"]] = (
                f"{row['var'][0]}bar{row['var'][1:]} = {table.cell(i, 'adjoint')}"
            )

    outputs = {v.id for v in program.outputs if type(v) is Var}
    lines = ["digraph ftrans {", "  rankdir=LR;", '  node [fontname="Helvetica"];']

    def node(var, eqn):
        vname = program.name(var)
        label = _equation(program, var, eqn)
        if vname in annotation:
            label += "\n" + annotation[vname]
        style = "shape=ellipse" if eqn is None else "shape=box"
        if var.id in outputs:
            style += ', style="filled,bold", fillcolor="#fde2c8", penwidth=2'
        elif eqn is None:
            style += ', style=filled, fillcolor="#dbe9f6"'
        lines.append(f"  {vname} [label={_quote(label)}, {style}];")

    for v in program.sources():
        node(v, None)
    for eqn in program.eqns:
        for v in eqn.outputs:
            node(v, eqn)
    edges = []
    n_literals = 0
    for eqn in program.eqns:
        for a in eqn.inputs:
            if type(a) is Literal:
                n_literals += 1
                source = f"lit{n_literals}"
                lines.append(f"  {source} [label={_quote(program.name(a))}, shape=plaintext];")
            else:
                source = program.name(a)
            edges += [f"  {source} -> {program.name(v)};" for v in eqn.outputs]
    lines += edges
    lines.append("}")
    return "\n".join(lines)


def _flat(f: Callable, args: tuple) -> Callable:
    """``f`` as a function of its flattened argument leaves (for default tangents)."""
    from ftrans import tree

    _, treedef = tree.flatten(tuple(args))

    def flat(*leaves):
        return f(*tree.unflatten(treedef, list(leaves)))

    flat.__name__ = api.fun_name(f)
    return flat


def graph_svg(f: Callable, *args, **kwargs) -> str:
    """[`graph`][ftrans.explain.graph] rendered to SVG by Graphviz's ``dot`` program.

    Args:
        f: as for [`graph`][ftrans.explain.graph].
        *args: as for [`graph`][ftrans.explain.graph].
        **kwargs: ``values``, ``tangents`` and ``order``, as for [`graph`][ftrans.explain.graph].

    Returns:
        The SVG document as a string.

    Raises:
        GraphvizNotFoundError: ``dot`` is not on ``PATH``.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(
            "graph_svg needs Graphviz's `dot` program, which is not on PATH. Install Graphviz "
            "(apt-get install graphviz, brew install graphviz, conda install -c conda-forge "
            "graphviz, or see https://graphviz.org/download/), or paste the DOT source from "
            "ftrans.explain.graph(...) into any Graphviz viewer."
        )
    source = graph(f, *args, **kwargs)
    done = subprocess.run(
        [dot, "-Tsvg"], input=source, capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout
