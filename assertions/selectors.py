from django.db.models import Q, QuerySet
from django.utils import timezone

from assertions.models import Assertion, AssertionStatus
from core.exceptions import NotFoundError
from issuers.selectors import issuers_for_user


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


def backpack_for_user(user) -> QuerySet[Assertion]:
    """The badges awarded to `user` (as an earner), across issuers."""
    return Assertion.objects.filter(earner__user=user).select_related(
        "organization", "badge_template", "badge_template_version", "created_by"
    )
