"""mkdocs hooks: pictures the docs show are made by ftrans itself at build time.

The pictures are files of the site, not of ``docs/``: on_files adds them to the build as
generated files (pages link them as ``generated/NAME``), so a build writes nothing into the
folder ``mkdocs serve`` watches, and serving does not rebuild in a loop.

* ``generated/seed_graph.svg``: the computational graph of the seed's example, annotated with
  primal values (``ftrans.explain.graph_svg``). It needs Graphviz's ``dot``: without it the
  build fails and says how to install it (a page showing DOT source instead would look done).
* ``generated/jacobian_cost.png``: measured cost of ``jacfwd`` and ``jacrev`` for
  ``f(x) = tanh(B x)`` as the number of inputs n and outputs k vary (matplotlib).
* ``benchmarks.md``: the benchmark tables, copied from ``benchmarks/README.md`` (one source, so
  the site and the repository cannot disagree).

Reference pages can list a package's public names by group instead of by hand: a line
``<!-- api: ftrans.optim modules=_aliases,_aliases_more -->`` becomes one ``::: ftrans.optim.adam``
block per public function of ``ftrans.optim`` defined in those submodules (in ``__all__`` order),
``<!-- api: ftrans.optim types -->`` one per public class or type alias (capitalised name),
``<!-- api: ftrans.optim rest -->`` one per public function no other marker of the page took
(under an "Other functions" heading, or nothing when there is none), and on pages without
groups ``<!-- api: ftrans.random functions -->`` one per public function (whatever its case:
``PRNGKey``) and ``<!-- api: ftrans.random classes -->`` one per public class (constants and
type aliases, which have no docstring of their own, are left out).
So every entry sits under its public name, functions come before the state types, and a name
added to ``__all__`` appears without editing the page.

Rendered code blocks lose their doctest markup (``# doctest: +ELLIPSIS`` directives and
``<BLANKLINE>`` markers, in guides and in docstrings alike); the Markdown sources keep it, so
pytest still runs every example unchanged.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import shutil
import time
import types

import numpy as np
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

HERE = os.path.dirname(os.path.abspath(__file__))

# Site path -> content of the pictures this build made (on_pre_build), added by on_files.
FIGURES: dict[str, str | bytes] = {}


GRAPHVIZ_MISSING = (
    "The docs draw the computational graph of the autodiff tutorial with Graphviz's `dot` "
    "program, which is not on PATH. Install Graphviz (Debian/Ubuntu: `apt-get install "
    "graphviz`; macOS: `brew install graphviz`; conda: `conda install graphviz`) and build "
    "again."
)


def _seed_graph():
    import ftrans as ft
    import ftrans.numpy as fnp

    def f(x1, x2):
        return fnp.log(x1) + x1 * x2 - fnp.sin(x2)

    if not shutil.which("dot"):  # a picture of DOT source would pass for the graph: stop instead
        raise PluginError(GRAPHVIZ_MISSING)
    return ft.explain.graph_svg(f, 2.0, 5.0, values="primal")


def _best_time(fn, repeat=7):
    """Fastest of ``repeat`` runs after a warm-up (the least disturbed by a busy machine)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(min(samples))


def _jacobian_cost():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import ftrans as ft
    import ftrans.numpy as fnp

    rng = np.random.default_rng(0)
    total = 2000
    ns = [1, 10, 100, 1000, 1990]
    fwd, rev = [], []
    for n in ns:
        k = total - n
        b = rng.normal(size=(k, n))
        x = rng.normal(size=n)

        def f(v, b=b):
            return fnp.tanh(b @ v)

        fwd.append(_best_time(lambda f=f, x=x: ft.jacfwd(f)(x)) * 1e3)
        rev.append(_best_time(lambda f=f, x=x: ft.jacrev(f)(x)) * 1e3)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    ax.plot(ns, fwd, "o-", label="jacfwd (forward mode: ~n passes)")
    ax.plot(ns, rev, "s-", label="jacrev (reverse mode: ~k passes)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"inputs n (outputs k = {total} - n)")
    ax.set_ylabel("ms per Jacobian")
    ax.set_title("Jacobian of tanh(B x), measured while building these docs")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


BENCH_INTRO = (
    "The tables below are the latest full runs of the scripts in `benchmarks/` (this page is "
    "made from `benchmarks/README.md` at build time). Reproduce them with the commands shown; "
    "every library is pinned to one thread and checked against a NumPy reference before it is "
    "timed."
)


def _benchmarks_page() -> str:
    """The Benchmarks page from benchmarks/README.md, headings one level up."""
    with open(os.path.join(HERE, "..", "benchmarks", "README.md"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    body = []
    for line in lines[1:]:  # the README's own title is replaced
        if line.startswith("### "):
            line = line[1:]
        body.append(line)
    return "# Benchmarks\n\n" + BENCH_INTRO + "\n" + "\n".join(body) + "\n"


def on_pre_build(config, **kwargs):
    FIGURES["benchmarks.md"] = _benchmarks_page()  # generated, never a stale copy in docs/
    FIGURES["generated/seed_graph.svg"] = _seed_graph()
    FIGURES["generated/jacobian_cost.png"] = _jacobian_cost()


def on_files(files, config, **kwargs):
    for src_uri, content in FIGURES.items():
        stale = files.get_file_from_path(src_uri)  # e.g. a docs/generated/ left by old builds
        if stale is not None:
            files.remove(stale)
        files.append(File.generated(config, src_uri, content=content))
    return files


API_MARKER = re.compile(r"^<!-- api: (\S+) (modules=(\S+)|types|rest|functions|classes) -->$", re.M)


def _api_groups(package, markers):
    """``{marker line: [public names]}`` for the ``<!-- api: ... -->`` markers of one page.

    ``markers`` holds ``(line, kind, modules)``; names defined in a public submodule of the
    package (``ftrans.optim.losses``) are left to that submodule's own ``:::`` block.
    """
    mod = importlib.import_module(package)
    names = [n for n in mod.__all__ if not isinstance(getattr(mod, n), types.ModuleType)]
    public_submodules = {
        getattr(mod, n).__name__
        for n in mod.__all__
        if isinstance(getattr(mod, n), types.ModuleType)
    }
    groups, taken = {}, set()
    for line, kind, modules in markers:
        if kind != "modules":
            continue
        wanted = {f"{package}.{m}" for m in modules.split(",")}
        group = [
            n
            for n in names
            if not n[0].isupper() and getattr(getattr(mod, n), "__module__", None) in wanted
        ]
        groups[line] = group
        taken.update(group)
    # Where each name was defined: a typing alias (``Callable[...]``) is callable but was not
    # defined by ftrans, and has no docstring to show.
    home = {n: getattr(getattr(mod, n), "__module__", None) or "" for n in names}
    objects = {n: getattr(mod, n) for n in names if home[n].startswith("ftrans")}
    for line, kind, _ in markers:
        if kind == "functions":
            groups[line] = [
                n
                for n, obj in objects.items()
                if callable(obj) and not isinstance(obj, type) and home[n] not in public_submodules
            ]
            taken.update(groups[line])
        elif kind == "classes":
            groups[line] = [n for n, obj in objects.items() if isinstance(obj, type)]
        elif kind == "types":
            groups[line] = [n for n in names if n[0].isupper()]
        elif kind == "rest":
            groups[line] = [
                n
                for n in names
                if not n[0].isupper()
                and n not in taken
                and getattr(getattr(mod, n), "__module__", None) not in public_submodules
            ]
    return groups


def _expand_api_markers(markdown, page_path):
    by_package = {}
    for m in API_MARKER.finditer(markdown):
        kind = "modules" if m.group(3) else m.group(2)
        by_package.setdefault(m.group(1), []).append((m.group(0), kind, m.group(3)))
    for package, markers in by_package.items():
        groups = _api_groups(package, markers)
        for line, kind, _ in markers:
            if kind == "rest":  # names no group took, under their own heading (often none)
                blocks = "".join(f"::: {package}.{n}\n\n" for n in groups[line])
                heading = "## Other functions\n\n" if blocks else ""
                markdown = markdown.replace(line, heading + blocks)
                continue
            if not groups[line]:
                raise ValueError(
                    f"{page_path}: the marker {line!r} matches no public name of {package}; "
                    f"check the submodule names after modules="
                )
            blocks = "\n\n".join(
                f"::: {package}.{n}\n    options:\n      heading_level: 3" for n in groups[line]
            )
            markdown = markdown.replace(line, blocks)
    return markdown


_PYTHON_FENCE = re.compile(r"^(\s*)```python\n(?=\s*>>> )", re.M)


def on_page_markdown(markdown, page, config, files, **kwargs):
    # Doctest blocks are Python console sessions: highlighted as such, the output is marked
    # as output (pytest reads the Markdown itself, so the fence's language changes nothing).
    markdown = _PYTHON_FENCE.sub(lambda m: f"{m.group(1)}```pycon\n", markdown)
    return _expand_api_markers(markdown, page.file.src_path)


# Pygments splits a comment into one span; a directive may follow a real comment in it.
_COMMENT_SPAN = re.compile(r'(\s*)<span class="c1?">([^<]*)</span>')
_DIRECTIVE = re.compile(r"\s*#\s*doctest:[^#]*$")
# "<BLANKLINE>" as highlighted Python (three spans) or as console output (one span), or plain.
_BLANKLINE = re.compile(
    r'(?:<span class="[^"]*">)?&lt;(?:</span><span class="[^"]*">)?BLANKLINE'
    r'(?:</span><span class="[^"]*">)?&gt;(?:</span>)?'
)


def _strip_doctest_markup(html_text):
    def comment(m):
        text = m.group(2)
        if "doctest:" not in text:
            return m.group(0)
        kept = _DIRECTIVE.sub("", text)
        if not kept.strip():
            return ""
        return f'{m.group(1)}<span class="c1">{kept}</span>'

    html_text = _COMMENT_SPAN.sub(comment, html_text)
    return _BLANKLINE.sub("", html_text)


_CODE = re.compile(r"(<pre><span></span><code>)(.*?)(</code></pre>)", re.S)


def _mark_console_output(html_text):
    """In console blocks, put every line without a prompt into ``<span class="dt-out">``.

    The stylesheet wraps those lines (outputs, error messages) at the block's width, while the
    code lines keep their layout and scroll if they must.
    """

    def block(m):
        code = m.group(2)
        if '<span class="gp">' not in code:
            return m.group(0)
        lines = code.split("\n")
        marked = [
            line
            if not line or line.startswith('<span class="gp">')
            else f'<span class="dt-out">{line}</span>'
            for line in lines
        ]
        return m.group(1) + "\n".join(marked) + m.group(3)

    return _CODE.sub(block, html_text)


def on_page_content(html_text, page, config, files, **kwargs):
    return _mark_console_output(_strip_doctest_markup(html_text))
