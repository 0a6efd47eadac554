"""The code panel's editor: CodeMirror 6 and its Python mode, bundled from node_modules by esbuild into one
ES module the page imports from its own origin (no CDN, no bare imports the browser cannot resolve).

The entry (web/js/editor/codemirror.entry.js) names what the page uses; esbuild follows its imports
through node_modules, so the bundle holds exactly those and what they need."""
from __future__ import annotations

import json

from . import esbuild
from .common import NODE, WEB

ENTRY = WEB / "js" / "editor" / "codemirror.entry.js"
ENTRY_SUFFIX = ".entry.js"  # bundled, not copied: web_sources leaves such files out of the site
BUNDLE = "vendor/codemirror/codemirror.js"
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
    esbuild.bundle(ENTRY, out / BUNDLE, "the code editor", ["--minify"])
    return [BUNDLE], {}
