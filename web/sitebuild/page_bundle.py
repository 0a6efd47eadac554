"""The page's own modules in one file: js/main.js and everything it imports (but boot.js and the code
editor) bundled by esbuild into js/page.js, the script index.html loads.

Why: as separate modules the page makes some forty requests, level by level of its import tree, and on a
first visit they queue for the browser's six connections to the site together with the Python worker's
own (Pyodide, NumPy): the page's modules then delay Python's boot, the longest wait of a visit. One file
takes one connection once. The modules stay in the site as they are too (tests and links import some).

Left out of the bundle, so that each stays one instance loaded from its own file:
- js/boot.js: index.html loads it first, on its own, to start the worker; the bundle imports the same
  module (one worker, one pair of shared buffers);
- vendor/codemirror/codemirror.js: the editor, already a bundle, loaded only when the code panel opens.
"""
from __future__ import annotations

from . import esbuild

ENTRY = "js/main.js"
BUNDLE = "js/page.js"
EXTERNAL = ("./boot.js", "*/codemirror/codemirror.js")


def step_page(out):
    """Bundle OUT/js/main.js (the web step's copy, whose imports resolve inside the site) into OUT/js/page.js."""
    esbuild.bundle(out / ENTRY, out / BUNDLE, "the page's modules",
                   ["--minify", *(f"--external:{e}" for e in EXTERNAL)])
    return [BUNDLE], {}
