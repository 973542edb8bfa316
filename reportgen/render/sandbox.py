"""The prose sandbox: Jinja's sandbox turned into an allow-list, bounded in time and size.

Jinja's ``SandboxedEnvironment`` refuses a list of known-dangerous attributes and lets
everything else through, so any object handed to prose with a public method that reaches the
file system (a ``Path``, a ``DataFrame``) is a way out. Here prose may read only:

- plain values: text, numbers, booleans, None, dates, and lists, tuples and read-only
  mappings of them, with the few harmless methods listed in ``PLAIN_METHODS``;
- instances of the classes registered in ``reportgen.prose_api``, and only the names each
  declares.

Every value prose obtains (attribute, item, call result) is admitted or refused on the way in.
Evaluation is bounded: CPU time, output size, text and list sizes and number sizes each have a
limit, checked in the sandbox's own hooks (attribute and item access, calls, operators, loop
steps, output chunks) rather than by signals, so it works in worker processes and in the
threads of ``reportgen serve`` alike.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import numbers
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.runtime import LoopContext, Undefined, markup_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_environment, pass_eval_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from reportgen.prose_api import PROSE_ATTRS, allow_prose, prose_names

#: CPU seconds one prose file may take to evaluate (queries included).
TIME_LIMIT_S = 2.0
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
    {str, Markup, int, float, bool, type(None), Decimal, dt.date, dt.datetime, dt.timedelta}
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

#: Names prose may not use at all (Jinja's own globals and template internals).
REFUSED_NAMES = frozenset(
    {"self", "lipsum", "cycler", "joiner", "namespace", "dict", "caller", "varargs", "kwargs"}
)
_REFUSED_TAGS: dict[type[nodes.Node], str] = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}",
    nodes.AssignBlock: "{% set %}...{% endset %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
}
_FILES = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)

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


def _has_attribute(obj: object, name: str) -> bool:
    """Whether ``obj`` has ``name`` at all, found without running any of its code."""
    if name.startswith("_"):
        return True
    try:
        inspect.getattr_static(obj, name)
    except AttributeError:
        return False
    return True


def _check_int(value: int) -> int:
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
            _check_int(value)
        return value
    if kind in PROSE_ATTRS or kind in OPAQUE_ITERABLES or isinstance(value, Undefined):
        return value
    if depth >= MAX_DEPTH:
        raise NotAllowed(f"values nested more than {MAX_DEPTH} deep are not allowed in prose")
    if isinstance(value, numbers.Integral):
        return _check_int(int(value))
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
    if _callable_method(value):
        return value
    raise NotAllowed(f"{describe(value)} is not allowed in prose")


def _key(key: Any) -> Any:
    if type(key) not in SCALARS:
        raise NotAllowed(f"a mapping keyed by {describe(key)} is not allowed in prose")
    return key


def _callable_method(obj: Any) -> bool:
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


def _subscriptable(obj: object) -> bool:
    return type(obj) in _SUBSCRIPTABLE or (type(obj) in PROSE_ATTRS and isinstance(obj, Mapping))


def _printable(value: Any, what: str) -> Any:
    """A value prose may show as text, or NotAllowed naming what it is."""
    if isinstance(value, Undefined):
        str(value)  # a strict undefined raises its own "is undefined" error here
    if type(value) not in SCALARS:
        raise NotAllowed(
            f"{what} {describe(value)} is not allowed in prose: prose shows text, numbers "
            "and dates (cite one of its values, or use a filter such as | join(', '))"
        )
    return value


def prose_range(*args: int) -> range:
    """Jinja's ``range``, at most MAX_ITEMS numbers."""
    numbers_ = range(*args)
    if len(numbers_) > MAX_ITEMS:
        raise LimitExceeded(f"a range of more than {MAX_ITEMS:,} numbers")
    return numbers_


class Budget:
    """CPU time for one prose file, measured per thread and checked every few hooks."""

    EVERY = 64

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = math.inf
        self.ticks = 0

    def start(self) -> None:
        self.end = time.thread_time() + self.seconds
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % self.EVERY == 0:
            self.check()

    def check(self) -> None:
        if time.thread_time() > self.end:
            raise LimitExceeded(
                f"took longer than {self.seconds:g} s to evaluate (a loop that runs too long?)"
            )


class _Guard(NodeTransformer):
    """Refuses tags and names prose may not use; routes loops and ``~`` through the budget."""

    def __init__(self, env: ProseEnvironment) -> None:
        self.env = env

    def _call(self, name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
        call = nodes.Call(
            nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None, lineno=lineno
        )
        call.set_environment(self.env)
        return call

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        for kind, tag in _REFUSED_TAGS.items():
            if isinstance(node, kind):
                why = (
                    "a prose file cannot include, import or extend another file"
                    if isinstance(node, _FILES)
                    else "prose may use {{ ... }}, {% set x = ... %}, {% if %} and {% for %}"
                )
                raise NotAllowed(f"{tag} is not allowed in prose: {why}", node.lineno)
        if isinstance(node, nodes.Name) and node.name in REFUSED_NAMES:
            raise NotAllowed(f"'{node.name}' is not allowed in prose", node.lineno)
        if isinstance(node, nodes.For) and node.recursive:
            raise NotAllowed("recursive loops are not allowed in prose", node.lineno)
        node = super().generic_visit(node, *args, **kwargs)
        if isinstance(node, nodes.For):
            node.iter = self._call("prose_iter", [node.iter], node.lineno)
        elif isinstance(node, nodes.Concat):
            return self._call("prose_concat", list(node.nodes), node.lineno)
        return node


@pass_environment
def _finalize(env: ProseEnvironment, value: Any) -> Any:
    """Each ``{{ ... }}`` result: a plain value, escaped for Markdown by ``env.escape_text``."""
    return env.escape_text(_printable(value, "showing"))


class ProseEnvironment(SandboxedEnvironment):
    """Jinja's sandbox as an allow-list, with limits (one environment per prose file)."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(
        self, filters: Mapping[str, Callable[..., Any]], escape_text: Callable[[Any], Any]
    ) -> None:
        super().__init__(
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
            optimized=False,  # no evaluation at compile time, outside the budget
        )
        self.escape_text = escape_text
        self.globals.clear()
        self.globals["range"] = prose_range
        self.filters = {**_jinja_filters(), **filters}
        self.budget = Budget(TIME_LIMIT_S)
        self.trusted: set[Callable[..., Any]] = {prose_range}

    # --- compile ---------------------------------------------------------------------------

    def compile_prose(self, source: str, name: str) -> jinja2.Template:
        """Parse, refuse what prose may not use, and compile (syntax errors carry lines)."""
        tree = self.parse(source, name=name, filename=name)
        tree = _Guard(self).visit(tree)
        code = self.compile(tree, name=name, filename=name)
        return self.template_class.from_code(self, code, self.make_globals(None), None)

    def render_prose(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        """Evaluate within the budget; output past MAX_OUTPUT is an error at its line."""
        # The functions prose is given (e.g. ``fig``) may be called; every other value is
        # checked where prose uses it (tests/hostile/test_prose.py walks the real contexts).
        self.trusted |= {v for v in context.values() if isinstance(v, types.FunctionType)}
        self.budget.start()
        stream = template.generate(**context)
        parts: list[str] = []
        size = 0
        try:
            chunk = next(stream)
            while True:
                parts.append(chunk)
                size += len(chunk)
                problem: LimitExceeded | None = None
                if size > MAX_OUTPUT:
                    problem = LimitExceeded(f"output larger than {MAX_OUTPUT:,} characters")
                else:
                    try:
                        self.budget.tick()
                    except LimitExceeded as exc:
                        problem = exc
                # Thrown into the template, so the error carries the line being evaluated.
                chunk = stream.throw(problem) if problem else next(stream)
        except StopIteration:
            pass
        finally:
            stream.close()
        return "".join(parts)

    # --- the allow-list --------------------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Used by Jinja's own helpers only: the same allow-list as ``getattr``."""
        return attr in names_of(obj)

    def is_safe_callable(self, obj: Any) -> bool:
        """Declared methods, plain values' listed methods, and the functions prose was given."""
        if isinstance(obj, types.MethodType) and obj.__self__ is self:
            return obj.__name__ in ("prose_iter", "prose_concat")
        if isinstance(obj, types.FunctionType):
            return obj in self.trusted
        if _callable_method(obj):
            return True
        return "__call__" in (prose_names(obj) or ())

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``: a declared name, else a mapping's item, else refused/undefined."""
        self.budget.tick()
        if isinstance(obj, Undefined):
            if attribute.startswith("__"):
                return self.undefined(obj=obj, name=attribute)
            return getattr(obj, attribute)  # a strict undefined raises "'x' is undefined"
        if attribute in names_of(obj):
            return self._admitted(getattr(obj, attribute), obj, attribute)
        if _subscriptable(obj) and not isinstance(obj, str):
            try:
                value = obj[attribute]
            except (TypeError, LookupError):
                pass
            else:
                return self._admitted(value, obj, attribute)
        if _has_attribute(obj, attribute):
            raise NotAllowed(f"'{attribute}' of {describe(obj)} is not allowed in prose")
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]`` on plain containers and registered mappings; else as getattr."""
        self.budget.tick()
        if isinstance(obj, Undefined):
            return obj[argument]
        if _subscriptable(obj):
            try:
                value = obj[argument]
            except (TypeError, LookupError):
                pass
            else:
                return self._admitted(value, obj, argument)
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        return self.undefined(obj=obj, name=argument)

    def _admitted(self, value: Any, obj: Any, name: Any) -> Any:
        try:
            return admit(value)
        except NotAllowed as exc:
            raise NotAllowed(f"'{name}' of {describe(obj)}: {exc}") from None

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Call only what ``is_safe_callable`` allows; admit what it returns."""
        __self.budget.tick()
        if not __self.is_safe_callable(__obj):
            if isinstance(__obj, Undefined):
                return __obj(*args, **kwargs)  # raises "'x' is undefined"
            raise NotAllowed(f"calling {describe(__obj)} is not allowed in prose")
        value = __context.call(__obj, *args, **kwargs)
        return __self._admitted(value, __obj, getattr(__obj, "__name__", "call"))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic with limits: no huge numbers, texts or lists, no ``%`` formatting."""
        self.budget.tick()
        _before_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        if type(result) is int:
            _check_int(result)
        elif isinstance(result, (str, list, tuple)):
            _check_size(result)
        return result

    # --- hooks the guard routes loops and ``~`` through --------------------------------------

    def prose_iter(self, iterable: Any) -> Iterator[Any]:
        """A loop's items, each one a step of the time budget."""
        if isinstance(iterable, Undefined):
            iter(iterable)  # raises "'x' is undefined"
        tick = self.budget.tick
        for item in iterable:
            tick()
            yield item

    def prose_concat(self, *parts: Any) -> str:
        """``a ~ b``: plain values only, and no longer than MAX_TEXT."""
        for part in parts:
            _printable(part, "joining")
        if sum(len(str(p)) for p in parts) > MAX_TEXT:
            raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
        return markup_join(parts)  # type: ignore[no-any-return]


def _size_of(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def _check_size(value: str | list[Any] | tuple[Any, ...]) -> None:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
    if not isinstance(value, str) and len(value) > MAX_ITEMS:
        raise LimitExceeded(f"list longer than {MAX_ITEMS:,} items")


def _before_binop(op: str, left: Any, right: Any) -> None:
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
    "round",
    "select",
    "selectattr",
    "sort",
    "unique",
)
_JINJA_TEXT = ("capitalize", "lower", "title", "trim", "upper")


def _text_filter(name: str) -> Callable[..., Any]:
    original = jinja_filters.FILTERS[name]

    def text_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
        return original(_printable(value, f"the '{name}' filter on"), *args, **kwargs)

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
        _printable(item, "the 'join' filter on")
    if sum(len(str(i)) for i in items) + len(str(d)) * max(len(items) - 1, 0) > MAX_TEXT:
        raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
    return jinja_filters.do_join(eval_ctx, items, d)  # type: ignore[no-any-return]


@pass_environment
def _sum(environment: jinja2.Environment, iterable: Iterable[Any], attribute: Any = None,
         start: Any = 0) -> Any:  # fmt: skip
    """Jinja's sum, for numbers only (a sum of lists or texts could grow without bound)."""
    items = _items(environment, iterable, attribute)
    for item in [*items, start]:
        if not isinstance(item, (int, float, Decimal)):
            raise NotAllowed(f"the 'sum' filter adds numbers, not {describe(item)}")
    total = sum(items, start)
    return _check_int(total) if type(total) is int else total


def _jinja_filters() -> dict[str, Callable[..., Any]]:
    """The Jinja filters prose may use: the harmless ones, and bounded join, sum, text ones."""
    chosen: dict[str, Callable[..., Any]] = {n: jinja_filters.FILTERS[n] for n in _JINJA_AS_IS}
    chosen.update({n: _text_filter(n) for n in _JINJA_TEXT})
    chosen["join"] = _join
    chosen["sum"] = _sum
    return chosen


def is_prose_safe(value: Any) -> bool:
    """Whether prose may hold ``value`` unchanged: a plain value or a registered object."""
    kind = type(value)
    if kind in SCALARS or kind in PROSE_ATTRS:
        return True
    if kind in (list, tuple):
        return all(is_prose_safe(v) for v in value)
    if kind in (dict, types.MappingProxyType):
        return all(type(k) in SCALARS and is_prose_safe(v) for k, v in value.items())
    return False
