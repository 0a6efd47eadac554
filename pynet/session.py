"""A training session as one state machine: what can be done now, and what each action leads to.

The page (through the worker and `pynet.host.Host`) works with one session: at most one model, trained,
being trained, or imported from a file. Its state is decided here and nowhere else. Every change bumps
`version`; the host sends the new `snapshot()` with the reply that caused it, the worker relays it to the
page, and the page draws its buttons from the snapshot's `permits`. An action the state does not permit is
refused with a `SessionError` that says why, and nothing changes.

    state     what it means                                          permits
    empty     no model yet (a new worker)                            train, import
    training  a trainer trains the model, one `run` call at a time   run, pause, stop, predict, weights,
              (the model can be used between two calls)              samples
    paused    training halted between two steps                      resume, stop, predict, weights,
                                                                     samples, export
    stopped   ended by Stop: the model is kept, evaluated            train, import, finetune, predict,
    done      all iterations trained                                 weights, samples, export
    failed    training raised an error; the model keeps its last     (the same)
              complete step
    imported  a model read from a file, no trainer                   (the same)
    diverged  the loss stopped being finite: no usable model         train, import

    event     from                                          to
    train     empty stopped done failed imported diverged   training
    pause     training                                      paused
    resume    paused                                        training
    stop      training paused                               stopped
    finish    training (a run call trained the last step)   done
    diverge   training (a run call met a non-finite loss)   diverged
    fail      training (a run call raised)                  failed
    import    empty stopped done failed imported diverged   imported
    finetune  stopped done failed imported                      training (the same model, trained on)

Reset is not an event here: the page replaces the worker, whose new host starts a new session, empty. A
Stop that interrupts a run call (the page's interrupt) is not an event either: the run call ends early,
the state stays `training`, and the `stop` that the page always sends with its interrupt moves it.

Session kinds: a session trains whatever `Trainer` the host builds for it (`train(build, kind=...)`); the
host decides how a kind builds it: "preset" a new model, "finetune" a trainer that trains the current model
on the person's own digits (pynet.finetune), so it needs a model at rest and is its own event; a network
written by the person later. The machine is the same for every kind; `kind` travels in the snapshot.
"""
from .errors import PynetError, code_line, is_interrupt

# Reading the model (predict, weights, samples) and writing it to a file.
USE = frozenset({"predict", "weights", "samples"})
HAS_MODEL = USE | {"export"}
AT_REST = frozenset({"train", "import", "finetune"}) | HAS_MODEL  # no training in progress, a usable model

PERMITS = {
    "empty": frozenset({"train", "import"}),
    "training": frozenset({"run", "pause", "stop"}) | USE,
    "paused": frozenset({"resume", "stop"}) | HAS_MODEL,
    "stopped": AT_REST,
    "done": AT_REST,
    "failed": AT_REST,
    "imported": AT_REST,
    "diverged": frozenset({"train", "import"}),
}
STATES = tuple(PERMITS)
AT_REST_STATES = ("empty", "stopped", "done", "failed", "imported", "diverged")

TRANSITIONS = {
    "train": (AT_REST_STATES, "training"),
    "pause": (("training",), "paused"),
    "resume": (("paused",), "training"),
    "stop": (("training", "paused"), "stopped"),
    "finish": (("training",), "done"),
    "diverge": (("training",), "diverged"),
    "fail": (("training",), "failed"),
    "import": (AT_REST_STATES, "imported"),
    "finetune": (("stopped", "done", "failed", "imported"), "training"),
}

# Why an action is refused: per action, by state ("*": any other state). One line each, for the page.
REFUSALS = {
    "train": {"*": "Training is already in progress: stop it first."},
    "import": {"*": "Stop training before importing a model."},
    "pause": {"paused": "Training is already paused.", "*": "There is no training to pause (it is {state})."},
    "resume": {"training": "Training is already running.", "*": "There is no paused training to resume (it is {state})."},
    "stop": {"*": "There is no training to stop (it is {state})."},
    "run": {"*": "Training is not running (it is {state})."},
    "export": {"training": "Pause or stop training before exporting the model.",
               "diverged": "Training diverged, so there is no usable model to export: train again with a smaller learning rate.",
               "*": "Train or import a model first"},
    "finetune": {"training": "Stop training before teaching the model your digits.",
                 "paused": "Stop training before teaching the model your digits.",
                 "diverged": "Training diverged, so there is no model to teach: train again with a smaller learning rate.",
                 "*": "Train or import a model first: learning your digits fine-tunes an existing model."},
    "use": {"diverged": "Training diverged, so there is no usable model: train again with a smaller learning rate.",
            "*": "Train or import a model first"},
}


class SessionError(PynetError):
    """An action the session's state does not permit; `state` is the state that refused it."""

    def __init__(self, action, state):
        messages = REFUSALS.get("use" if action in USE else action, {"*": f"{action} is not possible now (it is {{state}})."})
        super().__init__(messages.get(state, messages["*"]).format(state=state))
        self.action, self.state = action, state


class Session:
    def __init__(self):
        self.state = "empty"
        self.version = 0      # bumped by every transition: a snapshot with a new version is news
        self.model_id = 0     # bumped when the model is replaced (train, import): the page starts afresh
        self.kind = None      # how the current model came: "preset", "import", "finetune" (later "code")
        self.trainer = None   # None for an imported model, and once a new run lets the old one go
        self.record = {}      # what the model was trained with, kept when its trainer goes (see facts())
        self.model = None
        self.preset = None    # the preset the model follows, if any
        self.message = None   # why the last run diverged or failed
        self.imported_metrics = {}

    # -- the machine ---------------------------------------------------------------------------------
    def permits(self, action):
        return action in PERMITS[self.state]

    def require(self, action):
        if not self.permits(action):
            raise SessionError(action, self.state)

    def move(self, event, message=None):
        sources, target = TRANSITIONS[event]
        if self.state not in sources:
            raise SessionError(event, self.state)
        self.state, self.message = target, message
        self.version += 1

    def snapshot(self):
        return {"state": self.state, "version": self.version, "model_id": self.model_id, "kind": self.kind,
                "preset": self.preset, "permits": sorted(PERMITS[self.state]), "message": self.message,
                "iterations": self.facts().get("iterations"),
                "parameters": self.model.parameter_count if self.model is not None else 0}

    def facts(self):
        """What the current model was trained with and how far: params, iteration, iterations and its last
        evaluation; from its trainer, or as kept when the trainer went. Empty for an imported model."""
        t = self.trainer
        if t is None:
            return self.record
        return {"params": t.params, "iteration": t.iteration, "iterations": t.iterations,
                "evaluation": t.last_evaluation}

    def let_go(self):
        """Drop the trainer, and with it the training data it holds (tens of megabytes for 8,000 images),
        keeping the model and its facts. A new run calls this before it builds its own, so that memory
        holds one run's data, not two: WebAssembly memory never shrinks, so a peak is paid for good."""
        if self.trainer is not None:
            self.record, self.trainer = self.facts(), None

    # -- actions ----------------------------------------------------------------------------------------
    def train(self, build, kind, preset=None):
        """Start training the trainer `build()` returns. If it raises (a configuration the preset refuses,
        no memory left), nothing changes but that the previous run's trainer is gone (see let_go)."""
        self.require("train")
        self.let_go()
        trainer = build()
        self.move("train")
        self.trainer, self.model, self.kind, self.preset = trainer, trainer.model, kind, preset
        self.record, self.imported_metrics = {}, {}
        self.model_id += 1

    def finetune(self, build):
        """Train the current model on: `build(model)` returns the trainer (pynet.finetune). The model and
        its preset stay; it counts as a new model (`model_id`), since its weights are no longer the ones
        the page showed. If `build` raises, nothing changes but that the previous trainer is gone."""
        self.require("finetune")
        self.let_go()
        trainer = build(self.model)
        self.move("finetune")
        self.trainer, self.kind, self.record, self.imported_metrics = trainer, "finetune", {}, {}
        self.model_id += 1

    def load(self, model, preset, metrics):
        """Use an imported model (already read and checked by the loader)."""
        self.require("import")
        self.move("import")
        self.trainer, self.record, self.model, self.kind, self.preset = None, {}, model, "import", preset
        self.imported_metrics = metrics
        self.model_id += 1

    def run(self, max_seconds, should_stop=None):
        """Train for up to `max_seconds` (or until `should_stop()`); returns the trainer's events. The
        outcome (done, diverged, an error) moves the state; an interrupt only ends the call early."""
        self.require("run")
        trainer = self.trainer
        try:
            events = trainer.run(max_seconds=max_seconds, should_stop=should_stop)
        except (KeyboardInterrupt, Exception) as error:
            if not is_interrupt(error):
                self.move("fail", f"Training failed at iteration {trainer.iteration + 1}: "
                                  f"{error_text(error)}. The model keeps its last complete step.")
            raise
        if trainer.state == "diverged":
            diverged = [e for e in events if e["type"] == "diverged"]
            self.move("diverge", diverged[-1]["message"] if diverged else "training diverged")
        elif trainer.state == "done":
            self.move("finish")
        return events

    def pause(self):
        self.move("pause")

    def resume(self):
        self.move("resume")

    def stop(self):
        """End training where it is; the model is evaluated on the test set and kept. Returns that
        evaluation as an event (`iteration` numbers the last completed iteration from 0, as events do)."""
        self.require("stop")
        trainer = self.trainer
        test_loss, test_accuracy = trainer.evaluate(trainer.test_x, trainer.test_labels)
        self.move("stop")
        return {"type": "evaluation", "iteration": trainer.iteration - 1, "test_loss": test_loss,
                "test_accuracy": test_accuracy}

    def use(self, action):
        """The model, for `action` (predict, weights, samples, export) if the state permits it."""
        self.require(action)
        return self.model


def error_text(error):
    """An error as a person reads it: pynet's own messages as they are, anything else with its type, and
    the line of the code panel's cell it came from, if it did."""
    text = str(error) if isinstance(error, PynetError) else f"{type(error).__name__}: {error}"
    line = code_line(error)
    return text if line is None else f"{text} (line {line} of your code)"
