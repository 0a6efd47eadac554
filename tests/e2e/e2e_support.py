"""What the end-to-end tests share: building the site, the digit strokes, and `App`, a driver for the page.

Kept out of conftest.py so test modules can import it by a name no other conftest shares.
"""
import math
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
READY_TIMEOUT_MS = 90_000


def run_build(out, extra_args=(), env=None):
    """Run build.py as a user would; returns the CompletedProcess (output captured)."""
    cmd = [sys.executable, str(REPO / "build.py"), "--out", str(out), *extra_args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=900)


def numpy_missing(result):
    text = (result.stdout + result.stderr).lower()
    return "could not obtain numpy" in text or ("numpy" in text and "allow-missing-numpy" in text)


# ---------------------------------------------------------------- the page driver

# Digit strokes in fractions of the drawing pad (x, y), one list per pen-down stroke.
def _ring(cx, cy, rx, ry, n=28):
    return [(cx + rx * math.sin(2 * math.pi * a / n), cy - ry * math.cos(2 * math.pi * a / n)) for a in range(n + 1)]


DIGITS = {
    1: [[(0.5, 0.15), (0.5, 0.85)]],
    0: [_ring(0.5, 0.5, 0.2, 0.3)],
    7: [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.85)]],
}

# The code panel's CodeMirror editor is built (until then the cell shows as plain text).
EDITOR_BUILT = "() => Boolean(document.querySelector('[data-testid=code]').shadowRoot?.querySelector('.cm-content'))"

# Long tasks on the main thread are recorded from the very start of the page.
LONGTASK_SCRIPT = """
window.__longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
  }).observe({ type: 'longtask', buffered: true });
} catch (e) {}
"""


# Content-Security-Policy violations in the page, recorded from the very start (a worker's are logged to the
# console, which App records as well).
CSP_SCRIPT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
"""


# A Train click was taken: the run is on, has produced events (metrics().events is reset by the click), or
# was refused with a message. Until then the page still shows the previous run's ending.
STARTED = """() => window.__pynet.phase() === 'training' || window.__pynet.metrics().events.length > 0
  || !document.querySelector('[data-testid=error]').hidden"""


class App:
    """The pynet page in one browser context, with everything it requested and logged."""

    def __init__(self, browser, url, tmp_path=None, **context_options):
        self.url = url
        self.origin = url.rstrip("/")
        options = {"viewport": {"width": 1280, "height": 900}, "accept_downloads": True, **context_options}
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.page.add_init_script(LONGTASK_SCRIPT)
        self.page.add_init_script(CSP_SCRIPT)
        self.requests, self.console_errors, self.page_errors = [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.set_default_timeout(30_000)

    def open(self, wait_ready=True):
        self.page.goto(self.url)
        if wait_ready:
            self.wait_status("Ready", timeout=READY_TIMEOUT_MS)
        return self

    def close(self):
        self.context.close()

    # -- reading
    def tid(self, name):
        return self.page.locator(f'[data-testid="{name}"]')

    def status(self):
        return self.tid("status").text_content().strip()

    def error_text(self):
        err = self.tid("error")
        return err.text_content().strip() if err.is_visible() else ""

    def chart_points(self):
        return self.page.evaluate("window.__pynet.chartPoints()")

    def iteration(self):
        """Completed iterations as shown in the figures ("12 / 40" -> 12), or None."""
        text = self.tid("iteration").text_content().strip()
        head = text.split("/")[0].strip()
        return int(head) if head.isdigit() else None

    def wait_iteration_past(self, n, timeout=30_000):
        """Until the iteration counter shows more than `n`: training is going on."""
        self.page.wait_for_function(
            "n => parseInt(document.querySelector('[data-testid=iteration]').textContent) > n", arg=n,
            timeout=timeout)

    def stop_and_stay(self):
        """Press Stop; once the page says Stopped, the counter must not move (a second later): the
        iteration it stopped at."""
        self.tid("stop").click()
        self.wait_status("Stopped", timeout=15_000)
        stopped_at = self.iteration()
        time.sleep(1.0)
        assert self.iteration() == stopped_at, "training went on after Stop"
        return stopped_at

    def accuracy(self, which):
        text = self.tid(f"{which}-accuracy").text_content().strip()
        return float(text.rstrip("%")) / 100 if text.endswith("%") else None

    def probabilities(self):
        return self.page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=probabilities] > *')]
                    .map(e => ({digit: e.dataset.digit, p: e.dataset.p}))""")

    # -- waiting
    def wait_status(self, word, timeout=60_000):
        self.page.wait_for_function(
            "w => document.querySelector('[data-testid=status]').textContent.includes(w)", arg=word, timeout=timeout)

    def editor_built(self):
        return self.page.evaluate(EDITOR_BUILT)

    def until(self, probe, timeout_s, what):
        """Call `probe` every 0.1 s until it returns something true, and return that; fail with `what()` after
        `timeout_s`. For what `wait_for_function` cannot wait for: an async condition (it does not await a
        promise) or one held in Python (a route's requests). The waits let Playwright deliver its events."""
        deadline = time.monotonic() + timeout_s
        while not (found := probe()):
            assert time.monotonic() < deadline, what()
            self.page.wait_for_timeout(100)
        return found

    def wait_editor(self, timeout=30_000):
        self.page.wait_for_function(EDITOR_BUILT, timeout=timeout)

    def wait_prediction(self, timeout=15_000):
        """Ten bars present and no prediction pending: the bars show the current drawing."""
        self.page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=probabilities] > *').length === 10"
            " && !window.__pynet.predictInFlight()", timeout=timeout)
        # One more frame for a prediction that was scheduled at the very end of the stroke.
        self.page.wait_for_timeout(150)
        self.page.wait_for_function("() => !window.__pynet.predictInFlight()", timeout=timeout)

    # -- acting
    def set_param(self, name, value):
        """A form field: ticked or cleared for a boolean (a checkbox), else typed."""
        if isinstance(value, bool):
            self.tid(name).set_checked(value)
        else:
            self.tid(name).fill(str(value))

    def train(self, preset="tanh-softmax", **params):
        """Set up and start a training; returns once the worker has taken it (a short one may be over
        by then: a linear run diverges within a few milliseconds, so "Training" may never show)."""
        self.tid("preset").select_option(preset)
        for name, value in params.items():
            self.set_param(name.replace("_", "-"), value)
        self.tid("train").click()
        self.page.wait_for_function(STARTED, timeout=30_000)

    def stroke(self, points):
        box = self.pad_box()
        x0, y0, side = box["x"], box["y"], box["width"]
        mouse = self.page.mouse
        mouse.move(x0 + points[0][0] * side, y0 + points[0][1] * side)
        mouse.down()
        for x, y in points[1:]:
            mouse.move(x0 + x * side, y0 + y * side, steps=6)
        mouse.up()

    def pad_box(self):
        """The drawing pad's box in the viewport, scrolled into view first: a click lower on the page
        (Train, below a long form) can leave the pad above the viewport, where the mouse cannot reach."""
        pad = self.tid("draw-canvas")
        pad.scroll_into_view_if_needed()
        return pad.bounding_box()

    def draw(self, strokes):
        self.tid("clear").click()
        for s in strokes:
            self.stroke(s)

    def now(self):
        return self.page.evaluate("performance.now()")

    def long_tasks(self, since=0):
        """Durations (ms) of main-thread tasks over 50 ms that started after `since` (performance.now())."""
        return [d for start, d in self.page.evaluate("window.__longTasks || []") if start >= since]

    def csp_violations(self):
        return self.page.evaluate("window.__cspViolations || []")

    def foreign_requests(self):
        return [u for u in self.requests
                if not (u.startswith(self.origin + "/") or u.startswith(("data:", "blob:" + self.origin)))]
