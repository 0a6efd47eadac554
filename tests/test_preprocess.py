"""The page's preprocessing (web/js/ui/preprocess.js), run in Node: a drawing's pen path becomes a 28x28
input prepared as MNIST's digits were (20x20 box, MNIST's stroke width, centre of mass on pixel 14)."""
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.drawn_digits import make_strokes
from tests.node_module import run_js

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import ink_stats  # noqa: E402

PREPROCESS = REPO / "web" / "js" / "ui" / "preprocess.js"


def js(body, data=None):
    """Run `body` (an async function body with `pre` = the preprocess module and `data` = the JSON given)
    in Node; returns what it returns, through JSON."""
    return run_js(PREPROCESS, body, data, name="pre")


def to_mnist(strokes, **options):
    """toMnist of strokes given as lists of (x, y): the 28x28 image, or None."""
    data = {"strokes": [[{"x": x, "y": y} for x, y in s] for s in strokes], "options": options}
    out = js("const r = pre.toMnist(data.strokes, data.options); return r && Array.from(r);", data)
    return None if out is None else np.array(out).reshape(28, 28)


def constants():
    return js("return {SIZE: pre.SIZE, BOX: pre.BOX, PEN: pre.PEN, EDGE: pre.EDGE, CENTRE: pre.CENTRE};")


def ring(cx, cy, r, n=40):
    return [(cx + r * math.sin(2 * math.pi * k / n), cy - r * math.cos(2 * math.pi * k / n)) for k in range(n + 1)]


def seven(x0, y0, size):
    return [[(x0, y0), (x0 + 0.6 * size, y0), (x0 + 0.25 * size, y0 + size)]]


def box_of(image):
    """(width, height) of the pixels holding any ink."""
    rows, cols = np.nonzero(image > 0)
    return cols.max() - cols.min() + 1, rows.max() - rows.min() + 1


def centre_of_mass(image):
    ys, xs = np.mgrid[0:28, 0:28] + 0.5
    return (image * xs).sum() / image.sum(), (image * ys).sum() / image.sum()


def test_no_ink_gives_no_input():
    assert to_mnist([]) is None
    assert to_mnist([[]]) is None


def test_values_are_intensities():
    image = to_mnist(seven(0.2, 0.2, 0.6))
    assert image.shape == (28, 28) and image.min() == 0 and image.max() == 1


def test_size_and_place_on_the_pad_do_not_matter():
    """A digit drawn tiny in a corner, or large in the middle, is the same digit to the network: MNIST's
    digits were all scaled into the same box and centred."""
    large = to_mnist(seven(0.15, 0.1, 0.8))
    tiny_corner = to_mnist(seven(0.02, 0.7, 0.15))
    assert np.abs(large - tiny_corner).max() < 1e-4


def fills_box(side, c):
    """All the ink fits the 20-pixel box and spans it (its outermost pixel centres may fall just inside)."""
    return c["BOX"] - 1 <= side <= c["BOX"]


def test_longer_side_fills_the_20_pixel_box_and_aspect_is_kept():
    c = constants()
    tall = to_mnist([[(0.3, 0.1), (0.5, 0.9)]])           # a slanted stick, 4x taller than wide
    wide = to_mnist([[(0.1, 0.45), (0.9, 0.45)], [(0.1, 0.55), (0.9, 0.55)]])  # two bars: wide, flat
    width, height = box_of(tall)
    assert fills_box(height, c) and width < 10
    width, height = box_of(wide)
    assert fills_box(width, c) and height < 10


def test_centre_of_mass_lands_where_mnist_has_it():
    """On pixel 14 (14.5 from the corner), as measured on MNIST's training digits; a drawing whose ink is
    lopsided (a 7's heavy top) is moved so its mass, not its box, is centred. MNIST moved its digits by
    whole pixels, so its centres spread half a pixel either way; ours come closer."""
    c = constants()
    for strokes in (seven(0.6, 0.05, 0.3), [ring(0.3, 0.7, 0.1)], [[(0.5, 0.1), (0.5, 0.9)]]):
        x, y = centre_of_mass(to_mnist(strokes))
        assert abs(x - c["CENTRE"]) < 0.15 and abs(y - c["CENTRE"]) < 0.15, (x, y)


def test_stroke_has_mnist_width_whatever_the_drawing_size():
    """A tall '1', drawn short or long: each row across its middle holds about PEN pixels of ink (the
    edge ramp is symmetric; sampling it at pixel centres loses a little), and its box is tall and thin,
    as MNIST's upright ones are."""
    c = constants()
    images = [to_mnist([[(0.5, 0.05), (0.5, 0.05 + length)]]) for length in (0.1, 0.9)]
    assert np.abs(images[0] - images[1]).max() < 1e-4
    rows = images[0][8:20].sum(axis=1)
    assert np.allclose(rows, c["PEN"], atol=0.2), rows
    width, height = box_of(images[0])
    assert fills_box(height, c) and width <= math.ceil(c["PEN"] + c["EDGE"])


def test_small_loops_stay_open():
    """With the pad's pen, a small 0 fills in; drawn anew with MNIST's stroke its hole stays empty."""
    image = to_mnist([ring(0.1, 0.1, 0.04)])
    x, y = (int(v) for v in centre_of_mass(image))
    assert image[y - 2:y + 3, x - 2:x + 3].max() == 0


def test_thickness_and_edge_are_options():
    thin = to_mnist([[(0.5, 0.1), (0.5, 0.9)]], pen=1.0, edge=1.0)
    thick = to_mnist([[(0.5, 0.1), (0.5, 0.9)]], pen=4.0, edge=1.0)
    assert thin[14].sum() == pytest.approx(1.0, abs=0.2) and thick[14].sum() == pytest.approx(4.0, abs=0.2)


def test_a_dot_is_a_small_round_blot_in_the_middle():
    image = to_mnist([[(0.7, 0.2)]])
    c = constants()
    assert 0 < image.sum() < 10
    assert np.allclose(centre_of_mass(image), c["CENTRE"], atol=0.02)


def test_centreline_follows_the_pads_curve():
    """The pad draws quadratic curves from midpoint to midpoint with the samples as control points: the
    line starts and ends at the first and last samples and passes through the midpoints."""
    points = [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 10, "y": 10}, {"x": 0, "y": 10}]
    line = js("return pre.centreline(data);", points)
    assert line[0] == points[0] and line[-1] == points[-1]
    for a, b in zip(points[1:-1], points[2:]):
        mid = {"x": (a["x"] + b["x"]) / 2, "y": (a["y"] + b["y"]) / 2}
        assert mid in line
    corner = min(line, key=lambda p: math.dist((p["x"], p["y"]), (10, 0)))
    assert 1 < math.dist((corner["x"], corner["y"]), (10, 0)) < 5  # the corner is rounded, as on screen


def test_drawn_set_looks_like_mnist_to_the_statistics():
    """Over the whole stroke set, the inputs' stroke width and share of full-black pixels are MNIST's
    (medians measured on its training digits by bench/ink_stats.py: 1.96 px and 0.28)."""
    drawings = json.loads(make_strokes.OUT.read_text())["drawings"]
    out = js("return data.map((d) => Array.from(pre.toMnist(d.map((s) => s.map(([x, y]) => ({x, y}))))));",
             [d["strokes"] for d in drawings])
    images = np.array(out)
    assert np.median(ink_stats.stroke_width(images)) == pytest.approx(1.96, abs=0.1)
    assert np.median(ink_stats.saturation(images)) == pytest.approx(0.28, abs=0.03)
