from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from assertions.models import (
    Acceptance,
    Assertion,
    AssertionStatus,
    AssignmentBatch,
    Collection,
    ImportedBadge,
)
from core.exceptions import NotFoundError
from core.iterables import chunks
from core.models import EmailStatus, OutboundEmail
from issuers.models import Issuer
from issuers.selectors import issuers_for_user


def assertions_keyed(issuer, field: str, values) -> QuerySet[Assertion]:
    """The issuer's badges whose `field` (`idempotency_key` or `imp_legacy_id`) is one of
    `values`, unordered. Both have a partial unique index (WHERE the field is not empty).
    PostgreSQL proves that an IN list matches such an index only for lists of at most 100
    values, so the condition is also written out: without it a batch's 500 keys read the
    whole table (42 ms instead of 1 ms at 100,000 badges). An empty value matches nothing."""
    return (
        Assertion.objects.filter(organization=issuer, **{f"{field}__in": values})
        .exclude(**{field: ""})
        .order_by()
    )


def holders(*, template, emails: list[str]) -> set[str]:
    """Which of `emails` (clean) hold a valid, unexpired badge of `template` now: the rule
    of `allowDuplicateAwards=false`. The award service asks with the earners locked (so
    the answer holds until it commits); the wizard asks early, to show who is left out."""
    now = timezone.now()
    found = set()
    for some in chunks(emails, 5000):
        found.update(
            Assertion.objects.filter(
                badge_template=template,
                status=AssertionStatus.VALID,
                recipient_email__in=some,
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("recipient_email", flat=True)
        )
    return found


def assertions_for_user(user) -> QuerySet[Assertion]:
    """Badges awarded by the issuers `user` is a member of, ready to serialise."""
    return Assertion.objects.filter(organization__in=issuers_for_user(user)).select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )


def assertion_for_user(user, entity_id: str) -> Assertion:
    assertion = assertions_for_user(user).filter(entity_id=entity_id).first()
    if assertion is None:
        raise NotFoundError("Badge not found.")
    return assertion


def filter_listed(queryset, *, recipient=None, include_expired=False, include_revoked=False):
    """Badgr's list filters: revoked and expired badges are hidden unless asked for."""
    if recipient:
        queryset = queryset.filter(recipient_email=recipient.strip().lower())
    if not include_revoked:
        queryset = queryset.exclude(status=AssertionStatus.REVOKED)
    if not include_expired:
        queryset = queryset.exclude(status=AssertionStatus.INVALID).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )
    return queryset


def backpack_for_user(user, *, include_rejected: bool = False) -> QuerySet[Assertion]:
    """The badges awarded to `user` (as an earner), across issuers; those they rejected
    only when asked for (Badgr hides them from the backpack)."""
    queryset = Assertion.objects.filter(earner__user=user).select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )
    if not include_rejected:
        queryset = queryset.exclude(acceptance=Acceptance.REJECTED)
    return queryset


def backpack_assertion(user, entity_id: str) -> Assertion:
    """One badge awarded to `user`, rejected or not; NotFoundError for anything else."""
    assertion = backpack_for_user(user, include_rejected=True).filter(entity_id=entity_id).first()
    if assertion is None:
        raise NotFoundError("Badge not found.")
    return assertion


def backpack_rejected(user) -> QuerySet[Assertion]:
    """The badges `user` rejected, newest first: the backpack page lets them change
    their mind."""
    return (
        backpack_for_user(user, include_rejected=True)
        .filter(acceptance=Acceptance.REJECTED)
        .order_by("-emitted_at", "-pk")
    )


def badges_for_user(user) -> QuerySet[Assertion]:
    """/api/v1: the badges of the issuers `user` is a member of, with what the badge
    object shows (its issuer and template version) joined in."""
    return Assertion.objects.filter(organization__in=issuers_for_user(user)).select_related(
        "organization", "badge_template_version"
    )


def batches_for_user(user) -> QuerySet[AssignmentBatch]:
    """Assignment batches of the issuers `user` is a member of."""
    return AssignmentBatch.objects.filter(issuer__in=issuers_for_user(user)).select_related(
        "issuer", "badge_template_version__template"
    )


def public_assertion(entity_id: str) -> Assertion | None:
    """An assertion with everything its public page and documents show (one query)."""
    return (
        Assertion.objects.select_related(
            "badge_template_version", "badge_template", "organization", "earner"
        )
        .filter(entity_id=entity_id)
        .first()
    )


def revoked_assertions(issuer) -> list[tuple[str, str]]:
    """(entity_id, reason) of the issuer's revoked badges, oldest revocation first."""
    return list(
        Assertion.objects.filter(organization=issuer, status=AssertionStatus.REVOKED)
        .order_by("revoked_at", "pk")
        .values_list("entity_id", "revoked_reason")
    )


BACKPACK_STATUSES = ("valid", "expired", "revoked")


def backpack_filtered(
    user, *, q: str = "", issuer: str = "", status: str = "", visibility: str = ""
):
    """The user's badges with the backpack page's filters: text (badge or issuer name),
    issuer entity_id, status (valid / expired / revoked) and visibility (public/private)."""
    now = timezone.now()
    qs = backpack_for_user(user).order_by("-emitted_at", "-pk")
    if q:
        qs = qs.filter(
            Q(badge_template_version__name__icontains=q) | Q(organization__name__icontains=q)
        )
    if issuer:
        qs = qs.filter(organization__entity_id=issuer)
    if status == "revoked":
        qs = qs.filter(status=AssertionStatus.REVOKED)
    elif status == "expired":
        qs = qs.exclude(status=AssertionStatus.REVOKED).filter(expires_at__lte=now)
    elif status == "valid":
        qs = qs.exclude(status=AssertionStatus.REVOKED).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
    if visibility in ("public", "private"):
        qs = qs.filter(is_private=visibility == "private")
    return qs


def backpack_issuers(user) -> list[tuple[str, str]]:
    """(entity_id, name) of the issuers that awarded `user` badges, for the filter."""
    return list(
        Issuer.objects.filter(assertions__earner__user=user)
        .distinct()
        .order_by("name")
        .values_list("entity_id", "name")
    )


def batch_progress(batch: AssignmentBatch) -> dict:
    """How far an assignment is: rows issued and failed, and its emails sent and failed
    (a batch is over when its rows are; emails may still be leaving after that)."""
    emails = dict(
        OutboundEmail.objects.filter(assertion__batch=batch)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    processed = batch.issued + batch.failed
    expected = batch.issued if batch.notify else 0
    sent = emails.get(EmailStatus.SENT, 0)
    email_failed = emails.get(EmailStatus.FAILED, 0)
    return {
        "status": batch.status,
        "total": batch.total,
        "issued": batch.issued,
        "failed": batch.failed,
        "percent": 100 if not batch.total else int(100 * processed / batch.total),
        "finished": batch.status in ("done", "failed"),
        "emails_expected": expected,
        "emails_sent": sent,
        "emails_failed": email_failed,
        # a resent email adds a row: never above 100
        "emails_percent": 100
        if not expected
        else min(100, int(100 * (sent + email_failed) / expected)),
        "credits_used": batch.credits_used,
        "credits_reserved": batch.credits_reserved,
    }


def collections_for_user(user) -> QuerySet[Collection]:
    """`user`'s own collections, with their badges' ids at hand."""
    if user is None or not user.is_authenticated:
        return Collection.objects.none()
    return Collection.objects.filter(user=user).prefetch_related(
        Prefetch("assertions", queryset=Assertion.objects.only("id", "entity_id"))
    )


def collection_for_user(user, entity_id: str) -> Collection:
    collection = collections_for_user(user).filter(entity_id=entity_id).first()
    if collection is None:
        raise NotFoundError("Collection not found.")
    return collection


def public_collection(entity_id: str) -> tuple[Collection, list[Assertion]] | None:
    """A published collection and the badges it shows to anyone: those its earner has
    neither made private nor rejected (each verified on its own page)."""
    collection = (
        Collection.objects.select_related("user")
        .filter(entity_id=entity_id, published=True)
        .first()
    )
    if collection is None:
        return None
    badges = (
        collection.assertions.filter(is_private=False, earner__user=collection.user_id)
        .exclude(acceptance=Acceptance.REJECTED)
        .select_related("badge_template_version", "organization")
        .order_by("-emitted_at", "-pk")
    )
    return collection, list(badges)


def imported_badge_for_user(user, entity_id: str) -> ImportedBadge | None:
    """A badge `user` added from another platform, or None."""
    if user is None or not user.is_authenticated:
        return None
    return ImportedBadge.objects.filter(user=user, entity_id=entity_id).first()


def imported_for_user(user, *, recipient=None, include_expired=False) -> list[ImportedBadge]:
    """The badges `user` added from other platforms, with Badgr's list filters (none of
    them is revoked: a revoked one is refused when added)."""
    if user is None or not user.is_authenticated:
        return []
    badges = ImportedBadge.objects.filter(user=user)
    if recipient:
        badges = badges.filter(recipient_email=recipient.strip().lower())
    if not include_expired:
        badges = badges.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return list(badges.order_by("-issued_on", "-pk"))
