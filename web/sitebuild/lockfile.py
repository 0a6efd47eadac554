"""The site's pyodide-lock.json: Pyodide's own lock, with the archives the site ships (compiled ones have
new names and sha256) and an entry for pynet, so that `loadPyodide({lockFileURL})` and
`loadPackage('pynet')` resolve and verify every file. Written with the `pyodide-lock` package."""
from __future__ import annotations

from .common import BuildError
from .vendor import LOCK


def _lock_api():
    try:  # add_wheels_to_spec reads wheel metadata with pkginfo, which only the [wheel] extra installs
        import pkginfo  # noqa: F401
        from pyodide_lock import PackageSpec, PyodideLockSpec
        from pyodide_lock.utils import add_wheels_to_spec
    except ImportError:
        raise BuildError("the build needs `pyodide-lock` with its wheel extra: "
                         "pip install 'pyodide-lock[wheel]==0.1.2'") from None
    return PackageSpec, PyodideLockSpec, add_wheels_to_spec


def wheel_entry(wheel):
    """The lock entry of a pure-Python wheel as a dict (its name, imports, and depends from its metadata).
    Made from the .py wheel: the imports are found by looking for .py files."""
    _, PyodideLockSpec, add_wheels_to_spec = _lock_api()
    spec = add_wheels_to_spec(PyodideLockSpec.from_json(LOCK), [wheel], base_path=wheel.parent)
    name = wheel.name.split("-")[0]
    entry = spec.packages[name]
    if name == "pynet" and "numpy" not in entry.depends:
        raise BuildError(f"{wheel.name} does not declare its numpy dependency; check pyproject.toml")
    return entry.model_dump(mode="json")


def write_lock(path, entries, shipped):
    """Pyodide's lock plus `entries` (name -> lock entry dict), with file_name and sha256 replaced by the
    shipped archives' (name -> {"file_name", "sha256"})."""
    PackageSpec, PyodideLockSpec, _ = _lock_api()
    spec = PyodideLockSpec.from_json(LOCK)
    for name, entry in entries.items():
        spec.packages[name] = PackageSpec(**entry)
    for name, archive in shipped.items():
        spec.packages[name].file_name = archive["file_name"]
        spec.packages[name].sha256 = archive["sha256"]
    spec.to_json(path)
