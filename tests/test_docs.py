"""The documentation site's API reference lists every public name (issue 21): a name
added to a subpackage's ``__all__`` without a page would be missing from the site."""

import importlib
import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parent.parent / "docs" / "api.rst"

#: module -> names of its ``__all__`` that have no page of their own, and why
NOT_LISTED = {
    "fastnet.random": {"SeedLike": "a type alias, described where seeds are accepted"},
}


def _listed() -> set[str]:
    """Fully qualified names of the autosummary entries of api.rst."""
    names, module = set(), None
    for line in API.read_text().splitlines():
        directive = re.match(r"\.\. (?:currentmodule|module):: (\S+)", line)
        if directive:
            module = directive.group(1)
        entry = re.match(r"   ([A-Za-z_][\w.]*)$", line)
        if entry and module:
            names.add(f"{module}.{entry.group(1)}")
    return names


@pytest.mark.parametrize("module", ["fastnet.nn", "fastnet.decomposition", "fastnet.cluster",
                                    "fastnet.graph", "fastnet.studies", "fastnet.parallel",
                                    "fastnet.random", "fastnet.plot", "fastnet.precompile"])
def test_api_reference_lists_every_public_name(module):
    listed = _listed()
    skipped = NOT_LISTED.get(module, {})
    missing = [name for name in importlib.import_module(module).__all__
               if f"{module}.{name}" not in listed and name not in skipped]
    assert not missing, f"docs/api.rst has no entry for {module}: {missing}"


def test_every_listed_name_exists():
    for qualified in _listed():
        module, _, name = qualified.rpartition(".")
        while module:
            try:
                obj = importlib.import_module(module)
                break
            except ImportError:
                module, _, outer = module.rpartition(".")
                name = f"{outer}.{name}"
        for part in name.split("."):
            obj = getattr(obj, part)
