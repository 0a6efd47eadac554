"""Interrupts that wait for an update to be whole.

Ctrl-C in CPython and the page's Stop in Pyodide (its interrupt buffer) both arrive as SIGINT, whose
handler raises `KeyboardInterrupt` between any two Python instructions: that is what lets Stop end even a
long batch at once. But an update cut half-way (some layers changed, others not, counters behind) would
leave a model no training ever produced. So the few lines that apply an update run inside `gate.held()`:
a SIGINT that arrives there waits until the block has ended, and is raised then.

To see SIGINT first, `gate.install()` makes the gate's `on_sigint` the handler, and leaves it there:
outside a held block it does exactly what the handler it stands in for would do (by default, raise
`KeyboardInterrupt`). The trainer installs it on each call (`run`, `step`, `events`), which also puts it
back should anything have replaced it; a held block only counts, as it runs several times a step.
Installing and removing the handler around each block instead would cost more than a small training
step, and an interrupt landing while it is put back could leave either handler in place. Only the main
thread has signal handlers; in other threads, which SIGINT never interrupts, the gate does nothing.
"""
import signal


class InterruptGate:
    def __init__(self):
        self.previous = signal.default_int_handler  # the handler `on_sigint` stands in for
        self.holding = 0        # nested held blocks
        self.pending = None     # (signum, frame) of a SIGINT that arrived while holding
        self.block = Held(self)

    def held(self):
        """`with gate.held():` a block that a SIGINT does not cut: one arriving meanwhile is raised at its
        end (unless the block itself failed: then that error is what the caller sees)."""
        return self.block

    def install(self):
        """Make `on_sigint` SIGINT's handler, standing in for the one in place (a few microseconds)."""
        current = signal.getsignal(signal.SIGINT)
        if current == self.on_sigint:
            return
        try:
            signal.signal(signal.SIGINT, self.on_sigint)
        except ValueError:  # not the main thread
            return
        self.previous = current

    def on_sigint(self, signum, frame):
        if self.holding:
            self.pending = (signum, frame)
        else:
            self.forward(signum, frame)

    def forward(self, signum, frame):
        """What the handler in place before the gate would have done."""
        if callable(self.previous):
            self.previous(signum, frame)
        elif self.previous != signal.SIG_IGN:  # the default, or a handler set outside Python
            raise KeyboardInterrupt


class Held:
    def __init__(self, gate):
        self.gate = gate

    def __enter__(self):
        gate = self.gate
        if gate.holding == 0:
            gate.pending = None  # one left by an interrupt that cut the end of a block short
        gate.holding += 1

    def __exit__(self, error_type, error, traceback):
        gate = self.gate
        gate.holding -= 1
        if gate.holding == 0 and gate.pending is not None:
            pending, gate.pending = gate.pending, None
            if error_type is None:
                gate.forward(*pending)
        return False


gate = InterruptGate()  # one per process, as SIGINT's handler is
