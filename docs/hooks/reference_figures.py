"""MkDocs hook: the reproduced figures of ``results/reference/*/figures`` without copies.

The result pages link the committed figures by their path in the repository
(``../../results/reference/NAME/figures/x.png`` from ``docs/results/``), so the
links also work when the markdown is read on a code host. The documentation
build cannot see outside ``docs/``: this hook adds every PNG under
``results/reference/*/figures/`` and ``results/reference/gpu/*/figures/`` to the build at the same path, ``results/reference/NAME/figures/x.png`` (a site
path beside the result pages), and rewrites each such link to it. A link to a figure that does not
exist is left alone, so ``mkdocs build --strict`` fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

_LINK = re.compile(r"(\]\()([^)\s]+\.png)(\))")


def _repo(config) -> Path:
    return Path(config["docs_dir"]).resolve().parent


def on_files(files, config):
    repo = _repo(config)
    for png in sorted((repo / "results" / "reference").glob("**/figures/*.png")):  # NAME/ and gpu/NAME/
        rel = png.relative_to(repo).as_posix()                         # results/reference/[gpu/]NAME/figures/x.png
        files.append(File(rel, src_dir=str(repo), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


def on_page_markdown(markdown, page, config, files):
    repo = _repo(config)
    page_dir = posixpath.dirname("docs/" + page.file.src_uri)         # the page's folder in the repository

    def fix(m):
        target = posixpath.normpath(posixpath.join(page_dir, m.group(2)))
        if not target.startswith("results/reference/") or not (repo / target).is_file():
            return m.group(0)
        return m.group(1) + posixpath.relpath(target, posixpath.dirname(page.file.src_uri) or ".") + m.group(3)

    return _LINK.sub(fix, markdown)
