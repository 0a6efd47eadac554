"""Python archives compiled to bytecode for Pyodide's Python 3.12: the standard library zip and the wheels
the site ships (NumPy, pynet), with every .py replaced by its .pyc, as `pyodide py-compile` makes them.
Pyodide then starts without compiling the sources it imports: the page is Ready in about half the time.

Bytecode must be made by a 3.12 interpreter (its format changes with every minor version, never within one).
Compilers, tried in order (restricted by --no-pyc or $PYNET_PYC_COMPILERS):
  python3.12  `pyodide py-compile` from pyodide-build, installed once into a virtual environment in the
              cache (pyodide-build needs Python >= 3.12), run by a CPython 3.12 found in $PYNET_PYTHON312,
              as the build's own interpreter, on PATH (python3.12) or among pyenv's versions;
  node        Pyodide's own Python (node_modules/pyodide) under Node.js, running pyc_archive.py, which does
              what py-compile does: the very interpreter the page runs.
When none works the build says why and ships the .py files (the page works, only starts slower).
Compiled archives are cached by the sha256 of their input, so each is compiled once per machine.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .common import (BUILD_CODE, NODE, cache_dir, copy_if_changed, last_line, log, run_tool, sha256_file,
                     store_in_cache)

TARGET = (3, 12)                        # Pyodide 0.27's CPython
PYTHON_TAG = "cp312"
PYODIDE_BUILD = "pyodide-build==0.39.2"  # its `pyodide py-compile`
COMPILERS = ("python3.12", "node")
TIMEOUT = 900                           # seconds for one compiler command (pip install included)


class NoCompiler(Exception):
    """A compiler cannot run here; the message says why (it ends up in the build's warning)."""


def holds_python(archive):
    with zipfile.ZipFile(archive) as z:
        return any(name.endswith(".py") for name in z.namelist())


def compiled_name(file_name):
    """The name py-compile gives an archive: a wheel's Python tag becomes cp312 (pure-Python wheels too:
    their bytecode is for one interpreter now); a zip keeps its name."""
    if not file_name.endswith(".whl"):
        return file_name
    name, version, _python, abi, platform = file_name[:-len(".whl")].split("-")
    return f"{name}-{version}-{PYTHON_TAG}-{abi}-{platform}.whl"


def compilers_from_environment(no_pyc=False):
    if no_pyc:
        return []
    value = os.environ.get("PYNET_PYC_COMPILERS")
    if value is None:
        return list(COMPILERS)
    names = [n.strip() for n in value.split(",") if n.strip() and n.strip() != "none"]
    unknown = set(names) - set(COMPILERS)
    if unknown:
        from .common import BuildError
        raise BuildError(f"unknown PYNET_PYC_COMPILERS {', '.join(sorted(unknown))}; choose from "
                         f"{', '.join(COMPILERS)} (or none)")
    return names


# ---------------------------------------------------------------- CPython 3.12 + pyodide-build


def python312_candidates():
    """(where it was found, executable) of every place a CPython 3.12 may be, most explicit first."""
    found = []
    if os.environ.get("PYNET_PYTHON312"):
        found.append(("$PYNET_PYTHON312", os.environ["PYNET_PYTHON312"]))
    found.append(("the build's own Python", sys.executable))
    on_path = shutil.which("python3.12")
    if on_path:
        found.append(("PATH", on_path))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = glob.glob(str(pyenv / "versions" / "3.12.*" / "bin" / "python3.12"))
    for exe in sorted(versions, key=_version_key, reverse=True):
        found.append(("pyenv", exe))
    return found


def _version_key(path):
    version = Path(path).parents[1].name  # .../versions/3.12.4/bin/python3.12
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def interpreter_version(exe):
    """(major, minor) of a Python executable, or None if it does not run (a pyenv shim for a version that
    is not selected exits with an error, for one)."""
    try:
        result = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = result.stdout.split()
    return tuple(int(p) for p in parts) if result.returncode == 0 and len(parts) == 2 else None


class PyodideBuild:
    """`pyodide py-compile`, from pyodide-build in a virtual environment in the cache."""

    name = "python3.12"

    def __init__(self, cache):
        self.venv = cache / f"{PYODIDE_BUILD.replace('==', '-')}-py312"
        self.cli = self.venv / "bin" / "pyodide"
        self.description = None

    def prepare(self):
        """Find a CPython 3.12 and install pyodide-build for it, unless a previous build did."""
        if ((self.venv / ".complete").is_file() and self.cli.is_file()
                and interpreter_version(str(self.venv / "bin" / "python")) == TARGET):
            self.description = f"{PYODIDE_BUILD} in {self.venv}"
            return
        tried = []
        for where, exe in python312_candidates():
            version = interpreter_version(exe)
            if version != TARGET:
                tried.append(f"{exe} ({where}): " + ("does not run" if version is None
                                                     else f"Python {'.'.join(map(str, version))}"))
                continue
            try:
                self._install(exe)
            except NoCompiler as e:
                tried.append(f"{exe} ({where}): {e}")
                continue
            self.description = f"{PYODIDE_BUILD} run by {exe} ({where})"
            return
        if not tried:
            tried.append("no candidate")
        raise NoCompiler("no usable CPython 3.12 (set PYNET_PYTHON312 to one); tried " + "; ".join(tried))

    def _install(self, exe):
        shutil.rmtree(self.venv, ignore_errors=True)
        log(f"  installing {PYODIDE_BUILD} for {exe} into {self.venv} (once)...")
        steps = [[exe, "-m", "venv", str(self.venv)],
                 [str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  PYODIDE_BUILD]]
        for cmd in steps:
            result = run_tool(cmd, TIMEOUT)
            if result.returncode != 0:
                shutil.rmtree(self.venv, ignore_errors=True)
                raise NoCompiler(f"`{' '.join(cmd[1:4])}` failed: {last_line(result)}")
        (self.venv / ".complete").write_text(exe + "\n")

    def compile(self, src, work):
        archive = work / src.name
        shutil.copyfile(src, archive)
        result = run_tool([str(self.cli), "py-compile", "--silent", "--no-keep", str(archive)], TIMEOUT)
        out = work / compiled_name(src.name)
        if result.returncode != 0 or not out.is_file():
            raise NoCompiler(f"pyodide py-compile {src.name} failed: {last_line(result)}")
        return out


# ---------------------------------------------------------------- Pyodide's Python under Node.js


class NodePyodide:
    """Pyodide's own Python under Node.js, running pyc_archive.py (see pyc_node.mjs)."""

    name = "node"

    def __init__(self, cache):
        self.node = None
        self.description = None

    def prepare(self):
        self.node = shutil.which("node")
        if not self.node:
            raise NoCompiler("Node.js (`node`) is not on PATH")
        if not (NODE / "pyodide" / "pyodide.mjs").is_file():
            raise NoCompiler("node_modules/pyodide is missing")
        self.description = f"Pyodide's Python under Node.js ({self.node})"

    def compile(self, src, work):
        out = work / compiled_name(src.name)
        result = run_tool([self.node, str(BUILD_CODE / "pyc_node.mjs"), str(NODE / "pyodide"),
                           str(BUILD_CODE / "pyc_archive.py"), str(src), str(out)], TIMEOUT)
        if result.returncode != 0 or not out.is_file():
            raise NoCompiler(f"compiling {src.name} under Node.js failed: {last_line(result)}")
        return out


# ---------------------------------------------------------------- what the build calls


class ArchiveCompiler:
    """Compiles archives with the first compiler that works here (found once, on first need), and keeps
    each result in the cache under its input's sha256."""

    KINDS = {"python3.12": PyodideBuild, "node": NodePyodide}

    def __init__(self, compilers=COMPILERS, cache=None):
        self.names = list(compilers)
        self.cache = Path(cache) if cache else cache_dir()
        self._compiler = None
        self.why_not = None  # why the archives are shipped as .py, once that is known

    @property
    def wanted(self):
        return bool(self.names)

    def place(self, src, dest_dir):
        """Put archive `src` into dest_dir, compiled when it holds Python and a compiler works here (from the
        cache when it was compiled before). Returns (file name, compiled): not compiled means shipped as it
        is, because it holds no Python or nothing could compile it, and then why_not says why)."""
        src, dest_dir = Path(src), Path(dest_dir)
        compiled = False
        if self.wanted and holds_python(src):
            cached = self.cache / "pyc" / f"{PYTHON_TAG}-{sha256_file(src)[:40]}" / compiled_name(src.name)
            compiled = cached.is_file() or self._compile(src, cached)
            if compiled:
                src = cached
        copy_if_changed(src, dest_dir / src.name)
        return src.name, compiled

    @property
    def description(self):
        return self._compiler.description if self._compiler else None

    def _compile(self, src, cached):
        """Compile src into the cache at `cached`; False (why_not set) when it cannot be done."""
        compiler = self._find()
        if compiler is None:
            return False
        with tempfile.TemporaryDirectory(prefix="pynet-pyc-") as work:
            try:
                out = compiler.compile(src, Path(work))
            except NoCompiler as e:
                self.why_not = str(e)
                return False
            if store_in_cache(out, cached) != cached:
                self.why_not = f"the compiled archive could not be kept in {cached.parent}"
                return False
            return True

    def _find(self):
        if self._compiler is None and self.why_not is None:
            reasons = []
            for name in self.names:
                compiler = self.KINDS[name](self.cache)
                try:
                    compiler.prepare()
                except NoCompiler as e:
                    reasons.append(f"{name}: {e}")
                    continue
                self._compiler = compiler
                break
            else:
                self.why_not = ("; ".join(reasons) if reasons
                                else "compiling was switched off (--no-pyc or PYNET_PYC_COMPILERS=none)")
        return self._compiler
