"""An "old server" for import tests: this very platform, seeded in bulk.

2 issuers, 5 badge classes and 1,000 badges (some revoked with a reason, some expired,
some with narratives, evidence and recipient names), written with bulk statements so
that seeding takes about a second.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from assertions.models import Assertion, AssertionStatus
from assertions.services import assertions_award, template_fresh
from issuers.models import Issuer, Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.models import BadgeTemplate, Kind
from templates_app.services import template_archive
from templates_app.tests.factories import BadgeTemplateFactory

BASE = dt.datetime(2022, 1, 3, 9, 0, tzinfo=dt.UTC)


@dataclass
class OldServer:
    user: object
    issuers: list[Issuer]
    templates: list[BadgeTemplate]


def seed(n_badges: int = 1000) -> OldServer:
    first = MembershipFactory(
        role=Role.OWNER,
        issuer=IssuerFactory(
            name="Old Academy", description="Courses since 2010", timezone="Europe/Rome"
        ),
    )
    user = first.user
    second = IssuerFactory(name="Old Guild", url="https://guild.example", timezone="UTC")
    MembershipFactory(role=Role.OWNER, issuer=second, user=user)
    issuers = [first.issuer, second]
    templates = [
        BadgeTemplateFactory(
            issuer=issuers[0],
            name="Python",
            kind=Kind.SKILLS,
            tags=["python", "code"],
            alignments=[
                {
                    "targetName": "ESCO programming",
                    "targetUrl": "https://esco.example/prog",
                    "targetFramework": "ESCO",
                    "targetCode": "S1.2",
                }
            ],
        ),
        BadgeTemplateFactory(
            issuer=issuers[0],
            name="SQL",
            kind=Kind.KNOWLEDGE,
            criteria_url="",
            criteria_narrative="Write **ten** queries.",
            validity_amount=2,
            validity_unit="years",
        ),
        BadgeTemplateFactory(issuer=issuers[0], name="Attended", kind=Kind.PARTICIPATION),
        BadgeTemplateFactory(
            issuer=issuers[1],
            name="Master",
            kind=Kind.QUALIFICATION,
            validity_amount=6,
            validity_unit="months",
        ),
        BadgeTemplateFactory(issuer=issuers[1], name="Retired badge", description=""),
    ]
    template_archive(template=templates[4], actor=None)
    # Badgr's API shows whole seconds; so does the old server's data here.
    now = timezone.now().replace(microsecond=0)
    per_template: dict[int, list] = {t.pk: [] for t in templates}
    for i in range(n_badges):
        template = templates[i % len(templates)]
        emitted = BASE + dt.timedelta(days=i // 3, hours=i % 7)
        row = {
            "email": f"earner{i % 400}@example.org",
            "first_name": f"First{i % 400}",
            "last_name": f"Last{i % 400}",
            "metadata": {},
            "emitted_at": emitted,
            "expires_at": None,
            "narrative": "",
            "additional_details": {
                "extensions": {
                    "extensions:recipientProfile": {"name": f"First{i % 400} Last{i % 400}"}
                }
            },
            "imp_legacy_id": "",
        }
        if i % 4 == 1:
            row["expires_at"] = emitted + dt.timedelta(days=365)  # long expired
        elif i % 4 == 2:
            row["expires_at"] = now + dt.timedelta(days=400)
        if i % 3 == 0:
            row["narrative"] = f"Did task {i} well."
        per_template[template.pk].append((i + 1, row))
    for template in templates:
        with transaction.atomic():
            assertions_award(
                template=template_fresh(template),
                items=per_template[template.pk],
                notify=False,
                allow_duplicate=True,
            )
    badges = list(Assertion.objects.filter(organization__in=issuers).order_by("pk"))
    changed = []
    for n, badge in enumerate(badges):
        if n % 5 == 0:
            badge.evidence = [{"url": f"https://work.example/{n}", "narrative": "The work"}]
            changed.append(badge)
        if n % 20 == 3:
            badge.status = AssertionStatus.REVOKED
            badge.revoked_at = now
            badge.revoked_reason = f"Mistake number {n}" if n % 40 == 3 else ""
            changed.append(badge)
    Assertion.objects.bulk_update(
        changed, ["evidence", "status", "revoked_at", "revoked_reason"], batch_size=500
    )
    return OldServer(user=user, issuers=issuers, templates=templates)
