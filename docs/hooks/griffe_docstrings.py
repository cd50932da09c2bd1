"""Griffe extension of the docs build: docstrings written for Sphinx and doctest read well on the site.

Loaded by mkdocstrings (``mkdocs.yml``, ``handlers.python.options.extensions``); the docstrings themselves
stay as they are (``help()``, doctest and Sphinx-style roles are what a Python user reads in a terminal).

* Sphinx roles (``:func:`x```, ``:class:`~a.b.C```, ``:meth:``, ``:attr:``, ``:mod:``, ``:data:``,
  ``:exc:``, ``:obj:``) become code spans; ``~`` keeps the last component, as Sphinx shows it. Markdown
  has no roles: before this they were printed raw (23 on the ``theory.rhm`` page alone).
* A ``>>>`` example outside an ``Examples`` section (a module docstring's, a paragraph's) is fenced as a
  ``pycon`` block; markdown read its ``>>>`` as three levels of quotes and ran the lines into one.
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")
_EXAMPLES = {"examples", "example"}


def _role(m):
    text = m.group(2).strip()
    if "<" in text and text.endswith(">"):  # :func:`title <target>`
        text = text[:text.index("<")].strip()
    if m.group(1):
        text = text.rsplit(".", 1)[-1]
    return f"`{text}`"


def _fence_doctests(text):
    lines = text.split("\n")
    out, section, i = [], None, 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped and nxt and set(nxt) == {"-"} and len(nxt) >= 3:  # a numpydoc section header
            section = stripped.lower()
        if not in_fence and stripped.startswith(">>>") and section not in _EXAMPLES:
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():  # the example runs to the next blank line
                block.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            out += [indent + "```pycon", *[indent + b for b in block], indent + "```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def rewrite(text):
    """The docstring as the site shows it (roles as code, bare doctests fenced)."""
    return _fence_doctests(_ROLE.sub(_role, text))


class SphinxDoctestMarkdown(griffe.Extension):
    """Rewrite every docstring once it is loaded (see the module docstring)."""

    def on_instance(self, *, obj, **kwargs):
        doc = getattr(obj, "docstring", None)
        if doc is not None and doc.value:
            doc.value = rewrite(doc.value)
