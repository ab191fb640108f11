"""Demo data for `make run`. Idempotent: running it again changes nothing."""

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assertions.models import Assertion
from assertions.services import assertion_issue, assertion_revoke
from core.testing import png_bytes
from issuers.models import Issuer, IssuerMembership, Role
from issuers.services import credits_top_up, issuer_create, membership_add
from templates_app.models import BadgeTemplate, Kind
from templates_app.services import template_create


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


ADMIN = DemoLogin("superuser", "admin@demo.example", "badges-demo")
OWNER = DemoLogin("owner", "owner@demo.example", "badges-demo")
STAFF = DemoLogin("staff", "staff@demo.example", "badges-demo")
# An earner with a password, to see the backpack (/me/badges) and share badges.
EARNER = DemoLogin("earner", "ada@learners.example", "badges-demo")

ISSUER_NAME = "Demo Academy"
TEMPLATES = [
    ("Python Fundamentals", Kind.SKILLS, "#2456d6", None),
    ("Workshop Participant", Kind.PARTICIPATION, "#1f9d6b", None),
    ("First Aid Certificate", Kind.QUALIFICATION, "#d64524", (2, "years")),
]
EARNERS = [
    ("Ada", "Lovelace", "ada@learners.example"),
    ("Alan", "Turing", "alan@learners.example"),
    ("Grace", "Hopper", "grace@learners.example"),
    ("Katherine", "Johnson", "katherine@learners.example"),
    ("Edsger", "Dijkstra", "edsger@learners.example"),
]


@transaction.atomic
def seed() -> list[DemoLogin]:
    _ensure_user(ADMIN, is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")
    owner = _ensure_user(OWNER, first_name="Olive", last_name="Owner")
    staff = _ensure_user(STAFF, first_name="Sam", last_name="Staff")
    _ensure_user(EARNER, first_name="Ada", last_name="Lovelace")

    issuer = Issuer.objects.filter(name=ISSUER_NAME).first()
    if issuer is None:
        issuer = issuer_create(
            name=ISSUER_NAME,
            email="badges@demo.example",
            url="https://demo.example",
            description="A training centre that awards badges for its courses.",
            timezone="Europe/Rome",
            owner=owner,
        )
        membership_add(issuer=issuer, user=staff, role=Role.STAFF)
        credits_top_up(issuer=issuer, amount=500, note="Demo credits")
    if not IssuerMembership.objects.filter(issuer=issuer, user=owner).exists():
        membership_add(issuer=issuer, user=owner, role=Role.OWNER)

    templates = [_ensure_template(issuer, *spec) for spec in TEMPLATES]
    if not Assertion.objects.filter(organization=issuer).exists():
        _award_demo_badges(templates, staff)
    return [ADMIN, OWNER, STAFF, EARNER]


def _ensure_user(login: DemoLogin, **fields) -> User:
    user = User.objects.filter(email=login.email).first()
    if user is None:
        user = User.objects.create_user(login.email, login.password, **fields)
    elif not user.check_password(login.password):
        # Someone changed it; the printed login must work, so put it back.
        user.set_password(login.password)
        user.save(update_fields=["password"])
    return user


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:3]).upper()


def _ensure_template(issuer, name, kind, color, validity) -> BadgeTemplate:
    existing = BadgeTemplate.objects.filter(issuer=issuer, name=name).first()
    if existing:
        return existing
    amount, unit = validity or (None, "")
    image = SimpleUploadedFile(
        "badge.png", png_bytes(size=400, color=color, text=_initials(name)), "image/png"
    )
    return template_create(
        issuer=issuer,
        name=name,
        description=f"Awarded by {issuer.name}: {name.lower()}.",
        kind=kind,
        criteria_narrative=f"Complete the {name} course and its final assessment.",
        tags=[kind.value, "demo"],
        image=image,
        validity_amount=amount,
        validity_unit=unit,
    )


def _award_demo_badges(templates, staff) -> None:
    now = timezone.now()
    python, workshop, first_aid = templates
    for i, (first, last, email) in enumerate(EARNERS):
        assertion_issue(
            template=python,
            actor=staff,
            recipient_email=email,
            recipient_first_name=first,
            recipient_last_name=last,
            activity_title="Python course, spring cohort",
            activity_started_at=now - dt.timedelta(days=60),
            activity_ended_at=now - dt.timedelta(days=30),
            issued_on=now - dt.timedelta(days=29 - i),
            narrative="Wrote and tested a small command-line tool.",
            notify=False,
        )
    for first, last, email in EARNERS[:3]:
        assertion_issue(
            template=workshop,
            actor=staff,
            recipient_email=email,
            recipient_first_name=first,
            recipient_last_name=last,
            activity_title="Open Badges workshop",
            notify=False,
        )
    expired = assertion_issue(
        template=first_aid,
        actor=staff,
        recipient_email=EARNERS[3][2],
        issued_on=now - dt.timedelta(days=800),
        notify=False,
    ).assertion
    assert expired.status == "invalid"
    revoked = assertion_issue(
        template=first_aid, actor=staff, recipient_email=EARNERS[4][2], notify=False
    ).assertion
    assertion_revoke(
        assertion=revoked, actor=staff, reason="Issued to the wrong person", notify=False
    )
