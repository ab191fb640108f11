"""The deployment files (deploy/, Procfile) as an operator uses them: the environment
file names the production settings, the systemd units pass `systemd-analyze verify`, the
units, the Procfile and docs/deployment.md run the same commands, and a worker started
without DJANGO_SETTINGS_MODULE refuses instead of loading the local settings."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import services_required
from core.testing import BIN, ROOT

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
ENV_FILE = ROOT / "deploy" / "badges.env.example"


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name: shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


def _unit_command(unit: Path) -> list[str]:
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_environment_file_names_the_production_settings_and_every_required_variable():
    # given the one environment file of the docs
    pairs = dict(
        line.split("=", 1)
        for line in ENV_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    # then a worker or beat reading it loads the production settings
    assert pairs["DJANGO_SETTINGS_MODULE"] == "badges_project.settings.production"
    minimum = ["SECRET_KEY", "CREDENTIALS_ENCRYPTION_KEY", "ALLOWED_HOSTS", "SITE_URL"]
    minimum += ["DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "DEFAULT_FROM_EMAIL"]
    assert set(minimum) <= set(pairs)
    # and the docs' minimum environment names the settings module too
    docs = (ROOT / "docs" / "deployment.md").read_text()
    minimum_line = docs[docs.index("Minimum environment") :][:600]
    assert "DJANGO_SETTINGS_MODULE" in minimum_line


def test_a_worker_without_a_settings_module_refuses_to_start():
    # given the documented environment without DJANGO_SETTINGS_MODULE
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # when a Celery command starts
    result = subprocess.run(
        [str(BIN / "celery"), "-A", "badges_project", "report"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then it stops with a sentence naming the variable, instead of the local settings
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr


def test_every_unit_runs_its_procfile_command_with_absolute_paths_and_a_queue_name():
    procfile = _procfile()
    names = {"badges-web": "web", "badges-beat": "beat"}
    assert len(UNITS) == 5
    for unit in UNITS:
        command = _unit_command(unit)
        role = names.get(unit.stem) or "worker_" + unit.stem.removeprefix("badges-worker-")
        # absolute executable, the Procfile's arguments (the config file as an absolute path)
        assert command[0] == f"/srv/badges/venv/bin/{procfile[role][0]}", unit.name
        args = [a.replace("/srv/badges/src/", "") for a in command[1:]]
        assert args == [a.replace("%h", "%H") for a in procfile[role][1:]], unit.name
        text = unit.read_text()
        assert "EnvironmentFile=/etc/badges.env" in text
        assert "Restart=always" in text
        if role.startswith("worker_"):
            queue = role.removeprefix("worker_")
            # each worker named after its queue, so `inspect` and `control` can address it
            assert command[command.index("-Q") + 1] == queue
            assert command[command.index("-n") + 1] == f"{queue}@%H"
    # the docs show the same Procfile
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert (ROOT / "Procfile").read_text().strip() in docs


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        if services_required():
            pytest.fail("systemd-analyze is not installed; run scripts/system-deps.sh")
        pytest.skip("systemd-analyze is not installed")
    # given a machine root as the docs set it up: the venv's programs, the units installed
    root = tmp_path / "root"
    bin_dir = root / "srv" / "badges" / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("celery", "gunicorn"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    (root / "usr" / "lib" / "systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    # when systemd checks them
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *(str(units / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then nothing is wrong (a relative ExecStart, an unknown setting, a missing program)
    problems = [
        line
        for line in result.stderr.splitlines()
        if not re.search(r"Failed to resolve symlink|Too many levels", line)
    ]
    assert result.returncode == 0, "\n".join(problems)
    assert not [line for line in problems if "badges-" in line], "\n".join(problems)


def test_gunicorn_freezes_the_preloaded_application_before_forking_a_worker():
    # Given the master with the application preloaded (gunicorn.conf.py, preload_app)
    script = (
        "import gc, runpy, django\n"
        "conf = runpy.run_path('gunicorn.conf.py')\n"
        "assert conf['preload_app']\n"
        "django.setup()\n"
        "import badges_project.urls\n"
        "before = len(gc.get_objects())\n"
        "conf['pre_fork'](None, None)\n"
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "badges_project.settings.test"}
    # When it is about to fork a worker
    result = subprocess.run(
        [str(BIN / "python"), "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, frozen, left = map(int, result.stdout.split())
    # Then what it loaded is out of the collector's reach: a worker's full collections
    # walk only what the worker makes (a pause of 150-300 ms at p99 otherwise)
    assert frozen > 0.9 * before
    assert left < 0.05 * before
