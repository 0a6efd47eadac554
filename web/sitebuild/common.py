"""What every part of the build shares: where things are, the error a user can fix, logging, hashing,
and the cache directory for verified downloads and compiled archives."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node_modules"
WEB = ROOT / "web"
BUILD_CODE = Path(__file__).resolve().parent  # this package: in web/, but not part of the site
DEFAULT_OUT = WEB / "dist"
DIGITS_REL = "data/mnist-digits.bin"
STAMP_NAME = ".build-stamp.json"


class BuildError(Exception):
    """A problem the user can fix; main() prints the message (no traceback) and exits 1."""


def log(message):
    print(message, flush=True)


def warn(message):
    print(f"warning: {message}", file=sys.stderr, flush=True)


def run_tool(cmd, timeout):
    """Run a build tool, its output captured; a tool that cannot start or overruns is a failed run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess(cmd, 1, "", str(e))


def last_line(result):
    """What a failed run said last: its error output, else its output, else its exit status."""
    text = (result.stderr or "").strip() or (result.stdout or "").strip() or f"exit status {result.returncode}"
    return text.splitlines()[-1]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def digest(*parts):
    """A short stable hash of JSON-able parts, for stamps."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def files_digest(base, paths):
    """Content hash of small source trees (web, pynet): robust to mtime-only changes like checkouts."""
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def copy_if_changed(src, dst):
    """Copy unless dst already has the same size and mtime (copy2 preserves mtime), so re-runs are cheap."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    s = src.stat()
    if dst.exists():
        d = dst.stat()
        if d.st_size == s.st_size and d.st_mtime_ns == s.st_mtime_ns:
            return
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)


def cache_dir():
    """Verified downloads live here, outside the repository, shared by every checkout and CI run."""
    if os.environ.get("PYNET_CACHE_DIR"):
        return Path(os.environ["PYNET_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pynet"


def store_in_cache(path, target):
    """Copy `path` to `target` (in the cache) atomically; returns where the file can be read from now."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        return target
    except OSError as e:
        warn(f"could not cache {target.name} in {target.parent}: {e}")
        return path
