"""Nothing outside the dashboard loads Textual, checked in a fresh interpreter.

The import contracts in pyproject.toml (``lint-imports``) say the same thing statically, and
both are needed because each sees what the other cannot. The contract reads the source: it
sees every import statement, including those inside functions that no import runs, but not an
import made by a third-party package (it stops at feedwatch's edge) or by name at run time
(``importlib.import_module``). This test imports each module and looks at ``sys.modules``: it
sees exactly what loading the module loads, wherever that comes from, but not an import inside
a function it never calls.

The module list is the package itself, so a new module is checked the day it is written.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import feedwatch

# The dashboard is Textual, and the entry point starts it (lazily).
DASHBOARD = ("feedwatch.tui", "feedwatch.cli")
TEXTUAL = ("textual", "textual_plotext", "plotext")


def headless_modules() -> list[str]:
    """Every feedwatch module but the dashboard's, found by walking the package."""
    names = (info.name for info in pkgutil.walk_packages(feedwatch.__path__, "feedwatch."))
    return sorted(
        name
        for name in names
        if not any(name == top or name.startswith(f"{top}.") for top in DASHBOARD)
        and not name.endswith(".__main__")  # importing one runs it; it only imports others
    )


# Imports the modules one after another, and names the first after whose import a Textual
# package is loaded: it (or something it imports) is the culprit.
_PROBE = """
import importlib, sys
banned = set(sys.argv[1].split(","))
for name in sys.argv[2:]:
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in banned)
    if loaded:
        print(name, "pulls in", ", ".join(loaded[:3]))
        break
"""


def test_the_module_list_covers_the_package() -> None:
    modules = headless_modules()
    for expected in ("feedwatch.engine.engine", "feedwatch.outputs.http.server", "feedwatch.check"):
        assert expected in modules
    assert not [m for m in modules if m.startswith("feedwatch.tui")]


def test_no_module_outside_the_dashboard_loads_textual() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(TEXTUAL), *headless_modules()],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == ""
