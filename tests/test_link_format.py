"""Links that reproduce a setup (web/js/links.js) and the run list's plain helpers (web/js/runs.js), run in
Node on the presets pynet really reports."""
from pathlib import Path

import pytest

from pynet import presets
from tests.node_module import run_js

WEB = Path(__file__).resolve().parent.parent / "web" / "js"
PRESETS = [p.describe() for p in presets.ALL_PRESETS.values()]


def read(search):
    return run_js(WEB / "links.js", "return mod.readLink(data.search, data.presets);",
                  {"search": search, "presets": PRESETS})


def query(preset, raw, search=""):
    spec = next(p for p in PRESETS if p["name"] == preset)
    return run_js(WEB / "links.js", "return mod.linkQuery(data.spec, data.raw, data.search);",
                  {"spec": spec, "raw": raw, "search": search})


def test_an_address_without_a_setup_asks_for_nothing():
    assert read("") == {"preset": None, "values": {}, "notes": []}
    assert read("?matmul=numpy&threads=1") == {"preset": None, "values": {}, "notes": []}


def test_a_link_names_every_hyper_parameter_as_the_library_does_and_reads_back():
    q = query("conv", {"iterations": "50", "alpha": "0.5", "quirks": False, "shuffle": True})
    assert q == ("?preset=conv&iterations=50&alpha=0.5&batch_size=128&kernels=16&train_size=1000"
                 "&test_size=1000&seed=1&quirks=0&augment=0&shuffle=1")
    link = read(q)
    assert link["preset"] == "conv" and link["notes"] == []
    assert link["values"] == {"iterations": "50", "alpha": "0.5", "batch_size": "128", "kernels": "16",
                              "train_size": "1000", "test_size": "1000", "seed": "1", "quirks": False,
                              "augment": "0", "shuffle": True}


def test_the_pages_own_parameters_are_kept():
    assert query("linear", {}, "?matmul=numpy&threads=1&preset=relu").endswith("&matmul=numpy&threads=1")


def test_a_partial_link_sets_only_what_it_names():
    link = read("?preset=relu&alpha=5e-3&quirks=false")
    assert link["values"] == {"alpha": "0.005", "quirks": False} and link["notes"] == []
    assert read("?iterations=7")["preset"] == "tanh-softmax"  # no preset named: the default one


@pytest.mark.parametrize("search,named,default", [
    ("?preset=conv&iterations=abc", "iterations=abc", "300"),
    ("?preset=conv&alpha=-1", "alpha=-1", "2"),
    ("?preset=conv&kernels=999", "kernels=999", "16"),
    ("?preset=conv&iterations=2.5", "iterations=2.5", "300"),
    ("?preset=conv&quirks=maybe", "quirks=maybe", "true"),
    ("?preset=relu&train_size=50&batch_size=100", "batch_size=100", "1"),
])
def test_an_invalid_value_is_explained_and_left_to_the_default(search, named, default):
    link = read(search)
    name = named.split("=")[0]
    assert name not in link["values"]
    [note] = link["notes"]
    assert note.startswith(named) and f"default, {default}." in note


def test_an_unknown_preset_or_parameter_is_explained():
    link = read("?preset=nope&iterations=5")
    assert link["preset"] == "tanh-softmax" and link["values"] == {"iterations": "5"}
    assert '"nope"' in link["notes"][0] and "conv" in link["notes"][0]
    link = read("?preset=relu&kernels=4&bogus=1")
    assert link["values"] == {} and len(link["notes"]) == 2 and "relu has no such" in link["notes"][0]


def test_a_run_lists_only_the_hyper_parameters_it_changed():
    relu = next(p for p in PRESETS if p["name"] == "relu")
    params = {**{k: v["value"] for k, v in relu["params"].items()}, "alpha": 0.05, "quirks": False}
    changed = run_js(WEB / "runs.js", "return mod.changedParams(data.params, data.preset);",
                     {"params": params, "preset": relu})
    assert changed == {"alpha": 0.05, "quirks": False}


def test_a_kept_curve_is_thinned_evenly_keeping_both_ends_and_skipping_gaps():
    x = list(range(1, 1001))
    y = [None if i % 2 else i / 1000 for i in x]
    points = run_js(WEB / "runs.js", "return mod.thin(data.x, data.y, 50);", {"x": x, "y": y})
    assert len(points) == 50 and points[0] == [2, 0.002] and points[-1] == [1000, 1]
    assert all(p[0] % 2 == 0 for p in points)
    short = run_js(WEB / "runs.js", "return mod.thin([1, 2, 3], [0.5, null, 0.25]);")
    assert short == [[1, 0.5], [3, 0.25]]
