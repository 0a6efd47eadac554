"""Teaching a trained model a person's handwriting: a short training on their own digits mixed with MNIST.

Trained on a few corrected drawings alone, a network would learn them and forget the rest; trained on
them among thousands of MNIST digits, it would barely notice them. `fine_tuner` makes a training set of
a sample of MNIST in which each personal digit is repeated until they make up `share` of it, distorts
every image as the `drawing` preset does (so three drawings of a style stand for the ways it is drawn),
and returns a `Trainer` for a few passes over it with Adam: its own step size per weight suits any of
pynet's networks, whatever they were trained with. A host drives it like any training (events, Stop).
"""
import numpy as np

from . import personal
from .augment import DRAWN_DIGITS
from .data import Dataset
from .errors import ConfigError
from .layers import Dropout, Softmax
from .losses import SoftmaxCrossEntropy, SquaredError
from .optim import Adam
from .rng import GeneratorRandom
from .trainer import Trainer

# The recipe, chosen so that three corrections of a misread style are read right afterwards
# (tests/test_finetune.py) while MNIST accuracy holds, in a few seconds in the page's worker.
RECIPE = {"mnist_images": 1200, "share": 0.25, "iterations": 2, "batch_size": 50, "alpha": 5e-4,
          "augment": 1.0}


def fine_tuner(model, digits, pool, test, seed=0, **recipe):
    """A `Trainer` that fine-tunes `model` in place on the personal `digits` (a `Dataset`), mixed with
    a sample of `pool` (MNIST training digits), evaluated on `test`. `recipe` overrides `RECIPE`."""
    unknown = sorted(set(recipe) - set(RECIPE))
    if unknown:
        raise ConfigError(f"fine-tuning has no setting {', '.join(unknown)} (it has {', '.join(RECIPE)})")
    recipe = {**RECIPE, **recipe}
    if len(digits) == 0:
        raise ConfigError("there are no personal digits to learn from yet")
    sample = np.random.default_rng([seed, len(digits)]).choice(len(pool), min(recipe["mnist_images"], len(pool)),
                                                                replace=False)
    augment = DRAWN_DIGITS.scaled(recipe["augment"]) if recipe["augment"] else None
    train = personal.mix(Dataset(pool.images[sample], pool.labels[sample]), digits, recipe["share"], augment, seed)
    for layer in model.layers:  # its masks too come from the seed: the same seed, the same fine-tuning
        if isinstance(layer, Dropout):
            layer.random = GeneratorRandom([seed, len(digits)])
    loss = SoftmaxCrossEntropy() if isinstance(model.layers[-1], Softmax) else SquaredError()
    trainer = Trainer(model, loss, Adam(recipe["alpha"]), train, test,
                      batch_size=min(recipe["batch_size"], len(train)), iterations=recipe["iterations"],
                      eval_every=recipe["iterations"], shuffle=True, seed=seed)
    trainer.params = recipe
    return trainer
