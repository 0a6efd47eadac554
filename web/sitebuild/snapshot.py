"""Python's start as a memory snapshot (`pyodide/snapshot.bin.gz`), for the page's return visits.

Pyodide 0.27.7 can restore a copy of a runtime's memory instead of initialising Python (`_loadSnapshot`);
only the bare interpreter's memory can be copied (a loaded package cannot: bench/README.md, "Memory
snapshots"). The build boots the site's own Pyodide under Node.js, with the site's compiled standard
library, and keeps that memory gzipped. The page's worker restores it only when the service worker
already keeps it (web/js/snapshot.js): measured, it starts Python faster from a cache, but on a first
visit over an ordinary link its download costs more than it saves.

A snapshot is valid for one runtime: the build remakes it whenever the runtime or the standard library
changes, and Pyodide refuses one from another build. Without Node.js the site ships none and the page
starts Python as Pyodide does by default.
"""
from __future__ import annotations

import shutil

from .common import BUILD_CODE, last_line, run_tool, warn

REL = "pyodide/snapshot.bin.gz"
MAKER = BUILD_CODE / "snapshot_node.mjs"
TIMEOUT = 300  # s: a boot under Node.js takes a few


def step_snapshot(out):
    """Write OUT/pyodide/snapshot.bin.gz from OUT's runtime and standard library; no file without Node.js."""
    target = out / REL
    node = shutil.which("node")
    why_not = None if node else "Node.js (`node`) is not on PATH"
    if node:
        done = run_tool([node, str(MAKER), str(out / "pyodide"), str(target)], TIMEOUT)
        if done.returncode != 0:
            why_not = f"making it under Node.js failed: {last_line(done)}"
    if why_not:
        target.unlink(missing_ok=True)
        warn(f"no memory snapshot of Python's start ({why_not}): the page starts Python the default way")
        return [], {"why_not": why_not}
    return [REL], {"bytes": target.stat().st_size}
