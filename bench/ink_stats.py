"""Ink statistics of 28x28 digit images: what tells a drawing prepared for the network from an MNIST digit.

Each function takes images as floats in [0, 1], shape (N, 784) or (N, 28, 28), and returns one value per
image. `compare` summarises two sets side by side (median and 5th-95th percentiles).
"""
import numpy as np

SIDE = 28
INK = 0.1      # a pixel this dark or darker counts for the bounding box (MNIST's anti-aliasing fringe is fainter)
SOLID = 0.5    # a pixel this dark or darker is inside the stroke (for its width)


def square(images):
    return np.asarray(images, dtype=np.float64).reshape(-1, SIDE, SIDE)


def mass(images):
    """Total ink: the sum of the intensities."""
    return square(images).sum(axis=(1, 2))


def centre_of_mass(images):
    """(x, y) of the ink's centre of mass, in pixels from the top-left corner (pixel i spans [i, i+1))."""
    x = square(images)
    m = np.maximum(x.sum(axis=(1, 2)), 1e-12)
    centres = np.arange(SIDE) + 0.5
    return (x.sum(axis=1) @ centres) / m, (x.sum(axis=2) @ centres) / m


def bounding_box(images):
    """(width, height) in pixels of the pixels at least INK dark."""
    ink = square(images) >= INK
    sizes = []
    for axis in (1, 2):  # columns that hold ink give the width, rows the height
        lines = ink.any(axis=axis)
        first = np.where(lines.any(axis=1), lines.argmax(axis=1), 0)
        last = np.where(lines.any(axis=1), SIDE - 1 - lines[:, ::-1].argmax(axis=1), -1)
        sizes.append(last - first + 1)
    return sizes[0], sizes[1]


def stroke_width(images):
    """Mean stroke width in pixels: twice the solid area over its outline's length (a stroke of width w
    and length L has area wL and an outline of about 2L)."""
    solid = np.pad(square(images) >= SOLID, ((0, 0), (1, 1), (1, 1)))
    area = solid.sum(axis=(1, 2))
    outline = (solid[:, 1:, :] != solid[:, :-1, :]).sum(axis=(1, 2)) + (solid[:, :, 1:] != solid[:, :, :-1]).sum(axis=(1, 2))
    return 2 * area / np.maximum(outline, 1)


def saturation(images):
    """Share of the inked pixels (> 0.01) that are full black (>= 0.99): how hard the anti-aliasing is."""
    x = square(images)
    return (x >= 0.99).sum(axis=(1, 2)) / np.maximum((x > 0.01).sum(axis=(1, 2)), 1)


def measures(images):
    """Every statistic, by name."""
    cx, cy = centre_of_mass(images)
    width, height = bounding_box(images)
    return {"ink mass": mass(images), "stroke width (px)": stroke_width(images),
            "box height (px)": height, "box width (px)": width, "longer side (px)": np.maximum(width, height),
            "centre of mass x": cx, "centre of mass y": cy, "full-black share": saturation(images)}


def summary(values):
    values = np.asarray(values, dtype=np.float64)
    return {"median": float(np.median(values)), "p5": float(np.percentile(values, 5)),
            "p95": float(np.percentile(values, 95))}


def compare(named_sets):
    """{statistic: {set name: summary}} for {set name: images}."""
    per_set = {name: measures(images) for name, images in named_sets.items()}
    names = next(iter(per_set.values())).keys()
    return {stat: {name: summary(values[stat]) for name, values in per_set.items()} for stat in names}


def table(comparison):
    """Markdown: one row per statistic, one column per set, 'median (p5-p95)'."""
    sets = list(next(iter(comparison.values())))
    lines = ["| statistic | " + " | ".join(sets) + " |", "|---|" + "--:|" * len(sets)]
    for stat, row in comparison.items():
        cells = [f"{s['median']:.2f} ({s['p5']:.2f}-{s['p95']:.2f})" for s in row.values()]
        lines.append(f"| {stat} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
