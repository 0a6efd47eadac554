"""A JSON command interface to pynet for hosts that are not Python: the browser's Web Worker.

The worker creates one `Host` with the bytes of the MNIST digits file and sends every command through
`handle(message_json, payload)`, which always returns a JSON string: `{"ok": true, ...}` or
`{"ok": false, "error": "<one line for the user>"}` (plus `"detail"`, a traceback, for bugs). Python
exceptions never cross into JavaScript, so the page can show every message as is.

Commands (`type`): presets, configure (start training: a preset, or `kind: "finetune"` to teach the
current model the person's digits), run, pause, resume, stop, predict, weights, samples, evaluation (a
run's summary with its confusion matrix and worst mistakes: pynet.evaluation), digits (test digits by
index), export, import, status, accelerate (do large matrix products with the worker's XNNPACK matmul, or
with Pyodide's OpenBLAS), digits-export and digits-import (a personal digit set to and from its .npz file).
`payload` carries what JSON cannot carry cheaply: the pixels to classify (a Float32Array), the bytes of an
imported model, the personal digits (N*784 bytes, with `labels` in the message), for `run` a
`should_stop()` callable checked between batches, for `accelerate` a matmul function. Keeping this layer
in Python makes the whole protocol testable in CPython (tests/test_host.py).

What may be done when is decided by the training session's state machine (`pynet.session`): a reply
carries `"session": {...}`, the session's snapshot, whenever the command changed the state (and the first
reply of all), so the host's owner learns every change from the reply that made it; a command the state
does not permit is refused with `"refused": true` and the reason.
"""
import base64
import json
import math
import traceback

import numpy as np

from . import blas, data, elementwise, presets
# codecell, evaluation, finetune, personal and saving are imported by the commands that use them: the page's
# Ready waits for this module's imports, and none of those is needed before a first click.
from .errors import PynetError, is_interrupt
from .layers import Conv2D, Dense, Softmax
from .session import Session, SessionError


class Host:
    def __init__(self, digits_bytes, dtype=np.float32):
        # The records stay uint8 (7.8 MB); only the images a configuration asks for become floats.
        self.pixels, self.labels, self.train_pool = data.read_digits_raw(digits_bytes)
        self.dtype = dtype
        self.session = Session()
        self.announced = None  # the session version the last reply carried
        # Imported models are evaluated on the default test set until a preset is configured.
        self.test = self.split(1, min(1000, len(self.labels) - self.train_pool))[1]

    def split(self, train_size, test_size):
        return data.split_pixels(self.pixels, self.labels, self.train_pool, train_size, test_size, self.dtype)

    def handle(self, message_json, payload=None):
        command = None
        try:
            message = json.loads(message_json)
            command = str(message.get("type", ""))
            handler = getattr(self, "cmd_" + command.replace("-", "_"), None)
            if handler is None:
                raise PynetError(f"unknown command {message.get('type')!r}")
            reply = {"ok": True, **handler(message, payload)}
        except SessionError as error:
            reply = {"ok": False, "error": str(error), "refused": True}
        except PynetError as error:
            reply = {"ok": False, "error": str(error)}
        except MemoryError:
            # The page's WebAssembly memory has a ceiling; a big training set can reach it.
            reply = {"ok": False, "error": "There is not enough memory for this: train on fewer images or a "
                                           "smaller network (Reset frees the memory earlier runs took)."}
        except (KeyboardInterrupt, Exception) as error:
            reply = interrupted_reply(command) if is_interrupt(error) else {
                # a bug: say so plainly, keep the traceback for the console
                "ok": False, "error": f"Internal error: {type(error).__name__}: {error}",
                "detail": traceback.format_exc()}
        if self.session.version != self.announced:
            reply["session"] = self.session.snapshot()
            self.announced = self.session.version
        return json.dumps(finite(reply))

    # -- training --------------------------------------------------------------------------------------
    def cmd_presets(self, message, payload):
        return {"presets": [p.describe() for p in presets.ALL_PRESETS.values()]}

    def cmd_configure(self, message, payload):
        """Start a training session of `kind` (default "preset"); refused when the state does not permit it."""
        kind = str(message.get("kind") or "preset")
        start = getattr(self, "start_" + kind, None)
        if kind not in SESSION_KINDS or start is None:
            raise PynetError(f"unknown kind of training {kind!r}")
        self.session.require(SESSION_KINDS[kind])  # before building anything
        start(message, payload)
        return {"summary": self.summary()}

    def start_preset(self, message, payload):
        """One of the notebook's networks with the person's hyper-parameters (checked before it starts),
        trained also on the person's digits when the payload carries them."""
        from . import personal
        preset = presets.get(message.get("preset"))
        params = preset.resolve(message.get("params") or {})  # a refusal here keeps even the old trainer
        extra = personal_digits(message, payload) if payload is not None else None

        def build():
            train, test = self.split(params["train_size"], params["test_size"])
            if extra is not None:
                train = personal.mix(train, extra, personal.TRAINING_SHARE)
            self.test = test
            trainer = presets.make_trainer(preset.name, train, test, params, dtype=self.dtype)
            if extra is not None:  # said in its facts and its file: the model learnt these too
                trainer.params = {**trainer.params, "personal_digits": len(extra)}
            return trainer
        self.session.train(build, kind="preset", preset=preset.name)

    def start_finetune(self, message, payload):
        """The current model trained on a little further on the person's digits mixed with MNIST."""
        from . import finetune
        digits = personal_digits(message, payload)
        if len(digits) == 0:
            raise PynetError("There are no personal digits to learn from yet: draw a digit, then click the digit you meant.")

        def build(model):
            pool = self.split(min(self.train_pool, FINETUNE_POOL), 1)[0]
            return finetune.fine_tuner(model, digits, pool, self.test)
        self.session.finetune(build)

    def start_code(self, message, payload=None):
        """The person's own cell (pynet/codecell.py): run, checked on a first batch, then trained."""
        from . import codecell
        def split(train_size, test_size):
            train, self.test = self.split(train_size, test_size)
            return train, self.test
        self.session.train(lambda: codecell.build(str(message.get("code") or ""), split), kind="code")

    def cmd_code(self, message, payload):
        """The code panel's questions (pynet/codecell.py): `op` cell (a preset's cell), values (the form's
        values a cell assigns), set (a cell with the form's values written in), script (a .py to run)."""
        from . import codecell
        return codecell.answer(message)

    def cmd_run(self, message, payload):
        """Train for a moment. A Stop interrupt ends the call early (`interrupted`); the page's stop
        command, which always follows it, then ends the training."""
        max_seconds = min(max(float(message.get("max_seconds", 0.05)), 0.001), 5.0)
        events = self.session.run(max_seconds, should_stop=payload if callable(payload) else None)
        return {"events": coalesce(events), "interrupted": self.session.trainer.interrupted}

    def cmd_pause(self, message, payload):
        self.session.pause()
        return {}

    def cmd_resume(self, message, payload):
        self.session.resume()
        return {}

    def cmd_stop(self, message, payload):
        """End training where it is: the model is kept, evaluated on the test set, ready to use."""
        return {"events": [self.session.stop()]}

    def cmd_status(self, message, payload):
        return {"status": self.summary(), "session": self.session.snapshot()}

    def cmd_accelerate(self, message, payload):
        """Route large matrix products through a faster library (see `pynet.blas`): the host's own
        matmul function when the payload is one (the worker's XNNPACK), else Pyodide's OpenBLAS. It must
        pass a self-check; otherwise NumPy does the products, and `matmul` in the reply says "numpy".
        A host function with a `sigmoid` attribute also does the large tanh's (`pynet.elementwise`),
        once that passed its own self-check: `tanh` in the reply says who does them."""
        name = str(message.get("name", "host"))
        if callable(payload):
            elementwise.use_numpy()
            sigmoid = getattr(payload, "sigmoid", None)
            if blas.use_matmul(payload, name, getattr(payload, "forget", None)) and callable(sigmoid):
                elementwise.use_sigmoid(sigmoid, name)
        else:
            blas.use_openblas(message.get("path"))
        return {"matmul": blas.backend(), "tanh": elementwise.backend()}

    # -- using the model -------------------------------------------------------------------------------
    def cmd_predict(self, message, payload):
        from . import evaluation
        model = self.session.use("predict")
        pixels = as_array(payload, np.float32)
        if pixels.size != 784:
            raise PynetError(f"a drawing must have 784 pixels (28x28), got {pixels.size}")
        if not np.isfinite(pixels).all():
            raise PynetError("the drawing holds invalid (NaN or infinite) pixels")
        outputs = model.forward(np.clip(pixels, 0, 1).reshape(1, 784).astype(model.dtype))[0]
        probabilities = evaluation.probabilities(outputs[None], isinstance(model.layers[-1], Softmax))[0]
        return {"probabilities": probabilities.tolist(), "digit": int(np.argmax(probabilities))}

    def cmd_weights(self, message, payload):
        model = self.session.use("weights")
        max_tiles = int(message.get("max_tiles", 16))
        tiles, height, width = first_layer_tiles(model, max(1, min(max_tiles, 256)))
        return {"tiles": len(tiles), "height": height, "width": width, "pixels_b64": b64(tiles)}

    def cmd_samples(self, message, payload):
        model = self.session.use("samples")
        count = max(1, min(int(message.get("count", 20)), len(self.test)))
        images = self.test.images[:count]
        predictions = model.predict(images.astype(model.dtype)).argmax(axis=1)
        pixels = np.round(images * 255).astype(np.uint8)
        return {"labels": self.test.labels[:count].tolist(), "predictions": predictions.tolist(),
                "pixels_b64": b64(pixels)}

    def cmd_evaluation(self, message, payload):
        """What a run came to, for the page's run list: the summary, and where a usable model goes wrong
        on the test set (its confusion matrix and worst mistakes) when there is one (not once diverged)."""
        from . import evaluation
        reply = {"summary": self.summary()}
        if self.session.permits("samples"):
            reply["evaluation"] = evaluation.evaluate(self.session.model, self.test.images, self.test.labels)
        return reply

    def cmd_digits(self, message, payload):
        """Test digits by their index in the test set (the first `test_size` of the held-out digits, the
        same whatever the seed), as grey bytes: what a confusion-matrix cell or a mistake shows."""
        held_out = len(self.labels) - self.train_pool
        indices = np.asarray(message.get("indices") or [], dtype=np.int64)[:MAX_DIGITS]
        if ((indices < 0) | (indices >= held_out)).any():
            raise PynetError(f"test digits are numbered 0 to {held_out - 1}")
        rows = self.train_pool + indices
        return {"labels": self.labels[rows].tolist(), "pixels_b64": b64(self.pixels[rows])}

    def cmd_export(self, message, payload):
        from . import saving
        session = self.session
        model, facts = session.use("export"), session.facts()
        evaluation = facts.get("evaluation")
        metrics = ({k: v for k, v in evaluation.items() if k != "type"} if evaluation
                   else {} if facts else session.imported_metrics)
        blob = saving.to_bytes(model, preset=session.preset, params=facts.get("params", {}), metrics=metrics)
        return {"filename": f"pynet-{session.preset or 'model'}.npz", "bytes_b64": b64(blob)}

    def cmd_import(self, message, payload):
        from . import saving
        self.session.require("import")
        if payload is None:
            raise PynetError("no model file was given")
        loaded = saving.load(bytes(as_array(payload, np.uint8)))  # raises before anything changes
        self.session.load(loaded.model, loaded.preset, loaded.metrics)
        return {"summary": self.summary()}

    # -- personal digits ----------------------------------------------------------------------------------
    def cmd_digits_export(self, message, payload):
        """The page's personal digits as a .npz digit-set file (pynet.personal)."""
        from . import personal
        digits = personal_digits(message, payload)
        return {"filename": "my-digits.npz", "bytes_b64": b64(personal.to_bytes(digits))}

    def cmd_digits_import(self, message, payload):
        """A digit-set file read by the strict loader, as the page keeps digits: bytes and labels."""
        from . import personal
        if payload is None:
            raise PynetError("no digit set file was given")
        pixels, labels = personal.to_page(personal.load(bytes(as_array(payload, np.uint8))))
        return {"labels": labels, "pixels_b64": b64(pixels)}

    # -- helpers ---------------------------------------------------------------------------------------
    def summary(self):
        session = self.session
        model, facts = session.model, session.facts()
        summary = {"preset": session.preset, "matmul": blas.backend(), "state": session.state,
                   "layers": model.summary() if model else [],
                   "parameters": model.parameter_count if model else 0}
        if facts:
            summary.update(facts)
        elif model is not None:
            summary.update(metrics=session.imported_metrics, test_accuracy=accuracy_on(model, self.test))
        return summary


# How each kind of session builds its trainer: `Host.start_<kind>(message, payload)`, and the session action
# it needs.
SESSION_KINDS = {"preset": "train", "code": "train", "finetune": "finetune"}
# MNIST training digits fine-tuning samples its share of MNIST from (pynet.finetune.RECIPE's mnist_images).
FINETUNE_POOL = 3000
MAX_DIGITS = 500  # test digits per `digits` request: a matrix cell shows at most this many


def personal_digits(message, payload):
    """The personal digits a message carries: `labels` in the message, their pixels (bytes) the payload."""
    from . import personal
    if payload is None:
        raise PynetError("no personal digits were given")
    return personal.from_page(as_array(payload, np.uint8).tobytes(), message.get("labels"))


def accuracy_on(model, dataset):
    outputs = model.predict(dataset.images.astype(model.dtype))
    return float(np.mean(outputs.argmax(axis=1) == dataset.labels))


def first_layer_tiles(model, max_tiles):
    """Grey images of the first weighted layer, 128 = zero, each tile scaled by its largest |weight|:
    a dense layer's column per hidden unit as 28x28, or a convolution's kernels as k x k."""
    layer = next((l for l in model.layers if isinstance(l, (Dense, Conv2D))), None)
    if layer is None:
        return np.zeros((0, 0, 0), np.uint8), 0, 0
    weights = layer.params["weight"]
    if isinstance(layer, Conv2D):
        k = layer.kernel_size
        tiles = weights.T.reshape(-1, k, k, layer.in_shape[2])[..., 0]
    else:
        side = int(round(math.sqrt(weights.shape[0])))
        if side * side != weights.shape[0]:
            return np.zeros((0, 0, 0), np.uint8), 0, 0
        tiles = weights.T.reshape(-1, side, side)
    tiles = tiles[:max_tiles].astype(np.float64)
    scale = np.abs(tiles).reshape(len(tiles), -1).max(axis=1).reshape(-1, 1, 1)
    tiles = 128 + 127 * tiles / np.where(scale > 0, scale, 1)
    return np.round(tiles).astype(np.uint8), tiles.shape[1], tiles.shape[2]


def interrupted_reply(command):
    """The page's Stop can land anywhere in a run call, also after the training loop (which handles it
    itself) while the events are encoded: that is still a stop, not an error. Any other command it hits
    was not its target; the host may simply send that command again."""
    if command == "run":
        return {"ok": True, "interrupted": True, "events": []}
    return {"ok": False, "interrupted": True, "error": "Interrupted by Stop; try again."}


def coalesce(events):
    """Keep every iteration/evaluation/terminal event but only the last batch event: a per-image preset
    makes a thousand batch events a second, which no page needs."""
    last = max((i for i, e in enumerate(events) if e["type"] == "batch"), default=None)
    return [e for i, e in enumerate(events) if e["type"] != "batch" or i == last]


def as_array(payload, dtype):
    """A NumPy array from a JavaScript typed array (through Pyodide's `to_py`), bytes or a sequence."""
    if payload is None:
        raise PynetError("this command needs data (pixels or file bytes) and none was given")
    if hasattr(payload, "to_py"):
        payload = payload.to_py()
    if isinstance(payload, memoryview) and payload.format != "B":  # e.g. a Float32Array's "f"
        return np.asarray(payload).astype(dtype, copy=False)
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return np.frombuffer(payload, np.uint8).astype(dtype, copy=False)
    return np.asarray(payload, dtype=dtype)


def b64(array_or_bytes):
    raw = array_or_bytes.tobytes() if isinstance(array_or_bytes, np.ndarray) else array_or_bytes
    return base64.b64encode(raw).decode("ascii")


def finite(value):
    """JSON has no NaN or Infinity (JavaScript's JSON.parse rejects them): they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        return finite(value.item())
    return value
