"""``Table``: rows of named cells that print as aligned text, Markdown or HTML (or with LaTeX)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ftrans.explain._notation import format_value, latex

# Cells that hold math (equations and rules) rather than names or values.
FORMULAS = ("equation", "tangent_rule", "adjoint_rule")


class Table:
    """A table of an explainer: ``rows`` (one dict per row) under named ``columns``.

    Cells holding strings (equations, rules) print as they are; every other cell is a value
    (a NumPy scalar or array) kept exact in ``rows`` and rounded to 3 decimals when printed.

    Attributes:
        columns: ``(key, header)`` pairs, in display order; rows are keyed by ``key``.
        rows: list of dicts, one per row, for programmatic use.
        footer: a line printed under the table (which variables are the outputs).

    Examples:
        >>> t = Table([("var", "var"), ("value", "value")], [{"var": "v1", "value": 0.5}])
        >>> print(t)
        var  value
        ---  -----
        v1   0.5
        >>> t.rows[0]["value"]
        0.5
    """

    def __init__(self, columns: Sequence[tuple[str, str]], rows: list[dict], footer: str = ""):
        self.columns = list(columns)
        self.rows = rows
        self.footer = footer

    def cell(self, row: int, key: str) -> str:
        """The printed text of one cell."""
        value: Any = self.rows[row].get(key, "")
        return value if isinstance(value, str) else format_value(value)

    def _numeric(self, key: str) -> bool:
        return any(not isinstance(r.get(key, ""), str) for r in self.rows)

    def _grid(self) -> list[list[str]]:
        return [[self.cell(i, key) for key, _ in self.columns] for i in range(len(self.rows))]

    def __str__(self) -> str:
        headers = [h for _, h in self.columns]
        grid = self._grid()
        widths = [max(len(h), *(len(r[j]) for r in grid)) for j, h in enumerate(headers)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        lines = [line(headers), line(["-" * w for w in widths])]
        lines += [line(r) for r in grid]
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def to_markdown(self, *, math: bool = False) -> str:
        """A GitHub-flavoured Markdown table; values right-aligned.

        Args:
            math: write variables, equations and rules as inline LaTeX in the seed tutorial's
                dot/bar notation (``$\\dot v_{7} = \\dot v_{6} - \\dot v_{5}$``) for a page
                that typesets math; by default they are code spans, readable anywhere.

        Examples:
            >>> t = Table([("var", "var"), ("tangent_rule", "rule")],
            ...           [{"var": "v2", "tangent_rule": "dv2 = cos v1 * dv1"}], "y = v2")
            >>> print(t.to_markdown())
            | var | rule |
            | --- | --- |
            | v2 | `dv2 = cos v1 * dv1` |
            <BLANKLINE>
            `y = v2`
            >>> print(t.to_markdown(math=True).splitlines()[2])
            | $v_{2}$ | $\\dot v_{2} = \\cos v_{1} \\cdot \\dot v_{1}$ |
        """
        numeric = [self._numeric(key) for key, _ in self.columns]

        def cell(text: str, formula: bool) -> str:
            if not (formula and text):
                return text.replace("|", "\\|")
            if math:
                return f"${latex(text)}$"
            return "`" + text.replace("|", "\\|") + "`"

        lines = [
            "| " + " | ".join(h for _, h in self.columns) + " |",
            "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
        ]
        formulas = [key in FORMULAS or (math and key == "var") for key, _ in self.columns]
        for r in self._grid():
            cells = [cell(c, f) for c, f in zip(r, formulas, strict=True)]
            lines.append("| " + " | ".join(cells) + " |")
        if self.footer:
            lines += ["", cell(self.footer, True)]
        return "\n".join(lines)

    def to_html(self, *, math: bool = False) -> str:
        """An HTML ``<table>`` (every cell escaped); Jupyter shows tables this way.

        Args:
            math: write variables, equations and rules as LaTeX in
                ``<span class="arithmatex">\\(...\\)</span>``, which KaTeX's and MathJax's
                page scripts typeset.
        """
        esc = html.escape
        numeric = [self._numeric(key) for key, _ in self.columns]
        formulas = [key in FORMULAS or (math and key == "var") for key, _ in self.columns]

        def content(text: str, formula: bool) -> str:
            if math and formula and text:
                return f'<span class="arithmatex">\\({esc(latex(text))}\\)</span>'
            return esc(text)

        head = "".join(f"<th>{esc(h)}</th>" for _, h in self.columns)
        body = []
        for r in self._grid():
            cells = "".join(
                f'<td style="text-align: right">{content(c, f)}</td>'
                if n
                else f"<td>{content(c, f)}</td>"
                for c, n, f in zip(r, numeric, formulas, strict=True)
            )
            body.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{content(self.footer, True)}</caption>" if self.footer else ""
        return (
            f'<table class="ftrans-explain">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    _repr_html_ = to_html
