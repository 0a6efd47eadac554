"""The site, assembled by incremental steps: each records the hash of its inputs and the files it wrote in
OUT/.build-stamp.json, and is skipped while both still hold."""
from __future__ import annotations

import datetime
import json
import shutil
import tempfile
import time
from pathlib import Path

from . import digits, editor, lockfile, offline, packages, page_bundle, pynet_wheel, pyc, snapshot, vendor
from .common import (BUILD_CODE, DEFAULT_OUT, DIGITS_REL, ROOT, STAMP_NAME, WEB, copy_if_changed, digest,
                     files_digest, log, sha256_file, warn)


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


# ---------------------------------------------------------------- the steps


def web_sources(out):
    """The front end's files: web/ but the built site, the build's own code and the service worker's
    template (the offline step writes the worker) and the editor's entry (the editor step bundles it)."""
    skip = {DEFAULT_OUT.resolve(), out.resolve(), BUILD_CODE}
    files = []
    for path in sorted(WEB.rglob("*")):
        rel = path.relative_to(WEB)
        if (path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
                and not any(p in skip for p in path.resolve().parents) and path != offline.TEMPLATE
                and not path.name.endswith(editor.ENTRY_SUFFIX)):
            files.append(path)
    return files


def shipped(out, name, compiled):
    """A Python archive's record: the name the site has it under, its sha256, and whether it is bytecode."""
    return {"file_name": name, "sha256": sha256_file(out / "pyodide" / name), "compiled": compiled}


def step_packages(out, lock, args, compiler):
    """NumPy (required unless --allow-missing-numpy), OpenBLAS (optional) and, with --with-scipy, SciPy:
    verified, then compiled when they hold Python."""
    fetcher = packages.PackageFetcher(lock, explicit=args.numpy_wheel, sources=packages.sources_from_environment())
    outputs, missing, archives = [], [], {}
    try:
        for name in ["numpy"] + packages.optional_packages(lock, args.with_scipy):
            try:
                path = fetcher.fetch(name)
            except packages.FetchError as e:
                if name != "numpy":
                    warn(f"optional {name} left out of the site: {e}")
                elif args.allow_missing_numpy:
                    warn(f"{e}\nBuilding without NumPy (--allow-missing-numpy): the page will report it.")
                else:
                    raise
                missing.append(name)
                continue
            file_name, compiled = compiler.place(path, out / "pyodide")
            outputs.append(f"pyodide/{file_name}")
            archives[name] = shipped(out, file_name, compiled)
    finally:
        fetcher.close()
    return outputs, {"missing": missing, "archives": archives, **python_note(compiler)}


def step_stdlib(out, compiler):
    file_name, compiled = compiler.place(vendor.STDLIB, out / "pyodide")
    return [f"pyodide/{file_name}"], {"compiled": compiled, **python_note(compiler)}


def step_runtime(out):
    for src, rel in vendor.runtime_files():
        copy_if_changed(src, out / rel)
    return [rel for _, rel in vendor.runtime_files()], {}


def step_web(out, sources):
    for f in sources:  # a handful of small files: copy all, simplest way to be sure edits land
        (out / f.relative_to(WEB)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, out / f.relative_to(WEB))
    return [f.relative_to(WEB).as_posix() for f in sources], {}


def step_pynet(out, compiler):
    """The pynet wheel, its lock entry (read from the .py wheel) and the wheel the site ships."""
    with tempfile.TemporaryDirectory(prefix="pynet-wheel-") as tmp:
        wheel = pynet_wheel.build_pynet_wheel(Path(tmp))
        entry = lockfile.wheel_entry(wheel)
        file_name, compiled = compiler.place(wheel, out / "pyodide")
    return [f"pyodide/{file_name}"], {"entry": entry, "archives": {"pynet": shipped(out, file_name, compiled)},
                                      **python_note(compiler)}


def step_lock(out, pkgs, pynet):
    archives = {**pkgs["archives"], **pynet["archives"]}
    lockfile.write_lock(out / "pyodide" / "pyodide-lock.json", {"pynet": pynet["entry"]}, archives)
    return ["pyodide/pyodide-lock.json"], {}


def step_data(out):
    sha = digits.build_digits(out / DIGITS_REL)
    digits.copy_digits_to_cache(out / DIGITS_REL)
    return [DIGITS_REL], {"sha256": sha}


def step_info(out, lock, pkgs, stdlib, pynet, digits_record):
    """build-info.json: what the page and a person need to know about this build."""
    numpy = pkgs["archives"].get("numpy") or lock["packages"]["numpy"]
    python = [pkgs["archives"].get("numpy", {}), pynet["archives"]["pynet"], stdlib]
    body = {
        "pyodide_version": lock["info"]["version"],
        "numpy": {"file_name": numpy["file_name"], "sha256": numpy["sha256"],
                  "present": "numpy" not in pkgs["missing"]},
        "pynet": {"wheel": pynet["archives"]["pynet"]["file_name"], "sha256": pynet["archives"]["pynet"]["sha256"]},
        "compiled_python": all(a.get("compiled") for a in python if a),
        "digits": {"file": DIGITS_REL, "sha256": digits_record["sha256"],
                   "train_pool": digits.pynet_data().TRAIN_POOL},
        "optional": {name: (out / "pyodide" / lock["packages"][name]["file_name"]).is_file()
                     for name in packages.optional_closure(lock)},
        "built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    (out / "build-info.json").write_text(json.dumps(body, indent=2) + "\n")
    return ["build-info.json"], {}


def optional_files(pkgs):
    """The packages the page loads only on demand (OpenBLAS, SciPy): not fetched for offline use up front."""
    return [f"pyodide/{a['file_name']}" for name, a in pkgs["archives"].items() if name != "numpy"]


def python_note(compiler):
    """What a step that places Python archives records about how they were compiled (for the warning)."""
    return {"python": compiler.description, "why_not_compiled": compiler.why_not if compiler.wanted else None}


# ---------------------------------------------------------------- the whole site


def build_code_digest():
    """A changed build (build.py or this package) redoes everything."""
    files = [ROOT / "build.py", *sorted(p for p in BUILD_CODE.iterdir() if p.suffix in (".py", ".mjs", ".js"))]
    return files_digest(ROOT, [f for f in files if f.is_file()])


def build_site(out, args):
    """Run the stamped steps; NumPy first because it is the likeliest failure and the others take time.
    Returns the names of the steps that ran (none: the site was up to date)."""
    vendor.require_node_modules()
    out.mkdir(parents=True, exist_ok=True)
    lock = vendor.load_lock()
    stamp = Stamp(out, force=args.force)
    me = build_code_digest()
    compiler = pyc.ArchiveCompiler(pyc.compilers_from_environment(args.no_pyc))
    wanted = compiler.names

    pkg_inputs = digest(me, [lock["packages"][n]["sha256"] for n in ["numpy", *packages.optional_closure(lock)]],
                        args.with_scipy, args.allow_missing_numpy, wanted)
    pkgs = stamp.run("packages", pkg_inputs, lambda: step_packages(out, lock, args, compiler))
    # Runtime files are large and change only with `npm ci`: size + mtime is enough to notice.
    runtime_inputs = digest(me, [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f, _ in vendor.runtime_files()])
    runtime = stamp.run("runtime", runtime_inputs, lambda: step_runtime(out))
    stdlib_inputs = digest(me, vendor.STDLIB.stat().st_size, vendor.STDLIB.stat().st_mtime_ns, wanted)
    stdlib = stamp.run("stdlib", stdlib_inputs, lambda: step_stdlib(out, compiler))
    sources = web_sources(out)
    web = stamp.run("web", digest(me, files_digest(WEB, sources)), lambda: step_web(out, sources))
    # After web and runtime: the bundle is made of the site's copies of the page's modules and uPlot.
    page = stamp.run("page", digest(me, web, runtime), lambda: page_bundle.step_page(out))
    code_editor = stamp.run("editor", digest(me, sha256_file(editor.ENTRY), editor.versions()),
                            lambda: editor.step_editor(out))
    pynet_inputs = digest(me, files_digest(ROOT, pynet_wheel.pynet_sources()), sha256_file(vendor.LOCK), wanted)
    pynet = stamp.run("pynet", pynet_inputs, lambda: step_pynet(out, compiler))
    lock_record = stamp.run("lock", digest(me, pkgs, pynet), lambda: step_lock(out, pkgs, pynet))
    data_inputs = digest(me, vendor.node_version("mnist"), sha256_file(ROOT / "pynet" / "data.py"))
    digits_record = stamp.run("data", data_inputs, lambda: step_data(out))
    # After the runtime and the standard library it copies the start of.
    python_start = stamp.run("snapshot", digest(me, runtime, stdlib), lambda: snapshot.step_snapshot(out))
    info = stamp.run("info", digest(pkgs, runtime, stdlib, web, pynet, digits_record),
                     lambda: step_info(out, lock, pkgs, stdlib, pynet, digits_record))
    offline_inputs = digest(me, sha256_file(offline.TEMPLATE), pkgs, runtime, stdlib, web, page, code_editor, lock_record,
                            digits_record, info, python_start)
    stamp.run("offline", offline_inputs, lambda: offline.step_offline(out, optional_files(pkgs)))
    report_python(stamp, compiler)
    return stamp.ran


def report_python(stamp, compiler):
    """Say, on every build, when the site ships .py files although bytecode was wanted, and why; and once,
    which compiler made the bytecode."""
    why = next((r["why_not_compiled"] for r in stamp.steps.values() if r.get("why_not_compiled")), None)
    if why:
        warn(f"the site ships .py files, so the page starts slower: {why}. "
             "Fix: install Python 3.12 (or point PYNET_PYTHON312 at one), or Node.js, then "
             "`python build.py --force`.")
    elif compiler.description:
        log(f"  Python compiled to bytecode with {compiler.description}")
