"""Sphinx configuration of nndl's documentation site.

Build (warnings are errors):
``python3 -m sphinx -W --keep-going -n -b html docs docs/_build/html``.

Nothing here lists nndl's modules: the API reference is generated from the package at
build time (autosummary, recursive from ``nndl``), the CLI reference from
``nndl.cli.build_parser`` (``_ext/nndl_docs.py``), and the notebooks are copied from
``notebooks/`` and rendered with their committed outputs, never executed.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(DOCS / "_ext"))

import nndl  # noqa: E402

project = "nndl"
author = "the nndl authors"
copyright = "the nndl authors"  # noqa: A001
version = release = nndl.__version__

extensions = [
    "myst_nb",                     # Markdown (MyST) pages and the committed notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",      # MathJax from the site itself, not from a CDN
    "sphinx_copybutton",
    "sphinx_design",
    "nndl_docs",                   # the CLI reference, notebook links, notebook copies
]

root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "results", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# --- Markdown and notebooks -------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
nb_execution_mode = "off"          # render the outputs committed with each notebook
nb_merge_streams = True

# --- API reference: generated from the package ------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autosummary_ignore_module_all = True
# The top-level names (``from nndl import ...``), read from the package itself.
autosummary_context = {"nndl_all": [
    (name, "exception" if isinstance(obj, type) and issubclass(obj, BaseException)
     else "class" if isinstance(obj, type) else "function" if callable(obj) else "data")
    for name, obj in ((n, getattr(nndl, n)) for n in nndl.__all__)]}
autodoc_typehints = "none"         # the types are in the numpydoc sections
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# The site is offline (no intersphinx): names outside nndl, and nndl's private names
# (no page by design), are not cross-referenced.  Everything else must resolve.
nitpick_ignore_regex = [
    (r"py:.*", r"(?!nndl\b)[\w.]*\.[\w.]+"),   # dotted names outside nndl: numpy, sklearn...
    (r"py:.*", r"(.*\.)?_[A-Za-z]\w*(\..*)?"),   # private names
]

# --- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"nndl {release}"
html_static_path = ["_static"]
html_css_files = ["nndl.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": []}
html_context = {"default_mode": "auto"}   # the theme logs an error when it is unset
copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True
