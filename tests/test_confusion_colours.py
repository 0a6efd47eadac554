"""The confusion matrix's counts stay legible on every shade of their cell (web/js/ui/confusion.js picks
white or black text by contrast; the accessibility audit asks 4.5:1 of normal text)."""
from tests.conftest import REPO
from tests.node_module import run_js

MODULE = REPO / "web" / "js" / "ui" / "confusion.js"
CSS = (REPO / "web" / "css" / "app.css").read_text()


def contrast(rgb, alpha, text):
    def luminance(colour):
        def channel(c):
            v = c / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b = map(channel, colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    background = [255 + (c - 255) * alpha for c in rgb]
    light, dark = sorted([luminance(background), luminance(text)])
    return (dark + 0.05) / (light + 0.05)


def test_every_count_reads_at_4_5_to_1_on_its_cell():
    shades = [i / 40 for i in range(41)]
    cells = run_js(MODULE, """
      return { RIGHT: mod.RIGHT, WRONG: mod.WRONG,
               white: Object.fromEntries(['RIGHT', 'WRONG'].map((k) => [k, data.map((s) => mod.whiteReads(mod[k], s))])) };
    """, shades)
    # The module's colours are the stylesheet's.
    for r, g, b, base, gain in (cells["RIGHT"], cells["WRONG"]):
        alpha = f"calc(.12 + var(--shade) * {gain:g})" if base else f"calc(var(--shade) * {gain:g})"
        assert f"rgb({r} {g} {b} / {alpha.replace('0.', '.')})" in CSS
    for name, (r, g, b, base, gain) in (("RIGHT", cells["RIGHT"]), ("WRONG", cells["WRONG"])):
        for shade, white in zip(shades, cells["white"][name]):
            text = (255, 255, 255) if white else (0, 0, 0)
            assert contrast((r, g, b), base + gain * shade, text) >= 4.5, (name, shade, white)
