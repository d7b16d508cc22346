"""Sphinx extension of nndl's site: what is generated from the project at build time.

- ``.. nndl-cli::`` writes the command-line reference from ``nndl.cli.build_parser()``:
  every sub-command, its usage, and every option with its help, choices and default,
  so the reference cannot drift from the parsers.
- ``.. nndl-notebook:: STEM`` links the rendered notebook ``notebooks/STEM.ipynb``, or
  says that the chapter's notebook is not in the repository yet.
- A name re-exported elsewhere (``nndl.Network``, ``nndl.nn.layers.Dense``) or inherited
  (``Network.SGD``) resolves to where it is defined and documented, found by importing
  it: no list of module paths to keep in step when modules move.
- Members that nndl does not define (scikit-learn's generated ``set_*_request``) are
  left out of the API pages.
- ``.. nndl-source:: Dense.backward_delta`` shows the source of the one nndl function or
  class with that qualified name, found by walking the package (so it follows a move).
- On ``config-inited`` the notebooks of ``notebooks/`` are copied into ``docs/notebooks/``
  (a build product, ignored by git), where myst-nb renders them without executing them.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib
import inspect
import pkgutil
import shutil
import textwrap
import types
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

NOTEBOOKS_OUT = "notebooks"      # under docs/: where the rendered copies live


def copy_notebooks(app: Sphinx, config: Config) -> None:
    """Mirror ``<repo>/notebooks/*.ipynb`` into ``docs/notebooks/`` (only what changed)."""
    src_dir = Path(app.srcdir).parent / "notebooks"
    out_dir = Path(app.srcdir) / NOTEBOOKS_OUT
    out_dir.mkdir(exist_ok=True)
    wanted = {p.name: p for p in sorted(src_dir.glob("*.ipynb"))}
    for stale in out_dir.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for name, path in wanted.items():
        target = out_dir / name
        if not target.exists() or not filecmp.cmp(path, target, shallow=False):
            shutil.copyfile(path, target)


class NotebookLink(SphinxDirective):
    """A chapter's notebook: a link to its rendered page, or a note that it is to come."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        stem = self.arguments[0]
        repo_path = f"notebooks/{stem}.ipynb"
        para = nodes.paragraph()
        if (Path(self.env.srcdir) / NOTEBOOKS_OUT / f"{stem}.ipynb").exists():
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                        reftarget=f"/{NOTEBOOKS_OUT}/{stem}",
                                        refexplicit=True, refwarn=True)
            ref += nodes.inline("", "the chapter's notebook, rendered with its outputs")
            para += nodes.Text("Notebook: ")
            para += ref
            para += nodes.Text(" (")
            para += nodes.literal("", repo_path)
            para += nodes.Text(" in the repository).")
        else:
            para += nodes.Text("This chapter's notebook (")
            para += nodes.literal("", repo_path)
            para += nodes.Text(") is not in the repository yet.")
        return [para]


def _option_row(action: argparse.Action, formatter: argparse.HelpFormatter) -> nodes.Node:
    """One option: its flags (or metavar) as code, then its help, choices and default."""
    if action.option_strings:
        flags = ", ".join(action.option_strings)
        if action.nargs != 0:
            metavar = formatter._get_default_metavar_for_optional(action)
            flags += " " + formatter._format_args(action, metavar)
    else:
        metavar = formatter._get_default_metavar_for_positional(action)
        flags = formatter._format_args(action, metavar)
    item = nodes.definition_list_item()
    term = nodes.term()
    term += nodes.literal("", flags)
    item += term
    body = nodes.definition()
    text = formatter._expand_help(action) if action.help else ""
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        text += ("" if not text else " ") + "Choices: " + ", ".join(map(str, action.choices)) + "."
    body += nodes.paragraph("", text or "(no help text)")
    item += body
    return item


def _command_section(name: str, summary: str, parser: argparse.ArgumentParser,
                     document: Any) -> nodes.section:
    section = nodes.section(ids=[nodes.make_id(f"nndl-{name}")], names=[f"nndl {name}"])
    document.note_implicit_target(section)
    section += nodes.title("", f"nndl {name}")
    if summary:
        section += nodes.paragraph("", summary)
    if parser.description and parser.description != summary:
        section += nodes.paragraph("", parser.description)
    section += nodes.literal_block("", parser.format_usage().strip(), language="none")
    formatter = parser._get_formatter()
    for group in parser._action_groups:
        actions = [a for a in group._group_actions
                   if a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]
        if not actions:
            continue
        section += nodes.rubric("", (group.title or "options").capitalize())
        dl = nodes.definition_list()
        for action in actions:
            dl += _option_row(action, formatter)
        section += dl
    if parser.epilog:
        section += nodes.paragraph("", parser.epilog)
    return section


class CLIReference(SphinxDirective):
    """Every sub-command of ``nndl`` and its options, read from the argparse parsers."""

    def run(self) -> list[nodes.Node]:
        from nndl.cli import build_parser

        parser = build_parser()
        sub_action = next(a for a in parser._actions
                          if isinstance(a, argparse._SubParsersAction))
        summaries = {a.dest: a.help or "" for a in sub_action._choices_actions}
        result: list[nodes.Node] = [
            nodes.literal_block("", parser.format_help().strip(), language="none")]
        for name, sub in sub_action.choices.items():
            result.append(_command_section(name, summaries.get(name, ""), sub,
                                           self.state.document))
        return result


def _import(dotted: str) -> Any:
    """The object a dotted name denotes: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _canonical(dotted: str) -> str | None:
    """Where ``dotted`` is defined: ``module.qualname`` of its object (or of its owner)."""
    head, _, attr = dotted.rpartition(".")
    try:
        obj = _import(dotted)
    except (ImportError, AttributeError):
        return None
    if inspect.ismodule(obj):
        return obj.__name__
    if inspect.isclass(obj) or inspect.isroutine(obj):
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if module and qualname and "<" not in qualname:
            return f"{module}.{qualname}"
    try:
        owner = _import(head)
    except (ImportError, AttributeError):
        return None
    if inspect.isclass(owner):   # a property or attribute: the class that defines it
        for klass in owner.__mro__:
            if attr in vars(klass) or attr in getattr(klass, "__annotations__", {}):
                return f"{klass.__module__}.{klass.__qualname__}.{attr}"
    return None


def _documented_owner(name: str, objects: Any, modules: Any) -> str | None:
    """The longest documented prefix of ``name`` that owns it: a class (an instance
    attribute described in its docstring) or a module that has the name (a constant
    without a docstring of its own)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in objects and objects[prefix].objtype in ("class", "exception"):
            return prefix
        if prefix in modules:
            try:
                _import(name)
            except (ImportError, AttributeError):
                return None
            return prefix
    return None


def _target_of(name: str, objects: Any, modules: Any) -> str | None:
    if not name.startswith("nndl"):
        return None
    canonical = _canonical(name) or name
    if canonical in objects or canonical in modules:
        return canonical
    return _documented_owner(canonical, objects, modules)


def resolve_moved(app: Sphinx, env: Any, node: Any, contnode: nodes.Node) -> Any:
    """Resolve a Python reference that the domain missed to its defining, documented
    object: through imports (re-exports, inheritance), then to the documented owner
    (instance attributes, constants without docstrings), then to the one nndl object
    whose name ends with the target (a short name used in a summary line, or
    ``nndl.nn.costs.Cost`` after ``costs`` moved to ``nndl.nn.costs``).  A method
    named in a module's docstring is looked for on that module's classes."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module, klass = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates[:0] = [f"{module}.{klass}.{target}" if klass else "", f"{module}.{target}"]
    domain = env.get_domain("py")
    objects, modules = domain.objects, domain.modules
    if module and not klass:   # a method named in a module's docstring: its classes'
        candidates += [f"{name}.{target}" for name, entry in objects.items()
                       if entry.objtype == "class" and name.rpartition(".")[0] == module]
    found = next(filter(None, (_target_of(c, objects, modules) for c in candidates if c)), None)
    if found is None:   # a short name, or a dotted one whose module moved into a subpackage
        tail = "." + target.removeprefix("nndl.")
        ends = sorted(n for n in objects if n.startswith("nndl.") and n.endswith(tail))
        found = ends[0] if len(ends) == 1 else None
    if found is None:
        return None
    if found in objects:
        entry = objects[found]
        return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                            contnode, found)
    entry = modules[found]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                        contnode, found)


def skip_foreign(app: Sphinx, what: str, name: str, obj: Any, skip: bool,
                 options: Any) -> bool | None:
    """Leave out the members of nndl's classes that another library defines."""
    if isinstance(obj, types.GenericAlias):   # a type alias such as ``Split``: no page
        return True
    module = getattr(obj, "__module__", None)
    if what == "class" and isinstance(module, str) and not module.startswith("nndl"):
        return True
    return None


def _defined(qualname: str) -> list[Any]:
    """Every object of nndl named ``qualname`` in the module that defines it."""
    import nndl

    found = []
    for info in pkgutil.walk_packages(nndl.__path__, "nndl."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        obj: Any = module
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        owner = getattr(obj, "__module__", None)
        if obj is not None and owner == info.name and obj not in found:
            found.append(obj)
    return found


class SourceOf(SphinxDirective):
    """The source of an nndl function, method or class, read from the package."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        qualname = self.arguments[0]
        found = _defined(qualname)
        if len(found) != 1:
            raise self.error(f"nndl-source: {len(found)} objects of nndl are named {qualname!r}")
        obj = inspect.unwrap(found[0])
        code = textwrap.dedent(inspect.getsource(obj)).rstrip()
        block = nodes.literal_block(code, code, language="python")
        caption = nodes.caption("", "")
        caption += nodes.literal("", f"{obj.__module__}.{obj.__qualname__}")
        container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
        container += caption
        container += block
        return [container]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", copy_notebooks)
    app.add_directive("nndl-cli", CLIReference)
    app.add_directive("nndl-notebook", NotebookLink)
    app.add_directive("nndl-source", SourceOf)
    app.connect("missing-reference", resolve_moved)
    app.connect("autodoc-skip-member", skip_foreign)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
