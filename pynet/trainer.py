"""The training loop, as a stepper a host drives one batch at a time.

A host (the CLI, a notebook, the browser worker) calls `step()` or `run(...)` and receives plain-dict
events; between two calls it may pause for as long as it likes, read or save the weights, or stop. The
loop keeps its place in explicit counters (not a generator's frame), so even an interrupt in the middle of
a batch (Pyodide turns the page's Stop into `KeyboardInterrupt`) leaves a trainer that resumes cleanly.

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


class Trainer:
    def __init__(self, model, loss, optimizer, train, test, *, batch_size, iterations, eval_every=10,
                 drop_last=False):
        """`train` and `test` are `pynet.data.Dataset`s; `drop_last` skips a final partial batch as the
        notebook's `range(int(len(images) / batch_size))` does."""
        self.model, self.loss, self.optimizer = model, loss, optimizer
        # Data is cast once here, not per batch, and not copied when it has the dtype already: in the page a
        # needless copy of 8,000 images is 25 MB of WebAssembly memory, which never shrinks. The arrays may
        # be the caller's, so they are only ever read.
        dtype = model.dtype
        self.train_x, self.train_y = train.images.astype(dtype, copy=False), train.one_hot.astype(dtype, copy=False)
        self.train_labels = train.labels
        self.test_x, self.test_labels = test.images.astype(dtype), test.labels
        self.batch_size, self.iterations, self.eval_every = int(batch_size), int(iterations), int(eval_every)
        n = len(self.train_x)
        self.batches = n // self.batch_size if drop_last else math.ceil(n / self.batch_size)
        if self.batches < 1:
            raise ValueError(f"batch size {batch_size} is larger than the {n} training images")
        self.inputs = [None] * self.batches  # each batch as the first layer wants it, made on first use
        self.iteration, self.batch = 0, 0  # the next batch to train
        self.state = "ready"  # ready | running | done | diverged
        self.last_evaluation = None
        self.history = []  # iteration and evaluation events, for hosts that join late
        self.seconds = 0.0
        self.interrupted = False
        self.begin_iteration()

    # -- one batch ---------------------------------------------------------------------------------------
    def step(self):
        """Train one batch; return the events it produced."""
        # Overflow is how divergence shows itself: it is detected and reported as an event, so NumPy's
        # warnings about it would only be noise.
        with np.errstate(over="ignore", invalid="ignore"):
            return self.train_batch()

    def train_batch(self):
        if self.done:
            return []
        started = time.perf_counter()
        self.state = "running"
        lo = self.batch * self.batch_size
        layer_0 = self.batch_input(self.batch)
        goal = self.train_y[lo:lo + self.batch_size]

        output = self.model.forward(layer_0, training=True)
        loss = self.loss.forward(output, goal)
        if not math.isfinite(loss):  # a NaN or infinite output makes the loss so too
            return self.diverge(loss)
        self.model.backward(self.loss.backward(), from_logits=getattr(self.loss, "returns_logit_delta", False))
        self.optimizer.step(self.model)

        # Counters move only once the batch is fully applied: an interrupt above leaves them as they were.
        self.loss_sum += loss * len(goal)
        self.correct += int(np.count_nonzero(output.argmax(axis=1) == self.train_labels[lo:lo + self.batch_size]))
        self.seen += len(goal)
        self.batch += 1
        self.iteration_seconds += time.perf_counter() - started
        events = [{"type": "batch", "iteration": self.iteration, "batch": self.batch,
                   "batches": self.batches, "loss": loss, "images": len(goal)}]
        if self.batch == self.batches:
            events += self.end_iteration()
        return events

    def batch_input(self, batch):
        """The batch's images, prepared by the model once and kept: the batches are the same every
        iteration (the notebook never shuffles), so what depends only on them is not redone each step."""
        if self.inputs[batch] is None:
            lo = batch * self.batch_size
            self.inputs[batch] = self.model.prepare(self.train_x[lo:lo + self.batch_size])
        return self.inputs[batch]

    def run(self, max_seconds=None, max_batches=None, should_stop=None):
        """Train until done, or `max_seconds` / `max_batches` have passed, or `should_stop()` is true
        (checked between batches). Returns the events, in order.

        A `KeyboardInterrupt` (Ctrl-C, or the page's Stop through Pyodide's interrupt buffer), or an error
        it caused (see `errors.is_interrupt`), ends the call early with `interrupted` set; the events so far
        are kept and the trainer can go on."""
        events, started, count = [], time.perf_counter(), 0
        self.interrupted = False
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # see step()
                while not self.done:
                    if should_stop is not None and should_stop():
                        break
                    events += self.train_batch()
                    count += 1
                    if max_batches is not None and count >= max_batches:
                        break
                    if max_seconds is not None and time.perf_counter() - started >= max_seconds:
                        break
        except (KeyboardInterrupt, Exception) as error:
            if not is_interrupt(error):
                raise
            self.interrupted = True
        return events

    def events(self):
        """All events until the end, as a generator (for `for event in trainer.events(): ...`)."""
        while not self.done:
            yield from self.step()

    @property
    def done(self):
        return self.state in ("done", "diverged")

    # -- iteration bookkeeping ---------------------------------------------------------------------------
    def begin_iteration(self):
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0
        self.iteration_seconds = 0.0

    def end_iteration(self):
        i = self.iteration
        train_loss, train_accuracy = self.loss_sum / self.seen, self.correct / self.seen
        self.seconds += self.iteration_seconds
        events = [{"type": "iteration", "iteration": i, "train_loss": train_loss,
                   "train_accuracy": train_accuracy, "seconds": self.iteration_seconds,
                   "images_per_second": self.seen / max(self.iteration_seconds, 1e-9)}]
        last = i == self.iterations - 1
        if i % self.eval_every == 0 or last:
            started = time.perf_counter()
            test_loss, test_accuracy = self.evaluate(self.test_x, self.test_labels)
            self.last_evaluation = {"type": "evaluation", "iteration": i, "test_loss": test_loss,
                                    "test_accuracy": test_accuracy, "train_loss": train_loss,
                                    "train_accuracy": train_accuracy,
                                    "test_images_per_second": len(self.test_x) / max(time.perf_counter() - started, 1e-9)}
            events.append(self.last_evaluation)
        self.history += events
        self.iteration, self.batch = i + 1, 0
        self.begin_iteration()
        if last:
            self.state = "done"
            events.append(self.summary_event("done"))
        return events

    def diverge(self, loss):
        self.state = "diverged"
        message = (f"training diverged at iteration {self.iteration}: the loss became {loss} "
                   "(try a smaller alpha)")
        return [{"type": "diverged", "iteration": self.iteration, "message": message}]

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
