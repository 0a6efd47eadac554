#!/usr/bin/env python3
"""Assemble pynet's self-contained static site, build the MNIST digits file, or serve the site.

    python build.py [--out DIR] [--no-pyc]   build the site into web/dist/ (incremental)
    python build.py data [--out FILE]        build only the digits file (and copy it to the user cache)
    python build.py serve [--port N] [--no-build]   build if needed, then serve on 127.0.0.1

The site needs nothing from another origin: the Pyodide runtime, uPlot and XNNPACK (from TF.js's WebAssembly
backend) come from node_modules (`npm ci`), NumPy's Pyodide wheel from a verified chain of sources, pynet
from a standard PEP 517 build, the Python compiled to bytecode for Pyodide's Python 3.12, and a service
worker keeps it all for offline use. The work is done by the package web/sitebuild/ (one module a job,
listed in its __init__); this file is its command line.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "web"))

from sitebuild.cli import main  # noqa: E402
# What the tests and the bench use from here (`import build`).
from sitebuild.common import DEFAULT_OUT, DIGITS_REL, BuildError  # noqa: E402,F401
from sitebuild.serve import make_server  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(main())
