"""The pynet wheel: pure Python (`py3-none-any`), made by a standard PEP 517 build (setuptools).

Pyodide loads an ordinary pure-Python wheel, so `pyodide build` (which wants a cross-build environment even
for pure-Python packages, downloaded from the internet) is not needed to make it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .common import ROOT, BuildError


def pynet_sources():
    files = [ROOT / "pyproject.toml", *sorted((ROOT / "pynet").rglob("*"))]
    for extra in ("README.md", "LICENSE"):
        if (ROOT / extra).is_file():
            files.append(ROOT / extra)
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]


def build_pynet_wheel(dest_dir):
    """PEP 517 build of pynet from a scratch copy, so the repository gets no build/ or *.egg-info."""
    with tempfile.TemporaryDirectory(prefix="pynet-wheel-") as tmp:
        src = Path(tmp) / "src"
        for f in pynet_sources():
            target = src / f.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        if not (src / "README.md").exists():  # pyproject names a readme; a placeholder keeps the build going
            (src / "README.md").write_text("pynet\n")
        isolated = not _can_build_without_isolation()
        if distribution_installed("build"):
            cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", f"{tmp}/out", str(src)]
            cmd += [] if isolated else ["--no-isolation"]
        else:
            cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w",
                   f"{tmp}/out", str(src)] + ([] if isolated else ["--no-build-isolation"])
        # cwd=tmp: from the repository root, `python -m build` would run build.py instead of `build`.
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        wheels = list(Path(tmp, "out").glob("pynet-*-py3-none-any.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise BuildError(f"building the pynet wheel failed ({' '.join(cmd[1:4])}):\n{tail}")
        dest_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(wheels[0]), dest_dir / wheels[0].name))


def _can_build_without_isolation():
    """True when the installed setuptools can build this pyproject offline (>= 68, and able to make wheels)."""
    try:
        major, minor = (int(x) for x in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if (major, minor) >= (70, 1):  # bdist_wheel is built in from 70.1
        return True
    return distribution_installed("wheel") and major >= 68


def distribution_installed(name):
    """By distribution metadata, not import lookup: the repository's build.py shadows the `build` module."""
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False
