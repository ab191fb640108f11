"""Shared by the security tests: an issuer with one of everything an API path names, and
the path parameters of the OpenAPI document filled in with that issuer's objects."""

import re
from dataclasses import dataclass
from datetime import timedelta

from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import get_application_model

from accounts.models import User
from accounts.oauth import ensure_public_client
from accounts.tokens import access_token_create, token_entity_id
from assertions.models import Assertion, AssignmentBatch, Collection
from assertions.tests.factories import AssertionFactory
from earners.models import Earner
from earners.services import earner_get_or_create
from issuers.models import Invitation, Issuer, IssuerRequest, Role
from issuers.services import credits_top_up
from issuers.tests.factories import InvitationFactory, MembershipFactory
from templates_app.models import BadgeTemplate
from templates_app.tests.factories import BadgeTemplateFactory


@dataclass
class World:
    issuer: Issuer
    owner: User
    member: User  # a second member, for the /members/{user_id} paths
    template: BadgeTemplate
    assertion: Assertion
    earner: Earner
    batch: AssignmentBatch
    invitation: Invitation  # pending, to someone with no account
    issuer_request: IssuerRequest  # the owner's request for another issuer
    collection: Collection | None = None  # the owner's collection of badges (backpack)
    token_id: str = ""  # the entityId of one of the owner's access tokens (/v2/auth/tokens)


def make_world(name: str = "Issuer") -> World:
    owner = MembershipFactory(role=Role.OWNER, issuer__name=name)
    issuer = owner.issuer
    credits_top_up(issuer=issuer, amount=100)
    template = BadgeTemplateFactory(issuer=issuer, name=f"{name} badge")
    assertion = AssertionFactory(
        template=template, recipient_email=f"earner@{name.lower()}.example"
    )
    earner, _ = earner_get_or_create(issuer=issuer, email=assertion.recipient_email)
    batch = AssignmentBatch.objects.create(
        issuer=issuer, badge_template_version=template.current_version
    )
    member = MembershipFactory(issuer=issuer, role=Role.STAFF).user
    invitation = InvitationFactory(issuer=issuer, email=f"invitee@{name.lower()}.example")
    # Made as an operator would find it (ISSUER_CREATION = "approval").
    issuer_request = IssuerRequest.objects.create(
        requested_by=owner.user, name=f"{name} Two", email=f"two@{name.lower()}.example"
    )
    collection = Collection.objects.create(user=owner.user, name=f"{name} collection")
    token, _raw = access_token_create(
        user=owner.user,
        application=ensure_public_client(get_application_model()),
        scope="r:profile",
        lifetime=timedelta(hours=1),
    )
    return World(
        issuer,
        owner.user,
        member,
        template,
        assertion,
        earner,
        batch,
        invitation,
        issuer_request,
        collection,
        token_entity_id(token),
    )


# Which object each path parameter names, by the collection it follows. A new path whose
# parameters are not here makes `path_parameters` raise, so the matrix cannot skip it.
_COLLECTIONS = {
    "assertions": lambda w: w.assertion.entity_id,
    "badges": lambda w: w.assertion.entity_id,
    "badgeclasses": lambda w: w.template.entity_id,
    "badge-templates": lambda w: w.template.entity_id,
    "issuers": lambda w: w.issuer.entity_id,
    "organizations": lambda w: w.issuer.entity_id,
    "earners": lambda w: w.earner.entity_id,
    "assignments": lambda w: w.batch.entity_id,
    "versions": lambda w: w.template.current_version.entity_id,
    "members": lambda w: w.member.entity_id,
    "invitations": lambda w: w.invitation.entity_id,
    "organization-requests": lambda w: w.issuer_request.entity_id,
    "collections": lambda w: w.collection.entity_id,
    "tokens": lambda w: w.token_id,
    "users": lambda w: w.owner.entity_id,
}


def path_parameters(path: str, world: World) -> dict[str, str]:
    values = {}
    for collection, name in re.findall(r"([\w-]+)/\{(\w+)\}", path):
        if collection not in _COLLECTIONS:
            raise LookupError(f"{path}: no object known for {{{name}}} after {collection}/")
        values[name] = _COLLECTIONS[collection](world)
    if set(values) != set(re.findall(r"\{(\w+)\}", path)):
        raise LookupError(f"{path}: a parameter is not after a collection name")
    return values


def api_schema() -> dict:
    """The OpenAPI document /api/schema/ serves (both /v2 and /api/v1)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def api_operations() -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, operations in api_schema()["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "put", "patch", "post", "delete"}
    ]
