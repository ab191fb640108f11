"""Issue 26, point 6: `pip install` of the project gives everything it needs to run
without the source folder: the project-wide templates and static files, the apps' own
templates, static files and JSON-LD contexts."""

import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from core.testing import BIN, ROOT


def _needed() -> set[str]:
    """Every file in git that is not Python and that the running project reads."""
    listed = _tracked()
    with open(ROOT / "pyproject.toml", "rb") as handle:
        include = tomllib.load(handle)["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = {name.rstrip("*").split(".")[0] for name in include}
    return {
        path
        for path in listed
        if path.split("/")[0] in tops
        and "/" in path
        and not path.endswith(".py")
        and "/tests/" not in path
    }


def _tracked() -> list[str]:
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # built from a copy of the files git knows, as a fresh checkout has them (a build/
    # directory left in the working tree by an earlier build must not count)
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for path in _tracked():
        if (ROOT / path).is_file():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, source / path)
    built = subprocess.run(
        [str(BIN / "pip"), "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return next(out.glob("*.whl"))


def test_the_wheel_holds_every_template_static_file_and_context(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = _needed()
    assert {"templates/base.html", "static/css/site.css"} <= needed
    assert needed - names == set()


def test_the_installed_wheel_renders_pages_without_the_source_folder(wheel, tmp_path):
    # given the wheel installed on its own (the dependencies are this venv's)
    site = tmp_path / "site"
    subprocess.run(
        [str(BIN / "pip"), "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    # when Django starts from there, in another directory
    script = """
import django, sys
from django.conf import settings
django.setup()
from django.contrib.staticfiles import finders
from django.template.loader import get_template
site = sys.argv[1]
for name in ("base.html", "emails/badge_awarded.html", "public_pages/assertion.html"):
    origin = get_template(name).origin.name
    assert origin.startswith(site), origin
for name in ("css/site.css", "imports/run.js"):
    found = finders.find(name)
    assert found and found.startswith(site), (name, found)
import badges_project
assert badges_project.__file__.startswith(site), badges_project.__file__
print("ok")
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(site),
        "DJANGO_SETTINGS_MODULE": "badges_project.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it finds its templates and static files in the installed copy
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
