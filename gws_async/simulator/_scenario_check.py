"""The schema checks of scenario files, and where in the file each key sits.

``tomllib`` gives plain dicts without positions, so :class:`Schema` scans the text once
for the line of every table header and key (``[[agents]]`` number n, ``password`` in it)
and names that line beside the key path in every :class:`ScenarioError`. The scan is
best effort (a key inside an inline table takes the line of the table); no message ever
shows a value, so a password cannot leak through one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, NoReturn

__all__ = ["KeyPath", "ScenarioError", "Schema"]

_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


class ScenarioError(ValueError):
    """A scenario file that cannot be used: ``source`` (the file), ``line`` (1-based, when
    known) and ``key`` (the key path, e.g. ``traffic.sales.chats_per_minute``) say where,
    the message what. It never contains a value from the file."""

    def __init__(
        self, problem: str, source: str, *, line: int | None = None, key: str | None = None
    ) -> None:
        where = source if line is None else f"{source} line {line}"
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")
        self.source = source
        self.line = line
        self.key = key
        self.problem = problem


class KeyPath(tuple[str | int, ...]):
    """Where a value sits: ``KeyPath("agents") / 0 / "password"`` is ``agents[0].password``."""

    __slots__ = ()

    def __new__(cls, *parts: str | int) -> KeyPath:
        return super().__new__(cls, parts)

    def __truediv__(self, part: str | int) -> KeyPath:
        return KeyPath(*self, part)

    def __str__(self) -> str:
        text = ""
        for part in self:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
                text += f".{name}" if text else name
        return text


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _split_key(text: str) -> list[str]:
    """The parts of a dotted TOML key, quotes removed (``a."b.c"`` -> ``a``, ``b.c``)."""
    parts: list[str] = []
    current = ""
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _key_of(line: str) -> str | None:
    """The key of a ``key = value`` line (``None`` when the line is not one)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "=":
            return line[:index].strip() or None
        elif char in "[{#":
            return None
    return None


class _Index:
    """The line of every header and key, and the key path of every line."""

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.paths: dict[int, KeyPath] = {}
        self._counts: dict[KeyPath, int] = {}
        section = KeyPath()
        closing = ""  # the quotes that end a multi-line string being skipped
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if closing:
                closing = "" if closing in line else closing
                continue
            if line.startswith("["):
                section = self._header(line, number, section)
                continue
            key = _key_of(line)
            if key is None:
                continue
            path = KeyPath(*section, *_split_key(key))
            self._mark(path, number)
            value = line.split("=", 1)[1].strip()
            for quotes in ('"""', "'''"):
                if value.startswith(quotes) and value.count(quotes) == 1:
                    closing = quotes

    def _mark(self, path: KeyPath, number: int) -> None:
        self.lines.setdefault(path, number)
        self.paths.setdefault(number, path)

    def _header(self, line: str, number: int, section: KeyPath) -> KeyPath:
        array = line.startswith("[[")
        end = line.find("]]" if array else "]")
        if end < 0:
            return section
        names = _split_key(line[2 if array else 1 : end])
        path = self._resolve(names[:-1] if array else names)
        if array:
            path = path / names[-1]
            index = self._counts.get(path, 0)
            self._counts[path] = index + 1
            self.lines.setdefault(path, number)
            path = path / index
        self._mark(path, number)
        return path

    def _resolve(self, names: Iterable[str]) -> KeyPath:
        # A name that is an array of tables means its latest element.
        path = KeyPath()
        for name in names:
            path = path / name
            if path in self._counts:
                path = path / (self._counts[path] - 1)
        return path


class Schema:
    """Type and key checks that fail with a :class:`ScenarioError` naming line and key."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self._text = text
        self._index: _Index | None = None

    @property
    def index(self) -> _Index:
        """The positions, scanned on the first error."""
        if self._index is None:
            self._index = _Index(self._text)
        return self._index

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, else of the nearest enclosing key or table."""
        for end in range(len(path), 0, -1):
            line = self.index.lines.get(KeyPath(*path[:end]))
            if line is not None:
                return line
        return None

    def line_of(self, path: KeyPath) -> str:
        """`` (first on line N)``, or nothing when the line is not known."""
        line = self.line(path)
        return f" (first on line {line})" if line is not None else ""

    def fail(self, path: KeyPath, problem: str) -> NoReturn:
        """Raise the :class:`ScenarioError` of ``path``."""
        raise ScenarioError(problem, self.source, line=self.line(path), key=str(path) or None)

    def syntax_error(self, message: str) -> ScenarioError:
        """The error for a ``TOMLDecodeError`` message (its text names no value)."""
        found = _POSITION.search(message)
        line = int(found.group(1)) if found and found.group(1) else None
        problem = _POSITION.sub("", message).strip() or "not TOML"
        path = self.index.paths.get(line) if line is not None else None
        key = str(path) if path else None
        return ScenarioError(f"{problem} (not TOML)", self.source, line=line, key=key)

    # -- checks -----------------------------------------------------------------------

    def keys(
        self,
        table: dict[str, Any],
        path: KeyPath,
        *,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> None:
        """Fail on the first key of ``table`` not ``allowed``, then on a missing one."""
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(path / key, f"unknown key{hint}; expected one of {', '.join(allowed)}")
        for key in required:
            if key not in table:
                self.fail(path / key, "missing")

    def table(self, value: Any, path: KeyPath) -> dict[str, Any]:
        """``value`` if it is a table."""
        if not isinstance(value, dict):
            self.fail(path, f"expected a table, got {_type_name(value)}")
        return value

    def tables(
        self, parent: dict[str, Any], path: KeyPath, *, required: bool = False
    ) -> list[dict[str, Any]]:
        """The array of tables at ``path`` in ``parent`` (empty when absent and optional)."""
        key = str(path[-1])
        if key not in parent:
            if required:
                self.fail(path, f"missing: give [[{key}]] tables")
            return []
        value = parent[key]
        if not isinstance(value, list):
            self.fail(path, f"expected [[{key}]] tables, got {_type_name(value)}")
        for index, item in enumerate(value):
            self.table(item, path / index)
        return value

    def _get(self, table: dict[str, Any], key: str, path: KeyPath, *kinds: type) -> Any:
        value = table[key]
        if isinstance(value, bool) and bool not in kinds:
            value = None  # a bool is an int to Python, not to TOML
        if not isinstance(value, kinds):
            wanted = {str: "a string", int: "an integer", float: "a number"}[kinds[-1]]
            self.fail(path / key, f"expected {wanted}, got {_type_name(table[key])}")
        return value

    def string(self, table: dict[str, Any], key: str, path: KeyPath) -> str:
        """``table[key]``, a string."""
        value: str = self._get(table, key, path, str)
        return value

    def integer(self, table: dict[str, Any], key: str, path: KeyPath) -> int:
        """``table[key]``, an integer."""
        value: int = self._get(table, key, path, int)
        return value

    def number(self, table: dict[str, Any], key: str, path: KeyPath) -> float:
        """``table[key]``, an integer or a float."""
        return float(self._get(table, key, path, int, float))

    def strings(self, table: dict[str, Any], key: str, path: KeyPath) -> list[str]:
        """``table[key]``, a list of strings."""
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            got = _type_name(value) if not isinstance(value, list) else "other values"
            self.fail(path / key, f"expected a list of strings, got {got}")
        return [str(v) for v in value]
