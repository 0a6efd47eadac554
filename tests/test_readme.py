"""README.md stays true: its test command is the one CI runs, and its commands name real things."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line for block in blocks[:2] for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_exactly_one_serve_and_one_test_command():
    serve, test = readme_commands()
    assert serve.endswith("python build.py serve --port 8000")
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_extras_named_in_the_readme_exist():
    pyproject = (ROOT / "pyproject.toml").read_text()
    for extra in ("cli", "build", "test"):
        assert re.search(rf"^{extra} = \[", pyproject, re.M)
