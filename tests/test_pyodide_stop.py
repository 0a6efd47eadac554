"""Stop is clean in real Pyodide: the page's Stop (SIGINT through Pyodide's interrupt buffer) landing
while a training step waits for JavaScript's matrix product leaves the step whole or undone, and training
resumed ends exactly as training never stopped; a Stop in a held block waits for its end.

Pyodide runs under Node.js from node_modules, with the NumPy wheel `python build.py` verified and cached
(tests/pyodide_run.mjs). The same checks in CPython, at every point of a step: tests/test_stop_clean.py.
"""
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPT = r'''
import json, sys
sys.path.insert(0, "/repo")
import numpy as np
import js
from pynet import blas
from pynet.data import read_digits, split
from pynet.interrupts import gate
from pynet.presets import make_trainer
from tests.synthetic import synthetic_digits_bytes

report = {"matmul": blas.use_matmul(js.matmul, "js")}

# A Stop inside a held block is raised at its end, not inside.
gate.install()
inside = []
try:
    with gate.held():
        js.stop()
        for i in range(10_000):  # plenty of places where Pyodide checks its interrupt buffer
            pass
        inside.append("the block ran to its end")
except KeyboardInterrupt:
    report["held"] = inside
try:
    js.stop()
    for i in range(10_000):
        pass
except KeyboardInterrupt:
    report["outside"] = "at once"

data = split(read_digits(synthetic_digits_bytes()), 40, 20)
TIMING = ("seconds", "images_per_second", "test_images_per_second")
strip = lambda events: [{k: v for k, v in e.items() if k not in TIMING} for e in events]

def trainer():
    return make_trainer("tanh-softmax", *data, {"iterations": 2, "batch_size": 5, "hidden_size": 16},
                        eval_every=1)

js.stopAtCall = 0
reference = trainer()
js.matmulCalls = 0
expected = reference.run()
calls = js.matmulCalls
weights = [v.copy() for v in reference.model.state_dict().values()]

report.update(calls=calls, stops=0, differing=[])
for at in range(1, calls + 1, 3):
    js.matmulCalls, js.stopAtCall = 0, at
    t, events = trainer(), []
    while not t.done:
        events += t.run()
        report["stops"] += t.interrupted
    same = strip(events) == strip(expected) and all(
        np.array_equal(a, b) for a, b in zip(t.model.state_dict().values(), weights))
    if not same:
        report["differing"].append(at)
print("REPORT " + json.dumps(report))
'''


def numpy_wheel():
    sys.path.insert(0, str(REPO / "web"))
    from sitebuild.common import cache_dir
    from sitebuild.vendor import load_lock
    if not (REPO / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("node_modules is absent: run `npm ci`")
    wheel = cache_dir() / load_lock()["packages"]["numpy"]["file_name"]
    if not wheel.is_file():
        pytest.skip(f"the NumPy wheel for Pyodide is not in {wheel.parent}: run `python build.py` once")
    return wheel


def test_a_stop_in_the_middle_of_a_step_in_real_pyodide(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is missing: install nodejs")
    script = tmp_path / "stop.py"
    script.write_text(SCRIPT)
    result = subprocess.run([node, str(REPO / "tests" / "pyodide_run.mjs"), str(script), str(numpy_wheel())],
                            capture_output=True, text=True, timeout=600)
    lines = [l for l in result.stdout.splitlines() if l.startswith("REPORT ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr
    report = json.loads(lines[-1][len("REPORT "):])
    assert report["matmul"] is True
    assert report["held"] == ["the block ran to its end"] and report["outside"] == "at once"
    assert report["calls"] > 30
    assert report["stops"] == len(range(1, report["calls"] + 1, 3))  # every Stop stopped a run call
    assert report["differing"] == []
