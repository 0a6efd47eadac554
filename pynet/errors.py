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


CODE_FILE = "<your code>"  # the file name the code panel's cells run under (pynet/codecell.py)


def code_line(error):
    """The line of a code panel cell nearest to where `error` was raised, or None if no cell is involved."""
    if isinstance(error, SyntaxError) and error.filename == CODE_FILE:
        return error.lineno
    tb, line = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def is_interrupt(error):
    """True for a `KeyboardInterrupt` and for an error raised *from* one. Pyodide turns an interrupt that
    its conversion of a value between Python and JavaScript meets into a `ConversionError` raised from the
    `KeyboardInterrupt` (`_PyErr_FormatFromCause`, which sets `__cause__`): that is the page's Stop too.
    An error raised while an interrupt was being handled only has it as its `__context__`: that error is
    what it is (a bug, say), and is reported as such, not as a Stop."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__
    return False
