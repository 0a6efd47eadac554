"""The build's memory snapshot step (web/sitebuild/snapshot.py): without Node.js, or when making it fails,
the site ships no snapshot (never a stale one) and the build says why. Making a real one and restoring it in
the page: tests/e2e/test_snapshot.py."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))

from sitebuild import snapshot  # noqa: E402


def a_site_with_an_old_snapshot(tmp_path):
    (tmp_path / "pyodide").mkdir()
    (tmp_path / snapshot.REL).write_bytes(b"a snapshot of an older runtime")
    return tmp_path


def test_without_node_the_site_ships_no_snapshot_and_says_why(tmp_path, monkeypatch, capsys):
    out = a_site_with_an_old_snapshot(tmp_path)
    monkeypatch.setattr(snapshot.shutil, "which", lambda name: None)
    outputs, record = snapshot.step_snapshot(out)
    assert outputs == [] and "Node.js" in record["why_not"]
    assert not (out / snapshot.REL).exists()
    assert "starts Python the default way" in capsys.readouterr().err


def test_a_runtime_that_does_not_boot_leaves_no_snapshot(tmp_path, capsys):
    out = a_site_with_an_old_snapshot(tmp_path)  # its pyodide/ holds no runtime at all
    outputs, record = snapshot.step_snapshot(out)
    assert outputs == [] and record["why_not"].startswith("making it under Node.js failed")
    assert not (out / snapshot.REL).exists()
    assert "no memory snapshot" in capsys.readouterr().err
