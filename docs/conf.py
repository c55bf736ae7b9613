"""Sphinx configuration of fastnet's documentation (``sphinx-build -W docs docs/_build/html``).

The API reference is generated from the docstrings (autosummary + numpydoc); the
gallery runs the scripts in ``docs/examples`` when the site is built (sphinx-gallery),
so every figure on it is computed by the documented version.
"""

import os

import fastnet

os.environ.setdefault("FASTNET_COMPILE_NOTICE", "0")  # compile notices are not output

project = "fastnet"
author = "fastnet developers"
copyright = "2026, fastnet developers"
version = release = fastnet.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
# one page per public name; the class pages list their methods from the docstrings
numpydoc_show_class_members = False
numpydoc_validation_checks = set()

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}

templates_path = ["_templates"]
# the gallery's sources: sphinx-gallery turns them into auto_examples/
exclude_patterns = ["_build", "examples", "**.ipynb_checkpoints"]
html_theme = "alabaster"
html_theme_options = {"description": "Numba-compiled kernels for ML and network science",
                      "fixed_sidebar": True}
html_static_path: list[str] = []

# CI builds offline: the link check visits the site's own pages and anchors, not the web
linkcheck_ignore = [r"https?://"]
# every cross-reference must resolve, except to other projects' types: CI builds
# offline, without their inventories (intersphinx)
nitpicky = True
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|scipy|pandas|pd|sklearn|matplotlib|distributed|dask|numba)\..*"),
    ("py:.*", r"(collections\.abc|os|pathlib|typing|types)\..*"),
    ("py:class", r"(ArrayLike|Axes|Figure|SeedLike|Any|Callable|Path|type\[.*\])"),
    ("py:class", r".*~numpy\..*"),  # NumPy's own typing aliases, expanded
]


def _skip_metadata_routing(app, what, name, obj, skip, options):
    """scikit-learn generates ``set_{method}_request`` on every estimator for its
    metadata routing; they are scikit-learn's, documented there."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)
