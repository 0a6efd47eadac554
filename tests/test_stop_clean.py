"""Stop is clean wherever it lands.

A real SIGINT (what Ctrl-C and, in Pyodide, the page's Stop are) is raised before every Python instruction
of one training step in turn, through a trace function. After each, the model, the random streams and
the counters must be exactly those before the step or after it (or after it with its evaluation still to
do), and the interrupted training, resumed, must end exactly as training never interrupted: same events,
same weights. Then the gate that holds interrupts, and what counts as an interrupt.
"""
import copy
import json
import dis
import gc
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import pynet

from pynet import blas
from pynet.data import read_digits, split
from pynet.errors import is_interrupt
from pynet.interrupts import gate
from pynet.host import Host
from pynet.presets import make_trainer
from tests.host_matmul import numpy_matmul
from tests.synthetic import synthetic_digits_bytes

PYNET = str(Path(pynet.__file__).parent)
TIMING = ("seconds", "images_per_second", "test_images_per_second")
# (preset, random stream, hyper-parameters): every layer kind, both streams, per-image and batched steps.
CASES = {
    "tanh-softmax": ("tanh-softmax", "notebook", {"batch_size": 5, "hidden_size": 8}),
    "relu-dropout": ("relu-dropout", "generator", {"hidden_size": 8}),
    "conv": ("conv", "notebook", {"batch_size": 5, "kernels": 2}),
}


@pytest.fixture(scope="module")
def data():
    return split(read_digits(synthetic_digits_bytes()), 15, 10)


def new_trainer(data, case):
    preset, random, params = CASES[case]
    return make_trainer(preset, *data, {"iterations": 2, "alpha": 0.05, **params}, random=random, eval_every=1)


def strip(events):
    return [{k: v for k, v in e.items() if k not in TIMING} for e in events]


def snapshot(trainer, requests):
    """What a later step can see: weights, counters, and what each random stream will draw next."""
    futures = []
    for stream in trainer.streams:
        stream = copy.deepcopy(stream)
        stream.begin()
        futures.append([stream.keep_mask(*request) for request in requests])
    evaluation = {k: v for k, v in (trainer.last_evaluation or {}).items() if k not in TIMING}
    return {"weights": {k: v.copy() for k, v in trainer.model.state_dict().items()},
            "counters": (trainer.state, trainer.iteration, trainer.batch, trainer.loss_sum, trainer.correct,
                         trainer.seen, len(trainer.history), evaluation),
            "evaluation_due": trainer.evaluation_due, "draws": futures}


def same(a, b, keys=("weights", "counters", "draws", "evaluation_due")):
    def equal(x, y):
        if isinstance(x, np.ndarray):
            return np.array_equal(x, y)
        if isinstance(x, dict):
            return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
        if isinstance(x, (list, tuple)):
            return len(x) == len(y) and all(equal(u, v) for u, v in zip(x, y))
        return x == y
    return all(equal(a[k], b[k]) for k in keys)


@contextmanager
def recorded_requests(trainer):
    """`with recorded_requests(trainer) as requests:` the masks the trainer's streams are asked for."""
    requests = []
    for stream in trainer.streams:
        stream.keep_mask = lambda shape, keep, dtype, stream=stream: (
            requests.append((shape, keep, dtype)) or type(stream).keep_mask(stream, shape, keep, dtype))
    yield requests
    for stream in trainer.streams:
        del stream.keep_mask


class SigintAt:
    """Raise a real SIGINT at the `at`-th point of pynet's code run under this tracer where the interpreter
    runs signal handlers (0: never), counting them in `count`. CPython (and so Pyodide) runs them on
    entering a function, after each call returns and on each backward jump of a loop; an interrupt inside
    a NumPy function written in Python reaches pynet as one after that call."""

    def __init__(self, at=0):
        self.at, self.count = at, 0
        self.checked = {}  # frame -> whether the interpreter checks for signals before its next instruction

    def __enter__(self):
        gc.disable()  # a collection runs finalizers (blas.forget_constant) at points no run repeats
        sys.settrace(self.call)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)
        gc.enable()
        return False

    def call(self, frame, event, arg):
        if not frame.f_code.co_filename.startswith(PYNET):
            return None
        frame.f_trace_opcodes = True
        self.checked[frame] = True  # entering the function (its RESUME)
        return self.instruction

    def instruction(self, frame, event, arg):
        if event != "opcode":
            return self.instruction
        if self.checked.pop(frame, False):
            self.count += 1
            if self.count == self.at:
                signal.raise_signal(signal.SIGINT)  # its Python handler runs right here
        name = dis.opname[frame.f_code.co_code[frame.f_lasti]]
        if name.startswith("CALL") or name == "JUMP_BACKWARD" or name == "YIELD_VALUE":
            self.checked[frame] = True
        return self.instruction


def run_to(trainer, steps):
    events = []
    while sum(e["type"] == "batch" for e in events) < steps:
        events += trainer.step()
    return events


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("target", ["second batch", "last batch of an iteration"])
def test_an_interrupt_anywhere_in_a_step_leaves_it_whole_or_undone(data, case, target):
    reference = new_trainer(data, case)
    steps = 1 if target == "second batch" else reference.batches - 1
    expected = run_to(reference, steps)
    with recorded_requests(reference) as step_requests:
        expected += reference.step()
    after = snapshot(reference, step_requests)
    expected += reference.run()

    # The step's instructions, counted once; then a SIGINT before each of them in turn.
    trainer = new_trainer(data, case)
    run_to(trainer, steps)
    with SigintAt() as counter:
        trainer.step()
    assert counter.count > 100

    outcomes = {"before": 0, "after": 0, "evaluation to redo": 0}
    for at in range(1, counter.count + 1):
        trainer = new_trainer(data, case)
        events = run_to(trainer, steps)
        reference_before = snapshot(trainer, step_requests)
        with pytest.raises(KeyboardInterrupt):
            with SigintAt(at):
                events += trainer.step()
        now = snapshot(trainer, step_requests)
        if same(now, reference_before):
            outcomes["before"] += 1
        elif same(now, after):
            outcomes["after"] += 1
        else:
            assert same(now, after, ("weights", "draws")) and now["evaluation_due"] is not None, \
                f"instruction {at} of {counter.count}: a step half applied"
            outcomes["evaluation to redo"] += 1
        events += trainer.run()
        assert strip(events) == strip(expected), f"instruction {at}: the resumed training differs"
        assert same(snapshot(trainer, []), snapshot(reference, []), ("weights", "counters"))
    assert outcomes["before"] and outcomes["after"], outcomes
    if target == "last batch of an iteration":
        assert outcomes["evaluation to redo"], outcomes


def test_a_stop_during_run_ends_the_call_and_training_resumes_exactly(data):
    reference = new_trainer(data, "tanh-softmax")
    expected = reference.run()
    trainer = new_trainer(data, "tanh-softmax")
    events = []
    for at in (150, 400, 333):  # three Stops, somewhere in three run calls
        with SigintAt(at):
            events += trainer.run()
        assert trainer.interrupted and not trainer.done
    events += trainer.run()
    assert strip(events) == strip(expected)
    assert same(snapshot(trainer, []), snapshot(reference, []), ("weights", "counters"))


# ---------------------------------------------------------------- the gate

def test_a_sigint_inside_held_waits_for_the_end_of_the_block():
    gate.install()
    done = []
    with pytest.raises(KeyboardInterrupt):
        with gate.held():
            signal.raise_signal(signal.SIGINT)
            done.append("the rest of the block")
    assert done == ["the rest of the block"]
    with pytest.raises(KeyboardInterrupt):  # outside a held block, at once, as Python's own handler does
        signal.raise_signal(signal.SIGINT)
        pytest.fail("not interrupted")


def test_the_gate_stands_in_for_the_handler_in_place():
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        gate.install()  # the gate takes over SIGINT again, passing it on to this handler
        with gate.held():
            signal.raise_signal(signal.SIGINT)
            assert received == []
        assert received == [signal.SIGINT]
        signal.raise_signal(signal.SIGINT)
        assert received == [signal.SIGINT] * 2
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_error_in_a_held_block_is_not_turned_into_an_interrupt():
    gate.install()
    with pytest.raises(ZeroDivisionError):
        with gate.held():
            signal.raise_signal(signal.SIGINT)
            1 / 0


def test_the_gate_does_nothing_outside_the_main_thread(data):
    trainer, errors = new_trainer(data, "tanh-softmax"), []
    thread = threading.Thread(target=lambda: errors.extend([trainer.run()[-1]["type"]]))
    thread.start()
    thread.join()
    assert errors == ["done"]


# ---------------------------------------------------------------- what is an interrupt

class ConversionError(Exception):
    """Stands for Pyodide's: raised *from* the KeyboardInterrupt its conversion met."""


def raised(make):
    try:
        make()
    except BaseException as error:  # noqa: B036 - the point is to catch anything
        return error


def test_an_error_raised_from_an_interrupt_is_one():
    def conversion():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ConversionError("Conversion from python to javascript failed") from interrupt
    assert is_interrupt(raised(conversion)) and is_interrupt(KeyboardInterrupt())


def test_an_error_raised_while_handling_an_interrupt_is_that_error():
    def cleanup_fails():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("a bug in the clean-up")
    error = raised(cleanup_fails)
    assert isinstance(error.__context__, KeyboardInterrupt) and not is_interrupt(error)


def test_the_trainer_reports_an_error_raised_while_handling_an_interrupt(data):
    trainer = new_trainer(data, "tanh-softmax")
    forward = trainer.model.forward

    def failing_forward(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            return forward(*args, **kwargs) + None  # TypeError while the interrupt is handled
    trainer.model.forward = failing_forward
    with pytest.raises(TypeError):
        trainer.run()
    assert not trainer.interrupted


def test_the_page_is_told_the_error_raised_while_handling_a_stop_not_a_stop():
    host = Host(synthetic_digits_bytes())

    def product_fails_while_stopping(*args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("a bug in the clean-up")
    reply = json.loads(host.handle(json.dumps({"type": "configure", "preset": "wide-minibatch",
                                               "params": {"iterations": 2, "train_size": 400, "test_size": 100}})))
    assert reply["ok"]
    try:
        assert blas.use_matmul(numpy_matmul, "js")
        blas._gemm[np.dtype(np.float32)] = product_fails_while_stopping
        reply = json.loads(host.handle(json.dumps({"type": "run", "max_seconds": 10})))
    finally:
        blas.use_numpy()
    assert reply["ok"] is False and "interrupted" not in reply
    assert reply["error"] == "Internal error: ValueError: a bug in the clean-up"
