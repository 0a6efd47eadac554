"""Random distortions of training digits, so that a network learns what varies between hands: slant,
size, position, thickness of the pen, the wobble of a stroke.

`Augmentation` is a recipe of magnitudes; calling it on a batch of flat 28x28 images with a
`numpy.random.Generator` returns new images, each distorted by its own random draw, the labels untouched.
The same generator state gives the same images. Everything is vectorised over the batch (NumPy only:
Pyodide has no SciPy), in two passes over the pixels:

1. thickness: each image is blended towards its grey dilation (thicker strokes) or erosion (thinner);
2. one resampling: every output pixel reads its source position, bilinearly interpolated, under a
   random affine map (rotation, shear, scaling, shift) plus a smooth random displacement field (elastic
   distortion, Simard et al., "Best practices for convolutional neural networks applied to visual
   document analysis", 2003).
"""
import math
from dataclasses import dataclass, fields, replace

import numpy as np

SIDE = 28
CENTRE = (SIDE - 1) / 2  # pixel centres run 0..27: the image turns about 13.5


@dataclass(frozen=True)
class Augmentation:
    """Magnitudes of the random distortions; each draw is uniform in [-m, m] unless noted, 0 turns a
    transform off.

    - `shift`: pixels, horizontally and vertically;
    - `rotate`: degrees;
    - `shear`: horizontal shift per row below the centre (slant; 0.2 is about 11 degrees);
    - `scale`: relative change of size (0.1: 90% to 110%), and half as much again of aspect;
    - `thickness`: fraction of the way to the grey dilation (> 0) or erosion (< 0) of the strokes;
    - `elastic`: root-mean-square displacement, in pixels, of a random field smoothed over `smoothness`
      pixels (a Gaussian's standard deviation).
    """

    shift: float = 0.0
    rotate: float = 0.0
    shear: float = 0.0
    scale: float = 0.0
    thickness: float = 0.0
    elastic: float = 0.0
    smoothness: float = 4.0

    def scaled(self, strength):
        """The same recipe with every magnitude multiplied by `strength` (0 turns it off)."""
        return replace(self, **{f.name: getattr(self, f.name) * strength for f in fields(self)
                                if f.name != "smoothness"})

    @property
    def active(self):
        return any(getattr(self, f.name) for f in fields(self) if f.name != "smoothness")

    def __call__(self, images, random):
        """`images` (N, 784) in [0, 1], distorted as new arrays of the same dtype; `random` a Generator."""
        images = np.asarray(images)
        if not self.active or len(images) == 0:
            return images.copy()
        n = len(images)
        squares = images.reshape(n, SIDE, SIDE)
        if self.thickness:
            squares = change_thickness(squares, random.uniform(-self.thickness, self.thickness, n))
        rows, cols = self.source_positions(n, random)
        return bilinear(squares.astype(np.float32, copy=False), rows, cols).reshape(n, SIDE * SIDE) \
            .astype(images.dtype, copy=False)

    def source_positions(self, n, random):
        """(rows, cols), each (N, 28, 28) float32: where each output pixel reads its input, in pixels."""
        angle = np.radians(random.uniform(-self.rotate, self.rotate, n))
        shear = random.uniform(-self.shear, self.shear, n)
        size = np.exp(random.uniform(-1, 1, n) * math.log1p(self.scale))
        aspect = np.exp(random.uniform(-1, 1, n) * math.log1p(self.scale / 2))
        shift = random.uniform(-self.shift, self.shift, (2, n))
        # The inverse map, output -> input: undo the shift, then the scaling, shear and rotation:
        # [[cos, sin], [-sin, cos]] @ [[1, -shear], [0, 1]] @ diag(sx, sy), acting on (x, y) = (col, row).
        cos, sin = np.cos(angle), np.sin(angle)
        sx, sy = 1 / (size * aspect), aspect / size
        a = np.stack([cos * sx, (sin - shear * cos) * sy, -sin * sx, (cos + shear * sin) * sy])
        # Output pixel (y, x) reads CENTRE + a @ ((x, y) - CENTRE - shift): the constant part once per
        # image, then one multiply-add per axis over the whole batch.
        offset = CENTRE - a[0::2] * (CENTRE + shift[0]) - a[1::2] * (CENTRE + shift[1])  # (2, N)
        grid = np.arange(SIDE, dtype=np.float32)
        a, offset = a.astype(np.float32)[:, :, None, None], offset.astype(np.float32)[:, :, None, None]
        cols = a[0] * grid + (a[1] * grid[:, None] + offset[0])
        rows = a[2] * grid + (a[3] * grid[:, None] + offset[1])
        if self.elastic:
            field = smooth_fields(random, 2 * n, self.smoothness) * np.float32(self.elastic)
            cols += field[:n]
            rows += field[n:]
        return rows, cols


def change_thickness(squares, amounts):
    """Each (28, 28) image moved `amounts[i]` of the way to its grey dilation (> 0) or erosion (< 0) by a
    plus-shaped neighbourhood: one pixel thicker or thinner at most (a 3x3 square erases thin strokes).

    On the whole batch at once, padded and flattened: a pixel's four neighbours are then the flat array
    shifted by one pixel or one padded row, and one blank pixel around each image keeps them inside it."""
    n, side = len(squares), SIDE + 2
    padded = np.zeros((n, side, side), squares.dtype)
    padded[:, 1:-1, 1:-1] = squares
    flat = padded.reshape(-1)
    centre = flat[side:-side]
    dilated, eroded = centre.copy(), centre.copy()
    for neighbour in (flat[side - 1:-side - 1], flat[side + 1:len(flat) - side + 1], flat[:-2 * side], flat[2 * side:]):
        # np.where on a comparison: NumPy's maximum and minimum branch on every element in WebAssembly.
        dilated = np.where(neighbour > dilated, neighbour, dilated)
        eroded = np.where(neighbour < eroded, neighbour, eroded)
    amounts = np.repeat(amounts.astype(squares.dtype), side * side)[side:-side]
    target = np.where(amounts > 0, dilated, eroded)
    target -= centre
    target *= np.abs(amounts)
    target += centre
    padded.reshape(-1)[side:-side] = target
    return padded[:, 1:-1, 1:-1]


def blur_weights(sigma, knots):
    """(28, len(knots)): each pixel's Gaussian weights on the knots, `sigma` pixels wide."""
    return np.exp(-0.5 * ((np.arange(SIDE)[:, None] - knots[None, :]) / sigma) ** 2)


def smooth_fields(random, count, sigma):
    """`count` random (28, 28) float32 fields, smooth over about `sigma` pixels, of unit root-mean-square
    at every pixel: white noise on a coarse grid of knots `sigma` apart, spread to the pixels by Gaussian
    weights (two small matrix products). Smoothing white noise at full resolution gives the same kind of
    field at sixteen times the random numbers."""
    knots = np.arange(-sigma, SIDE + sigma, sigma)
    weights = blur_weights(sigma, knots)  # (28, K)
    noise = random.standard_normal((count, len(knots), len(knots)), dtype=np.float32)
    # weights @ noise @ weights.T, each image's field; the variance it leaves at each pixel is the
    # product of the two rows' squared norms.
    norms = np.sqrt((weights ** 2).sum(axis=1))
    weights = (weights / norms[:, None]).astype(np.float32)
    return weights @ noise @ weights.T


def bilinear(squares, rows, cols):
    """`squares` (N, 28, 28) read at fractional positions `rows`, `cols` (N, 28, 28), with zeros outside."""
    n, side = len(squares), SIDE + 3
    padded = np.zeros((n, side, side), squares.dtype)  # one blank pixel before, two after
    padded[:, 1:SIDE + 1, 1:SIDE + 1] = squares
    # Anything further out than the border reads the blank border.
    rows = np.clip(rows, -1, SIDE, out=rows)
    cols = np.clip(cols, -1, SIDE, out=cols)
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    top_left = r0.astype(np.intp)
    top_left += 1
    top_left *= side
    top_left += c0.astype(np.intp)
    top_left += 1 + side * side * np.arange(n, dtype=np.intp)[:, None, None]
    flat = padded.reshape(-1)
    top = flat[top_left]
    top += (flat[top_left + 1] - top) * fc
    bottom = flat[top_left + side]
    bottom += (flat[top_left + side + 1] - bottom) * fc
    bottom -= top
    bottom *= fr
    top += bottom
    return top


# The recipe the `augment` hyper-parameter scales (1 = this): how digits drawn on the page's pad vary once
# its preprocessing has centred and sized them as MNIST's were. No thickness: the preprocessing draws every
# digit with MNIST's stroke width, and thicker or thinner strokes did not help the drawing network on
# MNIST or on drawn digits (bench/README.md, "Augmentation").
DRAWN_DIGITS = Augmentation(shift=1.5, rotate=10, shear=0.2, scale=0.1, elastic=0.8)
