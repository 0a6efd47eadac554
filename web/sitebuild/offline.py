"""The service worker that makes the page work offline after the first visit (web/sw.js), written into the
site with the build's manifest prepended: `const BUILD = {version, files}`, every file the page needs to
start, train and draw, with its SRI hash. The version is a hash of that list, so any change to the site
gives a new worker script, which the browser notices on the next visit: it caches the new build under a
new name and deletes the old cache (web/sw.js says how)."""
from __future__ import annotations

import base64
import hashlib
import json

from .common import STAMP_NAME, WEB

TEMPLATE = WEB / "sw.js"
WORKER = "sw.js"


def integrity(path):
    with open(path, "rb") as f:
        return "sha256-" + base64.b64encode(hashlib.file_digest(f, "sha256").digest()).decode()


def manifest(out, leave_out=()):
    """[(site path, integrity)] of every file of the site but hidden ones, the worker itself and
    `leave_out` (optional packages: cached when the page first loads them)."""
    skip = {WORKER, STAMP_NAME, *leave_out}
    files = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in skip and not any(p.startswith(".") for p in rel.split("/")):
            files.append((rel, integrity(path)))
    return files


def step_offline(out, leave_out=()):
    files = manifest(out, leave_out)
    version = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]
    build = json.dumps({"version": version, "files": files}, separators=(",", ":"))
    (out / WORKER).write_text(f"const BUILD = {build};\n{TEMPLATE.read_text()}")
    return [WORKER], {"version": version}
