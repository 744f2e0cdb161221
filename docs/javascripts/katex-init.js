// Typeset the formulas pymdownx.arithmatex marked (generic mode: \( ... \) inline and
// \[ ... \] display, inside elements of class "arithmatex") with the KaTeX copy served by
// this site. Material's instant navigation swaps pages without a reload, so render on each
// page it shows (document$), not only on the first load.
(function () {
  function typeset(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        throwOnError: true,
      });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
