"""Augmentation: shapes and dtype, the same seed gives the same images, and each transform does what it
says, checked at a fixed draw (a stand-in generator that always draws the top of each range)."""
import numpy as np
import pytest

from pynet.augment import DRAWN_DIGITS, Augmentation, bilinear, change_thickness, smooth_fields


class TopOfRange:
    """A generator whose uniform draws are always the top of their range and whose normal draws are 1."""

    def uniform(self, low, high, size):
        return np.full(size, high, np.float64)

    def standard_normal(self, size, dtype=np.float64):
        return np.ones(size, dtype)


def bar_images(count=3):
    """Flat 28x28 images with a vertical bar and a blob off-centre: asymmetric, so moves show."""
    images = np.zeros((count, 28, 28), np.float32)
    images[:, 6:20, 12:14] = 1
    images[:, 6:9, 14:18] = .5
    return images.reshape(count, 784)


def mnist_like(rng, count):
    images = np.zeros((count, 28, 28), np.float32)
    for image in images:
        top, left = rng.integers(4, 10, 2)
        image[top:top + 14, left:left + 3] = rng.uniform(.5, 1)
        image[top:top + 3, left:left + 10] = rng.uniform(.5, 1)
    return images.reshape(count, 784)


def ink_centre(images):
    squares = np.asarray(images, np.float64).reshape(-1, 28, 28)
    mass = squares.sum(axis=(1, 2))
    rows = (squares.sum(axis=2) * np.arange(28)).sum(axis=1) / mass
    cols = (squares.sum(axis=1) * np.arange(28)).sum(axis=1) / mass
    return rows, cols


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_dtype_range_and_a_new_array(dtype):
    images = mnist_like(np.random.default_rng(0), 16).astype(dtype)
    before = images.copy()
    out = DRAWN_DIGITS(images, np.random.default_rng(1))
    assert out.shape == images.shape and out.dtype == dtype
    assert 0 <= out.min() and out.max() <= 1 and not np.array_equal(out, images)
    assert np.array_equal(images, before)  # the training images are never changed in place


def test_same_seed_same_images_other_seed_other_images():
    images = mnist_like(np.random.default_rng(0), 8)
    a = DRAWN_DIGITS(images, np.random.default_rng(7))
    b = DRAWN_DIGITS(images, np.random.default_rng(7))
    c = DRAWN_DIGITS(images, np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_each_image_draws_its_own_distortion():
    images = np.repeat(bar_images(1), 6, axis=0)
    out = DRAWN_DIGITS(images, np.random.default_rng(3))
    assert len({row.tobytes() for row in out}) == 6


def test_nothing_to_do_gives_a_copy():
    images = bar_images()
    out = Augmentation()(images, np.random.default_rng(0))
    assert np.array_equal(out, images) and out is not images
    assert not Augmentation().active and DRAWN_DIGITS.active
    assert DRAWN_DIGITS.scaled(0) == Augmentation(smoothness=DRAWN_DIGITS.smoothness)
    assert DRAWN_DIGITS.scaled(2).rotate == 2 * DRAWN_DIGITS.rotate


def test_shift_moves_by_whole_pixels_exactly():
    images = bar_images()
    out = Augmentation(shift=2)(images, TopOfRange())  # +2 right, +2 down
    expected = np.zeros((3, 28, 28), np.float32)
    expected[:, 2:, 2:] = images.reshape(3, 28, 28)[:, :-2, :-2]
    np.testing.assert_allclose(out.reshape(3, 28, 28), expected, atol=1e-6)


def test_rotation_by_a_right_angle_is_exact_and_clockwise_for_positive_angles():
    images = bar_images()
    out = Augmentation(rotate=90)(images, TopOfRange())
    squares = images.reshape(3, 28, 28)
    # A clockwise quarter turn on screen (rows grow downwards) is np.rot90 with k=-1.
    np.testing.assert_allclose(out.reshape(3, 28, 28), np.rot90(squares, k=-1, axes=(1, 2)), atol=1e-5)


def test_small_rotation_keeps_the_centre_and_the_ink():
    images = mnist_like(np.random.default_rng(1), 20)
    out = Augmentation(rotate=10)(images, np.random.default_rng(2))
    for a, b in zip(ink_centre(images), ink_centre(out)):
        assert np.abs(a - b).max() < 1.5
    np.testing.assert_allclose(out.sum(axis=1), images.sum(axis=1), rtol=0.05)


def test_shear_slants_a_vertical_bar_to_the_left_at_the_top():
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 4:24, 13:15] = 1
    out = Augmentation(shear=0.5)(bar.reshape(1, 784), TopOfRange()).reshape(28, 28)
    column = lambda band: (band.sum(axis=0) * np.arange(28)).sum() / band.sum()  # noqa: E731
    assert column(out[20:]) - column(out[:8]) > 4  # half a pixel per row, ~16 rows between the bands


def test_scale_grows_the_ink_box_and_aspect_stretches_it():
    images = bar_images(1)
    out = Augmentation(scale=0.2)(images, TopOfRange()).reshape(28, 28)

    def extent(square, axis):
        inked = np.flatnonzero(square.max(axis=axis) > .3)
        return inked[-1] - inked[0] + 1

    before = images.reshape(28, 28)
    # size 1.2, aspect 1.1: width x 1.32, height x 1.09
    assert extent(out, 0) > extent(before, 0) and extent(out, 1) > extent(before, 1)
    assert out.sum() > 1.3 * before.sum()


def test_thickness_grows_and_shrinks_strokes_by_at_most_one_pixel():
    dot = np.zeros((2, 28, 28), np.float32)
    dot[:, 10:13, 10:13] = 1
    out = change_thickness(dot, np.array([1.0, -1.0]))
    plus = np.zeros((28, 28), np.float32)
    plus[9:14, 10:13] = plus[10:13, 9:14] = 1
    np.testing.assert_array_equal(out[0], plus)  # dilated by a plus: the corners stay out
    centre = np.zeros((28, 28), np.float32)
    centre[11, 11] = 1
    np.testing.assert_array_equal(out[1], centre)  # eroded by a plus
    halfway = change_thickness(dot, np.array([0.5, 0.0]))
    np.testing.assert_array_equal(halfway[0], (dot[0] + plus) / 2)
    np.testing.assert_array_equal(halfway[1], dot[1])


def test_thickness_of_images_touching_the_border_stays_in_each_image():
    images = np.zeros((3, 28, 28), np.float32)
    images[0, :, 27] = 1  # the right edge: its neighbour in the flat batch is the next image's left edge
    images[1, 27, :] = 1
    out = change_thickness(images, np.ones(3))
    assert out[1, :26].max() == 0 and out[2].max() == 0  # nothing from the image before
    assert out[0, :, 26].min() == 1 and out[1, 26, :].min() == 1


def test_elastic_fields_are_smooth_and_of_unit_size():
    fields = smooth_fields(np.random.default_rng(0), 400, 4.0)
    assert fields.shape == (400, 28, 28) and fields.dtype == np.float32
    assert abs(np.sqrt((fields ** 2).mean()) - 1) < 0.1
    neighbours = np.corrcoef(fields[:, :, :-1].ravel(), fields[:, :, 1:].ravel())[0, 1]
    far = np.corrcoef(fields[:, :, :-12].ravel(), fields[:, :, 12:].ravel())[0, 1]
    assert neighbours > 0.9 and abs(far) < 0.3


def test_elastic_moves_pixels_by_about_its_magnitude():
    images = mnist_like(np.random.default_rng(4), 50)
    rows, cols = Augmentation(elastic=1.0).source_positions(50, np.random.default_rng(5))
    grid = np.arange(28)
    moved = np.hypot(rows - grid[:, None], cols - grid[None, :])
    assert 1.0 < np.sqrt((moved ** 2).mean()) < 1.8  # two axes of unit root-mean-square each
    assert not np.array_equal(Augmentation(elastic=1.0)(images, np.random.default_rng(5)), images)


def test_bilinear_reads_between_pixels_and_zero_outside():
    square = np.zeros((1, 28, 28), np.float32)
    square[0, 5, 5], square[0, 5, 6] = 1, 3
    rows = np.full((1, 28, 28), 5.0, np.float32)
    cols = np.full((1, 28, 28), 5.25, np.float32)
    cols[0, 0, 0], rows[0, 0, 1] = -7.0, 40.0
    out = bilinear(square, rows, cols)
    assert out[0, 1, 1] == pytest.approx(1.5) and out[0, 0, 0] == 0 and out[0, 0, 1] == 0
