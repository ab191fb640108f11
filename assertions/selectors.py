from django.db.models import Count, Func, IntegerField, Prefetch, Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import normalize_email
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
from core.keyset import newest_page
from core.models import EmailStatus, OutboundEmail
from core.queries import unique_or_none
from issuers.models import Issuer
from issuers.selectors import in_issuers_of, issuers_for_user


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
    return Assertion.objects.filter(in_issuers_of(user, "organization")).select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )


def badges_of_template(template) -> QuerySet[Assertion]:
    """The badges of a template (or a template's pk) its caller may read
    (`template_for_user` checked it): every badge of a template is of the template's
    issuer, so no membership join."""
    return Assertion.objects.filter(badge_template=template)


def badges_of_issuer(issuer) -> QuerySet[Assertion]:
    """The badges of an issuer (or an issuer's pk) its caller may read
    (`issuer_for_user` checked it)."""
    return Assertion.objects.filter(organization=issuer)


def assertion_for_user(user, entity_id: str) -> Assertion:
    assertion = unique_or_none(assertions_for_user(user).filter(entity_id=entity_id))
    if assertion is None:
        raise NotFoundError(gettext("Badge not found."))
    return assertion


def filter_listed(
    queryset, *, recipient=None, include_expired=False, include_revoked=False, now=None
):
    """Badgr's list filters: revoked and expired badges (at `now`, default the present)
    are hidden unless asked for."""
    if recipient:
        queryset = queryset.filter(recipient_email=normalize_email(recipient))
    if not include_revoked:
        queryset = queryset.exclude(status=AssertionStatus.REVOKED)
    if not include_expired:
        queryset = queryset.exclude(status=AssertionStatus.INVALID).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())
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
        raise NotFoundError(gettext("Badge not found."))
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
    return Assertion.objects.filter(in_issuers_of(user, "organization")).select_related(
        "organization", "badge_template_version"
    )


def batches_for_user(user) -> QuerySet[AssignmentBatch]:
    """Assignment batches of the issuers `user` is a member of."""
    return AssignmentBatch.objects.filter(issuer__in=issuers_for_user(user)).select_related(
        "issuer", "badge_template_version__template"
    )


def public_assertion(entity_id: str) -> Assertion | None:
    """An assertion with everything its public page and documents show (one query)."""
    return unique_or_none(
        Assertion.objects.select_related(
            "badge_template_version", "badge_template", "organization", "earner"
        ).filter(entity_id=entity_id)
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
        raise NotFoundError(gettext("Collection not found."))
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
        badges = badges.filter(recipient_email=normalize_email(recipient))
    if not include_expired:
        badges = badges.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return list(badges.order_by("-issued_on", "-pk"))


def batch_rows(batch: AssignmentBatch) -> list[dict]:
    """Every row of an assignment, in the order of the caller's list and numbered as it
    numbers them (the uploaded file's rows, `batch.source_rows`): the badges issued, the
    rows that failed while issuing and the rows left out before (`batch.rejected`), each
    {row, result (issued | failed | rejected), email, first_name, last_name, badge
    (entity id), email_status (sent | failed | pending | not sent), message}. Three
    queries whatever the batch's size."""
    numbers = batch.source_rows or []

    def number(position):
        if position and 0 < position <= len(numbers):
            return numbers[position - 1]
        return position

    email_status = {}
    for assertion_id, status in (
        OutboundEmail.objects.filter(assertion__batch=batch)
        .order_by("pk")
        .values_list("assertion_id", "status")
    ):
        email_status[assertion_id] = status  # the newest row of a resent email wins
    lines = []
    badges = batch.assertions.order_by("pk").values_list(
        "pk",
        "idempotency_key",
        "recipient_email",
        "recipient_first_name",
        "recipient_last_name",
        "entity_id",
    )
    prefix = f"batch:{batch.entity_id}:"
    for position, (pk, key, email, first, last, entity_id) in enumerate(badges, start=1):
        # A queued batch's badges carry their position in their key; an assignment done
        # at once issues them in the order given.
        at = int(key.rsplit(":", 1)[1]) if key.startswith(prefix) else position
        lines.append(
            {
                "row": number(at),
                "result": "issued",
                "email": email,
                "first_name": first,
                "last_name": last,
                "badge": entity_id,
                "email_status": email_status.get(pk, "pending" if batch.notify else "not sent"),
                "message": "",
            }
        )
    for error in batch.errors or []:
        lines.append(
            {
                "row": number(error.get("row")) or None,
                "result": "failed",
                "email": "",
                "first_name": "",
                "last_name": "",
                "badge": "",
                "email_status": "",
                "message": error.get("message", ""),
            }
        )
    for item in batch.rejected or []:
        lines.append(
            {
                "row": item.get("row"),
                "result": "rejected",
                "email": item.get("email", ""),
                "first_name": "",
                "last_name": "",
                "badge": "",
                "email_status": "",
                "message": item.get("message", ""),
            }
        )
    lines.sort(key=lambda line: (line["row"] is None, line["row"] or 0))
    return lines


# --- the issuer's badges, as the staff pages list them ------------------------------

BADGE_STATUSES = ("valid", "expired", "revoked")
BADGES_PAGE = 50


def issuer_badges_filtered(
    issuer,
    *,
    q: str = "",
    template: str = "",
    status: str = "",
    batch: str = "",
    issued_from=None,
    issued_to=None,
    imported: str = "",
) -> QuerySet[Assertion]:
    """The issuer's badges with the badge list's filters, newest first (-emitted_at, -pk,
    the order `badges_page` pages by). Every filter reads an index that leads with the
    issuer (see Assertion.Meta.indexes), so each answers fast at a million badges:

    - q: with an "@", the start of the recipient's email; otherwise each word the start
      of the first or the last name (any case);
    - template, batch: entity ids; status: valid / expired / revoked, as stored (expired
      is the status the expiry task sets); issued_from / issued_to: aware datetimes
      (the caller turns days into the issuer's midnights); imported: "1" or "0".
    """
    qs = Assertion.objects.filter(organization=issuer)
    q = " ".join((q or "").split())[:254]
    if "@" in q:
        qs = qs.filter(recipient_email__startswith=q.lower())
    elif q:
        for word in q.split(" ")[:4]:
            qs = qs.alias(
                first_upper=Upper("recipient_first_name"), last_upper=Upper("recipient_last_name")
            ).filter(
                Q(first_upper__startswith=word.upper()) | Q(last_upper__startswith=word.upper())
            )
    if template:
        qs = qs.filter(badge_template__entity_id=template)
    if status == "valid":
        qs = qs.filter(status=AssertionStatus.VALID)
    elif status == "expired":
        qs = qs.filter(status=AssertionStatus.INVALID)
    elif status == "revoked":
        qs = qs.filter(status=AssertionStatus.REVOKED)
    if batch:
        qs = qs.filter(batch__entity_id=batch)
    if issued_from is not None:
        qs = qs.filter(emitted_at__gte=issued_from)
    if issued_to is not None:
        qs = qs.filter(emitted_at__lt=issued_to)
    if imported in ("0", "1"):
        qs = qs.filter(imported=imported == "1")
    return qs.order_by("-emitted_at", "-pk")


def badges_page(queryset: QuerySet[Assertion], *, after: tuple | None, size: int = BADGES_PAGE):
    """One page of `queryset` (ordered -emitted_at, -pk) after the badge `after` =
    (emitted_at, pk) - keyset pagination: the database walks the index from there, so
    page 1,000 costs what page 1 does. Returns (badges, the key of the last one when
    there are more, else None)."""
    return newest_page(
        queryset.select_related("badge_template_version", "batch"),
        field="emitted_at",
        after=after,
        size=size,
    )


def badge_for_issuer(issuer, entity_id: str) -> Assertion:
    """One of the issuer's badges with what its staff page shows; NotFoundError else."""
    badge = (
        Assertion.objects.select_related(
            "badge_template_version", "batch", "earner", "organization", "created_by"
        )
        .filter(organization=issuer, entity_id=entity_id)
        .first()
    )
    if badge is None:
        raise NotFoundError(gettext("No such badge."))
    return badge


def badge_history(badge: Assertion) -> tuple[list, list]:
    """(events oldest first, emails newest first) of a badge, each with its actor/user."""
    events = list(badge.events.select_related("actor").order_by("created_at", "id")[:500])
    emails = list(
        OutboundEmail.objects.filter(assertion=badge).order_by("-created_at", "-id")[:100]
    )
    return events, emails


def earner_badges(earner) -> QuerySet[Assertion]:
    """The badges the earner's issuer gave them, newest first (-emitted_at, -pk, the
    order `badges_page` pages by), found through the (earner, badge_template) index."""
    return Assertion.objects.filter(earner=earner, organization_id=earner.issuer_id).order_by(
        "-emitted_at", "-pk"
    )


def issuer_badges_among(issuer, entity_ids) -> list[Assertion]:
    """Those of `entity_ids` that are the issuer's badges (a selection on its list)."""
    ids = [str(i) for i in entity_ids][:BADGES_PAGE]
    return list(Assertion.objects.filter(organization=issuer, entity_id__in=ids).order_by("pk"))


# --- the issuer's assignments, as the staff pages list them --------------------------

BATCHES_PAGE = 25


class _JSONArrayLength(Func):
    """The number of items of a JSON array column, counted by the database (the rows
    themselves, possibly thousands, are never read)."""

    function = "jsonb_array_length"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="json_array_length", **extra)


def batches_page(issuer, *, after: tuple | None, size: int = BATCHES_PAGE):
    """One page of the issuer's assignments, newest first, after the batch `after` =
    (created_at, pk) (keyset pagination), each with `rejected_count` (rows left out
    before issuing), `emails_sent` and `emails_failed`; its per-row lists are not read.
    Three queries whatever the number of batches and rows. Returns (batches, the key of
    the last one when there are more, else None)."""
    queryset = (
        AssignmentBatch.objects.filter(issuer=issuer)
        .defer("errors", "source_rows", "rejected", "notes", "narrative", "email_message")
        .select_related("badge_template_version", "created_by")
        .annotate(rejected_count=_JSONArrayLength("rejected"))
        .order_by("-created_at", "-pk")
    )
    batches, more = newest_page(queryset, field="created_at", after=after, size=size)
    emails: dict[tuple[int, str], int] = {}
    if batches:
        for batch_id, status, n in (
            OutboundEmail.objects.filter(assertion__batch__in=[b.pk for b in batches])
            .order_by()
            .values_list("assertion__batch", "status")
            .annotate(n=Count("id"))
        ):
            emails[(batch_id, status)] = n
    for batch in batches:
        batch.emails_sent = emails.get((batch.pk, EmailStatus.SENT), 0)
        batch.emails_failed = emails.get((batch.pk, EmailStatus.FAILED), 0)
    return batches, more
