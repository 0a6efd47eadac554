"""Two traps of Playwright that made end-to-end tests race or hang, kept out of the suites and benchmarks:

- `wait_for_function` does not await a promise: an async predicate is truthy at once, so the wait passes
  before anything happened (the offline test then read the old build now and then);
- `unroute` updates the context's interception in every page and worker, and now and then waited forever
  once the page had replaced its worker (the fault tests lift a fault with a flag instead)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAPS = {
    "poll an async condition with page.evaluate": re.compile(r"wait_for_function\(\s*f?[\"']{1,3}\s*async\b"),
    "lift a route with a flag (tests/e2e/test_faults.py, Fault)": re.compile(r"\.unroute(_all)?\("),
}


def found(pattern):
    files = [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py")]
    return [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
            for path in files if path.name != Path(__file__).name
            for text in [path.read_text()] for m in pattern.finditer(text)]


@pytest.mark.parametrize("instead", list(TRAPS))
def test_no_trap_is_in_the_suites(instead):
    assert found(TRAPS[instead]) == [], f"{instead}: {found(TRAPS[instead])}"
