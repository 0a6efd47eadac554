"""The code panel's editor: CodeMirror 6 and its Python mode, bundled from node_modules by esbuild into one
ES module the page imports from its own origin (no CDN, no bare imports the browser cannot resolve).

The entry (web/js/editor/codemirror.entry.js) names what the page uses; esbuild follows its imports
through node_modules, so the bundle holds exactly those and what they need."""
from __future__ import annotations

import json
import subprocess

from .common import NODE, ROOT, WEB, BuildError

ENTRY = WEB / "js" / "editor" / "codemirror.entry.js"
ENTRY_SUFFIX = ".entry.js"  # bundled, not copied: web_sources leaves such files out of the site
BUNDLE = "vendor/codemirror/codemirror.js"
ESBUILD = NODE / ".bin" / "esbuild"
# The packages the bundle is made of: a new version of any makes a new bundle.
PACKAGES = ("codemirror", "@codemirror/view", "@codemirror/state", "@codemirror/language",
            "@codemirror/lang-python", "@codemirror/lint", "@codemirror/autocomplete", "@codemirror/commands",
            "@codemirror/search", "@lezer/python", "@lezer/highlight", "@lezer/common", "@lezer/lr",
            "style-mod", "w3c-keyname", "crelt", "esbuild")


def versions():
    """{package: version} of the bundle's packages present in node_modules (for the step's stamp)."""
    found = {}
    for package in PACKAGES:
        manifest = NODE / package / "package.json"
        if manifest.is_file():
            found[package] = json.loads(manifest.read_text())["version"]
    return found


def step_editor(out):
    """Bundle the entry into OUT/vendor/codemirror/codemirror.js, minified, as an ES module."""
    if not ESBUILD.is_file():
        raise BuildError(f"{ESBUILD} is missing: the code editor is bundled with esbuild, a "
                         f"devDependency; run `npm ci` in {ROOT}")
    target = out / BUNDLE
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [str(ESBUILD), str(ENTRY), "--bundle", "--format=esm", "--minify", "--target=es2020",
               "--legal-comments=none", "--log-level=warning", f"--outfile={target}"]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise BuildError(f"esbuild could not run ({e}): run `npm ci` in {ROOT}") from None
    if result.returncode != 0:
        raise BuildError(f"esbuild could not bundle the code editor:\n{result.stderr.strip()}")
    return [BUNDLE], {}
