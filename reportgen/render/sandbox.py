"""The prose sandbox: Jinja's sandbox turned into an allow-list, bounded in time and size.

Jinja's ``SandboxedEnvironment`` refuses a list of known-dangerous attributes and lets
everything else through, so any object handed to prose with a public method that reaches the
file system (a ``Path``, a ``DataFrame``) is a way out. Here prose may read only:

- plain values: text, numbers, booleans, None, dates, and lists, tuples and read-only
  mappings of them, with the few harmless methods listed in ``allowlist.PLAIN_METHODS``;
- instances of the classes registered in ``reportgen.prose_api``, and only the names each
  declares.

Every value prose obtains (attribute, item, call result) is admitted or refused on the way in
(``reportgen/render/allowlist.py``).
Evaluation is bounded: CPU time, output size, text and list sizes and number sizes each have a
limit, checked in the sandbox's own hooks (attribute and item access, calls, operators, loop
steps, output chunks) rather than by signals, so it works in worker processes and in the
threads of ``reportgen serve`` alike.
"""

from __future__ import annotations

import math
import operator
import time
import types
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Undefined, markup_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_environment
from jinja2.visitor import NodeTransformer

from reportgen.formatting import plain
from reportgen.prose_api import prose_names
from reportgen.render.allowlist import (
    MAX_ITEMS,
    MAX_OUTPUT,
    MAX_TEXT,
    OPAQUE_ITERABLES,
    SCALARS,
    LimitExceeded,
    NotAllowed,
    admit,
    before_binop,
    callable_method,
    check_int,
    check_size,
    describe,
    has_attribute,
    names_of,
    printable,
    prose_jinja_filters,
    subscriptable,
)

__all__ = [
    "MAX_OUTPUT",
    "OPAQUE_ITERABLES",
    "SCALARS",
    "ClaimFailed",
    "LimitExceeded",
    "NotAllowed",
    "admit",
]

#: CPU seconds one prose file may take to evaluate (queries included).
TIME_LIMIT_S = 2.0
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


class ClaimFailed(jinja2.TemplateRuntimeError):
    """A ``claim(condition, text)`` whose condition the data no longer satisfy."""


#: Jinja's comparison operators (``nodes.Operand.op``): the Python function and how a failed
#: comparison reads ("0.28 is not less than 0.2").
_COMPARE: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "lt": (operator.lt, "less than"),
    "lteq": (operator.le, "at most"),
    "gt": (operator.gt, "greater than"),
    "gteq": (operator.ge, "at least"),
    "eq": (operator.eq, "equal to"),
    "ne": (operator.ne, "different from"),
    "in": (lambda a, b: a in b, "in"),
    "notin": (lambda a, b: a not in b, "outside"),
}
_OP_TEXT = {"lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "eq": "==", "ne": "!="}


def _source(node: nodes.Node) -> str:
    """A short rendering of an expression as written in the prose, for a claim's message."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_source(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_source(node.node)}[{_source(node.arg)}]"
    if isinstance(node, nodes.Const):
        value = node.value
        return f'"{value}"' if isinstance(value, str) and '"' not in value else repr(value)
    if isinstance(node, nodes.Call):
        args = ", ".join(_source(a) for a in node.args)
        return f"{_source(node.node)}({args})"
    if isinstance(node, nodes.Filter) and node.node is not None:
        return f"{_source(node.node)} | {node.name}"
    if isinstance(node, nodes.EnvironmentAttribute):
        return node.name
    return "(an expression)"


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

    def _claim(self, node: nodes.Call) -> nodes.Call:
        """``claim(condition, text)`` as a call the build evaluates (with the operands of a
        single comparison, so a failed claim can say which values broke it)."""
        if len(node.args) != 2 or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise NotAllowed(
                'claim takes two values: claim(comparison, "the words it supports")',
                node.lineno,
            )
        condition, text = node.args
        if isinstance(condition, nodes.Compare) and len(condition.ops) == 1:
            (op,) = condition.ops
            args: list[nodes.Expr] = [
                condition.expr,
                nodes.Const(op.op),
                op.expr,
                text,
                nodes.Const(_source(condition.expr)),
                nodes.Const(_source(op.expr)),
            ]
            return self._call("prose_claim_compare", args, node.lineno)
        return self._call("prose_claim", [condition, text], node.lineno)

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
            assert isinstance(node.iter, nodes.Expr)  # what follows "in" parses as an expression
            node.iter = self._call("prose_iter", [node.iter], node.lineno)
        elif (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Name)
            and node.node.name == "claim"
        ):
            return self._claim(node)
        elif isinstance(node, nodes.Concat):
            return self._call("prose_concat", list(node.nodes), node.lineno)
        return node


#: The environment's own methods the guard routes prose through (callable from prose).
_HOOKS = frozenset({"prose_iter", "prose_concat", "prose_claim", "prose_claim_compare"})


@pass_environment
def _finalize(env: ProseEnvironment, value: Any) -> Any:
    """Each ``{{ ... }}`` result: a plain value, escaped for Markdown by ``env.escape_text``
    (a float cited without a format filter shows its decimal digits, free of binary noise)."""
    value = printable(value, "showing")
    return env.escape_text(plain(value) if isinstance(value, float) else value)


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
        self.filters = {**prose_jinja_filters(), **filters}
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
        assert isinstance(stream, Generator)  # Template.generate is a generator function
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
            return obj.__name__ in _HOOKS
        if isinstance(obj, types.FunctionType):
            return obj in self.trusted
        if callable_method(obj):
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
        if subscriptable(obj) and not isinstance(obj, str):
            try:
                value = obj[attribute]
            except (TypeError, LookupError):
                pass
            else:
                return self._admitted(value, obj, attribute)
        if has_attribute(obj, attribute):
            raise NotAllowed(f"'{attribute}' of {describe(obj)} is not allowed in prose")
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]`` on plain containers and registered mappings; else as getattr."""
        self.budget.tick()
        if isinstance(obj, Undefined):
            return obj[argument]
        if subscriptable(obj):
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
        before_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        if type(result) is int:
            check_int(result)
        elif isinstance(result, (str, list, tuple)):
            check_size(result)
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
        shown = (printable(part, "joining") for part in parts)
        parts = tuple(plain(p) if isinstance(p, float) else p for p in shown)
        if sum(len(str(p)) for p in parts) > MAX_TEXT:
            raise LimitExceeded(f"text longer than {MAX_TEXT:,} characters")
        return markup_join(parts)

    def prose_claim(self, condition: Any, text: Any) -> Any:
        """``claim(condition, text)``: ``text`` while the data satisfy ``condition``; otherwise
        the build fails at this line (the claim no longer holds)."""
        self._claim_text(text)
        if type(condition) is not bool:
            printable(condition, "a claim's condition:")
            raise NotAllowed(
                f"a claim's condition must be a comparison (true or false), found {condition!r}"
            )
        if not condition:
            raise ClaimFailed(f'claim no longer holds: "{text}": its condition is false')
        return text

    def prose_claim_compare(
        self, left: Any, op: str, right: Any, text: Any, left_src: str, right_src: str
    ) -> Any:
        """``claim(left <op> right, text)``: as prose_claim, naming the values that broke it."""
        self._claim_text(text)
        compare, words = _COMPARE[op]
        if compare(left, right):
            return text
        written = f"{left_src} {_OP_TEXT.get(op, words)} {right_src}"
        raise ClaimFailed(
            f'claim no longer holds: "{text}" needs {written}, '
            f"but {_shown(left)} is not {words} {_shown(right)}"
        )

    @staticmethod
    def _claim_text(text: Any) -> None:
        printable(text, "a claim's text:")
        if isinstance(text, Undefined) or not isinstance(text, str):
            raise NotAllowed(f"a claim's text must be words in quotes, found {text!r}")


def _shown(value: Any) -> str:
    """A compared value as a message shows it (floats without binary noise)."""
    return repr(value) if not isinstance(value, float) else f"{value:.10g}"
