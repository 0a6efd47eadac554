"""The command-line contract: presets listing, train's last JSON line, evaluate, one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.synthetic import synthetic_digits_bytes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "digits.bin"
    path.write_bytes(synthetic_digits_bytes())
    return path


def pynet(*args, data=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if data:
        env["PYNET_DATA"] = str(data)
    return subprocess.run([sys.executable, "-m", "pynet", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pynet: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_presets_lists_names_and_json():
    listing = pynet("presets")
    assert listing.returncode == 0 and "tanh-softmax" in listing.stdout and "conv" in listing.stdout
    presets = json.loads(pynet("presets", "--json").stdout)
    assert len(presets) == 9 and presets[5]["name"] == "conv" and presets[5]["params"]["batch_size"]["value"] == 128
    assert presets[8]["name"] == "drawing" and presets[8]["params"]["shuffle"]["value"] is True


def test_train_prints_notebook_lines_progress_and_final_json(tmp_path, digits_file):
    out = tmp_path / "model.npz"
    result = pynet("train", "--preset", "tanh-softmax", "--iterations", 11, "--train-size", 400,
                   "--test-size", 200, "--seed", 3, "--out", out, data=digits_file)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [l.split()[1] for l in lines[:-1]] == ["0", "10"]  # "Iteration: 0 ...", "Iteration: 10 ..."
    assert all("Test acc:" in l for l in lines[:-1])
    final = json.loads(lines[-1])
    assert final["preset"] == "tanh-softmax" and final["iterations"] == 11 and final["state"] == "done"
    assert final["test_accuracy"] > 0.9 and 0 <= final["train_accuracy"] <= 1 and final["seconds"] > 0
    assert final["params"]["seed"] == 3 and final["out"] == str(out) and out.is_file()
    assert "batch/s" in result.stderr  # tqdm's progress bar

    evaluated = pynet("evaluate", out, "--test-size", 200, data=digits_file)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert report["test_accuracy"] == final["test_accuracy"] and report["test_size"] == 200


def test_train_and_evaluate_on_standard_idx_files(tmp_path):
    from tests.test_data import write_idx_dir
    (tmp_path / "idx").mkdir()
    idx = write_idx_dir(tmp_path / "idx", n_train=200, n_test=50, gz=True)
    out = tmp_path / "idx-model.npz"
    result = pynet("train", "--preset", "relu-minibatch", "--iterations", 2, "--train-size", 200,
                   "--test-size", 50, "--data", idx, "--out", out)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["iterations"] == 2
    evaluated = pynet("evaluate", out, "--test-size", 50, "--data", idx)
    assert evaluated.returncode == 0 and json.loads(evaluated.stdout)["test_size"] == 50
    too_many = pynet("train", "--preset", "relu", "--train-size", 300, "--data", idx)
    assert_one_line_error(too_many, "train_size")


def test_train_with_shuffle_and_augmentation(digits_file):
    result = pynet("train", "--preset", "tanh-softmax", "--iterations", 2, "--train-size", 400, "--test-size", 200,
                   "--shuffle", "--augment", 0.5, data=digits_file)
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["params"]["shuffle"] is True and final["params"]["augment"] == 0.5
    plain = json.loads(pynet("train", "--preset", "tanh-softmax", "--iterations", 2, "--train-size", 400,
                             "--test-size", 200, data=digits_file).stdout.strip().splitlines()[-1])
    assert plain["params"]["shuffle"] is False and plain["params"]["augment"] == 0


def test_train_the_drawing_preset_without_its_shuffle(digits_file):
    result = pynet("train", "--preset", "drawing", "--iterations", 1, "--train-size", 400, "--test-size", 200,
                   "--no-shuffle", "--augment", 0, "--kernels", 4, "--hidden-size", 16, data=digits_file)
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["preset"] == "drawing" and final["params"]["shuffle"] is False and final["state"] == "done"


def test_train_with_personal_digits(tmp_path, digits_file):
    from pynet import personal
    from pynet.data import Dataset
    from tests.synthetic import synthetic_pixels
    images, labels = synthetic_pixels(6, seed=9)
    mine = tmp_path / "my-digits.npz"
    personal.save(mine, Dataset(images.reshape(6, 784).astype(np.float32) / 255, labels))
    result = pynet("train", "--preset", "relu-minibatch", "--iterations", 1, "--train-size", 400,
                   "--test-size", 200, "--extra", mine, "--extra", mine, data=digits_file)
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["extra_digits"] == 12


@pytest.mark.parametrize("args,fragments", [
    (["train", "--preset", "nope"], ["unknown preset 'nope'"]),
    (["train", "--preset", "relu", "--iterations", "abc"], ["invalid int value"]),
    (["train", "--preset", "relu", "--iterations", "0"], ["iterations must be between 1 and 10000"]),
    (["train", "--preset", "relu", "--alpha", "nan"], ["alpha must be a finite number"]),
    (["train", "--preset", "linear", "--kernels", "3"], ["preset linear has no kernels"]),
    (["train", "--preset", "relu", "--train-size", "9000"], ["train_size must be between 1 and 8000"]),
    (["train", "--preset", "relu", "--batch-size", "500", "--train-size", "100"], ["batch_size (500) cannot exceed"]),
    (["train", "--preset", "relu", "--data", "/no/such/file"], ["/no/such/file", "not found"]),
    (["evaluate", "/no/such/model.npz"], ["cannot read model file"]),
    (["evaluate", __file__], ["not a zip archive"]),
    (["train"], ["--preset"]),
    (["train", "--preset", "relu", "--augment", "5"], ["augment must be between 0 and 2"]),
    (["train", "--preset", "relu", "--augment", "lots"], ["invalid float value"]),
    (["train", "--preset", "drawing", "--no-quirks"], ["drawing has no hyper-parameter quirks"]),
    (["train", "--preset", "relu", "--extra", "/no/such/digits.npz"], ["cannot read digit set file /no/such/digits.npz"]),
    (["train", "--preset", "relu", "--extra", __file__], ["not a pynet digit set file"]),
    ([], ["command"]),
])
def test_errors_exit_non_zero_with_one_line(args, fragments, digits_file):
    assert_one_line_error(pynet(*args, data=digits_file), *fragments)


def test_missing_default_data_names_the_fix(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYNET_DATA": str(tmp_path / "absent.bin")}
    result = subprocess.run([sys.executable, "-m", "pynet", "train", "--preset", "relu"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert_one_line_error(result, "python build.py data")


def test_divergence_exits_3_with_json_still_last(digits_file):
    result = pynet("train", "--preset", "linear", "--iterations", 50, "--alpha", 5, "--train-size", 400,
                   "--test-size", 200, data=digits_file)
    assert result.returncode == 3 and "diverged" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["state"] == "diverged"
