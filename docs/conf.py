"""Sphinx configuration of skhpo's documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install -e ".[docs]"``).
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import skhpo  # noqa: E402

project = "skhpo"
author = "the skhpo developers"
copyright = "2026, the skhpo developers"
release = skhpo.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "**/*.md5"]
templates_path = ["_templates"]
html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Hyperparameter searches for scikit-learn",
                      "fixed_sidebar": True}

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # every build runs every example, so its output is that of the current skhpo (an
    # unchanged example would otherwise keep the output of an earlier build)
    "run_stale_examples": True,
}

# the benchmarks page draws its figures from the committed result files
plot_working_directory = os.path.abspath("..")
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
