"""Links that reproduce a setup: the address fills the form, training uses it, the form rewrites the
address in place, Copy link copies it, and a bad value in a link is explained and replaced."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e

LINK = ("?preset=relu-minibatch&iterations=4&alpha=0.05&batch_size=50&hidden_size=40&train_size=300"
        "&test_size=120&seed=3&quirks=0&augment=0&shuffle=1")


def address(app):
    return app.page.evaluate("location.href")


def query(app):
    return {k: v[0] for k, v in parse_qs(urlsplit(address(app)).query).items()}


def field(app, name):
    locator = app.tid(name.replace("_", "-"))
    return locator.is_checked() if locator.get_attribute("type") == "checkbox" else locator.input_value()


def test_a_link_fills_the_form_and_training_uses_it(app_factory, site_url):
    app = app_factory(site_url + LINK)
    assert app.tid("preset").input_value() == "relu-minibatch"
    assert {n: field(app, n) for n in ("iterations", "alpha", "batch_size", "hidden_size", "train_size",
                                       "test_size", "seed", "augment", "quirks", "shuffle")} == {
        "iterations": "4", "alpha": "0.05", "batch_size": "50", "hidden_size": "40", "train_size": "300",
        "test_size": "120", "seed": "3", "augment": "0", "quirks": False, "shuffle": True}
    assert app.tid("link-note").is_hidden()
    app.tid("train").click()
    app.page.wait_for_function("() => document.querySelectorAll('[data-testid=runs] > [data-run-id]').length === 1",
                               timeout=120_000)
    assert app.tid("iteration").text_content().strip() == "4 / 4"
    # What Python trained with (its own summary, kept with the run) is what the link said.
    params = app.page.evaluate("JSON.parse(localStorage.getItem('pynet.runs.v1'))[0].params")
    assert params == {"iterations": 4, "alpha": 0.05, "batch_size": 50, "hidden_size": 40, "train_size": 300,
                      "test_size": 120, "seed": 3, "quirks": False, "augment": 0, "shuffle": True}
    assert sum(int(c.get_attribute("data-count")) for c in app.tid("confusion-cell").all()) == 120
    assert app.console_errors == [] and app.page_errors == []


def test_changing_the_form_rewrites_the_address_without_a_reload(app_factory, site_url):
    app = app_factory(site_url + "?matmul=numpy")
    app.page.evaluate("window.__sameDocument = true")
    entries = app.page.evaluate("history.length")
    app.tid("alpha").fill("0.7")
    assert query(app)["alpha"] == "0.7" and query(app)["preset"] == "tanh-softmax"
    app.tid("quirks").set_checked(False)
    assert query(app)["quirks"] == "0"
    app.tid("preset").select_option("conv")
    q = query(app)
    assert q["preset"] == "conv" and q["kernels"] == "16" and "hidden_size" not in q
    assert q["matmul"] == "numpy"  # the page's own debug parameter stays
    assert app.page.evaluate("window.__sameDocument === true")  # replaced in place, not reloaded
    assert app.page.evaluate("history.length") == entries  # no history entry per change
    # The address now reproduces the form: opened elsewhere, it sets up the same.
    again = app_factory(address(app))
    assert again.tid("preset").input_value() == "conv" and again.tid("kernels").input_value() == "16"
    assert again.tid("link-note").is_hidden()


def test_copy_link_copies_the_address(app_factory, site_url):
    app = app_factory(site_url + "?preset=linear&iterations=9")
    app.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    app.tid("copy-link").click()
    app.page.wait_for_function("() => document.querySelector('[data-testid=link-note]').textContent.includes('copied')")
    copied = app.page.evaluate("navigator.clipboard.readText()")
    assert copied == address(app) and "iterations=9" in copied and "preset=linear" in copied


def test_an_invalid_link_value_is_explained_and_replaced_by_the_default(app_factory, site_url):
    app = app_factory(site_url + "?preset=conv&iterations=abc&alpha=-1&kernels=999&shuffle=maybe&bogus=1")
    note = app.tid("link-note")
    assert note.is_visible()
    text = note.text_content()
    for part in ("iterations=abc", "alpha=-1", "kernels=999", "shuffle=maybe", "bogus=1"):
        assert part in text, text
    assert app.tid("preset").input_value() == "conv"
    assert (field(app, "iterations"), field(app, "alpha"), field(app, "kernels"), field(app, "shuffle")) == \
        ("300", "2", "16", False)
    assert app.tid("train").is_enabled() and app.status() == "Ready"
    # The address now holds the values the form uses.
    assert query(app)["iterations"] == "300" and "bogus" not in query(app)

    other = app_factory(site_url + "?preset=nope")
    assert '"nope"' in other.tid("link-note").text_content()
    assert other.tid("preset").input_value() == "tanh-softmax"
    assert json.loads(other.page.evaluate("JSON.stringify(window.__pynet.phase())")) == "empty"
