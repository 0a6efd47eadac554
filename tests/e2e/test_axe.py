"""An automated accessibility audit of the whole page with axe-core (node_modules/axe-core), in the states a
person sees: loading done, a form with a mistake, training, trained with a digit drawn, and on a phone.
No serious or critical violation may be reported. Also: the charts and the probability bars say in words
what they show."""
import re
from contextlib import closing

import pytest

from a11y_support import audit, phone_app, with_axe
from e2e_support import DIGITS, App

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(browser, site_url):
    with closing(with_axe(App(browser, site_url)).open()) as opened:
        yield opened


def test_audit_when_ready(app):
    audit(app.page, "at Ready")


def test_audit_with_an_invalid_field(app):
    app.tid("preset").select_option("tanh-softmax")
    app.set_param("iterations", "-3")
    app.page.wait_for_function("() => document.querySelector('[data-testid=message-iterations]').textContent.trim() !== ''")
    audit(app.page, "with an invalid field")
    app.set_param("iterations", "15")


def test_audit_while_training_and_with_a_drawing(app):
    app.train("tanh-softmax", iterations=15, train_size=3000)
    app.page.wait_for_function("() => window.__pynet.chartPoints() > 1", timeout=120_000)
    audit(app.page, "while training")
    app.wait_status("Done", timeout=240_000)
    app.draw(DIGITS[7])
    app.wait_prediction()
    audit(app.page, "trained, with a digit drawn")


def test_charts_say_their_latest_values(app):
    """After the run above: each chart's text alternative gives the final train and test values."""
    iterations = app.iteration()
    loss = app.tid("chart").locator("#chart-loss").get_attribute("aria-label")
    accuracy = app.tid("chart").locator("#chart-accuracy").get_attribute("aria-label")
    assert re.fullmatch(rf"Loss by iteration, latest values: train [\d.]+ after {iterations} iterations; "
                        rf"test [\d.]+ after {iterations} iterations\.", loss), loss
    test_acc = app.accuracy("test") * 100
    shown = float(re.search(r"test ([\d.]+)% after", accuracy).group(1))
    assert abs(shown - test_acc) < 0.06, (accuracy, test_acc)
    assert app.tid("chart").locator("[role=img]").count() == 2


def test_probability_bars_are_read_out(app):
    """A screen reader gets each digit with its probability, and the answer as a sentence."""
    tree = app.tid("probabilities").aria_snapshot()
    items = re.findall(r'listitem "(\d): ([\d.]+)%"', tree)
    assert [d for d, _ in items] == [str(d) for d in range(10)], tree
    values = [float(b["p"]) * 100 for b in app.probabilities()]
    assert all(abs(float(p) - v) < 0.06 for (_, p), v in zip(items, values)), (items, values)
    digit = app.tid("prediction").get_attribute("data-digit")
    assert re.search(rf"The network reads {digit}, [\d.]+% sure", app.tid("prediction").aria_snapshot())


def test_audit_on_a_phone(browser, site_url):
    with closing(with_axe(phone_app(browser, site_url)).open()) as app:
        audit(app.page, "on a phone at Ready")


def test_the_audit_catches_a_nameless_button(app):
    """The audit is live: a button with no name (a serious violation) added to the page fails it."""
    app.page.evaluate("""() => {
        const b = document.createElement('button');
        b.id = 'nameless';
        document.querySelector('main').append(b);
    }""")
    try:
        with pytest.raises(AssertionError, match=r"critical button-name[\s\S]*#nameless"):
            audit(app.page, "with a nameless button")
    finally:
        app.page.evaluate("() => document.getElementById('nameless').remove()")
