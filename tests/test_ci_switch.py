"""The CI switch (tests/ci_switch.py): pytest run on a small test file, with and without CI=true."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every way a test may skip: in the test, in a fixture, by a mark, and a whole module at collection.
SKIPPING = '''
import pytest

@pytest.fixture
def chromium():
    pytest.skip("no Chromium found (install /usr/bin/chromium)")

def test_needs_chromium(chromium):
    pass

@pytest.mark.skipif(True, reason="node_modules is absent: run `npm ci`")
def test_needs_node():
    pass

def test_needs_openblas():
    pytest.skip("no OpenBLAS shared library on this machine (apt-get install libopenblas0)")

def test_that_runs():
    pass

@pytest.mark.xfail(reason="a known failure is not a skip")
def test_expected_to_fail():
    assert False
'''
WHOLE_MODULE = '''
import pytest
pytest.importorskip("a_module_nobody_has", reason="the digits are missing: run `python build.py data`")

def test_anything():
    pass
'''


def pytest_on(tmp_path, ci, source=SKIPPING):
    (tmp_path / "test_file.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.ci_switch", "-p", "no:cacheprovider",
                           "-rsfE", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)


def test_outside_ci_a_skip_stays_a_skip_with_its_reason(tmp_path):
    result = pytest_on(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 3 skipped, 1 xfailed" in result.stdout
    for reason in ("no Chromium found", "run `npm ci`", "no OpenBLAS"):
        assert reason in result.stdout
    result = pytest_on(tmp_path, None, WHOLE_MODULE)
    assert "1 skipped" in result.stdout and "the digits are missing" in result.stdout  # (exit 5: nothing ran)


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_every_skip_fails_naming_what_is_missing(tmp_path, ci):
    result = pytest_on(tmp_path, ci)
    assert result.returncode == 1, result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
    assert "1 failed, 1 passed, 1 xfailed, 2 errors" in result.stdout  # a skip in set-up fails as an error
    for reason in ("no Chromium found (install /usr/bin/chromium)", "node_modules is absent: run `npm ci`",
                   "no OpenBLAS shared library"):
        assert f"CI=true, where nothing that matters may skip, and this would skip: {reason}" in result.stdout
    # A whole module skipped at collection: the run stops there, naming it.
    result = pytest_on(tmp_path, ci, WHOLE_MODULE)
    assert result.returncode == 2 and "1 error" in result.stdout
    assert ("CI=true, where nothing that matters may skip, and this would skip: the digits are missing: run "
            "`python build.py data`") in result.stdout


def test_ci_false_is_not_ci(tmp_path):
    assert pytest_on(tmp_path, "false").returncode == 0
