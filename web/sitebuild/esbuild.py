"""esbuild, the bundler both bundles of the site are made with (the code editor, the page's own modules)."""
from __future__ import annotations

import subprocess

from .common import NODE, ROOT, BuildError

ESBUILD = NODE / ".bin" / "esbuild"


def bundle(entry, target, what, extra=()):
    """Bundle `entry` and its imports into the ES module `target`; `what` names the bundle in errors."""
    if not ESBUILD.is_file():
        raise BuildError(f"{ESBUILD} is missing: {what} is bundled with esbuild, a devDependency; "
                         f"run `npm ci` in {ROOT}")
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [str(ESBUILD), str(entry), "--bundle", "--format=esm", "--target=es2020",
               "--legal-comments=none", "--log-level=warning", f"--outfile={target}", *extra]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise BuildError(f"esbuild could not run ({e}): run `npm ci` in {ROOT}") from None
    if result.returncode != 0:
        raise BuildError(f"esbuild could not bundle {what}:\n{result.stderr.strip()}")
