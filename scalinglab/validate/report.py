"""A report folder: ``report.md`` with tables and figures, and ``headline.json``."""

from __future__ import annotations

import json
from pathlib import Path

from scalinglab.validate.storage import environment_info, jsonable

__all__ = ["Report", "md_table"]


def md_table(header, rows, floatfmt="{:.4g}"):
    """A Markdown table (floats formatted with ``floatfmt``)."""
    def fmt(v):
        return floatfmt.format(v) if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


class Report:
    """Collects Markdown, tables, figures and headline numbers, then writes them.

    Parameters
    ----------
    folder : path
        Output folder; figures go to ``folder/figures``.
    title : str
        Title of ``report.md``.
    """

    def __init__(self, folder, title="scalinglab report"):
        self.folder = Path(folder)
        self.figdir = self.folder / "figures"
        self.figdir.mkdir(parents=True, exist_ok=True)
        self.title = title
        self._md = []
        self.headline = {}
        self.figures = []

    def section(self, title):
        self._md.append(f"\n## {title}\n")

    def text(self, md):
        self._md.append(md.rstrip() + "\n")

    def table(self, header, rows, floatfmt="{:.4g}"):
        self._md.append(md_table(header, rows, floatfmt))

    def figure(self, fig, name, caption=""):
        """Save a matplotlib figure as ``figures/NAME.png`` and link it."""
        from scalinglab.validate.plots import save_figure

        path = save_figure(fig, self.figdir / f"{name}.png")
        self.figures.append(str(path))
        self._md.append(f"![{caption or name}](figures/{name}.png)\n\n*{caption}*\n")
        return path

    def add_headline(self, section, values):
        self.headline.setdefault(section, {}).update(jsonable(values))

    def write(self):
        md = f"# {self.title}\n" + "\n".join(self._md)
        (self.folder / "report.md").write_text(md)
        out = {"headline": self.headline, "figures": self.figures, "environment": environment_info()}
        (self.folder / "headline.json").write_text(json.dumps(out, indent=2))
        return self.folder / "report.md"
