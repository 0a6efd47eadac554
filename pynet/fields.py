"""The typed fields of a layer's configuration: what a saved architecture may say about a layer.

Each layer class declares its fields once (`Layer.fields`, e.g. `Dense.fields = {"n_in": Whole(1, ...),
"bias": Flag(False), ...}`), and `check_fields` checks a saved layer's JSON against them before any
constructor runs: every value of the right JSON type and in range, every required field present, no field
the layer does not have. A constructor so only ever sees values of the types it was written for, and a
hostile model file meets a `ConfigError` naming the field instead of a `TypeError` deep inside NumPy.
"""
import math

from .errors import ConfigError

REQUIRED = object()  # a field without a default must be present


def shown(value, limit=40):
    """`repr(value)` cut to `limit` characters: a hostile value may be a megabyte long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Field:
    """One configuration value. `check(name, value)` returns it as the constructor wants it, or raises
    `ConfigError` saying what the field must be."""

    default = REQUIRED

    def check(self, name, value):
        raise NotImplementedError

    def refuse(self, name, value):
        raise ConfigError(f"{name} must be {self.describe()}, got {shown(value)}")


class Whole(Field):
    """A whole number from `lo` to `hi` (JSON integer; not a boolean, not 3.0)."""

    def __init__(self, lo, hi, default=REQUIRED):
        self.lo, self.hi, self.default = lo, hi, default

    def describe(self):
        return f"a whole number from {self.lo:,} to {self.hi:,}"

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int) or not self.lo <= value <= self.hi:
            self.refuse(name, value)
        return value


class Real(Field):
    """A finite number from `lo` up to `hi`, or up to just below `hi` when `below_hi` (a JSON integer is
    taken as the number it is)."""

    def __init__(self, lo, hi, below_hi=False, default=REQUIRED):
        self.lo, self.hi, self.below_hi, self.default = lo, hi, below_hi, default

    def describe(self):
        return f"a number from {self.lo:g} to {'below ' if self.below_hi else ''}{self.hi:g}"

    def check(self, name, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.refuse(name, value)
        value = float(value) if abs(value) < 1e300 else math.inf  # a 300-digit JSON integer is no rate
        inside = self.lo <= value < self.hi if self.below_hi else self.lo <= value <= self.hi
        if not (math.isfinite(value) and inside):
            self.refuse(name, value)
        return value


class Flag(Field):
    """true or false (JSON boolean; not 0 or 1)."""

    def __init__(self, default=REQUIRED):
        self.default = default

    def describe(self):
        return "true or false"

    def check(self, name, value):
        if not isinstance(value, bool):
            self.refuse(name, value)
        return value


class Dims(Field):
    """A list of `lengths` (a range) whole numbers, each from 1 to `hi`: a shape such as [28, 28, 1]."""

    def __init__(self, lengths, hi, default=REQUIRED):
        self.lengths, self.hi, self.default = lengths, hi, default
        self.dim = Whole(1, hi)

    def describe(self):
        count = (f"{self.lengths.start}" if len(self.lengths) == 1
                 else f"{self.lengths.start} to {self.lengths.stop - 1}")
        return f"a list of {count} whole numbers from 1 to {self.hi:,}"

    def check(self, name, value):
        if not isinstance(value, list) or len(value) not in self.lengths:
            self.refuse(name, value)
        for dim in value:
            if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= self.hi:
                self.refuse(name, value)
        return list(value)


def check_fields(fields, config):
    """`config` (a layer's saved fields, without "type") checked against `fields`: a new dict holding every
    field, defaults filled in. `ConfigError` for a missing, unknown or wrong field."""
    if not isinstance(config, dict):
        raise ConfigError(f"its description must be a JSON object, got {shown(config)}")
    unknown = [name for name in config if name not in fields]
    if unknown:
        raise ConfigError(f"it has no field {shown(unknown[0])}"
                          + (f" (its fields: {', '.join(fields)})" if fields else " (it takes none)"))
    checked = {}
    for name, field in fields.items():
        if name in config:
            checked[name] = field.check(name, config[name])
        elif field.default is REQUIRED:
            raise ConfigError(f"its field {name} is missing")
        else:
            checked[name] = field.default
    return checked
