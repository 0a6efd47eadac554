"""Under CI nothing that matters may skip: a skip there fails, with its reason.

Outside CI a test skips when something it needs is missing from this machine (Chromium, the NumPy wheel
for Pyodide, OpenBLAS, Node.js and node_modules, the digits), saying what and how to get it. In CI
(`CI=true`, as `.ci/run` and CI services set it) the machine is meant to have all of it, so the same skip is
a failure naming what is missing: a green run cannot hide tests that did not run.

One hook does it for every skip, however it is raised (`pytest.skip` in a test or a fixture, a `skipif`
mark, `pytest.importorskip`, also at collection), so no test has to remember to. tests/conftest.py loads
it; tests/test_ci_switch.py runs pytest on a small file with and without CI=true to show it works.
"""
import os

import pytest

CI_VALUES = ("true", "1", "yes")


def in_ci():
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def skip_reason(report):
    if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: <reason>")
        return report.longrepr[2].removeprefix("Skipped: ")
    return str(report.longrepr)


def fail_instead_of_skipping(report):
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"CI=true, where nothing that matters may skip, and this would skip: {skip_reason(report)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    fail_instead_of_skipping(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    fail_instead_of_skipping(outcome.get_result())
