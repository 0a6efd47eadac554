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
