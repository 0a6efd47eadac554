"""The one exception family pynet raises for things a user can fix.

Hosts (the CLI, the browser worker) catch `PynetError` and show its message as is: it is written to be
read by a person, one line, naming what is wrong. Anything else escaping pynet is a bug.
"""


class PynetError(Exception):
    """Base of every user-facing pynet error."""


class ConfigError(PynetError, ValueError):
    """A hyper-parameter or model description is invalid."""


class ModelFileError(PynetError, ValueError):
    """A saved model file is malformed, hostile or incompatible."""


class DigitSetError(PynetError, ValueError):
    """A personal digit set file (`pynet.personal`) is malformed, hostile or incompatible."""


def is_interrupt(error):
    """True for a `KeyboardInterrupt` and for an error it caused. Pyodide reports the page's Stop (its
    interrupt buffer) that lands while Python calls JavaScript, as pynet's matmul and `should_stop` do,
    as a `ConversionError` caused by a `KeyboardInterrupt`: that is a stop too, not a bug."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
