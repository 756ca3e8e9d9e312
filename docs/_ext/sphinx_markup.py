"""A griffe extension for the API reference: reads the reST markup of the docstrings.

The docstrings are written for ``help()`` and for Sphinx-minded readers: roles such as
``:class:`~gws_async.GwsClient``` and ``::`` before an indented example. mkdocstrings
renders Markdown, so before rendering this extension rewrites

* a role into a link to the object when it names one of this package (an "optional"
  autorefs link: an object the site does not show becomes plain code, not an error), and
  into plain code otherwise (``aiohttp.ClientSession``, ``json.loads``);
* a paragraph ending in ``::`` and the indented block after it into a paragraph ending in
  ``:`` and a fenced Python block;
* ``#:`` comments above an attribute (Sphinx's attribute documentation) into that
  attribute's docstring, when it has none.

Loaded from ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``);
it changes only what the site shows, never the package.
"""

from __future__ import annotations

import functools
import re
import textwrap
from typing import Any

import griffe

PACKAGE = "gws_async"
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|exc|mod|obj|const):`(~?)([^`]+)`")


class SphinxMarkup(griffe.Extension):
    """Rewrites reST roles and ``::`` literal blocks into Markdown, once a package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != PACKAGE:
            return
        seen: set[int] = set()
        for obj in _walk(pkg):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is None and obj.is_attribute:
                comment = _attribute_comment(obj)
                if comment:
                    obj.docstring = griffe.Docstring(comment, lineno=obj.lineno, parent=obj)
            if obj.docstring is None:
                continue
            text = _literal_blocks(obj.docstring.value)
            obj.docstring.value = _ROLE.sub(functools.partial(_role, obj), text)


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue  # documented where it is defined
        yield from _walk(member)  # type: ignore[arg-type]


def _attribute_comment(obj: griffe.Object) -> str:
    """The ``#:`` lines right above an attribute's assignment, without the ``#:``."""
    if obj.lineno is None:
        return ""
    try:
        lines = obj.module.lines
    except (AttributeError, OSError, ValueError):
        return ""
    found: list[str] = []
    index = obj.lineno - 2  # the line above, 0-based
    while 0 <= index < len(lines) and lines[index].strip().startswith("#:"):
        found.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return "\n".join(found)


def _role(obj: griffe.Object, match: re.Match[str]) -> str:
    short, name = match.group(1) == "~", match.group(2).strip()
    name = name.removesuffix("()")
    title = name.rsplit(".", 1)[-1] if short else name
    target = _resolve(obj, name)
    if target is None or not target.startswith(PACKAGE + "."):
        return f"`{title}`"
    return f'<autoref identifier="{target}" optional><code>{title}</code></autoref>'


def _resolve(obj: griffe.Object, name: str) -> str | None:
    if name.startswith(PACKAGE + ".") or name == PACKAGE:
        return name
    head, _, rest = name.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            found = scope.resolve(head)
        except (griffe.NameResolutionError, LookupError):
            scope = scope.parent
            continue
        return f"{found}.{rest}" if rest else found
    return None


def _literal_blocks(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.rstrip()
        if not stripped.endswith("::") or stripped.endswith(":::"):
            out.append(line)
            i += 1
            continue
        indent = len(line) - len(line.lstrip())
        # The block: blank lines, then lines indented deeper than the "::" line.
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        k = j
        while k < len(lines) and (
            not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent
        ):
            k += 1
        while k > j and not lines[k - 1].strip():
            k -= 1
        if k == j:  # no indented block follows: leave the line alone
            out.append(line)
            i += 1
            continue
        lead = stripped[:-2].rstrip()
        if lead.strip():
            out.append(lead + ":")
            out.append("")
        pad = " " * indent
        code = textwrap.dedent("\n".join(lines[j:k]))
        out.append(pad + "```python")
        out.extend(pad + code_line if code_line else "" for code_line in code.splitlines())
        out.append(pad + "```")
        i = k
    return "\n".join(out)
