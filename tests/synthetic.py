"""A tiny, instantly learnable stand-in for MNIST, for tests of plumbing rather than accuracy.

Digit k is a bright horizontal bar on rows 2k+4..2k+5 plus faint noise, so any preset separates the
classes within a few iterations, and tests that only need *a* trained model stay fast.
"""
import numpy as np

from pynet import data


def synthetic_pixels(count, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        image[2 * label + 4:2 * label + 6, 4:24] = 255
    return images, labels


def synthetic_digits_bytes(count=600, train_count=400):
    images, labels = synthetic_pixels(count)
    return data.encode_digits(images, labels, train_count=train_count)
