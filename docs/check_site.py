"""Open every page of the built docs in headless Chromium and report what a reader would trip on.

    python docs/check_site.py                 # build the site into a temporary folder, check it
    python docs/check_site.py --site site/    # check a site that is already built

Findings, one line each, make the exit status 1:

* a console error or an uncaught exception on the page, or a request that failed;
* a broken internal link or image: every ``href``/``src`` that points into the site must name a
  file of the site, and its ``#fragment`` an ``id`` on the target page (external links are not
  followed); every ``<img>`` must have loaded;
* markup that should have been rendered but shows as text: doctest directives and
  ``<BLANKLINE>``, Sphinx roles (``:func:`...```), unresolved cross-references
  (``[name][ftrans.x]``), Graphviz DOT source, formulas KaTeX did not typeset, and formulas
  whose square-root signs or braces a stylesheet squashed;
* an output or error line of a code block that runs past the block's right edge (code lines
  may scroll sideways; what a program printed must be readable without scrolling);
* a page without the figures, tables, formulas and links it is expected to show (``EXPECTED``
  below);
* words about how the project is run (issue numbers and the like, ``PROCESS_WORDS``).

It also writes full-page screenshots of the key pages (``SCREENSHOTS``) to ``<site>/screenshots/``
for a person to look at. Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install
chromium``), driven by the ``playwright`` package (the ``docs`` extra); playwright's own browser
download is never used.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}
MAX_SHOT_HEIGHT = 16000  # px: the long reference pages are cut there

# Page (path under the site, as in its URL) -> what must be on it: CSS selectors, each matching
# at least once, or ``(selector, n)`` matching at least n times. A page's figures, tables and
# formulas are part of what it says: add a row when a page gains one, so losing one is a finding.
# ``.arithmatex .katex`` is a formula KaTeX typeset (a page that states a rule states it in math).
MATH = ".arithmatex .katex"
EXPECTED: dict[str, list[str | tuple[str, int]]] = {
    "": ["h1"],
    "guide/autodiff/": [
        ("article table", 3),  # forward tangents seeded on x1, then on x2, reverse adjoints
        ("article table " + MATH, 3),  # each table's rules are typeset
        ("div.arithmatex .katex-display", 1),  # the display formulas of the derivations
        MATH,
        "img[src*=optim_losses]",  # Figure 1
        "img[src*=seed_graph]",  # the computational graph
        'article a[href$="zh/guide/autodiff/"]',  # the link to the Chinese page in the text
        '.md-select__link[hreflang="zh"]',  # and in the header's language selector
    ],
    "zh/guide/autodiff/": [
        'html[lang="zh"]',
        ("article table", 3),
        ("article table " + MATH, 3),
        ("div.arithmatex .katex-display", 1),
        MATH,
        "img[src*=optim_losses]",
        "img[src*=seed_graph]",
        'article a[href="../../../guide/autodiff/"]',  # back to the English page
        '.md-select__link[hreflang="en"]',
    ],
    "guide/optim/": [
        MATH,  # the update rules
        "img[src*=optim_losses]",
        "img[src*=optim_schedules]",
        "article table",  # the schedules
    ],
    "guide/vmap/": ["img[src*=jacobian_cost]", MATH, ".katex-display"],
    "guide/numerical/": [MATH],  # central differences, the VJP/JVP identity
    "guide/linalg/": [MATH],  # the derivative rules of the factorisations
    "guide/control_flow/": [MATH],
    "guide/extending/": [MATH],
    "guide/complex_fft/": [MATH],
    "guide/jit/": ["h1", "article pre code"],
    "benchmarks/": ["table"],
    "reference/ftrans/": ["h2[id='ftrans.grad']", "h2[id='ftrans.vmap']", "h2[id='ftrans.jit']"],
    "reference/optim/": ["h3[id='ftrans.optim.adam']", "h3[id='ftrans.optim.ScaleByAdamState']"],
}

# Screenshot name -> page. Pages that do not exist (yet) are skipped.
SCREENSHOTS: dict[str, str] = {
    "home": "",
    "autodiff": "guide/autodiff/",
    "autodiff-zh": "zh/guide/autodiff/",
    "jit": "guide/jit/",
    "vmap": "guide/vmap/",
    "optim": "guide/optim/",
    "reference-ftrans": "reference/ftrans/",
    "reference-optim": "reference/optim/",
}

# Text that must never be visible on a page (checked on the rendered text, not the HTML):
# (pattern, what it is, where: "all" of the page or only the "prose" outside code blocks, where
# for instance the DOT that `ftrans.explain.graph` returns is a legitimate example output).
RAW_TEXT = [
    (re.compile(r"#\s*doctest:"), "a doctest directive", "all"),
    (re.compile(r"<BLANKLINE>"), "a doctest <BLANKLINE> marker", "all"),
    (re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj):`"), "a Sphinx role", "all"),
    (re.compile(r"\]\[ftrans\.[\w.]*\]"), "an unresolved cross-reference", "all"),
    (re.compile(r"digraph\s*\w*\s*\{|\w+ -> \w+ \["), "Graphviz DOT source", "prose"),
    (re.compile(r"\$\$|\\\(|\\\[|\\frac|\\partial"), "math KaTeX did not typeset", "prose"),
]

# The theme's English words that a page declared Chinese (<html lang="zh">) must not show
# (docs/hooks_figures.py translates them).
THEME_WORDS = ["Table of contents", "Search"]

# Words about how the project is run, not about ftrans: issue numbers, review jargon. A reader
# cannot follow them, so none may show on a page (code blocks included). tests/test_docs_figures.py
# applies the same list to README.md, benchmarks/README.md and the Markdown sources.
PROCESS_WORDS = [
    re.compile(r"\b[Ii]ssues?[ -]#?\d+"),  # "issue 3", "issue-3 bars", "issue #7"
    re.compile(r"\bBars \(issue"),
    re.compile(r"\bbars in the issue\b", re.I),
    re.compile(r"(?<![\w&#/])#\d{1,3}\b(?![\w.])"),  # "#12" as a reference
    re.compile(r"\bthe lead\b|\blead engineer\b", re.I),
    re.compile(r"\b(?:this|last|next|previous|earlier|a helper) session\b", re.I),
    re.compile(r"\bhelpers? (?:agent|engineer|session)s?\b", re.I),
    re.compile(r"\bworktrees?\b", re.I),
]


def process_words(text: str) -> list[str]:
    """Each process word in ``text``, with 40 characters either side."""
    found = []
    for pattern in PROCESS_WORDS:
        for m in pattern.finditer(text):
            start = max(m.start() - 40, 0)
            found.append(text[start : m.end() + 40].replace("\n", " "))
    return found


# Runs in the page: everything the checks need, in one round trip.
PAGE_PROBE = """() => {
  const out = {links: [], images: [], overflow: [], math: [], mathSvg: []};
  out.text = document.body.innerText;
  out.lang = document.documentElement.lang;
  out.placeholder = (document.querySelector('input[placeholder]') || {}).placeholder || '';
  const prose = document.querySelector('article') || document.body;
  const copy = prose.cloneNode(true);
  copy.querySelectorAll('pre, code, .katex, script, style').forEach((el) => el.remove());
  out.prose = copy.textContent;
  for (const el of document.querySelectorAll('a[href], link[href]')) {
    out.links.push(el.getAttribute('href'));
  }
  for (const el of document.querySelectorAll('img[src], script[src], source[src]')) {
    out.links.push(el.getAttribute('src'));
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) out.images.push(img.getAttribute('src'));
  }
  for (const code of document.querySelectorAll('pre > code')) {
    if (code.scrollWidth <= code.clientWidth + 1) continue;
    const right = code.getBoundingClientRect().left + code.clientWidth + 1;
    for (const line of code.querySelectorAll('.dt-out')) {
      for (const r of line.getClientRects()) {
        if (r.right > right) {
          out.overflow.push(line.textContent.slice(0, 80));
          break;
        }
      }
    }
  }
  for (const el of document.querySelectorAll('.arithmatex')) {
    if (!el.querySelector('.katex') || el.querySelector('.katex-error')) {
      out.math.push(el.textContent.slice(0, 80));
    }
  }
  // KaTeX draws a square root's sign, wide accents and braces as SVGs: one that a stylesheet
  // squashed to no height leaves a formula that reads wrong (sqrt(v) shown as v). KaTeX sizes
  // each SVG's wrapping span; a brace's repeat pieces are meant to be thin (their span is too),
  // so an SVG counts as squashed only when it is flat inside a span that is not.
  for (const svg of document.querySelectorAll('.katex svg')) {
    const box = svg.getBoundingClientRect();
    const room = svg.parentElement ? svg.parentElement.getBoundingClientRect().height : 0;
    if (box.width > 0 && box.height < 1 && room >= 1) {
      const formula = svg.closest('.arithmatex') || svg.closest('.katex');
      out.mathSvg.push((formula ? formula.textContent : '').slice(0, 80));
    }
  }
  return out;
}"""


@dataclass
class Report:
    findings: list[str] = field(default_factory=list)
    pages: int = 0
    screenshots: list[str] = field(default_factory=list)

    def add(self, page: str, what: str) -> None:
        self.findings.append(f"/{page}: {what}")


def build_site(site_dir: str) -> None:
    """``mkdocs build --strict`` of this repository into ``site_dir``."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", site_dir],
        cwd=ROOT,
        env=env,
        check=True,
    )


def site_pages(site_dir: str) -> list[str]:
    """Every page of the site as its URL path (``""`` for the home page, ``guide/jit/``)."""
    pages = []
    for folder, _, files in os.walk(site_dir):
        if "index.html" in files:
            rel = os.path.relpath(folder, site_dir).replace(os.sep, "/")
            pages.append("" if rel == "." else rel + "/")
    return sorted(pages)


@functools.cache
def _ids(path: str) -> frozenset[str]:
    with open(path, encoding="utf-8") as f:
        return frozenset(re.findall(r'\bid="([^"]+)"', f.read()))


def check_link(site_dir: str, page: str, href: str) -> str | None:
    """Why ``href`` on ``page`` is broken, or None. Links leaving the site are not checked."""
    url = urllib.parse.urlsplit(href)
    if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:", "data:")):
        return None
    target = urllib.parse.urljoin("/" + page, url.path) if url.path else "/" + page
    path = os.path.join(site_dir, urllib.parse.unquote(target).lstrip("/"))
    if os.path.isdir(path):
        path = os.path.join(path, "index.html")
    if not os.path.isfile(path):
        return f"broken link {href!r} (no file {os.path.relpath(path, site_dir)})"
    fragment = urllib.parse.unquote(url.fragment)
    if fragment and path.endswith(".html") and fragment not in _ids(path):
        return f"broken link {href!r} (no id {fragment!r} on that page)"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site_dir: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """An HTTP server for ``site_dir`` on a free port of 127.0.0.1, running in a thread."""
    handler = functools.partial(_QuietHandler, directory=site_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def check_page(browser_page, base: str, site_dir: str, page: str, report: Report) -> None:
    errors: list[str] = []
    on_console = lambda msg: msg.type == "error" and errors.append(f"console error: {msg.text}")
    on_error = lambda exc: errors.append(f"uncaught exception: {exc}")
    on_failed = lambda req: (
        req.failure != "net::ERR_ABORTED"
        and errors.append(f"request failed: {req.url} ({req.failure})")
    )  # ERR_ABORTED: a request the browser cancelled itself (leaving the page), not a fault

    def on_response(resp):
        if resp.status >= 400 and resp.url.startswith(base):
            errors.append(f"HTTP {resp.status} for {resp.url[len(base) - 1 :]}")

    browser_page.on("console", on_console)
    browser_page.on("pageerror", on_error)
    browser_page.on("requestfailed", on_failed)
    browser_page.on("response", on_response)
    try:
        browser_page.goto(base + page, wait_until="load")
        browser_page.wait_for_function("document.fonts.status === 'loaded'")
        probe = browser_page.evaluate(PAGE_PROBE)
        for expected in EXPECTED.get(page, []):
            selector, wanted = (expected, 1) if isinstance(expected, str) else expected
            found = len(browser_page.query_selector_all(selector))
            if found < wanted:
                report.add(
                    page,
                    f"expected content missing: {selector!r} matches {found} element(s), "
                    f"the page should have at least {wanted}",
                )
    finally:
        browser_page.remove_listener("console", on_console)
        browser_page.remove_listener("pageerror", on_error)
        browser_page.remove_listener("requestfailed", on_failed)
        browser_page.remove_listener("response", on_response)
    for error in errors:
        report.add(page, error)
    for href in sorted(set(probe["links"])):
        problem = check_link(site_dir, page, href)
        if problem:
            report.add(page, problem)
    for src in probe["images"]:
        report.add(page, f"image did not load: {src!r}")
    for pattern, what, where in RAW_TEXT:
        text = probe["text"] if where == "all" else probe["prose"]
        m = pattern.search(text)
        if m:
            start = max(m.start() - 40, 0)
            context = text[start : m.end() + 40].replace("\n", " ")
            report.add(page, f"{what} is visible as text: ...{context}...")
    for context in process_words(probe["text"]):
        report.add(page, f"a word about the project's process, not ftrans: ...{context}...")
    if probe["lang"].startswith("zh"):
        for english in THEME_WORDS:
            if english in probe["text"] or english == probe["placeholder"]:
                report.add(page, f"the theme's English {english!r} shows on a Chinese page")
    for line in probe["overflow"]:
        report.add(page, f"output line wider than its code block: {line!r}")
    for formula in probe["math"]:
        report.add(page, f"formula not typeset: {formula!r}")
    for formula in sorted(set(probe["mathSvg"])):
        report.add(page, f"formula drawn without its square-root sign or brace: {formula!r}")


def check_site(site_dir: str, screenshots: bool = True, only: list[str] | None = None) -> Report:
    """Every check above on every page of the built site in ``site_dir`` (or the ``only`` ones)."""
    from playwright.sync_api import sync_playwright

    report = Report()
    pages = site_pages(site_dir)
    for page in EXPECTED:
        if page not in pages:
            report.add(page, "page listed in EXPECTED does not exist")
    checked = pages if only is None else [p for p in pages if p in only]
    server, base = serve(site_dir)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport=VIEWPORT)
            # Every page load would rebuild the search index in the browser from the whole
            # site's text (most of the check's time). The home page gets the real index, so
            # the search still starts without error; the others an empty one.
            index_path = os.path.join(site_dir, "search", "search_index.json")
            if os.path.exists(index_path):
                with open(index_path, encoding="utf-8") as f:
                    empty_index = json.dumps({"config": json.load(f)["config"], "docs": []})
                context.route(
                    "**/search/search_index.json",
                    lambda route: (
                        route.fulfill(body=empty_index, content_type="application/json")
                        if route.request.headers.get("referer", "") not in (base, "")
                        else route.continue_()
                    ),
                )
            browser_page = context.new_page()
            for page in checked:
                check_page(browser_page, base, site_dir, page, report)
                report.pages += 1
            if screenshots:
                shots = os.path.join(site_dir, "screenshots")
                os.makedirs(shots, exist_ok=True)
                for name, page in SCREENSHOTS.items():
                    if page not in pages:
                        continue
                    browser_page.goto(base + page, wait_until="load")
                    browser_page.wait_for_function("document.fonts.status === 'loaded'")
                    path = os.path.join(shots, f"{name}.png")
                    height = browser_page.evaluate("document.documentElement.scrollHeight")
                    clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
                    clip["height"] = min(height, MAX_SHOT_HEIGHT)
                    browser_page.screenshot(path=path, full_page=True, clip=clip)
                    report.screenshots.append(path)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a built site to check (default: build one first)")
    parser.add_argument("--no-screenshots", action="store_true", help="skip the screenshots")
    args = parser.parse_args(argv)
    if args.site:
        site_dir = os.path.abspath(args.site)
    else:
        site_dir = tempfile.mkdtemp(prefix="ftrans-site-")
        build_site(site_dir)
    report = check_site(site_dir, screenshots=not args.no_screenshots)
    for finding in report.findings:
        print(finding)
    for path in report.screenshots:
        print(f"screenshot: {path}")
    print(f"{report.pages} pages checked, {len(report.findings)} findings")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
