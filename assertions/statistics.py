"""Badge statistics per organization and per badge template, in total and by month.

A selector: aggregate queries only, a fixed number of them whatever the number of
badges (per distinct time zone of the organizations, since months are the issuer's).

Every figure is about the badges emitted in the period (a month, or the whole selection):
- issued: badges; valid / expired / revoked: how many of them are so now (expired: past
  their expiry, whether or not the periodic sweep has marked them yet);
- emails_sent / emails_failed: outbox emails about those badges;
- earners_with_accounts: distinct earners of those badges who have a user account.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from assertions.models import AssertionStatus
from core.models import EmailStatus, OutboundEmail
from core.timefmt import get_zone
from templates_app.models import BadgeTemplate

FIGURES = (
    "issued",
    "valid",
    "expired",
    "revoked",
    "emails_sent",
    "emails_failed",
    "earners_with_accounts",
)


def _empty() -> dict:
    return dict.fromkeys(FIGURES, 0)


def _status_counts(now) -> dict:
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    return {
        "issued": Count("pk"),
        "valid": Count("pk", filter=Q(status=AssertionStatus.VALID) & live),
        "expired": Count(
            "pk",
            filter=Q(status=AssertionStatus.INVALID)
            | (Q(status=AssertionStatus.VALID) & Q(expires_at__lte=now)),
        ),
        "revoked": Count("pk", filter=Q(status=AssertionStatus.REVOKED)),
    }


def badge_statistics(*, issuers, assertions, templates=None, now=None) -> list[dict]:
    """Statistics of `assertions` (a filtered queryset) for each of `issuers`, and for
    each of their badge templates (or of `templates`, a queryset, when given)."""
    now = now or timezone.now()
    issuers = list(issuers)
    templates = list(
        (BadgeTemplate.objects.all() if templates is None else templates)
        .filter(issuer__in=issuers)
        .order_by("name", "pk")
        .values("pk", "issuer_id", "entity_id", "name")
    )
    # (issuer pk, template pk or None, month or None) -> figures
    cells: dict[tuple, dict] = defaultdict(_empty)

    def add(key, figures: dict):
        cell = cells[key]
        for name, value in figures.items():
            cell[name] += value

    by_zone = defaultdict(list)
    for issuer in issuers:
        by_zone[issuer.timezone].append(issuer.pk)
    for zone, issuer_ids in by_zone.items():
        month = TruncMonth("emitted_at", tzinfo=get_zone(zone))
        scoped = assertions.filter(organization_id__in=issuer_ids).order_by()

        rows = (
            scoped.annotate(month=month)
            .values("organization_id", "badge_template_id", "month")
            .annotate(**_status_counts(now))
        )
        for row in rows:
            figures = {name: row[name] for name in ("issued", "valid", "expired", "revoked")}
            _spread(add, row["organization_id"], row["badge_template_id"], row["month"], figures)

        emails = (
            OutboundEmail.objects.filter(assertion__in=scoped.values("pk"))
            .annotate(month=TruncMonth("assertion__emitted_at", tzinfo=get_zone(zone)))
            .values("assertion__organization_id", "assertion__badge_template_id", "month")
            .annotate(
                emails_sent=Count("pk", filter=Q(status=EmailStatus.SENT)),
                emails_failed=Count("pk", filter=Q(status=EmailStatus.FAILED)),
            )
            .order_by()
        )
        for row in emails:
            figures = {"emails_sent": row["emails_sent"], "emails_failed": row["emails_failed"]}
            _spread(
                add,
                row["assertion__organization_id"],
                row["assertion__badge_template_id"],
                row["month"],
                figures,
            )

        # Distinct earners do not add up across months or templates: one query per level.
        with_accounts = scoped.filter(earner__user__isnull=False).annotate(month=month)
        for keys in (
            ("organization_id", "badge_template_id", "month"),
            ("organization_id", "badge_template_id"),
            ("organization_id", "month"),
            ("organization_id",),
        ):
            for row in with_accounts.values(*keys).annotate(n=Count("earner_id", distinct=True)):
                key = (
                    row["organization_id"],
                    row.get("badge_template_id"),
                    _month(row.get("month")),
                )
                cells[key]["earners_with_accounts"] = row["n"]

    months = defaultdict(list)  # (issuer pk, template pk or None) -> months, sorted
    for key in sorted((k for k in cells if k[2] is not None), key=lambda k: k[2]):
        months[key[:2]].append(key[2])
    return [_organization(issuer, templates, cells, months) for issuer in issuers]


def _month(value) -> str | None:
    return value.strftime("%Y-%m") if value is not None else None


def _spread(add, issuer_id, template_id, month, figures: dict) -> None:
    """Count one (issuer, template, month) group at every level it belongs to."""
    month = _month(month)
    for key in (
        (issuer_id, template_id, month),
        (issuer_id, template_id, None),
        (issuer_id, None, month),
        (issuer_id, None, None),
    ):
        add(key, figures)


def _organization(issuer, templates, cells, months) -> dict:
    def by_month(template_id):
        return [
            {"month": month, **cells[(issuer.pk, template_id, month)]}
            for month in months.get((issuer.pk, template_id), [])
        ]

    return {
        "organization_id": issuer.entity_id,
        "name": issuer.name,
        "timezone": issuer.timezone,
        "totals": dict(cells.get((issuer.pk, None, None)) or _empty()),
        "by_month": by_month(None),
        "templates": [
            {
                "badge_template": template["entity_id"],
                "name": template["name"],
                "totals": dict(cells.get((issuer.pk, template["pk"], None)) or _empty()),
                "by_month": by_month(template["pk"]),
            }
            for template in templates
            if template["issuer_id"] == issuer.pk
        ],
    }
