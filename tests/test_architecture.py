"""Apps read top-down (docs/architecture.md, "Who imports whom").

import-linter checks the layers, the forbidden imports and the circles (pyproject.toml,
[tool.importlinter]; `make lint`, `make test`). These tests check what it cannot: that
no app imports another app's private names or its views, that a function-level import
says why it is one, that every task named by its path exists, and that the contracts
cover every app on disk (a new app left out of them would be checked by nothing).
"""

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Task
from django.utils.module_loading import import_string

from badges_project.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))
PAGE_APPS = ("assign", "public_pages", "backpack", "workspace")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}


def app_sources(apps=APPS):
    """(app, path) of every module of the apps but their tests and migrations."""
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" not in parts and "migrations" not in parts:
                yield app, path


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def is_views(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository
    line: int
    module: str  # the module imported (from x.y import z: x.y.z when z is a module)
    names: tuple[str, ...]  # the names taken from it
    in_function: bool
    commented: bool  # a comment on its line, or above the block of imports it opens


def imports_of(path: Path) -> list[Import]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    in_function = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }

    def commented(lineno: int) -> bool:
        if "#" in lines[lineno - 1]:
            return True
        above = lineno - 2
        while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
            above -= 1
        return above >= 0 and lines[above].strip().startswith("#")

    found = []
    relative = str(path.relative_to(ROOT))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = []
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if is_module(submodule):
                    targets.append((submodule, ()))
                else:
                    targets.append((node.module, (alias.name,)))
        else:
            continue
        for module, names in targets:
            found.append(
                Import(
                    relative,
                    node.lineno,
                    module,
                    names,
                    id(node) in in_function,
                    commented(node.lineno),
                )
            )
    return found


def private_attributes_of_other_apps(app: str, path: Path) -> list[str]:
    """`module._name` where `module` was imported from another app."""
    tree = ast.parse(path.read_text())
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if is_module(f"{node.module}.{alias.name}"):
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {bound[node.value.id]}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in bound
        and bound[node.value.id].split(".")[0] in APPS
        and bound[node.value.id].split(".")[0] != app
        and is_private(node.attr)
    ]


def crossings():
    """(app, Import) of every import of another app's module."""
    for app, path in app_sources():
        for found in imports_of(path):
            other = found.module.split(".")[0]
            if other in APPS and other != app:
                yield app, found


def test_no_app_imports_another_apps_private_names():
    # given every import of one app from another, and every attribute read through one
    private = [
        f"{found.path}:{found.line}: {found.module} {found.names}"
        for _, found in crossings()
        if any(is_private(part) for part in found.module.split("."))
        or any(is_private(name) for name in found.names)
    ]
    for app, path in app_sources():
        private += private_attributes_of_other_apps(app, path)
    # then none reaches a private (_name) module, function or attribute: those are the
    # owning app's to change
    assert private == []


def test_no_app_imports_another_apps_views():
    # given every import of one app from another (the project, not an app, wires the
    # views to their URLs)
    views = [
        f"{found.path}:{found.line}: {found.module}"
        for _, found in crossings()
        if is_views(found.module)
    ]
    # then none is of a views module: what two apps share lives in services, selectors
    # or a module of its own
    assert views == []


def test_a_function_level_import_says_why_it_is_one():
    # given the imports made inside functions (Django's AppConfig.ready, a heavy library)
    unexplained = [
        f"{found.path}:{found.line}: {found.module}"
        for app, path in app_sources()
        for found in imports_of(path)
        if found.in_function and not found.commented
    ]
    # then each has a comment: none is left to dodge an import circle
    assert unexplained == []


TASK_PATH = re.compile(r"^[a-z_]+\.tasks\.[a-z_]+$")


def task_paths() -> set[str]:
    """Every string in the apps and the project (settings) that names a task by its path."""
    return {
        node.value
        for _, path in app_sources([*APPS, "badges_project"])
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TASK_PATH.match(node.value)
    }


def test_every_task_named_by_its_path_is_a_registered_task():
    # given the task paths the services enqueue (core.enqueue) and the settings name
    paths = task_paths()
    assert "core.tasks.send_outbound_email" in paths  # the scan finds them
    for path in sorted(paths):
        # when resolved as core.enqueue resolves it
        task = import_string(path)
        # then it is a task, registered under that name (what a worker runs)
        assert isinstance(task, Task), path
        assert task.name == path
        assert path in celery_app.tasks


def layer_modules(layer: str) -> set[str]:
    return {part.strip().strip("()") for part in re.split(r"[|:]", layer)}


@pytest.mark.parametrize("app", APPS)
def test_every_app_is_covered_by_the_import_contracts(app):
    # given an app on disk (a directory with apps.py)
    layers = CONTRACTS["layers"]
    # then import-linter reads it, places it in a layer and lets only its tests import
    # anything
    assert app in CONFIG["root_packages"]
    assert any(app in layer_modules(layer) for layer in layers["layers"])
    if (ROOT / app / "tests").is_dir():
        assert f"{app}.tests.** -> **" in layers["ignore_imports"]
    if app != "core":
        assert app in CONTRACTS["core-imports-no-app"]["forbidden_modules"]
    pages = CONTRACTS["domain-imports-no-page"]
    if app in PAGE_APPS:
        assert app in pages["forbidden_modules"]
        assert app in CONTRACTS["pages-independent"]["modules"]
    else:
        assert app in pages["source_modules"]
