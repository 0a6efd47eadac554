"""README.md stays true: its two commands are read from the README itself, `.ci/run` runs the second one
verbatim, and everything the commands name exists: the extras they install, the npm lock they install
from, the `build.py` command and option they run, and every module the code they run imports.
"""
import ast
import functools
import json
import re
import shlex
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def section(title):
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def two_commands():
    """[(comment, command)] of the `sh` blocks under "## Two commands": each a comment line, then one line."""
    blocks = re.findall(r"```sh\n(.*?)```", section("Two commands"), re.S)
    commands = []
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(lines) == 2 and lines[0].startswith("# "), f"not a comment and one command: {block!r}"
        commands.append((lines[0][2:], lines[1]))
    assert len(commands) == 2, "README.md's 'Two commands' must show exactly two"
    return commands


def steps(command):
    return [shlex.split(step) for step in command.split(" && ")]


def extras_installed(command):
    """The extras a command's `pip install -e '.[a,b]'` asks for."""
    for step in steps(command):
        if step[:3] == ["pip", "install", "-e"]:
            return re.fullmatch(r"\.\[([\w,-]+)\]", step[3]).group(1).split(",")
    return []


def test_the_first_command_serves_the_site_where_its_comment_says():
    comment, command = two_commands()[0]
    last = steps(command)[-1]
    assert last[:3] == ["python", "build.py", "serve"] and "--port" in last
    port = last[last.index("--port") + 1]
    assert f"http://127.0.0.1:{port}/" in comment


def test_the_second_command_runs_every_test():
    comment, command = two_commands()[1]
    assert steps(command)[-1] == ["python", "-m", "pytest"] and "run all tests" in comment


def test_ci_runs_the_second_command_verbatim():
    assert two_commands()[1][1] in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "`.ci/run` runs exactly the second command." in section("Two commands")


def test_the_extras_the_commands_install_exist():
    extras = PYPROJECT["project"]["optional-dependencies"]
    for _, command in two_commands():
        named = extras_installed(command)
        assert named and set(named) <= set(extras), (named, sorted(extras))


def test_npm_ci_installs_exactly_what_package_json_asks_for():
    """`npm ci` refuses a lock file that does not match package.json; this says so before CI does."""
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for kind in ("dependencies", "devDependencies"):
        assert lock[""].get(kind, {}) == package.get(kind, {}), kind
    for name, version in package["dependencies"].items():
        assert lock[f"node_modules/{name}"]["version"] == version, name


def test_build_py_has_the_command_and_option_the_readme_runs():
    _, command = two_commands()[0]
    last = steps(command)[-1]
    usage = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=60).stdout
    for word in (last[2], "--port"):
        assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", usage), (word, usage)


# ---------------------------------------------------------------- what the commands run needs

def local_modules():
    """Names the repository itself provides (pynet, build.py and web/sitebuild, test and bench helpers)."""
    places = [ROOT, ROOT / "tests", ROOT / "tests" / "e2e", ROOT / "bench"]
    return {path.stem for place in places for path in place.glob("*.py")} | {"pynet", "tests", "bench", "sitebuild"}


def imported_modules(files):
    modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - local_modules() - {"__future__"}


def installed_by(extras):
    """Every distribution `pip install -e '.[extras]'` brings: pynet's dependencies, the extras', and
    theirs, as installed on this machine."""
    wanted = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    wanted += [Requirement(r) for extra in extras for r in PYPROJECT["project"]["optional-dependencies"][extra]]
    seen = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"{requirement.name} is not installed: run the README's command")
        for text in requires:
            dependency = Requirement(text)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e})
                                                for e in [*requirement.extras, ""]):
                wanted.append(dependency)
    return seen


@functools.cache
def distributions():
    return metadata.packages_distributions()


def providers(module):
    return {canonicalize_name(d) for d in distributions().get(module, [])}


@pytest.mark.parametrize("which, files", [
    (0, lambda: [ROOT / "build.py", *(ROOT / "web" / "sitebuild").glob("*.py")]),
    (1, lambda: [*(ROOT / "tests").rglob("*.py"), *(ROOT / "pynet").glob("*.py")]),
], ids=["build.py", "the tests"])
def test_what_each_command_runs_it_installs(which, files):
    _, command = two_commands()[which]
    brought = installed_by(extras_installed(command))
    for module in sorted(imported_modules(files())):
        assert providers(module) & brought, f"{module} is imported but not installed by: {command}"


def test_the_license_is_the_one_pyproject_declares():
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 pynet contributors" in text
