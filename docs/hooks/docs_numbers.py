"""MkDocs hook and checker: every number on a results page comes from a stored summary.

A number quoted on a ``docs/results/*.md`` page is followed by an HTML comment
(invisible on the site and on a code host) that names where it comes from::

    h = 64 lies 0.064 [0.055, 0.071]<!--= @gpu/rhm-width:bias/{alpha=1,a=64,b=1024}/diff, ~ci -->

* ``<!--= EXPR -->`` checks the printed numbers just before it against
  ``EXPR``. ``EXPR`` is arithmetic (``+ - * /``, ``abs``, ``min``, ``max``,
  ``round``, lists ``[a, b]``, commas making a list) over references:

  - ``@FOLDER:PATH``: the value at ``PATH`` in
    ``results/reference/FOLDER/summary.json`` (``FOLDER`` may be ``gpu/NAME``;
    a ``FOLDER`` ending in ``.json`` names a stored file itself, e.g.
    ``gpu/bench/bench_rhm_train.json``);
  - ``~PATH``: relative to the last context set by ``<!--@ FOLDER:PATH -->``
    on the page (``~`` alone is the context itself).

  ``PATH`` is ``/``-separated: a dict key (``"quoted"`` when it holds spaces
  or slashes), a list index, or a filter ``{k=v,k2=v2}`` picking the one list
  element whose fields equal those values (numbers compared as numbers);
  adjacent filters combine (``~{width=64}`` after a context ``table/{alpha=1}``).
* The printed numbers are the run of numbers, brackets, commas, dashes, slashes and
  per-cent signs just before the comment (``0.282 [0.275, 0.289]`` is three
  numbers; ``0.23–0.74`` two; ``0.17/0.20`` two; ``23 %`` one; ``0.62x`` one; ``1.55·10³`` one,
  1550 to three digits). A table cell stored as text (``"0.903"``) counts as its number. ``EXPR`` flattened must give as
  many values (the last ones of the run are compared when the run holds
  more); each must agree with its printed value to the printed decimals
  (half a unit of the last printed digit).
* ``<!--lit SOURCE -->`` marks the run before it as quoted from a paper or a
  spec (not checked, but the source is named).
* ``<!--? CLAIM -->`` states in numbers what the words before it say
  (``<!--? @x:ci/0 <= @x:eps <= @x:ci/1 -->`` after "inside its interval"):
  comparisons (``< <= > >=``, chained), ``and``, ``or``, ``not`` over the same
  references; a claim that no longer holds fails, so redrawn summaries cannot
  leave a page saying what its numbers no longer support.

:func:`check_page` returns the problems of a page: a mismatch, an unknown
path, and (``strict=True``) any number with two or more decimals, or a
percentage, or a factor ``N.Nx``, that carries no annotation. The hook runs it
(mismatches only) on every results page during ``mkdocs build``, so the strict
build fails on a wrong number; ``tests/test_docs_numbers.py`` runs it strictly.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import operator
import re
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.scalinglab.docs_numbers")

_ANN = re.compile(r"<!--([=@?]|lit\b)(.*?)-->", re.S)
_NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:[eE][−+-]?\d+|·10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?")
_RUN_CHARS = set("0123456789.,[]–−-+ %×x…/\u202f\u00a0eE·⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_BARE = re.compile(r"(?<![\w.−-])[−-]?\d+\.\d{2,}(?![\w.])"              # 0.485, −0.002
                   r"|(?<![\w.])(?!95\s?%)\d+(?:\.\d+)?\s?%"          # 23 % (95 %: the confidence level)
                   r"|(?<![\w.])\d+\.\d+\s?[x×](?!\w)")               # 1.5x


class _Missing(LookupError):
    pass


def _repo(start: Path) -> Path:
    for p in [start, *start.parents]:
        if (p / "results" / "reference").is_dir():
            return p
    raise FileNotFoundError(f"no results/reference above {start}")


@lru_cache(maxsize=None)
def _summary(repo: str, folder: str):
    path = Path(repo) / "results" / "reference" / folder
    if not folder.endswith(".json"):  # a folder's summary, or a named stored JSON file (gpu/bench/NAME.json)
        path = path / "summary.json"
    if not path.is_file():
        raise _Missing(f"no summary {path.relative_to(repo)}")
    return json.loads(path.read_text())


def _split_path(path: str):
    segs, i, cur = [], 0, ""
    while i < len(path):
        ch = path[i]
        if ch == '"':
            j = path.index('"', i + 1)
            cur += path[i + 1:j]
            i = j + 1
        elif ch == "{":
            j = path.index("}", i)
            cur += path[i:j + 1]
            i = j + 1
        elif ch == "/":
            segs.append(cur)
            cur = ""
            i += 1
        else:
            cur += ch
            i += 1
    if cur or path.endswith("/"):
        segs.append(cur)
    out = []
    for s in segs:  # adjacent filters (a context's and the reference's) pick together: {alpha=1}/{width=64}
        if s.startswith("{") and out and out[-1].startswith("{") and out[-1].endswith("}"):
            out[-1] = out[-1][:-1] + "," + s[1:]
        elif s != "":
            out.append(s)
    return out


def _same(a, b: str):
    if isinstance(a, bool):
        return str(a).lower() == b.lower()
    if isinstance(a, (int, float)):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
        except ValueError:
            return False
    if isinstance(a, list):
        return str(a) == b or ",".join(map(str, a)) == b
    return str(a) == b


def resolve(repo, folder, path):
    """The value at ``path`` (``/``-separated, see the module docstring) in ``FOLDER/summary.json``."""
    node = _summary(str(repo), folder)
    for seg in _split_path(path):
        if seg.startswith("{") and seg.endswith("}"):
            conds = [c.split("=", 1) for c in seg[1:-1].split(",") if c.strip()]
            if not isinstance(node, list):
                raise _Missing(f"filter {seg} applied to a {type(node).__name__} in {folder}")
            hits = [el for el in node if isinstance(el, dict)
                    and all(k.strip() in el and _same(el[k.strip()], v.strip()) for k, v in conds)]
            if len(hits) != 1:
                raise _Missing(f"filter {seg} matches {len(hits)} elements in {folder}:{path}")
            node = hits[0]
        elif isinstance(node, list):
            try:
                node = node[int(seg)]
            except (ValueError, IndexError):
                raise _Missing(f"no index {seg!r} in {folder}:{path}") from None
        elif isinstance(node, dict):
            if seg not in node:
                raise _Missing(f"no key {seg!r} in {folder}:{path}")
            node = node[seg]
        else:
            raise _Missing(f"{folder}:{path}: cannot descend into {node!r} at {seg!r}")
    return node


_REF = re.compile(r'(@[\w./+-]+:|~)((?:"[^"]*"|\{[^}]*\}|[^\s,+*()\[\]])*)')
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {"abs": abs, "min": min, "max": max, "round": round}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def _eval(node, env):
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _eval(node.left, env), _eval(node.right, env)
        if isinstance(a, list) or isinstance(b, list):
            a = a if isinstance(a, list) else [a] * len(b)
            b = b if isinstance(b, list) else [b] * len(a)
            return [_OPS[type(node.op)](x, y) for x, y in zip(a, b)]
        return _OPS[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        v = _eval(node.operand, env)
        return [_OPS[type(node.op)](x) for x in v] if isinstance(v, list) else _OPS[type(node.op)](v)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, env) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        args = [_eval(a, env) for a in node.args]
        return _FUNCS[node.func.id](*args)
    if isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):  # claims: a < b <= c
        vals = [_eval(node.left, env)] + [_eval(c, env) for c in node.comparators]
        if any(isinstance(v, (list, str)) or v is None for v in vals):
            raise ValueError("a claim compares single numbers")
        return all(_CMP[type(op)](a, b) for op, a, b in zip(node.ops, vals, vals[1:]))
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, env) for v in node.values]
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _eval(node.operand, env)
    raise ValueError(f"unsupported expression element {ast.dump(node)[:60]}")


def _numeric(v):
    """A table cell stored as text ("0.903") as its number, so that it takes part in arithmetic."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    if isinstance(v, list):
        return [_numeric(x) for x in v]
    return v


def evaluate(expr, repo, context=None, raw=False):
    """Values (a flat list of floats) of an annotation expression (``raw``: its value as computed, e.g. the truth
    of a claim)."""
    env = {}

    def sub(m):
        head, path = m.group(1), m.group(2)
        if head == "~":
            if context is None:
                raise _Missing("a ~ reference with no <!--@ FOLDER:PATH --> context before it")
            folder, base = context
            full = "/".join(p for p in (base, path.lstrip("/")) if p)
        else:
            folder, full = head[1:-1], path
        name = f"_r{len(env)}"
        env[name] = _numeric(resolve(repo, folder, full))
        return name

    code = _REF.sub(sub, " ".join(expr.split("\n")).strip())  # an expression may span lines
    tree = ast.parse(code, mode="eval")
    val = _eval(tree, env)
    if raw:
        return val
    out = []

    def flat(v):
        if isinstance(v, (list, tuple)):
            for x in v:
                flat(x)
        elif v is None:
            out.append(float("nan"))
        elif isinstance(v, str):
            try:  # a table cell stored as text ("0.903")
                out.append(float(v))
            except ValueError:
                raise ValueError(f"not a number: {v!r}") from None
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"not a number: {v!r}")
        else:
            out.append(float(v))
    flat(val)
    return out


def _printed_run(text, end):
    """The run of number-like characters ending at ``end`` (before an annotation): its numbers as
    ``(value, decimals, is_percent)``."""
    i = end
    while i > 0 and text[i - 1] in _RUN_CHARS:
        i -= 1
    run = text[i:end]
    nums = []
    for m in _NUMBER.finditer(run):
        s = m.group(0).replace("−", "-")
        s, _, power = s.partition("·10")  # 1.55·10³: three significant digits of 1550
        dec = len(s.split(".")[1].split("e")[0].split("E")[0]) if "." in s else 0
        val = float(s)
        if power:
            power = int(power.translate(_SUPERSCRIPT))
            val, dec = val * 10.0**power, dec - power
        nums.append((val, dec, run[m.end():].lstrip().startswith("%")))
    return nums, i


def _masked(text):
    """``text`` with code, link targets and annotations blanked (same length), for the bare-number scan."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    for rx in (_FENCE, _CODE, _LINK_TARGET, _ANN):
        text = rx.sub(blank, text)
    return text


def check_page(text, repo, strict=True):
    """Problems of one page: ``[(line, message)]`` (empty when every number checks out)."""
    repo = Path(repo)
    problems = []
    covered = []  # (start, end) spans of annotated runs
    context = None
    code_spans = [m.span() for m in _FENCE.finditer(text)]

    def line_of(pos):
        return text.count("\n", 0, pos) + 1

    for m in _ANN.finditer(text):
        if any(a <= m.start() < b for a, b in code_spans):
            continue
        kind, body = m.group(1), m.group(2).strip()
        if kind == "@":
            folder, _, base = body.partition(":")
            context = (folder.strip(), base.strip())
            try:
                _summary(str(repo), context[0])
            except _Missing as exc:
                problems.append((line_of(m.start()), str(exc)))
            continue
        if kind == "?":  # a claim in words ("inside its interval", "above the range") that must still hold
            try:
                ok = evaluate(body, repo, context, raw=True)
            except (_Missing, ValueError, SyntaxError, ZeroDivisionError, TypeError) as exc:
                problems.append((line_of(m.start()), f"<!--? {body} -->: {exc}"))
                continue
            if ok is not True:
                problems.append((line_of(m.start()), f"the claim <!--? {body} --> no longer holds: change the text"))
            continue
        nums, start = _printed_run(text, m.start())
        covered.append((start, m.start()))
        if kind == "lit":
            if not body:
                problems.append((line_of(m.start()), "<!--lit--> needs its source"))
            continue
        if not nums:
            problems.append((line_of(m.start()), f"annotation <!--={body}--> follows no number"))
            continue
        try:
            want = evaluate(body, repo, context)
        except (_Missing, ValueError, SyntaxError, ZeroDivisionError, TypeError) as exc:
            problems.append((line_of(m.start()), f"<!--= {body} -->: {exc}"))
            continue
        if len(nums) < len(want):
            problems.append((line_of(m.start()), f"printed {[n[0] for n in nums]} but <!--= {body} --> gives "
                                                 f"{len(want)} values {want}"))
            continue
        for (got, dec, _), w in zip(nums[len(nums) - len(want):], want):
            tol = 0.5 * 10.0**-dec * (1 + 1e-9) + 1e-12
            if not (math.isfinite(w) and abs(got - w) <= tol):
                problems.append((line_of(m.start()), f"printed {got:.{max(dec, 0)}f} but the summary gives {w!r} "
                                                     f"(<!--= {body} -->)"))
    if strict:
        masked = _masked(text)
        for m in _BARE.finditer(masked):
            if not any(a <= m.start() and m.end() <= b + 1 for a, b in covered):
                problems.append((line_of(m.start()), f"number {m.group(0).strip()!r} has no source annotation "
                                                     "(<!--= ... --> or <!--lit ... -->)"))
    return problems


# ----------------------------------------------------------------------------- mkdocs hook
def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.startswith("results/"):
        return markdown
    repo = _repo(Path(config["docs_dir"]).resolve())
    _summary.cache_clear()
    for line, msg in check_page(markdown, repo, strict=False):
        log.warning(f"{page.file.src_uri}:{line}: {msg}")
    return markdown
