"""Filters for bot handlers: predicates on events, composed with ``&``, ``|`` and ``~``.

::

    from gws_async.bot import F, Filter, interaction_state, media

    F.action == "ItemAdded"                          # an attribute compared to a value
    F.interaction.state.in_({"Invited", "Accepted"})
    F.interaction.user_data["Subject"].contains("urgent")
    F.is_item_added                                  # an attribute's truth value
    media("chat") & ~interaction_state("Revoked")    # ready-made helpers
    Filter(lambda e: len(e.devices) > 1)             # any predicate

Put comparisons in parentheses when combining them: ``&`` binds tighter than ``==``, so
write ``(F.action == "ItemAdded") & (F.media == "chat")``.

A missing attribute or key, or a value of the wrong type for the comparison, makes the
filter false instead of raising, so one filter can serve event types that do not all
carry the field. ``~`` negates the result, so ``~(F.action == "ItemAdded")`` is true for
an event without ``action``.

Filters are synchronous: they run in the dispatch loop, before a handler is started.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Generic, TypeVar

from ..events import (
    CallStateChangeMessage,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
)

__all__ = [
    "F",
    "Filter",
    "MagicFilter",
    "action",
    "call_state",
    "interaction_state",
    "media",
    "workbin",
]

T_contra = TypeVar("T_contra", contravariant=True)

# What "the field is not there" looks like: an absent attribute or key, or a comparison
# between unrelated types (None > 3).
_ABSENT = (AttributeError, LookupError, TypeError)
_MISSING: Any = object()


class Filter(Generic[T_contra]):
    """A predicate on events that composes with ``&`` (and), ``|`` (or) and ``~`` (not).

    ``Filter(lambda e: ...)`` wraps any function; a missing attribute, a missing key or a
    ``TypeError`` inside it counts as false. A plain function can also be combined with a
    filter: ``F.media == "chat" & is_vip``.
    """

    __slots__ = ("_label", "_predicate")

    def __init__(self, predicate: Callable[[T_contra], object], label: str | None = None) -> None:
        if not callable(predicate):
            raise TypeError(f"a filter needs a callable, got {type(predicate).__name__}")
        self._predicate = predicate
        self._label = label if label is not None else _name_of(predicate)

    def __call__(self, event: T_contra) -> bool:
        try:
            return bool(self._predicate(event))
        except _ABSENT:
            return False

    def __and__(self, other: Callable[[T_contra], object]) -> Filter[T_contra]:
        right = _as_filter(other)
        return Filter(lambda e: self(e) and right(e), f"({self!r} & {right!r})")

    def __rand__(self, other: Callable[[T_contra], object]) -> Filter[T_contra]:
        return _as_filter(other) & self

    def __or__(self, other: Callable[[T_contra], object]) -> Filter[T_contra]:
        right = _as_filter(other)
        return Filter(lambda e: self(e) or right(e), f"({self!r} | {right!r})")

    def __ror__(self, other: Callable[[T_contra], object]) -> Filter[T_contra]:
        return _as_filter(other) | self

    def __invert__(self) -> Filter[T_contra]:
        return Filter(lambda e: not self(e), f"~{self!r}")

    def __bool__(self) -> bool:
        # `F.a == 1 and F.b == 2` would silently keep only the second filter.
        raise TypeError("a filter has no truth value: combine filters with &, | and ~")

    def __repr__(self) -> str:
        return self._label


class MagicFilter(Filter[Any]):
    """``F``: a path of attributes and keys from the event, turned into a filter by a
    comparison (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``) or a method (:meth:`in_`,
    :meth:`contains`, :meth:`startswith`, :meth:`is_`, :meth:`is_not`). Used as it is,
    the path filters on the truth value of what it reaches: ``F.is_item_added``.
    """

    __slots__ = ("_steps",)

    def __init__(self, steps: tuple[tuple[bool, Any], ...] = ()) -> None:
        # Each step is (True, attribute name) or (False, key).
        self._steps = steps
        label = "F" + "".join(f".{key}" if attr else f"[{key!r}]" for attr, key in steps)
        super().__init__(self._truthy, label)

    def __getattr__(self, name: str) -> MagicFilter:
        if name.startswith("_"):  # keep copy, pickle and dunder look-ups honest
            raise AttributeError(name)
        return MagicFilter((*self._steps, (True, name)))

    def __getitem__(self, key: Any) -> MagicFilter:
        return MagicFilter((*self._steps, (False, key)))

    def _truthy(self, event: Any) -> bool:
        value = self._resolve(event)
        return value is not _MISSING and bool(value)

    def _resolve(self, event: Any) -> Any:
        value = event
        for attr, key in self._steps:
            try:
                value = getattr(value, key) if attr else value[key]
            except _ABSENT:
                return _MISSING
        return value

    def _test(self, text: str, test: Callable[[Any], object]) -> Filter[Any]:
        def predicate(event: Any) -> bool:
            value = self._resolve(event)
            return value is not _MISSING and bool(test(value))

        return Filter(predicate, f"{self._label} {text}")

    def __eq__(self, other: object) -> Filter[Any]:  # type: ignore[override]
        return self._test(f"== {other!r}", lambda v: v == other)

    def __ne__(self, other: object) -> Filter[Any]:  # type: ignore[override]
        return self._test(f"!= {other!r}", lambda v: v != other)

    def __lt__(self, other: Any) -> Filter[Any]:
        return self._test(f"< {other!r}", lambda v: v < other)

    def __le__(self, other: Any) -> Filter[Any]:
        return self._test(f"<= {other!r}", lambda v: v <= other)

    def __gt__(self, other: Any) -> Filter[Any]:
        return self._test(f"> {other!r}", lambda v: v > other)

    def __ge__(self, other: Any) -> Filter[Any]:
        return self._test(f">= {other!r}", lambda v: v >= other)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values: Collection[Any]) -> Filter[Any]:
        """The value is one of ``values`` (``F.id.in_({"a", "b"})``)."""
        return self._test(f"in {values!r}", lambda v: v in values)

    def contains(self, item: Any) -> Filter[Any]:
        """``item`` is in the value (a substring, a list element, a mapping key)."""
        return self._test(f"contains {item!r}", lambda v: item in v)

    def startswith(self, prefix: str) -> Filter[Any]:
        """The value is a string that starts with ``prefix``."""
        return self._test(
            f"startswith {prefix!r}", lambda v: isinstance(v, str) and v.startswith(prefix)
        )

    def is_(self, value: Any) -> Filter[Any]:
        """The value is ``value`` (identity, e.g. ``F.reference_id.is_(None)``)."""
        return self._test(f"is {value!r}", lambda v: v is value)

    def is_not(self, value: Any) -> Filter[Any]:
        """The value is not ``value`` (an absent attribute still makes this false)."""
        return self._test(f"is not {value!r}", lambda v: v is not value)


F = MagicFilter()
"""The root of attribute filters: ``F.action == "ItemAdded"``."""


def action(*names: str) -> Filter[Any]:
    """A workbin event whose ``action`` is one of ``names`` (``ItemAdded``, ``ItemRemoved``)."""
    wanted = frozenset(names)
    return Filter(lambda e: e.action in wanted, f"action{names!r}")


def media(*names: str) -> Filter[Any]:
    """An event about an interaction of one of these media (``chat``, ``email``,
    ``workitem``, ``voice``...), as the event's :attr:`~gws_async.events.GwsEvent.media`
    gives it: workbin, interaction and workitem events, and calls (``voice``)."""
    wanted = frozenset(names)
    return Filter(lambda e: e.media in wanted, f"media{names!r}")


def workbin(*ids: str) -> Filter[Any]:
    """A workbin event (item added or removed, subscription change) about one of these
    workbins, by id (``WorkbinType.workbin_id``, from ``gws.workbins.list()``)."""
    wanted = frozenset(ids)
    return Filter(
        lambda e: (
            isinstance(e, (WorkbinStateChangeMessage, WorkbinSubscriptionStateChangeMessage))
            and e.id in wanted
        ),
        f"workbin{ids!r}",
    )


def interaction_state(*states: str) -> Filter[Any]:
    """An event whose interaction is in one of these states (``Invited``, ``Accepted``...),
    as the event's :attr:`~gws_async.events.GwsEvent.interaction_state` gives it:
    ``state`` of an interaction event, ``interaction.state`` of a workbin event,
    ``workitem.state`` of a workitem event. Calls have :func:`call_state`."""
    wanted = frozenset(states)
    return Filter(lambda e: e.interaction_state in wanted, f"interaction_state{states!r}")


def call_state(*states: str) -> Filter[Any]:
    """A call event whose call is in one of these states (``Ringing``, ``Established``,
    ``Held``, ``Released``...)."""
    wanted = frozenset(states)
    return Filter(
        lambda e: (
            isinstance(e, CallStateChangeMessage) and e.call is not None and e.call.state in wanted
        ),
        f"call_state{states!r}",
    )


def _as_filter(value: Callable[[T_contra], object]) -> Filter[T_contra]:
    return value if isinstance(value, Filter) else Filter(value)


def _name_of(predicate: Callable[..., object]) -> str:
    name = getattr(predicate, "__qualname__", None) or type(predicate).__name__
    return f"Filter({name})"
