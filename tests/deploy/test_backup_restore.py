"""Issue 26, point 6: the backup and restore commands of docs/deployment.md run clean:
`pg_dump --format=custom`, then `pg_restore --no-owner --exit-on-error` into an empty
database, with no error printed."""

import glob
import re
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from assertions.tests.factories import AssertionFactory
from conftest import services_required
from core.testing import ROOT

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_documented_dump_and_restore_run_without_an_error(tmp_path):
    if connection.vendor != "postgresql" or not glob.glob("/usr/lib/postgresql/*/bin"):
        if services_required():
            pytest.fail("needs the PostgreSQL of make test")
        pytest.skip("needs the PostgreSQL of make test")
    pg_bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    db = connection.settings_dict
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    AssertionFactory()
    docs = (ROOT / "docs" / "deployment.md").read_text()
    restore = re.search(r"`(pg_restore [^`]+)`", docs).group(1)
    assert "--clean" not in restore.split("badges.dump")[0]
    # given a nightly dump, as documented
    dump = tmp_path / "badges.dump"
    with open(dump, "wb") as out:
        subprocess.run(
            [str(pg_bin / "pg_dump"), "--format=custom", f"{server}/{db['NAME']}"],
            stdout=out,
            check=True,
            timeout=120,
        )
    # when it is restored into an empty database with the documented command
    target = f"restore_{db['NAME']}"[:60]
    subprocess.run(
        [str(pg_bin / "dropdb"), "--if-exists", f"--maintenance-db={server}/postgres", target],
        check=True,
    )
    subprocess.run(
        [str(pg_bin / "createdb"), f"--maintenance-db={server}/postgres", target], check=True
    )
    try:
        command = restore.replace('"$DATABASE_URL"', f"{server}/{target}").split()
        command[command.index("badges.dump")] = str(dump)
        result = subprocess.run(
            [str(pg_bin / command[0]), *command[1:]], capture_output=True, text=True, timeout=300
        )
        # then nothing failed and nothing was printed
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stderr == ""
        count = subprocess.run(
            [str(pg_bin / "psql"), f"{server}/{target}", "-Atc"]
            + ["select count(*) from assertions_assertion"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert count.stdout.strip() == "1"
    finally:
        subprocess.run(
            [str(pg_bin / "dropdb"), "--if-exists", f"--maintenance-db={server}/postgres", target]
        )
