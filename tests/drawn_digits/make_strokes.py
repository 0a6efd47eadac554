#!/usr/bin/env python3
"""Make the drawn-digit stroke set, strokes.json, from per-digit style templates (see README.md here).

    python tests/drawn_digits/make_strokes.py          # rewrite strokes.json (it must not change)
    python tests/drawn_digits/make_strokes.py --check  # exit 1 if strokes.json differs from what this makes

Every drawing is one handwriting style of one digit (a template: its pen strokes as lines, arcs and
curves, in glyph units where the digit's height is 1), drawn by a simulated hand: the template's own
proportions vary, the stroke wobbles slowly and trembles, the whole digit is slanted, turned a little,
scaled, stretched and placed somewhere on the pad, and the pen is sampled in time like a pointer device
(slower in curves and at the ends of a stroke, one sample every SAMPLE_MS). All randomness comes from one
seeded `random.Random` and plain float arithmetic, so the file is reproduced exactly on any CPython.

The set is fixed once made. Its templates and ranges were written from how people write digits, never
adjusted to what some model reads right or wrong; changing them means a new set and new figures.
"""
import argparse
import json
import math
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "strokes.json"
SEED = 8  # the issue that asked for the set
PER_DIGIT = 24
SAMPLE_MS = 16  # a pointer sample every 16 ms: what a 60 Hz touch screen or pen digitiser delivers
STEP = 0.004    # spacing of the dense template path, in glyph heights
MARGIN = 0.03   # the drawn digit stays this far (pad fraction) from the pad's edges
SIZES = {"small": (0.24, 0.4), "medium": (0.42, 0.66), "large": (0.7, 0.92)}  # glyph height / pad side


# ---------------------------------------------------------------- geometry in glyph units (y down, height 1)

def arc(cx, cy, rx, ry, a0, a1):
    """Ellipse arc; angles in degrees clockwise from the top (0 top, 90 right, 180 bottom, 270 left), so
    a0 < a1 runs clockwise on screen and a0 > a1 counter-clockwise."""
    n = max(2, int(abs(a1 - a0) / 3) + 1)
    points = []
    for i in range(n + 1):
        a = math.radians(a0 + (a1 - a0) * i / n)
        points.append((cx + rx * math.sin(a), cy - ry * math.cos(a)))
    return points


def line(p, q):
    return [p, q]


def bezier(p0, p1, p2, p3, n=40):
    points = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        points.append((u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
                       u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1]))
    return points


def path(*pieces):
    """One pen-down stroke through the pieces in order (a piece's first point joins the last one's end)."""
    points = []
    for piece in pieces:
        points.extend(piece if not points else piece[1:] if close(points[-1], piece[0]) else piece)
    return points


def close(p, q):
    return abs(p[0] - q[0]) < 1e-9 and abs(p[1] - q[1]) < 1e-9


def dense(points, step=STEP):
    """The polyline resampled every `step` along its length (corners kept)."""
    out = [points[0]]
    for p, q in zip(points, points[1:]):
        length = math.dist(p, q)
        n = max(1, int(length / step))
        out.extend((p[0] + (q[0] - p[0]) * k / n, p[1] + (q[1] - p[1]) * k / n) for k in range(1, n + 1))
    return out


# ---------------------------------------------------------------- the styles of each digit
# Each template takes the Random `r` and returns strokes in glyph units: y from 0 (top) to 1 (bottom),
# x from 0 to the digit's natural width. `u(a, b)` varies a proportion within what that style allows.

def zero_oval(r, clockwise=False):
    rx, ry = r.uniform(0.24, 0.34), 0.5
    start = r.uniform(-25, 20)
    turn = 360 + r.uniform(-40, 40)  # a gap at the top, or an overshoot past the start
    a1 = start + turn if clockwise else start - turn
    return [arc(rx, ry, rx, ry, start, a1)]


def zero_round(r):
    rx = r.uniform(0.38, 0.48)
    start = r.uniform(-30, 10)
    return [arc(rx, 0.5, rx, 0.5, start, start - 360 - r.uniform(0, 30))]


def zero_leaning_egg(r):
    """Narrower at the top than at the bottom, begun at the top right with the pen moving left."""
    rx, top = r.uniform(0.26, 0.32), r.uniform(0.75, 0.9)
    start = r.uniform(20, 45)
    points = []
    for a in arc(0, 0.5, 1, 0.5, start, start - 360 - r.uniform(0, 40)):
        narrow = top + (1 - top) * (a[1] / 1.0)  # the width grows from top to bottom
        points.append((rx + rx * a[0] * narrow, a[1]))
    return [points]


def one_stick(r):
    lean = r.uniform(-0.04, 0.04)
    return [bezier((0.05 + lean, 0), (0.05 + lean * 0.6, 0.35), (0.05, 0.65), (0.05, 1), n=12)]


def one_flag(r):
    x = r.uniform(0.2, 0.3)
    flag = line((x - r.uniform(0.15, 0.25), r.uniform(0.15, 0.3)), (x, 0))
    return [path(flag, line((x, 0), (x + r.uniform(-0.02, 0.02), 1)))]


def one_flag_base(r):
    (stem,) = one_flag(r)
    x = stem[-1][0]
    half = r.uniform(0.15, 0.25)
    return [stem, line((x - half, 1 + r.uniform(-0.01, 0.01)), (x + half, 1 + r.uniform(-0.02, 0.01)))]


def two_base(r, down):
    """The hook over the top, then `down` (the neck to the bottom left), then the base."""
    w = r.uniform(0.5, 0.65)
    hook = bezier((0.02, r.uniform(0.18, 0.3)), (0.08, -0.06), (w, -0.08), (w * 0.95, 0.28))
    base_end = (w + r.uniform(0, 0.1), 1 - r.uniform(-0.02, 0.05))
    return w, hook, base_end, down(w)


def two_plain(r):
    w, hook, base_end, neck = two_base(r, lambda w: bezier((w * 0.95, 0.28), (w * 0.9, 0.55), (0.25, 0.75),
                                                            (0.0, 1.0), n=30))
    return [path(hook, neck, line((0.0, 1.0), base_end))]


def two_angular(r):
    w = r.uniform(0.5, 0.65)
    top = path(line((0.0, r.uniform(0.12, 0.22)), (w * 0.45, 0)), arc(w * 0.6, 0.17, w * 0.38, 0.17, -40, 100))
    corner = top[-1]
    return [path(top, line(corner, (0.0, 1.0)), line((0.0, 1.0), (w + r.uniform(0, 0.1), 0.98)))]


def two_looped(r):
    """The neck ends in a small clockwise loop at the bottom left before the base runs right."""
    w = r.uniform(0.5, 0.65)
    hook = bezier((0.02, r.uniform(0.18, 0.3)), (0.08, -0.06), (w, -0.08), (w * 0.95, 0.28))
    lx, ly, lr = r.uniform(0.1, 0.16), r.uniform(0.84, 0.88), r.uniform(0.06, 0.1)
    start = (lx + lr * math.sin(math.radians(120)), ly - lr * math.cos(math.radians(120)))
    neck = bezier((w * 0.95, 0.28), (w * 0.9, 0.55), (0.35, 0.72), start, n=30)
    loop = arc(lx, ly, lr, lr * 1.1, 120, 470)
    return [path(hook, neck, loop, line(loop[-1], (w + r.uniform(0, 0.1), 1 - r.uniform(0, 0.05))))]


def bowl(r, join, begin):
    """A bowl that starts at `join` (angle `begin`) and runs clockwise round to the bottom left, its
    bottom on the baseline: the lower half of a 3, the belly of a 5."""
    a = math.radians(begin)
    ry = (1 - join[1]) / (1 + math.cos(a))
    rx = ry * r.uniform(0.95, 1.2)
    centre = (join[0] - rx * math.sin(a), 1 - ry)
    return arc(centre[0], centre[1], rx, ry, begin, 235 + r.uniform(0, 25))


def three_lower(r, join):
    return bowl(r, join, r.uniform(-40, -20))


def three_round(r):
    rx, ry = r.uniform(0.22, 0.27), r.uniform(0.21, 0.25)
    upper = arc(0.27, ry, rx, ry, -75 + r.uniform(-10, 10), 205)
    return [path(upper, three_lower(r, upper[-1]))]


def three_pointed(r):
    """The two bowls meet in a sharp point that reaches back to the left."""
    rx, ry = r.uniform(0.22, 0.27), r.uniform(0.21, 0.25)
    upper = arc(0.27, ry, rx, ry, -70, 150)
    cusp = (r.uniform(0.05, 0.15), 0.47)
    return [path(upper, line(upper[-1], cusp), three_lower(r, cusp))]


def three_flat_top(r):
    w = r.uniform(0.5, 0.6)
    bar = line((0.02, 0.0), (w, 0.0))
    diagonal = line((w, 0.0), (r.uniform(0.15, 0.25), 0.42))
    return [path(bar, diagonal, three_lower(r, diagonal[-1]))]


def four_open(r):
    """The open, handwritten 4: a slanted arm and the cross-bar in one stroke, then the stem."""
    w, bar = r.uniform(0.6, 0.75), r.uniform(0.55, 0.68)
    sx = w * r.uniform(0.7, 0.8)
    arm = path(line((sx - r.uniform(0.05, 0.15), 0.0), (0.0, bar)), line((0.0, bar), (w, bar)))
    return [arm, line((sx, r.uniform(0.1, 0.3)), (sx - r.uniform(-0.03, 0.05), 1.0))]


def four_square(r):
    """An upright arm and the bar (like a small L), then the stem crossing the bar."""
    w, bar = r.uniform(0.55, 0.7), r.uniform(0.5, 0.62)
    sx = w * r.uniform(0.7, 0.8)
    arm = path(line((0.05, 0.0), (0.03, bar)), line((0.03, bar), (w, bar)))
    return [arm, line((sx, 0.0), (sx, 1.0))]


def four_closed(r):
    """The printed 4 in one stroke: up the stem, down the slope, along the bar."""
    w, bar = r.uniform(0.6, 0.75), r.uniform(0.62, 0.72)
    sx = w * r.uniform(0.68, 0.78)
    return [path(line((sx, 1.0), (sx, 0.0)), line((sx, 0.0), (0.0, bar)), line((0.0, bar), (w, bar)))]


def four_closed_two(r):
    """The printed 4 in two strokes: slope and bar, then the stem from the apex."""
    w, bar = r.uniform(0.6, 0.75), r.uniform(0.62, 0.72)
    sx = w * r.uniform(0.68, 0.78)
    return [path(line((sx, 0.0), (0.0, bar)), line((0.0, bar), (w, bar))), line((sx, 0.0), (sx, 1.0))]


def five_belly(r, foot):
    return bowl(r, foot, r.uniform(-55, -30))


def five_two_strokes(r):
    w = r.uniform(0.5, 0.62)
    foot = (r.uniform(0.02, 0.08), r.uniform(0.4, 0.48))
    body = path(line((0.08, 0.0), foot), five_belly(r, foot))
    return [body, line((0.08, r.uniform(-0.01, 0.02)), (w, r.uniform(-0.04, 0.01)))]


def five_one_stroke(r):
    w = r.uniform(0.5, 0.62)
    foot = (r.uniform(0.02, 0.08), r.uniform(0.4, 0.48))
    return [path(line((w, 0.0), (0.08, 0.01)), line((0.08, 0.01), foot), five_belly(r, foot))]


def six_loop(r, stem):
    """A stem from the top right, then the loop counter-clockwise from its left side."""
    rx, ry = r.uniform(0.2, 0.3), r.uniform(0.2, 0.32)
    cx, cy = rx + 0.02, 1 - ry
    left = (cx - rx, cy)
    loop = arc(cx, cy, rx, ry, 270, -r.uniform(0, 80))  # open at the top left, or closed on the stem
    return [path(stem(left), loop)]


def six_curved(r):
    top = (r.uniform(0.4, 0.55), 0.0)
    return six_loop(r, lambda left: bezier(top, (top[0] * 0.4, 0.08), (left[0], 0.35), left))


def six_straight(r):
    top = (r.uniform(0.38, 0.5), 0.0)
    return six_loop(r, lambda left: line(top, left))


def seven_plain(r, serif=False):
    w = r.uniform(0.5, 0.65)
    y0 = r.uniform(0.0, 0.05)
    foot = (r.uniform(0.12, 0.3), 1.0)
    start = [(0.02, y0 + r.uniform(0.1, 0.18))] if serif else []
    stem = bezier((w, 0.0), (w - 0.1, 0.3), (foot[0] + r.uniform(0, 0.1), 0.7), foot, n=20)
    return [path(start + [(0.0, y0)], line((0.0, y0), (w, 0.0)), stem)]


def seven_serif(r):
    return seven_plain(r, serif=True)


def seven_crossbar(r):
    (stroke,) = seven_plain(r)
    y = r.uniform(0.45, 0.55)
    x = min(stroke, key=lambda p: abs(p[1] - y))[0]
    return [stroke, line((x - r.uniform(0.12, 0.2), y), (x + r.uniform(0.12, 0.2), y - r.uniform(0, 0.03)))]


def eight_one_stroke(r):
    """The figure-eight in one stroke (a lemniscate of Gerono, its halves sized apart): from the top
    right round the upper loop counter-clockwise, across the waist, round the lower loop clockwise and
    back up across the waist."""
    a_top, a_bottom = r.uniform(0.18, 0.25), r.uniform(0.22, 0.3)
    waist = r.uniform(0.42, 0.5)
    cx = max(a_top, a_bottom)
    start, end = -r.uniform(0.15, 0.35), 2 * math.pi + r.uniform(-0.3, 0.25)
    points = []
    for i in range(241):
        t = start + (end - start) * i / 240
        upper = math.cos(t) > 0
        x = cx - (a_top if upper else a_bottom) * math.sin(2 * t)
        y = waist * (1 - math.cos(t)) if upper else waist - (1 - waist) * math.cos(t)
        points.append((x, y))
    return [points]


def eight_two_loops(r):
    """Two loops as two strokes: a small one on top of a larger one."""
    rt, rb = r.uniform(0.17, 0.22), r.uniform(0.22, 0.28)
    waist = r.uniform(0.4, 0.48)
    cx = rb + 0.01
    upper = arc(cx, waist / 2, rt, waist / 2, 10, -350 - r.uniform(0, 20))
    lower = arc(cx, (1 + waist) / 2, rb, (1 - waist) / 2, r.uniform(-10, 10), -360 - r.uniform(0, 20))
    return [upper, lower]


def nine_loop(r):
    """The head, counter-clockwise from its top right, ending on its right side where the stem starts
    (short of its start, or past it)."""
    rx, ry = r.uniform(0.2, 0.3), r.uniform(0.18, 0.3)
    return rx, ry, arc(rx, ry, rx, ry, r.uniform(30, 90), -270 + r.uniform(-25, 15))


def nine_straight(r):
    rx, ry, head = nine_loop(r)
    x = head[-1][0]
    return [path(head, line(head[-1], (x - r.uniform(-0.03, 0.08), 1.0)))]


def nine_curved(r):
    rx, ry, head = nine_loop(r)
    x = head[-1][0]
    tail = bezier(head[-1], (x + 0.02, 0.6), (x, 0.95), (x - r.uniform(0.2, 0.35), 0.98))
    return [path(head, tail)]


def nine_two_strokes(r):
    rx, ry, head = nine_loop(r)
    x = 2 * rx
    return [head, line((x, r.uniform(0.0, 0.1)), (x - r.uniform(-0.02, 0.06), 1.0))]


STYLES = {
    0: {"oval": zero_oval, "oval-clockwise": lambda r: zero_oval(r, clockwise=True), "round": zero_round,
        "egg": zero_leaning_egg},
    1: {"stick": one_stick, "flag": one_flag, "flag-base": one_flag_base},
    2: {"plain": two_plain, "angular": two_angular, "looped": two_looped},
    3: {"round": three_round, "pointed": three_pointed, "flat-top": three_flat_top},
    4: {"open": four_open, "square": four_square, "closed": four_closed, "closed-two-strokes": four_closed_two},
    5: {"two-strokes": five_two_strokes, "one-stroke": five_one_stroke},
    6: {"curved-stem": six_curved, "straight-stem": six_straight},
    7: {"plain": seven_plain, "serif": seven_serif, "crossbar": seven_crossbar},
    8: {"one-stroke": eight_one_stroke, "two-loops": eight_two_loops},
    9: {"straight-stem": nine_straight, "curved-stem": nine_curved, "two-strokes": nine_two_strokes},
}


# ---------------------------------------------------------------- the hand

def wobble(points, r, amplitude):
    """Slow deviation across the stroke (a hand is no plotter): a few random sinusoids of arc length."""
    waves = [(r.uniform(1.0, 4.0), r.uniform(0, 2 * math.pi), r.uniform(0.3, 1.0)) for _ in range(3)]
    norm = sum(w[2] for w in waves)
    out, s = [], 0.0
    for i, p in enumerate(points):
        if i:
            s += math.dist(points[i - 1], p)
        q, o = points[max(0, i - 1)], points[min(len(points) - 1, i + 1)]
        dx, dy = o[0] - q[0], o[1] - q[1]
        length = math.hypot(dx, dy) or 1.0
        d = amplitude * sum(a * math.sin(2 * math.pi * f * s + ph) for f, ph, a in waves) / norm
        out.append((p[0] - dy / length * d, p[1] + dx / length * d))
    return out


def flicks(stroke, r):
    """Pen-down and pen-up hooks: now and then the pen lands a little before the stroke proper begins,
    coming from another direction, or keeps moving as it lifts and leaves a short tail."""
    if r.random() < 0.15:
        stroke = [hook(stroke[0], stroke[min(3, len(stroke) - 1)], r, r.uniform(0.02, 0.05), r.uniform(100, 160))] + stroke
    if r.random() < 0.25:
        stroke = stroke + [hook(stroke[-1], stroke[max(0, len(stroke) - 4)], r, r.uniform(0.03, 0.07), r.uniform(30, 90))]
    return stroke


def hook(end, inner, r, length, bend):
    """A point `length` from `end`, leaving the stroke (direction inner -> end) turned by `bend` degrees
    to a random side."""
    heading = math.atan2(end[1] - inner[1], end[0] - inner[0]) + math.radians(bend) * r.choice((-1, 1))
    return (end[0] + length * math.cos(heading), end[1] + length * math.sin(heading))


def transform(strokes, slant, turn, stretch):
    """Glyph units to a glyph box: slant (degrees, top to the right), stretch of x, a small turn."""
    shear = math.tan(math.radians(slant))
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    out = []
    for stroke in strokes:
        moved = []
        for x, y in stroke:
            x, y = x * stretch + shear * (1 - y), y
            moved.append((c * x - s * y, s * x + c * y))
        out.append(moved)
    return out


def place(strokes, r, height):
    """Scale to `height` (pad fraction) and put the digit anywhere it fits inside the margins."""
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    scale = height / (max(ys) - min(ys))
    w, h = (max(xs) - min(xs)) * scale, (max(ys) - min(ys)) * scale
    if w > 1 - 2 * MARGIN:  # a wide digit drawn large still fits on the pad
        fit = (1 - 2 * MARGIN) / w
        scale, w, h = scale * fit, w * fit, h * fit
    x0 = r.uniform(MARGIN, 1 - MARGIN - w)
    y0 = r.uniform(MARGIN, 1 - MARGIN - h)
    return [[(x0 + (x - min(xs)) * scale, y0 + (y - min(ys)) * scale) for x, y in s] for s in strokes]


def pen_samples(points, r, speed, tremor):
    """Where a pointer device reports the pen every SAMPLE_MS: the pen speeds up after touching down,
    slows in tight curves and before lifting; each report is off by a little tremor."""
    if len(points) < 2:
        return points
    turning = [0.0] * len(points)
    for i in range(1, len(points) - 1):
        a = math.atan2(points[i][1] - points[i - 1][1], points[i][0] - points[i - 1][0])
        b = math.atan2(points[i + 1][1] - points[i][1], points[i + 1][0] - points[i][0])
        turning[i] = abs((b - a + math.pi) % (2 * math.pi) - math.pi)
    total = sum(math.dist(p, q) for p, q in zip(points, points[1:]))
    times, t, s = [0.0], 0.0, 0.0
    for i in range(1, len(points)):
        ds = math.dist(points[i - 1], points[i])
        s += ds
        ends = min(1.0, 0.4 + 4 * min(s, total - s) / max(total, 1e-9))
        bend = sum(turning[max(0, i - 3):i + 3]) / max(ds, 1e-9) * 0.004
        v = speed * ends / (1 + bend)
        t += ds / v * 1000
        times.append(t)
    out, k = [], 0
    sample = 0.0
    while sample < times[-1]:
        while times[k + 1] < sample:
            k += 1
        f = (sample - times[k]) / max(times[k + 1] - times[k], 1e-12)
        p, q = points[k], points[k + 1]
        out.append((p[0] + (q[0] - p[0]) * f + r.gauss(0, tremor), p[1] + (q[1] - p[1]) * f + r.gauss(0, tremor)))
        sample += SAMPLE_MS
    out.append(points[-1])
    return out


def draw(digit, style, size, r):
    """One drawing: its strokes as pad fractions, and what the hand did."""
    template = [flicks(s, r) for s in STYLES[digit][style](r)]
    slant = r.choice([r.uniform(-12, 3), r.uniform(0, 14), r.uniform(10, 28)])
    turn, stretch = r.uniform(-5, 5), r.uniform(0.8, 1.25)
    height = r.uniform(*SIZES[size])
    wob = r.uniform(0.003, 0.02)
    strokes = [wobble(dense(s), r, wob) for s in template]
    strokes = place(transform(strokes, slant, turn, stretch), r, height)
    # A digit takes well under a second: the pen covers 2.5 to 5 of its heights a second at full speed.
    speed, tremor = r.uniform(2.5, 5.0) * height, r.uniform(0.0004, 0.0015)  # pad sides per second; pad fraction
    strokes = [pen_samples(dense(s, STEP * height), r, speed, tremor) for s in strokes]
    strokes = [[[round(min(1.0, max(0.0, x)), 3), round(min(1.0, max(0.0, y)), 3)] for x, y in s] for s in strokes]
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    centre = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    off = math.dist(centre, (0.5, 0.5)) > 0.15
    return {"label": digit, "style": style, "size": size, "slant": round(slant, 1),
            "placement": "off-centre" if off else "centred", "strokes": strokes}


def make_set(seed=SEED, per_digit=PER_DIGIT):
    """Every digit `per_digit` times: the digit's styles in turn, sizes small/medium/large in turn."""
    r = random.Random(seed)
    drawings = []
    for digit in range(10):
        styles = list(STYLES[digit])
        for i in range(per_digit):
            style = styles[i % len(styles)]
            size = list(SIZES)[(i // len(styles)) % len(SIZES)]
            d = draw(digit, style, size, r)
            drawings.append({"id": f"{digit}-{style}-{i:02d}", **d})
    return {"about": "Drawn digits as pen strokes: made by make_strokes.py, described in README.md",
            "version": 1, "seed": seed, "sample_interval_ms": SAMPLE_MS,
            "coordinates": "x, y as fractions of the square pad's side from its top-left corner; "
                           "one list of points per pen-down stroke, one point per pointer sample",
            "drawings": drawings}


def encode(data):
    """JSON with one drawing per line: small diffs, easy to read."""
    head = {k: v for k, v in data.items() if k != "drawings"}
    lines = [json.dumps(d, separators=(",", ":")) for d in data["drawings"]]
    return json.dumps(head, indent=1)[:-2] + ',\n "drawings": [\n' + ",\n".join(lines) + "\n ]\n}\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with strokes.json instead of writing it")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = encode(make_set())
    if args.check:
        same = args.out.is_file() and args.out.read_text() == text
        print(f"{args.out}: {'reproduced exactly' if same else 'DIFFERS from what the generator makes'}")
        return 0 if same else 1
    args.out.write_text(text)
    print(f"wrote {args.out}: {text.count(chr(10) + '{')} drawings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
