"""The code panel in the page: the preset as Python in CodeMirror, the form and the code in step, an edited
cell (a hand-written NumPy layer too) trained in the worker, its mistakes marked on their line, an endless
cell ended by Stop, and the downloaded script trained again in CPython."""
import os
import re
import subprocess
import sys

import pytest

from e2e_support import DIGITS, REPO, App
from tests.hand_written_layer import with_scale_layer

pytestmark = pytest.mark.e2e

SHORT = {"iterations": 10, "train_size": 1000, "test_size": 1000, "hidden_size": 100, "alpha": 2.0}


@pytest.fixture(scope="module")
def app(browser, site_url):
    a = App(browser, site_url).open()
    wait_code(a, "hidden_size = 100")
    a.wait_editor()  # built once the page is idle after Ready
    yield a
    a.close()


# -- driving the editor as a person does: click, select all, type (insert) the new text ------------------

def code(app):
    return app.page.evaluate("window.__pynet.code()")


def wait_code(app, fragment, timeout=30_000):
    app.page.wait_for_function(
        "f => window.__pynet.code().includes(f)",
        arg=fragment, timeout=timeout)


def type_code(app, text):
    """Select all and paste `text`, as a person replacing the cell does (CodeMirror takes the paste event)."""
    content = app.tid("code").locator(".cm-content")
    content.click()
    app.page.keyboard.press("Control+A")
    content.evaluate("""(c, text) => { const data = new DataTransfer(); data.setData('text/plain', text);
        c.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }""", text)
    app.page.wait_for_function("t => window.__pynet.code() === t", arg=text)


def settle(app):
    """The form has followed the code (the panel reads it once typing pauses)."""
    app.page.wait_for_timeout(600)


def fresh(app, preset="tanh-softmax", **params):
    """The preset chosen, its code reset, the form set."""
    app.tid("preset").select_option(preset)
    wait_code(app, "# pynet · ")
    if app.tid("code-reset").is_enabled():
        app.tid("code-reset").click()
    for name, value in params.items():
        app.set_param(name.replace("_", "-"), value)
    for name, value in params.items():
        wait_code(app, f"{name} = {value!r}")


def train_and_wait(app, timeout=180_000):
    app.tid("train").click()
    app.page.wait_for_function(
        "() => ['done', 'failed', 'diverged', 'stopped'].includes(window.__pynet.phase())"
        " && !window.__pynet.session().request", timeout=timeout)


def session(app):
    return app.page.evaluate("window.__pynet.session().session")


def error_line(app):
    return app.tid("code").get_attribute("data-error-line")


# -- the tests ----------------------------------------------------------------------------------------

def test_the_code_and_the_form_follow_each_other(app):
    fresh(app, "tanh-softmax")
    text = code(app)
    assert "hidden_size = 100\n" in text and "Tanh()," in text and "SoftmaxCrossEntropy" in text
    assert app.tid("code").locator(".cm-lineNumbers").count() == 1  # line numbers
    assert app.tid("code").locator(".cm-content span").count() > 20  # highlighted, token by token
    app.set_param("hidden-size", 64)
    wait_code(app, "hidden_size = 64\n")
    type_code(app, code(app).replace("alpha = 2.0", "alpha = 0.5"))
    app.page.wait_for_function("() => document.querySelector('[data-testid=alpha]').value === '0.5'")
    assert app.tid("code-state").text_content().startswith("The preset")  # still the preset's own cell
    assert app.csp_violations() == [] and app.page_errors == []
    # The editor's own violations (in its shadow root) reach the console.
    assert not [e for e in app.console_errors if "Content Security Policy" in e], app.console_errors


def test_edited_hidden_size_and_activation_train(app):
    fresh(app, "tanh-softmax", **SHORT)
    train_and_wait(app)
    preset_parameters, preset_accuracy = session(app)["parameters"], app.accuracy("test")
    assert preset_parameters == 784 * 100 + 100 * 10 and session(app)["kind"] == "preset"
    edited = (code(app).replace("hidden_size = 100", "hidden_size = 32")
              .replace("import Dropout, Softmax, Tanh", "import Dropout, ReLU, Softmax, Tanh")
              .replace("    Tanh(),", "    ReLU(),"))
    type_code(app, edited)
    app.page.wait_for_function("() => document.querySelector('[data-testid=hidden-size]').value === '32'")
    app.page.wait_for_function("() => document.querySelector('[data-testid=code]').dataset.edited === 'true'")
    train_and_wait(app)
    state = session(app)
    assert state["state"] == "done" and state["kind"] == "code", state
    assert state["parameters"] == 784 * 32 + 32 * 10
    assert f"{784 * 32 + 32 * 10:,} parameters" in app.page.locator("#status-detail").text_content()
    assert app.accuracy("test") > 0.4 and app.accuracy("test") != preset_accuracy  # learns (chance: 0.1), differently
    # Everything a preset has: charts, weights, drawing.
    assert app.chart_points() == 10
    app.page.wait_for_function("() => document.querySelector('[data-testid=weights]').dataset.tiles === '16'")
    app.draw(DIGITS[1])
    app.wait_prediction()
    # Kept across a reload, with the form following it.
    app.page.reload()
    app.wait_status("Ready", timeout=90_000)
    wait_code(app, "hidden_size = 32")
    assert "    ReLU()," in code(app)
    app.page.wait_for_function("() => document.querySelector('[data-testid=hidden-size]').value === '32'")
    app.tid("code-reset").click()
    wait_code(app, "    Tanh(),")


def test_a_hand_written_layer_trains_and_export_says_why_not(app):
    fresh(app, "tanh-softmax", **SHORT)
    type_code(app, with_scale_layer(code(app)))
    train_and_wait(app)
    assert session(app)["state"] == "done" and session(app)["parameters"] == 784 * 100 + 100 + 100 * 10
    assert app.accuracy("test") > 0.5
    app.tid("export").click()
    app.page.wait_for_function("() => !document.querySelector('[data-testid=error]').hidden")
    assert "Scale (layer 1) is written in your code" in app.error_text()
    app.page.locator("#error-dismiss").click()


def test_a_syntax_error_and_a_runtime_error_show_their_line(app):
    fresh(app, "relu", iterations=2)
    lines = code(app).splitlines()
    broken = lines[:]
    at = lines.index("optimizer = SGD(alpha)")
    broken[at] = "optimizer = SGD(alpha))"
    type_code(app, "\n".join(broken) + "\n")
    app.page.wait_for_function("() => document.querySelector('[data-testid=code]').dataset.errorLine !== ''")
    assert error_line(app) == str(at + 1)
    assert "SyntaxError" in app.tid("code-message").text_content()
    assert app.tid("code").locator(".cm-lintRange-error").count() == 1  # the line is marked in the editor
    # A runtime error, from Train.
    runtime = lines[:]
    runtime.insert(at, "scale = 1 / 0")
    type_code(app, "\n".join(runtime) + "\n")
    app.page.wait_for_function("() => document.querySelector('[data-testid=code]').dataset.errorLine === ''")
    app.tid("train").click()
    app.page.wait_for_function("() => document.querySelector('[data-testid=code]').dataset.errorLine !== ''")
    assert error_line(app) == str(at + 1)
    message = app.tid("code-message").text_content()
    assert f"ZeroDivisionError: division by zero (line {at + 1} of your code)" in message
    assert "ZeroDivisionError" in app.error_text()
    app.page.locator("#error-dismiss").click()
    # A shape mismatch names the layer and the shapes.
    shapes = code(app).replace("scale = 1 / 0\n", "").replace("uniform_dense(hidden_size, 10", "uniform_dense(20, 10")
    type_code(app, shapes)
    settle(app)
    app.tid("train").click()
    app.page.wait_for_function("() => document.querySelector('[data-testid=code-message]').textContent.includes('layer 2')")
    assert "cannot take an input of shape (1, 30)" in app.tid("code-message").text_content()
    app.page.locator("#error-dismiss").click()


def test_an_endless_loop_is_stopped_and_the_last_model_stays(app):
    if not app.page.evaluate("window.__pynet.isolated()"):
        pytest.fail("the page is not cross-origin isolated: Stop cannot interrupt Python")
    fresh(app, "relu-minibatch", iterations=2)
    train_and_wait(app)
    assert session(app)["state"] == "done"
    endless = code(app) + "\nwhile True:\n    pass\n"
    type_code(app, endless)
    settle(app)
    app.tid("train").click()
    app.page.wait_for_function("() => !document.querySelector('[data-testid=stop]').disabled", timeout=10_000)
    app.page.wait_for_timeout(500)
    assert app.page.evaluate("window.__pynet.session().request") == "train"  # still running the cell
    app.tid("stop").click()
    app.page.wait_for_function(
        "() => document.querySelector('[data-testid=code-message]').textContent.includes('Stopped')", timeout=15_000)
    assert re.search(r"Stopped: your code was still running \(line \d+ of your code\)", app.tid("code-message").text_content())
    assert int(error_line(app)) >= len(endless.splitlines()) - 1
    # The page is usable: the last model draws, and a new run trains.
    assert session(app)["state"] == "done"
    app.draw(DIGITS[7])
    app.wait_prediction()
    if app.tid("error").is_visible():
        app.page.locator("#error-dismiss").click()
    app.tid("code-reset").click()
    wait_code(app, "optimizer = SGD(alpha)\ndrop_last")
    train_and_wait(app)
    assert session(app)["state"] == "done" and session(app)["kind"] == "preset"


def endless_cell(app):
    """The relu-minibatch cell with an endless loop at its end, in the editor, the form in step."""
    fresh(app, "relu-minibatch", iterations=2)
    type_code(app, code(app) + "\nwhile True:\n    pass\n")
    settle(app)


def wait_stopped_and_train_again(app, state_before):
    app.page.wait_for_function(
        "() => document.querySelector('[data-testid=code-message]').textContent.includes('Stopped')", timeout=15_000)
    app.page.wait_for_function("() => !window.__pynet.session().request")
    assert session(app)["state"] == state_before  # the stopped cell never became a session
    app.tid("code-reset").click()
    wait_code(app, "optimizer = SGD(alpha)\ndrop_last")
    train_and_wait(app)
    assert session(app)["state"] == "done" and session(app)["kind"] == "preset"


def test_stop_clicked_as_train_is_still_ends_the_cell(app):
    """Stop clicked in the same moment as Train, most often before the worker has begun the cell: its
    interrupt is then cleared as stale when the cell starts, yet the cell must not run forever."""
    endless_cell(app)
    before = session(app)["state"]
    app.page.evaluate("""() => {
        const button = (id) => document.querySelector(`[data-testid=${id}]`);
        button('train').click();
        if (button('stop').disabled) throw new Error('Train of a code cell did not enable Stop at once');
        button('stop').click();
    }""")
    wait_stopped_and_train_again(app, before)


def test_a_stop_whose_interrupt_python_lost_still_ends_the_cell(app):
    """Python's check reads the interrupt buffer and then writes 0 to it, so the page's write can land in
    between and be lost. Here the page's first write is dropped outright: Stop must write it again."""
    endless_cell(app)
    before = session(app)["state"]
    app.tid("train").click()
    app.page.wait_for_function("() => !document.querySelector('[data-testid=stop]').disabled", timeout=10_000)
    app.page.wait_for_timeout(500)
    app.page.evaluate("""() => {
        const store = Atomics.store;
        Atomics.store = function (array, index, value) {
            if (array instanceof Uint8Array && array.length === 1 && value === 2) {
                Atomics.store = store;   // the interrupt's first write is the one lost
                return value;
            }
            return store.call(Atomics, array, index, value);
        };
        document.querySelector('[data-testid=stop]').click();
        if (Atomics.store !== store) throw new Error('Stop wrote no interrupt');
    }""")
    wait_stopped_and_train_again(app, before)


def test_a_field_changed_as_a_preset_is_chosen_goes_into_the_new_presets_cell(app):
    """A preset chosen, a field typed and Train clicked before the new preset's cell has arrived from the
    worker: the value must not be written into the old preset's cell, which Train would then run as
    edited code (the bench once trained conv under wide-minibatch's name this way)."""
    fresh(app, "conv", iterations=2)
    # No edited cell kept from an earlier test: a kept cell is what the preset shows, whatever the form says.
    app.page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('pynet.code.'))"
                      ".forEach((k) => localStorage.removeItem(k))")
    version = session(app)["version"] if session(app) else 0
    app.page.evaluate("""() => {
        const field = (id) => document.querySelector(`[data-testid=${id}]`);
        field('preset').value = 'tanh-softmax';
        field('preset').dispatchEvent(new Event('change', { bubbles: true }));
        field('iterations').value = '3';
        field('iterations').dispatchEvent(new Event('input', { bubbles: true }));
        field('iterations').dispatchEvent(new Event('change', { bubbles: true }));
        field('train').click();
    }""")
    app.page.wait_for_function("""v => { const s = window.__pynet.session();
        return !s.request && s.session && s.session.version > v && ['done', 'failed', 'diverged'].includes(s.session.state); }""",
                               arg=version, timeout=120_000)
    trained = session(app)
    assert (trained["kind"], trained["preset"], trained["iterations"]) == ("preset", "tanh-softmax", 3), trained
    wait_code(app, "iterations = 3")
    assert "Conv2D" not in code(app) and "hidden_size = 100" in code(app)
    assert app.tid("code-state").text_content().startswith("The preset")  # its own cell, not edited


def test_the_downloaded_script_reaches_the_pages_accuracy_in_cpython(app, built_site, tmp_path):
    fresh(app, "relu-minibatch", iterations=20)
    type_code(app, code(app).replace("hidden_size = 100", "hidden_size = 40").replace("Dropout(0.5", "Dropout(0.3"))
    settle(app)
    train_and_wait(app)
    assert session(app)["kind"] == "code"
    page_accuracy = app.page.evaluate("window.__pynet.status()")["status"]["evaluation"]["test_accuracy"]
    with app.page.expect_download() as download:
        app.tid("code-download").click()
    script = tmp_path / "cell.py"
    download.value.save_as(script)
    env = {**os.environ, "PYNET_DATA": str(built_site / "data" / "mnist-digits.bin"), "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("iteration 20:"), run.stdout
    script_accuracy = float(last.rsplit(" ", 1)[1])
    # The same numbers but for the matrix products' rounding (XNNPACK in the page, OpenBLAS here).
    assert abs(script_accuracy - page_accuracy) <= 0.01, (script_accuracy, page_accuracy)


def test_a_cell_comes_and_goes_in_a_link(browser, site_url):
    """`?code=` (deflate-raw, base64url) opens the page on that cell; the page packs a cell the same way."""
    import base64
    import zlib

    from pynet import codecell

    cell = codecell.cell("tanh-softmax").replace("hidden_size = 100", "hidden_size = 48") + "# from a link ✓\n"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = base64.urlsafe_b64encode(packer.compress(cell.encode()) + packer.flush()).decode().rstrip("=")
    app = App(browser, f"{site_url}?code={packed}").open()
    try:
        wait_code(app, "# from a link ✓")
        assert app.page.evaluate("window.__pynet.code()") == cell
        app.page.wait_for_function("() => document.querySelector('[data-testid=hidden-size]').value === '48'")
        assert app.tid("code").get_attribute("data-edited") == "true"
        again = app.page.evaluate("async (text) => (await import('./js/code-link.js')).packCode(text)", cell)
        unpacker = zlib.decompressobj(-15)
        assert unpacker.decompress(base64.urlsafe_b64decode(again + "=" * (-len(again) % 4))).decode() == cell
    finally:
        app.close()


# -- the editor is built when it costs nothing: never in the middle of a training, unless asked for ---------

EDITOR_MODULE = "**/vendor/codemirror/codemirror.js"
PLAIN = "() => document.querySelector('[data-testid=code] pre.code-plain')?.textContent ?? ''"


def training_with_the_editor_held_back(browser, site_url):
    """A fresh page training `relu`, whose editor module was asked for after Ready and arrives only once the
    training runs (a person who pressed Train while it was on its way)."""
    app = App(browser, site_url, service_workers="block")
    held = []
    app.context.route(EDITOR_MODULE, lambda route: held.append(route))
    app.open()
    wait_code(app, "hidden_size = ")
    app.page.wait_for_function(PLAIN)  # the cell, as plain text, before the editor
    assert "hidden_size = " in app.page.evaluate(PLAIN)
    app.until(lambda: held, 30, lambda: "the editor's module was never asked for")  # in the first calm moment after Ready
    app.train("relu", iterations=200)
    app.wait_status("Training", timeout=30_000)
    held[0].continue_()
    return app


def test_the_editor_waits_for_the_training_to_end(browser, site_url):
    app = training_with_the_editor_held_back(browser, site_url)
    try:
        app.page.wait_for_timeout(1500)  # the module has long arrived; the editor's layout waits
        assert app.page.evaluate("window.__pynet.phase()") == "training"
        assert not app.editor_built()
        assert "hidden_size = " in app.page.evaluate(PLAIN)
        app.tid("stop").click()
        app.wait_editor()
        assert app.page.evaluate("window.__pynet.phase()") == "stopped"
        assert app.page.evaluate(PLAIN) == "" and "hidden_size = 30" in code(app)
        assert app.page_errors == []
    finally:
        app.close()


def test_reaching_for_the_code_builds_the_editor_at_once(browser, site_url):
    app = training_with_the_editor_held_back(browser, site_url)
    try:
        app.page.locator("[data-testid=code] pre.code-plain").click()
        app.wait_editor(timeout=10_000)
        assert app.page.evaluate("window.__pynet.phase()") == "training"
        # The editor took the focus: typing goes into the code.
        app.page.wait_for_function("() => document.activeElement?.dataset.testid === 'code'"
                                   " && document.activeElement.shadowRoot.activeElement?.classList.contains('cm-content')")
        app.page.keyboard.press("Control+End")
        app.page.keyboard.type("\n# typed\n")
        wait_code(app, "# typed")
        app.tid("stop").click()
        assert app.page_errors == []
    finally:
        app.close()
