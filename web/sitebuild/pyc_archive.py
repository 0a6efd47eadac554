"""Compile every .py file of a zip archive (a wheel, the standard library zip) to .pyc, as pyodide-build's
`pyodide py-compile` does: the .py files are replaced by their .pyc, existing .pyc files are dropped and
everything else is copied unchanged. Standard library only: the build runs it in Pyodide's own Python under
Node.js (pyc_node.mjs) when no CPython 3.12 can run pyodide-build."""
import py_compile
import tempfile
import zipfile
from pathlib import Path


def compile_archive(src, dest, compression_level=6):
    with (zipfile.ZipFile(src) as zin, tempfile.TemporaryDirectory() as tmp,
          zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=compression_level) as zout):
        for name in zin.namelist():
            if name.endswith(".pyc"):
                continue
            data = zin.read(name)
            if not name.endswith(".py"):
                zout.writestr(name, data)
                continue
            source = Path(tmp) / name.replace("/", "_")
            source.write_bytes(data)
            # dfile: tracebacks name the file as it sits in the archive
            py_compile.compile(str(source), cfile=str(source) + "c", dfile=name, doraise=True)
            zout.writestr(name + "c", Path(str(source) + "c").read_bytes())
