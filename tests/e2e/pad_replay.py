"""Replay pen strokes through the page's real drawing pad, with trusted pointer events, fast.

Playwright's `mouse.move` waits about a frame for each move, because Chromium aligns pointer moves to
animation frames: 14,000 pointer samples would take four minutes. Here the samples of a stroke are sent
through the DevTools protocol without waiting for one another, as a fast real mouse sends them: Chromium
then delivers one pointermove per frame that carries the others as coalesced events, and the pad draws
them all (web/js/ui/draw-pad.js). The events are real input (trusted), through the page's own handlers.

The driver uses Playwright's async API in a thread of its own, so it also runs beside the sync API of the
other end-to-end tests and of bench/browser.py. It launches its own Chromium.

    result = replay(url, drawings)                      # the page's 28x28 inputs, no model needed
    result = replay(url, drawings, preset="conv")       # train in the page first, then read its answers
"""
import asyncio
import concurrent.futures
import os
import shutil
from pathlib import Path

from e2e_support import CHROMIUM_FLAGS, READY_TIMEOUT_MS, STARTED

TRAIN_TIMEOUT_MS = 900_000  # the slowest notebook preset (wide-sgd) trains for about four minutes in the page
VIEWPORT = {"width": 1280, "height": 900}

# Resolves once a training has ended: 'done', or why it ended otherwise.
ENDED = """() => {
  const err = document.querySelector('[data-testid=error]');
  if (err && !err.hidden) return 'error: ' + err.textContent.trim().replace(/\\s+/g, ' ');
  const phase = window.__pynet.phase();
  return ['done', 'diverged', 'broken', 'stopped', 'failed'].includes(phase) ? phase : false;
}"""
# The answer on screen is the current drawing's: no prediction pending, ten bars shown.
ANSWERED = """() => !window.__pynet.predictInFlight()
  && document.querySelectorAll('[data-testid=probabilities] > *').length === 10"""


def chromium_executable():
    """$PYNET_CHROMIUM, /usr/bin/chromium or chromium on PATH; None lets Playwright use its own build."""
    for candidate in (os.environ.get("PYNET_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def replay(url, drawings, preset=None, params=None, export=False):
    """Open the page at `url`; if `preset` is given, train it with `params` (the preset's defaults for
    the rest) through the form; then draw every drawing (its "strokes", pad fractions) on the pad.

    Returns {"inputs": the page's 28x28 input per drawing (784 floats, None if it saw no ink),
    "answers": the digit the page shows per drawing (None without a model), "training": how the
    training ended and its last evaluation, "model": the exported model's bytes if `export`,
    "page_errors": uncaught errors in the page}.
    """
    job = _replay(url, drawings, preset, dict(params or {}), export)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a thread with no event loop running in it
        return pool.submit(asyncio.run, job).result()


async def _replay(url, drawings, preset, params, export):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_executable(), headless=True,
                                           args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            page = await context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(url)
            await page.wait_for_function("() => window.__pynet && window.__pynet.session().runtime === 'ready'",
                                         timeout=READY_TIMEOUT_MS)
            training = await train(page, preset, params) if preset else None
            if training and training["outcome"] != "done":
                return {"inputs": [], "answers": [], "training": training, "model": None, "page_errors": errors}
            pad = await Pad.open(page)
            inputs, answers = [], []
            for drawing in drawings:
                await pad.draw(drawing["strokes"])
                inputs.append(await pad.input())
                answers.append(await pad.answer() if preset else None)
            model = await export_model(page) if export and preset else None
            return {"inputs": inputs, "answers": answers, "training": training, "model": model,
                    "page_errors": errors}
        finally:
            await browser.close()


async def train(page, preset, params):
    """Train `preset` through the form; returns {"outcome": "done" or why not, "evaluation": the last
    evaluation event (test_accuracy...), "seconds": how long the page trained}."""
    await page.select_option('[data-testid="preset"]', preset)
    for name, value in params.items():
        await page.fill(f'[data-testid="{name.replace("_", "-")}"]', str(value))
    await page.click('[data-testid="train"]')
    await page.wait_for_function(STARTED, timeout=60_000)
    started = await page.evaluate("performance.now()")
    outcome = await (await page.wait_for_function(ENDED, timeout=TRAIN_TIMEOUT_MS, polling=500)).json_value()
    seconds = (await page.evaluate("performance.now()") - started) / 1000
    events = await page.evaluate("window.__pynet.metrics().events")
    evaluations = [e for e in events if e["type"] in ("evaluation", "stopped")]
    return {"outcome": outcome, "evaluation": evaluations[-1] if evaluations else None, "seconds": seconds}


async def export_model(page):
    async with page.expect_download() as info:
        await page.click('[data-testid="export"]')
    download = await info.value
    return Path(await download.path()).read_bytes()


class Pad:
    """The page's drawing pad, driven by DevTools input events at pad fractions."""

    def __init__(self, page, cdp, box):
        self.page, self.cdp, self.box = page, cdp, box

    @classmethod
    async def open(cls, page):
        return cls(page, await page.context.new_cdp_session(page), await cls.box_in_view(page))

    @staticmethod
    async def box_in_view(page):
        """The pad's box in the viewport, scrolled into view first: the Train button, lower on the page,
        can leave the pad above the viewport, where the pointer cannot reach (as App.pad_box)."""
        pad = page.locator('[data-testid="draw-canvas"]')
        await pad.scroll_into_view_if_needed()
        return await pad.bounding_box()

    def at(self, point):
        return {"x": self.box["x"] + point[0] * self.box["width"], "y": self.box["y"] + point[1] * self.box["height"]}

    async def mouse(self, kind, point, pressed):
        await self.cdp.send("Input.dispatchMouseEvent", {
            "type": kind, **self.at(point), "button": "left" if pressed or kind != "mouseMoved" else "none",
            "buttons": 1 if pressed else 0, "clickCount": 1 if kind != "mouseMoved" else 0})

    async def draw(self, strokes):
        """Clear the pad, then draw each stroke: press, every sample as a move, release."""
        await self.page.evaluate("document.querySelector('[data-testid=clear]').click()")
        self.box = await self.box_in_view(self.page)
        for stroke in strokes:
            await self.mouse("mouseMoved", stroke[0], pressed=False)
            await self.mouse("mousePressed", stroke[0], pressed=True)
            # Sent in order without waiting for each: the tasks start, and so send, in list order.
            await asyncio.gather(*(self.mouse("mouseMoved", p, pressed=True) for p in stroke[1:]))
            await self.mouse("mouseReleased", stroke[-1], pressed=False)

    async def input(self):
        """The 784 values the page gives the network for what is on the pad now (None: no ink)."""
        return await self.page.evaluate("window.__pynet.input()")

    async def answer(self):
        """The digit the page shows for the current drawing, once its prediction has arrived."""
        await self.page.wait_for_function(ANSWERED, timeout=15_000, polling="raf")
        return int(await self.page.get_attribute('[data-testid="prediction"]', "data-digit", timeout=1000))
