from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext

from core.exceptions import NotFoundError
from core.freshness import read_now
from core.queries import unique_compiled, unique_or_none
from issuers.models import Role
from issuers.permissions import has_role
from issuers.selectors import issuers_for_user, row_for_member
from templates_app.models import VERSION_FIELDS, BadgeTemplate, BadgeTemplateVersion


class TemplateQuerySet(QuerySet):
    def get_or_404(self, entity_id: str) -> BadgeTemplate:
        template = unique_or_none(self.filter(entity_id=entity_id))
        if template is None:
            raise NotFoundError(gettext("Badge template not found."))
        return template


def templates_for_user(user) -> TemplateQuerySet:
    """Badge templates of the issuers `user` is a member of, ready to serialise."""
    qs = TemplateQuerySet(BadgeTemplate)
    return (
        qs.filter(issuer__in=issuers_for_user(user))
        .select_related("issuer", "created_by", "current_version")
        .order_by("name", "pk")
    )


def _template_by_entity_id(entity_id: str):
    return BadgeTemplate.objects.select_related("issuer", "current_version").filter(
        entity_id=entity_id
    )


def _template_with_role(entity_id: str, user_id: int):
    """A template with `user_id`'s role in its issuer (`viewer_role`); none for a
    template of an issuer they are not a member of."""
    return (
        BadgeTemplate.objects.select_related("issuer", "current_version")
        .filter(entity_id=entity_id, issuer__memberships__user_id=user_id)
        .annotate(viewer_role=F("issuer__memberships__role"))
    )


def template_for_user(user, entity_id: str, min_role=None) -> BadgeTemplate:
    """One template by entity id if `user` is a member (with `min_role`, default staff)
    of its issuer; NotFoundError otherwise. One query, with the member's role
    (`row_for_member`). The template is fresh for the rest of the request
    (`core.freshness`)."""
    template = row_for_member(
        user,
        entity_id,
        plain=_template_by_entity_id,
        with_role=_template_with_role,
        issuer_id=lambda template: template.issuer_id,
    )
    if template is None or not has_role(user, template.issuer, min_role or Role.STAFF):
        raise NotFoundError(gettext("Badge template not found."))
    return read_now(template)


def public_badge_version(template_entity_id: str, number: int | None = None):
    """A template version with its template and issuer, for the public BadgeClass: the
    given version number, or the template's current version. None when there is none."""
    if number is None:
        template = unique_compiled(_template_by_entity_id, template_entity_id)
        if template is None or template.current_version is None:
            return None
        version = template.current_version
        version.template = template
        return version
    return (
        BadgeTemplateVersion.objects.select_related("template__issuer")
        .filter(template__entity_id=template_entity_id, number=number)
        .first()
    )


@dataclass(frozen=True)
class VersionChange:
    field: str  # one of services.SHOWN_FIELDS, or "image"
    before: object
    after: object


@dataclass(frozen=True)
class VersionEntry:
    version: BadgeTemplateVersion
    changes: list[VersionChange]  # empty for version 1


def template_history(template: BadgeTemplate, limit: int = 200) -> list[VersionEntry]:
    """The template's versions, newest first, each with what it changed against the one
    before it (field by field; the image by its checksum). One query."""
    versions = list(
        BadgeTemplateVersion.objects.filter(template=template)
        .select_related("created_by")
        .order_by("-number")[: limit + 1]
    )
    entries = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        if older is None:
            if len(versions) <= limit:
                entries.append(VersionEntry(newer, []))
            break
        changes = [
            VersionChange(field, getattr(older, field), getattr(newer, field))
            for field in VERSION_FIELDS
            if getattr(older, field) != getattr(newer, field)
        ]
        if older.image_sha256 != newer.image_sha256:
            changes.append(VersionChange("image", older, newer))
        entries.append(VersionEntry(newer, changes))
    return entries


def templates_of_issuer(issuer, *, q: str = "", kind: str = "", archived: bool = False):
    """An issuer's templates for its workspace list: searched by name (any part, any
    case) or tag, by kind, archived or not; with the current version for the thumbnail."""
    qs = BadgeTemplate.objects.filter(issuer=issuer, archived=archived)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(tags__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("current_version", "created_by").order_by("name", "pk")
