from django.db.models import QuerySet
from django.utils.translation import gettext

from core.exceptions import NotFoundError
from issuers.models import Role
from issuers.permissions import has_role
from issuers.selectors import issuers_for_user
from templates_app.models import BadgeTemplate, BadgeTemplateVersion


class TemplateQuerySet(QuerySet):
    def get_or_404(self, entity_id: str) -> BadgeTemplate:
        template = self.filter(entity_id=entity_id).first()
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


def template_for_user(user, entity_id: str, min_role=None) -> BadgeTemplate:
    """One template by entity id if `user` is a member (with `min_role`, default staff)
    of its issuer; NotFoundError otherwise. One simple query plus the role lookup, which
    is remembered on the user for the services that check it again."""
    template = (
        BadgeTemplate.objects.select_related("issuer", "current_version")
        .filter(entity_id=entity_id)
        .first()
    )
    if template is None or not has_role(user, template.issuer, min_role or Role.STAFF):
        raise NotFoundError(gettext("Badge template not found."))
    return template


def public_badge_version(template_entity_id: str, number: int | None = None):
    """A template version with its template and issuer, for the public BadgeClass: the
    given version number, or the template's current version. None when there is none."""
    if number is None:
        template = (
            BadgeTemplate.objects.select_related("current_version", "issuer")
            .filter(entity_id=template_entity_id)
            .first()
        )
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
