"""What prose may reach: each query class declares the attributes and methods prose may use.

The prose sandbox (``reportgen/render/sandbox.py``) is an allow-list: besides plain values
(text, numbers, dates and containers of them) prose can touch only instances of the classes
registered here, and of those only the names each declares. A declared attribute or method
must give a plain value or another registered object, never a path, a DataFrame or a module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=type)

#: Registered class -> names prose may read or call on its instances (exact type, no subclasses).
PROSE_ATTRS: dict[type, frozenset[str]] = {}


def allow_prose(cls: type, names: Iterable[str]) -> None:
    """Let prose use ``names`` on instances of ``cls`` (a class defined elsewhere)."""
    names = frozenset(names)
    private = sorted(n for n in names if n.startswith("_") and n != "__call__")
    if private:
        raise ValueError(f"{cls.__name__}: private names cannot be offered to prose: {private}")
    PROSE_ATTRS[cls] = PROSE_ATTRS.get(cls, frozenset()) | names


def prose_api(*names: str, exclude: Iterable[str] = ()) -> Callable[[T], T]:
    """Class decorator: prose may use ``names`` (a dataclass also offers its fields).

    ``exclude`` names dataclass fields prose must not see.
    """

    def register(cls: T) -> T:
        fields = (
            {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
        )
        allow_prose(cls, (fields - set(exclude)) | set(names))
        return cls

    return register


def prose_names(obj: object) -> frozenset[str] | None:
    """The names prose may use on ``obj``, or None when its class is not registered."""
    return PROSE_ATTRS.get(type(obj))
