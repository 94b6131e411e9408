"""The providers know the remote services and Django's settings, and nothing of the apps."""

from __future__ import annotations

import ast
from pathlib import Path

import generation.providers

PROVIDERS = Path(generation.providers.__file__).parent
# Everything of the project's own that a provider may import.
ALLOWED = ("generation.providers",)
PROJECT = ("accounts", "assets", "dramaplatform", "dramas", "generation")


def project_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in PROJECT]


def test_it_imports_nothing_of_the_apps_from_a_provider():
    strays = {
        f"{path.relative_to(PROVIDERS)}: {name}"
        for path in PROVIDERS.rglob("*.py")
        for name in project_imports(path)
        if not name.startswith(ALLOWED)
    }

    assert strays == set()
