"""The assign wizard with a 10,000-earner CSV (about 720 KB), through Django's test
client: the session after the review (the draft is a WizardDraft, the session holds
its id), the upload, the steps that do not read the earner list and the review, which
does (it checks who already holds the badge).

When the draft lived in the session, it was 4.7 MB once decoded (470 KB stored,
compressed) and was read and written on every step: 0.3-1.2 s per step.
"""

import secrets
import statistics
import tempfile
import time

from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from accounts.models import User
from bench.figures import Figure
from core.testing import png_upload
from issuers.services import credits_top_up, issuer_create
from templates_app.services import template_create

N = 10_000


def _csv() -> bytes:
    lines = ["first_name,last_name,email,course,grade,city"]
    lines += [f"First{i},Last{i},e{i}@wizard.example,Python Basics,A+,Milano" for i in range(N)]
    return ("\n".join(lines) + "\n").encode()


def _walk(data: bytes) -> tuple[dict[str, float], int]:
    """Seconds per step and the stored session's size after the review."""
    owner = User.objects.create_user(f"wizard-{secrets.token_hex(4)}@bench.example")
    issuer = issuer_create(name="Wizard Academy", email="w@bench.example", owner=owner)
    credits_top_up(issuer=issuer, amount=N)
    template = template_create(
        issuer=issuer,
        name="Wizard badge",
        criteria_url="https://bench.example",
        image=png_upload(),
        actor=owner,
    )
    client = Client()
    client.force_login(owner)
    base = f"/issuers/{issuer.entity_id}/assign/"
    steps = [
        ("upload", base + "earners/", {"mode": "bulk", "file": SimpleUploadedFile("e.csv", data)}),
        ("columns", base + "earners/columns/", None),
        (
            "mapped",
            base + "earners/columns/",
            {"email": "2", "first_name": "0", "last_name": "1", "action": "continue"},
        ),
        ("context", base + "context/", {"activity_title": "Spring"}),
        ("template", base + "template/", {"template": template.entity_id}),
        ("validity", base + "validity/", {"validity": "default"}),
        ("notes", base + "notes/", {"notes": "", "narrative": "", "action": "next"}),
        ("review", base + "review/", None),
    ]
    took = {}
    for name, path, payload in steps:
        start = time.perf_counter()
        response = client.post(path, payload) if payload is not None else client.get(path)
        took[name] = time.perf_counter() - start
        if response.status_code not in (200, 302):
            raise AssertionError(f"{name}: {response.status_code}")
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    return took, len(session.session_data)


def run(repeat: int) -> list[Figure]:
    data = _csv()
    walks = []
    with tempfile.TemporaryDirectory() as private, override_settings(PRIVATE_MEDIA_ROOT=private):
        _walk(data)  # warm-up: templates, URL resolvers
        walks = [_walk(data) for _ in range(repeat)]

    def median(step: str) -> float:
        return statistics.median(took[step] for took, _ in walks)

    session = max(size for _, size in walks)
    light = max(median(step) for step in ("context", "validity", "notes"))
    return [
        Figure(
            f"assign wizard, {N:,}-row CSV ({len(data) // 1000} KB): stored session",
            session,
            "bytes",
            "< 1,000",
            session < 1000,
        ),
        Figure(
            "  the same: slowest step that does not read the earner list",
            light * 1000,
            "ms",
            "< 100 ms",
            light < 0.1,
        ),
        Figure("  the same: upload (read, map, check, store)", median("upload"), "s"),
        Figure("  the same: review (earner list read, holders checked)", median("review"), "s"),
    ]
