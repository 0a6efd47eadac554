"""Runs compare: every finished run kept in the browser (done, stopped, diverged), overlaid on the charts
when ticked, renamed and deleted, kept across a reload; and where a run goes wrong: its confusion matrix,
the digits of a cell, its worst mistakes."""
import os

import pytest

from e2e_support import REPO, App

pytestmark = pytest.mark.e2e

SMALL = {"iterations": 3, "train_size": 200, "test_size": 100}


@pytest.fixture(scope="module")
def app(browser, site_url):
    a = App(browser, site_url).open()
    yield a
    a.close()


def run_ids(app):
    return app.page.evaluate("() => [...document.querySelectorAll('[data-testid=runs] > [data-run-id]')].map(e => e.dataset.runId)")


def train_run(app, preset, stop=False, **params):
    """Train until the run ends and is listed; returns the new run's id."""
    before = len(run_ids(app))
    app.train(preset, **params)
    if stop:
        app.page.wait_for_function("() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 1")
        app.tid("stop").click()
    app.page.wait_for_function("n => document.querySelectorAll('[data-testid=runs] > [data-run-id]').length > n",
                               arg=before, timeout=120_000)
    return run_ids(app)[0]


def run_item(app, run_id):
    return app.page.locator(f'[data-testid=runs] > [data-run-id="{run_id}"]')


def overlaid(app):
    """{chart: {label: points}} of the series the charts draw."""
    series = app.page.evaluate("window.__pynet.chartSeries()")
    return {chart: {s["label"]: s["points"] for s in items} for chart, items in series.items()}


def test_dropout_against_none_overlaid_in_two_clicks_and_kept_across_a_reload(app):
    plain_id = train_run(app, "relu", **SMALL)
    dropout_id = train_run(app, "relu-dropout", **SMALL)
    dropout = run_item(app, dropout_id)
    assert run_ids(app)[:2] == [dropout_id, plain_id]  # newest first
    # Each run says its preset, what differs from its defaults, how it ended and its figures.
    assert "relu-dropout: iterations 3, train_size 200, test_size 100" in dropout.text_content()
    assert "done" in dropout.locator(".run-state").text_content()
    assert "3/3 iterations" in dropout.text_content() and "img/s" in dropout.text_content()
    names = {i: run_item(app, i).locator("[data-testid=run-name]").text_content() for i in (plain_id, dropout_id)}

    for run_id in (plain_id, dropout_id):  # the two clicks
        run_item(app, run_id).locator("[data-testid=compare]").check()
    series = overlaid(app)
    for name in names.values():
        for chart in ("loss", "accuracy"):
            # Three completed iterations each: a train point per iteration, test points as evaluated.
            assert series[chart][f"{name} · train"] == 3, series
            assert series[chart][f"{name} · test"] >= 2, series
    # The current run is drawn too, last (on top), and the legend names every run.
    assert list(series["loss"])[-2:] == ["train", "test"] and series["loss"]["train"] == 3
    legend = app.page.locator("#chart-loss .u-legend").text_content()
    assert all(name in legend for name in names.values()), legend
    if os.environ.get("PYNET_UPDATE_SCREENSHOT") == "1":
        app.page.locator("section.progress").screenshot(path=str(REPO / "tests" / "e2e" / "runs-overlaid.png"))

    app.page.reload()
    app.wait_status("Ready", timeout=90_000)
    assert run_ids(app)[:2] == [dropout_id, plain_id]
    assert run_item(app, plain_id).locator("[data-testid=compare]").is_checked()
    after = overlaid(app)
    assert {k: v for k, v in after["accuracy"].items() if "·" in k} == {k: v for k, v in series["accuracy"].items() if "·" in k}

    run_item(app, dropout_id).locator("[data-testid=compare]").uncheck()
    assert not any(names[dropout_id] in label for label in overlaid(app)["loss"])


def test_runs_are_renamed_and_deleted_and_it_lasts(app):
    run_id = train_run(app, "relu", **SMALL)
    item = run_item(app, run_id)
    item.locator("[data-testid=rename]").click()
    item.locator("[data-testid=run-name-input]").fill("no dropout")
    item.locator("[data-testid=run-name-input]").press("Enter")
    assert item.locator("[data-testid=run-name]").text_content() == "no dropout"
    app.page.reload()
    app.wait_status("Ready", timeout=90_000)
    assert run_item(app, run_id).locator("[data-testid=run-name]").text_content() == "no dropout"
    count = len(run_ids(app))
    run_item(app, run_id).locator("[data-testid=delete]").click()
    assert run_id not in run_ids(app) and len(run_ids(app)) == count - 1
    app.page.reload()
    app.wait_status("Ready", timeout=90_000)
    assert run_id not in run_ids(app) and len(run_ids(app)) == count - 1


def matrix(app):
    return app.page.evaluate("""() => [...document.querySelectorAll('[data-testid=confusion-cell]')]
        .map(c => ({t: +c.dataset.true, p: +c.dataset.pred, n: +c.dataset.count}))""")


@pytest.mark.parametrize("stop", [False, True], ids=["done", "stopped"])
def test_the_confusion_matrix_agrees_with_the_test_accuracy(app, stop):
    params = {"iterations": 2000 if stop else 5, "train_size": 500, "test_size": 1000}
    item = run_item(app, train_run(app, "tanh-softmax", stop=stop, **params))
    assert ("stopped" if stop else "done") in item.locator(".run-state").text_content()
    cells = matrix(app)
    assert len(cells) == 100 and {(c["t"], c["p"]) for c in cells} == {(t, p) for t in range(10) for p in range(10)}
    assert sum(c["n"] for c in cells) == 1000
    right = sum(c["n"] for c in cells if c["t"] == c["p"])
    # The page shows the test accuracy to 0.1%: the matrix's diagonal is that accuracy.
    assert abs(right / 1000 - app.accuracy("test")) <= 0.0005 + 1e-9, (right, app.accuracy("test"))
    assert f"{right / 10:.1f}%" in item.locator("[data-testid=run-figures]").text_content()

    # A cell shows its digits (the first 60 of a large one); a mistake cell shows exactly its count.
    wrong = max((c for c in cells if c["t"] != c["p"]), key=lambda c: c["n"])
    big = max((c for c in cells if c["t"] == c["p"]), key=lambda c: c["n"])
    for cell in (wrong, big):
        if cell["n"] == 0:
            continue
        app.page.locator(f'[data-testid=confusion-cell][data-true="{cell["t"]}"][data-pred="{cell["p"]}"]').click()
        app.page.wait_for_function(
            "([t, p, n]) => { const l = document.querySelector('[data-testid=cell-digits]');"
            " return l.dataset.true == t && l.dataset.pred == p && l.children.length === n; }",
            arg=[cell["t"], cell["p"], min(cell["n"], 60)])
        painted = app.page.evaluate("""() => [...document.querySelectorAll('[data-testid=cell-digits] canvas')]
            .every(c => c.getContext('2d').getImageData(0, 0, 28, 28).data.some((v, i) => i % 4 !== 3 && v > 0))""")
        assert painted  # every digit has ink: its image came from the worker
    assert big["n"] > 60 and "first 60" in app.tid("cell-note").text_content()

    # The worst mistakes: wrong answers, each with the answer and the truth.
    app.page.wait_for_function("() => document.querySelectorAll('[data-testid=mistake]').length > 0")
    mistakes = app.page.evaluate("""() => [...document.querySelectorAll('[data-testid=mistake]')]
        .map(m => ({truth: +m.dataset.truth, answer: +m.dataset.answer, text: m.textContent}))""")
    assert len(mistakes) == min(12, 1000 - right)
    for m in mistakes:
        assert m["truth"] != m["answer"] and f"said {m['answer']}" in m["text"] and f"is {m['truth']}" in m["text"]
    sure = [int(m["text"].split("(")[1].split("%")[0]) for m in mistakes]
    assert sure == sorted(sure, reverse=True)  # surest first


def test_a_diverged_run_is_listed_without_a_matrix(app):
    item = run_item(app, train_run(app, "linear", iterations=5, alpha=100, train_size=200, test_size=100))
    assert "diverged" in item.locator(".run-state").text_content()
    assert item.locator("[data-testid=inspect]").is_disabled()
    assert "alpha 100" in item.locator("[data-testid=run-setup]").text_content()
    # The matrix shown is the newest run that has one, until another run's Mistakes is chosen.
    shown = app.page.locator("[data-testid=runs] > .shown")
    assert shown.count() == 1 and shown.locator(".run-state").text_content() == "stopped"
    older = run_ids(app)[-1]
    run_item(app, older).locator("[data-testid=inspect]").click()
    name = run_item(app, older).locator("[data-testid=run-name]").text_content()
    assert name in app.tid("confusion").locator("caption").text_content()
    assert run_item(app, older).locator("[data-testid=inspect]").get_attribute("aria-pressed") == "true"
