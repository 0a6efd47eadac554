"""Hostile and broken model files imported in the page: each is refused with the very message pynet gives
in CPython, and the model the page had goes on classifying drawings exactly as before."""
import pytest

from e2e_support import DIGITS
from pynet import ModelFileError, saving
from pynet.data import load_mnist
from pynet.presets import make_trainer
from tests.model_files import hostile_files

pytestmark = pytest.mark.e2e


def prediction(app):
    app.draw(DIGITS[1])
    app.wait_prediction()
    return [float(bar["p"]) for bar in app.probabilities()]


def test_hostile_files_are_refused_and_the_model_kept(app_factory, site_url, built_site, tmp_path):
    app = app_factory(site_url)
    # A model trained in CPython on the site's own digits is imported: the page classifies with it.
    data = load_mnist(built_site / "data" / "mnist-digits.bin", train_size=2000, test_size=100)
    trainer = make_trainer("tanh-softmax", *data, {"iterations": 3, "train_size": 2000, "test_size": 100})
    trainer.run()
    good = tmp_path / "good.npz"
    saving.save(good, trainer.model, preset="tanh-softmax", params=trainer.params)
    app.tid("import").set_input_files(str(good))
    app.page.wait_for_function("() => window.__pynet.hasModel()")
    before = prediction(app)
    assert len(before) == 10

    for name, blob in hostile_files().items():
        with pytest.raises(ModelFileError) as refused:
            saving.load(blob)
        why = str(refused.value)
        path = tmp_path / name
        path.write_bytes(blob)
        app.tid("import").set_input_files(str(path))
        app.page.wait_for_function("() => !document.querySelector('[data-testid=error]').hidden")
        shown = app.tid("error").locator(".error-message").text_content().strip()
        assert shown == f'Could not import "{name}": {why}. The current model is kept.'
        app.tid("error").locator("button").click()
        after = prediction(app)
        assert max(abs(a - b) for a, b in zip(before, after)) < 1e-6, name
    assert app.page_errors == [] and app.console_errors == []
