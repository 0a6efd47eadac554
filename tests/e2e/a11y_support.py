"""What the phone, keyboard and accessibility tests share: a phone-sized touch page, real touch strokes,
the keyboard's walk through the page, and the axe-core audit.

Touch goes through the DevTools protocol (Input.dispatchTouchEvent): Chromium turns it into the same
pointer events (pointerType 'touch') and, outside the pad, the same scrolling a finger would make.
"""
import time

import pytest

from e2e_support import REPO, App

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

# Every pointerdown the page receives, with its pointerType, from the very start.
POINTER_LOG_SCRIPT = """
window.__pointerDowns = [];
document.addEventListener('pointerdown',
  (e) => window.__pointerDowns.push({ type: e.pointerType, target: e.target.dataset ? e.target.dataset.testid || e.target.id : '' }),
  true);
"""


def phone_app(browser, url):
    """The page at 390x844 with a touch screen, as a phone shows it."""
    app = App(browser, url, **PHONE)
    app.page.add_init_script(POINTER_LOG_SCRIPT)
    return app


def horizontal_overflow(page):
    """(scrollWidth, clientWidth, the visible elements sticking out on the right or the left)."""
    return page.evaluate("""() => {
        const root = document.scrollingElement, w = root.clientWidth;
        const out = [...document.querySelectorAll('body *')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && (r.right > w + 0.5 || r.left < -0.5);
        }).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} [${Math.round(e.getBoundingClientRect().left)}, ${Math.round(e.getBoundingClientRect().right)}]`);
        return [root.scrollWidth, w, out];
    }""")


def touch_stroke(page, points, box, steps=6):
    """One finger stroke through `points` (fractions of `box`), as real touch input: a sample every 16 ms,
    as a touch screen sends them, and the finger held still before it lifts (else the gesture ends in a
    fling, and a fling swallows the next tap)."""
    cdp = page.context.new_cdp_session(page)
    t = time.time()

    def send(kind, *xy):
        nonlocal t
        t += 0.016
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "timestamp": t,
                                              "touchPoints": [{"x": x, "y": y} for x, y in xy]})

    try:
        at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
        send("touchStart", at[0])
        for (x0, y0), (x1, y1) in zip(at, at[1:]):
            for i in range(1, steps + 1):
                send("touchMove", (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps))
        t += 0.1
        send("touchMove", at[-1])
        send("touchEnd")
    finally:
        cdp.detach()


def touch_draw(app, strokes):
    """Clear the pad with a tap on Clear, then draw `strokes` on it with a finger."""
    app.tid("clear").tap()
    app.page.wait_for_function("() => document.querySelector('[data-testid=draw-canvas]').dataset.empty === 'true'",
                               timeout=5_000)
    box = app.tid("draw-canvas").bounding_box()
    for s in strokes:
        touch_stroke(app.page, s, box)


# ---------------------------------------------------------------- keyboard

# The focused element: a name for it, and the computed focus ring of what shows it (a file input is
# invisible: its label shows the focus).
# Focus inside a widget's shadow root (the code editor) is named by its host, and its ring may be drawn by
# an ancestor inside the widget (the editor around its editable content).
FOCUSED = """() => {
  const host = document.activeElement;
  if (!host || host === document.body) return null;
  let e = host;
  while (e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  let shown = e.type === 'file' ? e.closest('label') || e : e;
  if (e !== host) {
    for (let a = e; a && a !== host.shadowRoot; a = a.parentNode) {
      if (a instanceof Element && getComputedStyle(a).outlineStyle !== 'none') { shown = a; break; }
    }
  }
  const s = getComputedStyle(shown);
  return { name: host.dataset.testid || host.id || host.tagName.toLowerCase(), visible: e.matches(':focus-visible'),
           ring: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ') };
}"""
UNFOCUSED_RING = """(name) => {
  const e = document.querySelector(`[data-testid="${name}"]`) || document.getElementById(name);
  const shown = e.type === 'file' ? e.closest('label') || e : e;
  const s = getComputedStyle(shown);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
}"""


# Tab's next stop is found from where focus last was: start from the page's first heading instead.
TO_THE_TOP = """() => {
  const top = document.querySelector('h1');
  top.tabIndex = -1;
  top.focus();
  top.blur();
  top.removeAttribute('tabindex');
  window.scrollTo(0, 0);
}"""


def from_the_top(page):
    page.evaluate(TO_THE_TOP)


def settle_focus(page):
    """Focus on the code shown as plain text (before the editor is built) builds the editor, which takes the
    focus: wait for it to, as a person sees the editor appear where they tabbed."""
    if page.evaluate("() => document.activeElement?.matches('pre.code-plain') ?? false"):
        page.wait_for_function("() => document.activeElement?.dataset.testid === 'code'", timeout=10_000)


def tab_walk(page, limit=80):
    """Tab from the top of the page until focus leaves it; returns FOCUSED for each stop, in order."""
    from_the_top(page)
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        settle_focus(page)
        here = page.evaluate(FOCUSED)
        if here is None or (stops and here["name"] == stops[0]["name"]):
            break
        stops.append(here)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    return stops


def unfocused_ring(page, name):
    return page.evaluate(UNFOCUSED_RING, name)


def focus_name(page):
    settle_focus(page)
    here = page.evaluate(FOCUSED)
    return here and here["name"]


# ---------------------------------------------------------------- axe-core

def with_axe(app):
    """Load axe-core into every document of the app's context before the page's own scripts. An init
    script is not subject to the page's Content-Security-Policy, so the audited page keeps its real one."""
    if not AXE.is_file():
        pytest.skip(f"axe-core is missing: {AXE} (run `npm ci`)")
    app.context.add_init_script(path=str(AXE))
    return app


def audit(page, when):
    """Run axe-core on the whole page; fail listing every violation if one is serious or critical."""
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ')}`) }));
    }""")
    report = "\n".join(f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:8])
                       for v in violations)
    assert not [v for v in violations if v["impact"] in SERIOUS], f"axe-core {when}:\n{report}"
    if violations:
        print(f"axe-core {when}, minor or moderate only:\n{report}")
    return violations
