"""The end-to-end suites' waits wait: Playwright's wait_for_function does not await a promise, so an async
predicate is truthy at once and the wait passes before anything happened (a test then raced the browser)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASYNC_WAIT = re.compile(r"wait_for_function\(\s*f?[\"']{1,3}\s*async\b")


def test_no_wait_for_function_is_given_an_async_predicate():
    files = [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py")]
    found = [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for path in files for text in [path.read_text()] for m in ASYNC_WAIT.finditer(text)]
    assert found == [], "poll an async condition with page.evaluate instead: " + ", ".join(found)
