"""Explain automatic differentiation with the tables and graphs of a textbook.

For any function written with ``ftrans.numpy`` this module shows what ftrans computes: the
forward-mode table of values and tangents ([`forward_table`][ftrans.explain.forward_table]), the
reverse-mode table of adjoints ([`reverse_table`][ftrans.explain.reverse_table]), the computational
graph in Graphviz DOT ([`graph`][ftrans.explain.graph], [`graph_svg`][ftrans.explain.graph_svg]) and
the program as one nested formula ([`symbolic`][ftrans.explain.symbolic]), with the expression swell
that makes symbolic differentiation impractical
([`expression_swell`][ftrans.explain.expression_swell]).

Examples:
    >>> import ftrans as ft, ftrans.numpy as fnp
    >>> def f(x1, x2):
    ...     return fnp.log(x1) + x1 * x2 - fnp.sin(x2)
    >>> table = ft.explain.reverse_table(f, (2.0, 5.0))
    >>> [round(float(r["adjoint"]), 3) for r in table.rows if r["var"] in ("v1", "v2")]
    [1.716, 5.5]
"""

from __future__ import annotations

from ftrans.explain._graph import GraphvizNotFoundError, graph, graph_svg
from ftrans.explain._symbolic import expression_swell, symbolic
from ftrans.explain._table import Table
from ftrans.explain._tables import forward_table, reverse_table

__all__ = [
    "GraphvizNotFoundError",
    "Table",
    "expression_swell",
    "forward_table",
    "graph",
    "graph_svg",
    "reverse_table",
    "symbolic",
]
