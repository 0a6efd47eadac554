"""The command line of `python build.py`: build the site (default), only the digits file, or serve."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import digits, vendor
from .common import DEFAULT_OUT, DIGITS_REL, ROOT, BuildError, log
from .packages import SOURCES
from .pyc import COMPILERS
from .serve import serve
from .site import build_site


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build pynet's static site (default), only its MNIST digits file (`data`), or serve it.",
        epilog="Environment: PYNET_NUMPY_WHEEL (as --numpy-wheel), PYNET_NUMPY_SOURCES (comma list of "
               f"{','.join(SOURCES)}), PYNET_CACHE_DIR (download and bytecode cache; default "
               "$XDG_CACHE_HOME/pynet), PYNET_PYTHON312 (a CPython 3.12 for compiling), PYNET_PYC_COMPILERS "
               f"(comma list of {','.join(COMPILERS)}, or none).")
    parser.add_argument("command", nargs="?", default="site", choices=("site", "data", "serve"))
    parser.add_argument("--out", type=Path, help=f"site directory (default {DEFAULT_OUT.relative_to(ROOT)}); "
                        f"for `data`, the file (default <site>/{DIGITS_REL})")
    parser.add_argument("--numpy-wheel", metavar="PATH|DIR|URL", default=os.environ.get("PYNET_NUMPY_WHEEL"),
                        help="NumPy's Pyodide wheel, or a directory / URL ending in '/' holding the lock's files")
    parser.add_argument("--with-scipy", action="store_true",
                        help="also ship SciPy and its dependencies (optional; failure is only a warning)")
    parser.add_argument("--allow-missing-numpy", action="store_true",
                        help="build even if NumPy cannot be obtained (the page then reports it)")
    parser.add_argument("--no-pyc", action="store_true",
                        help="ship Python as .py files, not compiled to bytecode (the page starts slower)")
    parser.add_argument("--force", action="store_true", help="redo every step")
    parser.add_argument("--port", type=int, default=8000, help="serve: port, 0 picks a free one (default 8000)")
    parser.add_argument("--no-build", action="store_true", help="serve: serve the site as it is")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        if args.command == "data":
            vendor.require_node_modules()
            out_file = (args.out or DEFAULT_OUT / DIGITS_REL).resolve()
            sha = digits.build_digits(out_file)
            digits.copy_digits_to_cache(out_file)
            log(f"wrote {out_file} (sha256 {sha[:16]}...) in {time.perf_counter() - started:.1f} s")
            return 0
        out = (args.out or DEFAULT_OUT).resolve()
        if args.command == "site" or not args.no_build:
            ran = build_site(out, args)
            elapsed = time.perf_counter() - started
            log(f"{out} is up to date ({elapsed:.2f} s)" if not ran else f"built {out} in {elapsed:.1f} s")
        if args.command == "serve":
            serve(out, args.port)
        return 0
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted", file=sys.stderr)
        return 130
