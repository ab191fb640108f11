"""The 1EdTech Open Badges 2.0 validator (PyPI `openbadges`) verifies our badges.

It runs against a live server: it fetches the hosted Assertion, the BadgeClass, the
Issuer profile and the images over HTTP exactly as any verifier on the internet would.

The validator pins pycryptodome 3.6.6, python-jose 3.0.1 and an old pytz, which do not
import on Python 3.11, so it cannot share the project's virtualenv: the first run
installs it into .venv-ob-validator (from PyPI only) with those three upgraded, and
tests/ob2_validator_runner.py runs it there in a subprocess.
"""

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import openbadges_bakery
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from templates_app.models import Kind
from templates_app.tests.factories import BadgeTemplateFactory

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-ob-validator"
VALIDATOR = "openbadges==1.1.2"
# Pinned by the validator to versions that fail on Python 3.11; newer ones work.
UPGRADED = ("pycryptodome", "python-jose", "pytz")
RUNNER = Path(__file__).with_name("ob2_validator_runner.py")
EMAIL = "ada@learners.example"

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
    b'<circle cx="100" cy="100" r="90" fill="#2456d6"/></svg>'
)


def _run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="session")
def validator_python() -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / f".installed-{VALIDATOR}"
    if marker.exists():
        return python
    _run([sys.executable, "-m", "venv", "--clear", str(VENV)])
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "--no-deps", VALIDATOR])
    # Its own requirements with their pins, except the three that must be newer: one
    # resolver pass without conflicts, and no old C extension to compile.
    listed = _run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(m.requires('openbadges')))",
        ]
    ).stdout.split("\n")
    keep = [
        r.strip()
        for r in listed
        if r.strip()
        and "extra ==" not in r
        and re.split(r"[=<>!~;\s\[]", r.strip())[0].lower() not in UPGRADED
    ]
    _run([*pip, *keep, *UPGRADED, "responses"])
    marker.touch()
    return python


def validate(python: Path, target: str) -> dict:
    result = subprocess.run(
        [str(python), str(RUNNER), target, EMAIL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def errors(report: dict) -> list[str]:
    return [m["result"] for m in report["report"]["messages"] if m.get("messageLevel") == "ERROR"]


@pytest.fixture
def server(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    return live_server


def awarded(template=None, **fields):
    template = template or BadgeTemplateFactory(
        name="Python Fundamentals",
        kind=Kind.SKILLS,
        tags=["python", "programming"],
        alignments=[{"targetName": "ESCO: Python", "targetUrl": "https://esco.example/python"}],
    )
    return AssertionFactory(
        template=template,
        recipient_email=EMAIL,
        narrative="Wrote and tested a command-line tool.",
        evidence=[{"url": "https://code.example/ada/tool", "narrative": "The repository"}],
        expires_at=timezone.now() + dt.timedelta(days=365),
        **fields,
    )


def test_validator_reports_no_errors_for_our_hosted_assertion(server, validator_python):
    # given a badge awarded to Ada, with evidence, narrative, expiry, tags, alignment
    badge = awarded()
    # when the 1EdTech validator verifies its URL for Ada's email
    report = validate(validator_python, badge.url)
    # then it is valid with no error, as an Open Badges 2.0 hosted assertion
    assert errors(report) == []
    assert report["report"]["valid"] is True
    assert report["report"]["errorCount"] == 0
    assert report["report"]["openBadgesVersion"] == "2.0"
    assert report["report"]["recipientProfile"] == {"email": EMAIL}
    nodes = {node["id"]: node for node in report["graph"]}
    assert nodes[badge.url]["badge"].endswith("/versions/1")


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_validator_verifies_our_baked_images(server, validator_python, tmp_path, kind):
    # given a badge whose template image is a PNG, or an SVG
    template = None
    if kind == "svg":
        template = BadgeTemplateFactory(image=SimpleUploadedFile("b.svg", SVG, "image/svg+xml"))
    badge = awarded(template)
    # when its baked image is downloaded and handed to the validator
    response = requests.get(f"{badge.url}/image", timeout=10)
    assert response.headers["Content-Type"] == f"image/{'svg+xml' if kind == 'svg' else 'png'}"
    path = tmp_path / f"badge.{kind}"
    path.write_bytes(response.content)
    if kind == "png":
        # then the validator unbakes it, fetches the hosted documents, and finds no error
        report = validate(validator_python, str(path))
    else:
        # The validator cannot take SVG files on Python 3: the bakery it pins (1.2.4)
        # returns the SVG's `verify` URL as bytes, which the validator then rejects as
        # "only URL, JSON, or JWS input" (it does so for SVGs that bakery baked itself).
        # openbadges-bakery 2.0 unbakes ours; the validator verifies what it finds.
        with path.open("rb") as image:
            found = openbadges_bakery.unbake(image)
        assert found == badge.url
        report = validate(validator_python, found)
    assert errors(report) == []
    assert report["report"]["valid"] is True


def test_validator_refuses_a_revoked_badge(server, validator_python):
    badge = awarded()
    assertion_revoke(assertion=badge, reason="Issued by mistake")
    report = validate(validator_python, badge.url)
    # The validator has no words for a hosted revocation: it reads the 410's body
    # ({"revoked": true, ...}) and finds no recipient or badge in it. Refused either way.
    assert report["report"]["valid"] is False
    assert any("recipient not present" in message for message in errors(report)), errors(report)


def test_validator_refuses_a_badge_for_another_recipient(server, validator_python):
    badge = AssertionFactory(recipient_email="someone.else@learners.example")
    report = validate(validator_python, badge.url)
    assert report["report"]["valid"] is False
