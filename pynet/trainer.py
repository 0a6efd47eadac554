"""The training loop, as a stepper a host drives one batch at a time.

A host (the CLI, a notebook, the browser worker) calls `step()` or `run(...)` and receives plain-dict
events; between two calls it may pause for as long as it likes, read or save the weights, or stop. The
loop keeps its place in explicit counters (not a generator's frame).

A step is applied whole or not at all, wherever an interrupt lands (Ctrl-C, or the page's Stop, which
Pyodide raises as `KeyboardInterrupt` between any two Python instructions). Computing the gradients
changes nothing a later step sees but the random streams, whose draws are a transaction (pynet/rng.py):
an interrupt there abandons the batch and gives the draws back. Applying the update (the optimiser, the
counters, the events) runs with interrupts held (pynet/interrupts.py): it takes microseconds, and a Stop
arriving meanwhile is raised when it is done. An evaluation only reads the model: one that an interrupt
cuts short is simply done again before the next batch. So the model, the random streams and the counters
are always those before a step or after it, and training resumed after any number of interrupts is the
same, number for number, as training never interrupted. Events a step produced are never lost: those an
interrupt kept from being returned come with the next call.

Events, all JSON-ready:
- `{"type": "batch", "iteration", "batch", "batches", "loss", "images"}` after every batch;
- `{"type": "iteration", "iteration", "train_loss", "train_accuracy", "images_per_second", "seconds"}`
  after each pass over the training set (the notebook's "iteration");
- `{"type": "evaluation", "iteration", "test_loss", "test_accuracy", "train_loss", "train_accuracy",
  "test_images_per_second"}`
  every `eval_every` iterations (0, 10, 20, ... as the notebook does) and after the last one;
- `{"type": "done", ...}` once, with the final figures; `{"type": "diverged", "iteration", "message"}` when
  the loss stops being finite (training then ends; the model keeps its last weights).
"""
import math
import time

import numpy as np

from .errors import is_interrupt
from .interrupts import gate

SHUFFLE, AUGMENT = 0, 1  # the data streams' keys, after the seed and the iteration


def batch_count(images, batch_size, drop_last=False):
    """Batches per iteration: `drop_last` skips a final partial batch."""
    count = images // batch_size if drop_last else math.ceil(images / batch_size)
    if count < 1:
        raise ValueError(f"batch size {batch_size} is larger than the {images} training images")
    return count


class Trainer:
    def __init__(self, model, loss, optimizer, train, test, *, batch_size, iterations, eval_every=10,
                 drop_last=False, shuffle=False, augment=None, seed=0):
        """`train` and `test` are `pynet.data.Dataset`s; `drop_last` skips a final partial batch as the
        notebook's `range(int(len(images) / batch_size))` does.

        `shuffle`: a new order of the training images every iteration; `augment`: a function
        `(images, generator) -> images` (a `pynet.augment.Augmentation`) applied to every batch. Both draw
        from streams seeded by `seed`, the iteration and the batch, not from a running stream: the same
        seed gives the same batches, and a batch redone after an interrupt is the same batch."""
        self.model, self.loss, self.optimizer = model, loss, optimizer
        # Data is cast once here, not per batch, and not copied when it has the dtype already: in the page a
        # needless copy of 8,000 images is 25 MB of WebAssembly memory, which never shrinks. The arrays may
        # be the caller's, so they are only ever read.
        dtype = model.dtype
        self.train_x, self.train_y = train.images.astype(dtype, copy=False), train.one_hot.astype(dtype, copy=False)
        self.train_labels = train.labels
        self.test_x, self.test_labels = test.images.astype(dtype), test.labels
        self.batch_size, self.iterations, self.eval_every = int(batch_size), int(iterations), int(eval_every)
        self.batches = batch_count(len(self.train_x), self.batch_size, drop_last)
        self.inputs = [None] * self.batches  # each batch as the first layer wants it, made on first use
        self.shuffle, self.augment, self.seed = bool(shuffle), augment, int(seed)
        self.order = None  # (iteration, its permutation of the training images) when shuffling
        self.iteration, self.batch = 0, 0  # the next batch to train
        self.state = "ready"  # ready | running | done | diverged
        self.last_evaluation = None
        self.history = []  # iteration and evaluation events, for hosts that join late
        self.seconds = 0.0
        self.interrupted = False
        self.unsent = []  # events produced and not yet returned
        self.evaluation_due = None  # (iteration, train loss, train accuracy) of an evaluation not yet done
        # The random streams a step draws from (dropout masks), whose draws an abandoned step gives back.
        self.streams = list({id(r): r for r in (getattr(layer, "random", None) for layer in model.layers)
                             if hasattr(r, "begin")}.values())
        self.begin_iteration()

    # -- one batch ---------------------------------------------------------------------------------------
    def step(self):
        """Train one batch; return the events it produced (and any an interrupt kept back before)."""
        gate.install()
        # Overflow is how divergence shows itself: it is detected and reported as an event, so NumPy's
        # warnings about it would only be noise.
        with np.errstate(over="ignore", invalid="ignore"):
            self.train_batch()
        # Taken and returned with no call in between, where an interrupt could land and lose them.
        events, self.unsent = self.unsent, []
        return events

    def train_batch(self):
        """One batch, applied whole or not at all; or first the evaluation an interrupt cut short."""
        if self.evaluation_due is not None:
            return self.finish_evaluation()
        if self.done:
            return
        started = time.perf_counter()
        layer_0, goal, labels = self.batch_data(self.batch)
        loss, correct = self.gradients(layer_0, goal, labels)
        with gate.held():
            self.apply(loss, correct, len(goal), started)
        if self.evaluation_due is not None:
            self.finish_evaluation()

    def gradients(self, layer_0, goal, labels):
        """Forward and backward: (loss, correct answers), the gradients left in the layers. Nothing a
        later step sees changes, but the random streams: their draws are given back if this is cut short
        (and by the next `begin()` if the interrupt lands after it returns)."""
        for stream in self.streams:
            stream.begin()
        try:
            output = self.model.forward(layer_0, training=True)
            loss = self.loss.forward(output, goal)
            if not math.isfinite(loss):  # a NaN or infinite output makes the loss so too
                return loss, 0
            self.model.backward(self.loss.backward(), from_logits=getattr(self.loss, "returns_logit_delta", False))
            return loss, int(np.count_nonzero(output.argmax(axis=1) == labels))
        except BaseException:  # interrupted (or failed): as if this batch had not begun
            for stream in self.streams:
                stream.give_back()
            raise

    def apply(self, loss, correct, images, started):
        """The batch's update, counters and event, with interrupts held: all of them or none."""
        for stream in self.streams:
            stream.commit()
        if not math.isfinite(loss):
            return self.diverge(loss)
        self.optimizer.step(self.model)
        self.state = "running"
        self.loss_sum += loss * images
        self.correct += correct
        self.seen += images
        self.batch += 1
        self.iteration_seconds += time.perf_counter() - started
        self.unsent.append({"type": "batch", "iteration": self.iteration, "batch": self.batch,
                            "batches": self.batches, "loss": loss, "images": images})
        if self.batch == self.batches:
            self.end_iteration()

    # -- the data of a batch -----------------------------------------------------------------------------
    def batch_data(self, batch):
        """(input, one-hot goal, labels) of batch number `batch` of the current iteration."""
        rows = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
        if not self.shuffle and self.augment is None:
            return self.batch_input(batch), self.train_y[rows], self.train_labels[rows]
        if self.shuffle:
            rows = self.permutation()[rows]
        images = self.train_x[rows]
        if self.augment is not None:
            images = self.augment(images, self.data_random(AUGMENT, batch))
        # A batch seen once is not worth preparing (`Layer.prepare` copies it for reuse).
        return images, self.train_y[rows], self.train_labels[rows]

    def batch_input(self, batch):
        """The batch's images, prepared by the model once and kept: the batches are the same every
        iteration (the notebook never shuffles), so what depends only on them is not redone each step."""
        if self.inputs[batch] is None:
            lo = batch * self.batch_size
            self.inputs[batch] = self.model.prepare(self.train_x[lo:lo + self.batch_size])
        return self.inputs[batch]

    def permutation(self):
        """This iteration's order of the training images."""
        if self.order is None or self.order[0] != self.iteration:
            self.order = self.iteration, self.data_random(SHUFFLE).permutation(len(self.train_x))
        return self.order[1]

    def data_random(self, *key):
        """A generator for this iteration's `key`, a function of the seed alone: resuming, or redoing a
        batch, draws the same numbers."""
        return np.random.default_rng([self.seed, self.iteration, *key])

    def run(self, max_seconds=None, max_batches=None, should_stop=None):
        """Train until done, or `max_seconds` / `max_batches` have passed, or `should_stop()` is true
        (checked between batches). Returns the events, in order.

        A `KeyboardInterrupt` (Ctrl-C, or the page's Stop through Pyodide's interrupt buffer), or an error
        raised from one (see `errors.is_interrupt`), ends the call early with `interrupted` set; the events
        so far are returned and the trainer can go on. Any other error, even one raised while an interrupt
        was being handled, propagates."""
        started, count = time.perf_counter(), 0
        self.interrupted = False
        gate.install()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # see step()
                while not self.done:
                    if should_stop is not None and should_stop():
                        break
                    self.train_batch()
                    count += 1
                    if max_batches is not None and count >= max_batches:
                        break
                    if max_seconds is not None and time.perf_counter() - started >= max_seconds:
                        break
        except (KeyboardInterrupt, Exception) as error:
            if not is_interrupt(error):
                raise
            self.interrupted = True
        events, self.unsent = self.unsent, []  # see step()
        return events

    def events(self):
        """All events until the end, as a generator (for `for event in trainer.events(): ...`)."""
        gate.install()  # once, not per step as step() would
        while not self.done:
            with np.errstate(over="ignore", invalid="ignore"):  # see step()
                self.train_batch()
            events, self.unsent = self.unsent, []
            yield from events

    @property
    def done(self):
        return self.state in ("done", "diverged")

    # -- iteration bookkeeping ---------------------------------------------------------------------------
    def begin_iteration(self):
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0
        self.iteration_seconds = 0.0

    def end_iteration(self):
        """The iteration's event and counters; its evaluation, if one is due, comes next (see
        `finish_evaluation`). Runs with interrupts held."""
        i = self.iteration
        train_loss, train_accuracy = self.loss_sum / self.seen, self.correct / self.seen
        self.seconds += self.iteration_seconds
        event = {"type": "iteration", "iteration": i, "train_loss": train_loss,
                 "train_accuracy": train_accuracy, "seconds": self.iteration_seconds,
                 "images_per_second": self.seen / max(self.iteration_seconds, 1e-9)}
        self.unsent.append(event)
        self.history.append(event)
        if i % self.eval_every == 0 or i == self.iterations - 1:
            self.evaluation_due = (i, train_loss, train_accuracy)
        self.iteration, self.batch = i + 1, 0
        self.begin_iteration()

    def finish_evaluation(self):
        """The test-set evaluation due after an iteration. It only reads the model, so an interrupt may cut
        it anywhere: it is then done again before the next batch."""
        i, train_loss, train_accuracy = self.evaluation_due
        started = time.perf_counter()
        test_loss, test_accuracy = self.evaluate(self.test_x, self.test_labels)
        event = {"type": "evaluation", "iteration": i, "test_loss": test_loss, "test_accuracy": test_accuracy,
                 "train_loss": train_loss, "train_accuracy": train_accuracy,
                 "test_images_per_second": len(self.test_x) / max(time.perf_counter() - started, 1e-9)}
        with gate.held():
            self.last_evaluation = event
            self.unsent.append(event)
            self.history.append(event)
            self.evaluation_due = None
            if i == self.iterations - 1:
                self.state = "done"
                self.unsent.append(self.summary_event("done"))

    def diverge(self, loss):
        self.state = "diverged"
        message = (f"training diverged at iteration {self.iteration}: the loss became {loss} "
                   "(try a smaller alpha)")
        self.unsent.append({"type": "diverged", "iteration": self.iteration, "message": message})

    def summary_event(self, kind):
        figures = self.last_evaluation or {}
        return {"type": kind, "iteration": self.iteration - 1, "iterations": self.iteration,
                "train_loss": figures.get("train_loss"), "train_accuracy": figures.get("train_accuracy"),
                "test_loss": figures.get("test_loss"), "test_accuracy": figures.get("test_accuracy"),
                "seconds": self.seconds}

    # -- evaluation --------------------------------------------------------------------------------------
    def evaluate(self, images, labels):
        """(loss, accuracy) without dropout. The loss is None when it is not finite. A separate loss
        object keeps the training loss's cached delta intact."""
        output = self.model.predict(images.astype(self.model.dtype, copy=False))
        target = np.eye(output.shape[1], dtype=output.dtype)[labels]
        loss = type(self.loss)(**self.loss.config()).forward(output, target)
        accuracy = float(np.mean(output.argmax(axis=1) == labels))
        return (loss if math.isfinite(loss) else None), accuracy
