"""What prose may hold: plain values, declared query objects, and the limits on both.

The allow-list half of the prose sandbox (``reportgen/render/sandbox.py`` is the Jinja half):
which types are plain values and which of their methods prose may call, how a value prose
obtains is admitted or refused, the size limits on text, lists and numbers made while
evaluating, and the Jinja filters prose may use (bounded where Jinja's could grow a value
without limit).
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import numbers
import types
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.runtime import LoopContext, Undefined
from jinja2.utils import pass_environment, pass_eval_context
from markupsafe import Markup

from reportgen.data.provenance import Sourced
from reportgen.formatting import Quantity, round_filter
from reportgen.prose_api import PROSE_ATTRS, allow_prose, prose_names

#: Characters one prose file may expand to.
MAX_OUTPUT = 1_000_000
#: Characters in one text value made while evaluating (a string product, a join...).
MAX_TEXT = 100_000
#: Items in one list made while evaluating (as Jinja's own ``range`` limit).
MAX_ITEMS = 100_000
#: Digits of one whole number made while evaluating.
MAX_DIGITS = 40
_INT_LIMIT = 10**MAX_DIGITS
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))
#: Nesting depth of containers admitted into prose.
MAX_DEPTH = 32

#: Values prose may show, join into text and compare.
SCALARS: frozenset[type] = frozenset(
    {
        *(str, Markup, int, float, bool, type(None), Decimal),
        *(dt.date, dt.datetime, dt.timedelta),
        Quantity,  # a float tagged with its declared precision (formatting.py)
        Sourced,  # a float tagged with the data cell it came from (data/provenance.py)
    }
)
_TEXT_METHODS = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "count",
    }
)
_DATE_ATTRS = frozenset({"year", "month", "day", "isoformat", "weekday", "isoweekday"})
#: The attributes and methods prose may use on plain values (exact types): none that can
#: grow a value without bound (no format, replace, join, center) or leave the value.
PLAIN_METHODS: dict[type, frozenset[str]] = {
    str: _TEXT_METHODS,
    Markup: _TEXT_METHODS,
    int: frozenset(),
    float: frozenset({"is_integer"}),
    Quantity: frozenset({"is_integer"}),
    Sourced: frozenset({"is_integer"}),
    bool: frozenset(),
    type(None): frozenset(),
    Decimal: frozenset(),
    dt.date: _DATE_ATTRS,
    dt.datetime: _DATE_ATTRS | {"hour", "minute", "second"},
    dt.timedelta: frozenset({"days"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    types.MappingProxyType: frozenset({"get", "items", "keys", "values"}),
    range: frozenset(),
}
#: Iterables prose may hold and loop over (their items were admitted already), nothing more.
OPAQUE_ITERABLES: frozenset[type] = frozenset(
    {
        range,
        types.GeneratorType,
        type(iter([])),
        type(iter(())),
        type(iter("")),
        type(iter(range(1))),
        type(reversed([])),
        type({}.keys()),
        type({}.values()),
        type({}.items()),
        type(iter({})),
        type(iter({}.values())),
        type(iter({}.items())),
        map,
        filter,
        zip,
        # The views a registered Mapping (e.g. reports.initiation.Lazy) gives.
        type(Mapping.keys(types.MappingProxyType({}))),
        type(Mapping.values(types.MappingProxyType({}))),
        type(Mapping.items(types.MappingProxyType({}))),
    }
)
_SUBSCRIPTABLE = frozenset({str, Markup, list, tuple, dict, types.MappingProxyType, range})

# Jinja's loop variable: its counters and helpers, not its iterator or the loop call.
allow_prose(
    LoopContext,
    {
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
        "cycle",
        "changed",
    },
)


class NotAllowed(SecurityError):
    """Prose reached for something outside the allow-list (``lineno`` when known statically)."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno


class LimitExceeded(TemplateRuntimeError):
    """Prose evaluation went over a time or size limit."""


def describe(obj: object) -> str:
    """A short name for an object's kind in messages ('a str', 'a Company object')."""
    if isinstance(obj, type):
        return "a class"
    if isinstance(obj, types.ModuleType):
        return "a module"
    if callable(obj) and not prose_names(obj):
        return "a function"
    name = type(obj).__name__
    return f"a {name}" if type(obj) in PLAIN_METHODS else f"a {name} object"


def has_attribute(obj: object, name: str) -> bool:
    """Whether ``obj`` has ``name`` at all, found without running any of its code."""
    if name.startswith("_"):
        return True
    try:
        inspect.getattr_static(obj, name)
    except AttributeError:
        return False
    return True


def check_int(value: int) -> int:
    if value.bit_length() > _MAX_BITS + 1 or abs(value) >= _INT_LIMIT:
        raise LimitExceeded(f"number too large (more than {MAX_DIGITS} digits)")
    return value


def admit(value: Any, depth: int = 0) -> Any:
    """``value`` as prose may hold it, or NotAllowed.

    Numbers of other numeric types (e.g. numpy's) become ``int``/``float``; a mapping or
    sequence becomes a read-only plain copy with each item admitted; a registered query
    object passes as is (its names are checked when used).
    """
    kind = type(value)
    if kind in SCALARS:
        if kind is int:
            check_int(value)
        return value
    if kind in PROSE_ATTRS or kind in OPAQUE_ITERABLES or isinstance(value, Undefined):
        return value
    if depth >= MAX_DEPTH:
        raise NotAllowed(f"values nested more than {MAX_DEPTH} deep are not allowed in prose")
    if isinstance(value, numbers.Integral):
        return check_int(int(value))
    if isinstance(value, numbers.Real):
        return float(value)
    if kind is list or kind is tuple:
        items = [admit(v, depth + 1) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else kind(items)
    if kind is types.MappingProxyType or kind is dict:
        pairs = {k: admit(v, depth + 1) for k, v in value.items()}
        if all(pairs[k] is v for k, v in value.items()) and all(type(k) in SCALARS for k in pairs):
            return value
        return types.MappingProxyType({_key(k): v for k, v in pairs.items()})
    if isinstance(value, Mapping):
        return types.MappingProxyType({_key(k): admit(v, depth + 1) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(admit(v, depth + 1) for v in value)
    if callable_method(value):
        return value
    raise NotAllowed(f"{describe(value)} is not allowed in prose")


def _key(key: Any) -> Any:
    if type(key) not in SCALARS:
        raise NotAllowed(f"a mapping keyed by {describe(key)} is not allowed in prose")
    return key


def callable_method(obj: Any) -> bool:
    """A bound method prose may call: a declared method of a registered object or a plain
    value's listed method."""
    if isinstance(obj, types.MethodType):
        names = prose_names(obj.__self__)
        return names is not None and obj.__name__ in names
    if isinstance(obj, types.BuiltinMethodType):
        owner = getattr(obj, "__self__", None)
        allowed = PLAIN_METHODS.get(type(owner))
        return allowed is not None and obj.__name__ in allowed
    return False


def names_of(obj: object) -> frozenset[str]:
    """The attributes and methods prose may use on ``obj`` (empty for anything else)."""
    return PLAIN_METHODS.get(type(obj)) or prose_names(obj) or frozenset()


def subscriptable(obj: object) -> bool:
    return type(obj) in _SUBSCRIPTABLE or (type(obj) in PROSE_ATTRS and isinstance(obj, Mapping))


def printable(value: Any, what: str) -> Any:
    """A value prose may show as text, or NotAllowed naming what it is."""
    if isinstance(value, Undefined):
        str(value)  # a strict undefined raises its own "is undefined" error here
    if type(value) not in SCALARS:
        raise NotAllowed(
            f"{what} {describe(value)} is not allowed in prose: prose shows text, numbers "
            "and dates (cite one of its values, or use a filter such as | join(', '))"
        )
    return value


def _size_of(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def check_size(value: str | list[Any] | tuple[Any, ...]) -> None:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
    if not isinstance(value, str) and len(value) > MAX_ITEMS:
        raise LimitExceeded(f"list longer than {MAX_ITEMS:,} items")


def before_binop(op: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too large before computing it (both sides
    were admitted when prose obtained them)."""
    if op == "%" and isinstance(left, str):
        raise NotAllowed("'%' formatting of text is not allowed in prose; use filters")
    ints = type(left) in (int, bool) and type(right) in (int, bool)
    big_power = op == "**" and ints and right > 0 and abs(left) > 1
    if big_power and right * math.log10(abs(left)) >= MAX_DIGITS + 1:
        raise LimitExceeded(f"number too large (more than {MAX_DIGITS} digits)")
    if op == "*":
        if ints and left.bit_length() + right.bit_length() > _MAX_BITS + 1:
            raise LimitExceeded(f"number too large (more than {MAX_DIGITS} digits)")
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                limit = MAX_TEXT if isinstance(seq, str) else MAX_ITEMS
                if len(seq) * max(times, 0) > limit:
                    unit = "characters" if isinstance(seq, str) else "items"
                    raise LimitExceeded(
                        f"{'text' if isinstance(seq, str) else 'list'} longer than {limit:,} {unit}"
                    )
    if op == "+" and isinstance(left, str) and _size_of(left) + _size_of(right) > MAX_TEXT:
        raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
    if op == "+" and isinstance(left, (list, tuple)) and len(left) + _size_of(right) > MAX_ITEMS:
        raise LimitExceeded(f"list longer than {MAX_ITEMS:,} items")


# --- filters -----------------------------------------------------------------------------------

#: Jinja's built-in filters prose may use as they are (each reads its input, makes nothing big).
_JINJA_AS_IS = (
    "abs",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "last",
    "length",
    "list",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "select",
    "selectattr",
    "sort",
    "unique",
)
_JINJA_TEXT = ("capitalize", "lower", "title", "trim", "upper")


def _text_filter(name: str) -> Callable[..., Any]:
    original = jinja_filters.FILTERS[name]

    def text_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
        return original(printable(value, f"the '{name}' filter on"), *args, **kwargs)

    text_filter.__name__ = f"do_{name}"
    return text_filter


def _items(environment: jinja2.Environment, value: Iterable[Any], attribute: Any) -> list[Any]:
    items = []
    for item in value:
        items.append(item)
        if len(items) > MAX_ITEMS:
            raise LimitExceeded(f"list longer than {MAX_ITEMS:,} items")
    if attribute is not None:
        get = jinja_filters.make_attrgetter(environment, attribute)
        items = [get(item) for item in items]
    return items


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """Jinja's join, for plain values only and no longer than MAX_TEXT."""
    items = _items(eval_ctx.environment, value, attribute)
    for item in [*items, d]:
        printable(item, "the 'join' filter on")
    if sum(len(str(i)) for i in items) + len(str(d)) * max(len(items) - 1, 0) > MAX_TEXT:
        raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
    return jinja_filters.do_join(eval_ctx, items, d)


@pass_environment
def _sum(environment: jinja2.Environment, iterable: Iterable[Any], attribute: Any = None,
         start: Any = 0) -> Any:  # fmt: skip
    """Jinja's sum, for numbers only (a sum of lists or texts could grow without bound)."""
    items = _items(environment, iterable, attribute)
    for item in [*items, start]:
        if not isinstance(item, (int, float, Decimal)):
            raise NotAllowed(f"the 'sum' filter adds numbers, not {describe(item)}")
    total = sum(items, start)
    return check_int(total) if type(total) is int else total


def prose_jinja_filters() -> dict[str, Callable[..., Any]]:
    """The Jinja filters prose may use: the harmless ones, and bounded join, sum, text ones."""
    chosen: dict[str, Callable[..., Any]] = {n: jinja_filters.FILTERS[n] for n in _JINJA_AS_IS}
    chosen.update({n: _text_filter(n) for n in _JINJA_TEXT})
    chosen["join"] = _join
    chosen["sum"] = _sum
    chosen["round"] = round_filter
    return chosen
