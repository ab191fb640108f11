"""Each served /v2 operation, driven with real tokens: anonymous, a token of the wrong
scope, another issuer's owner, an earner, and the owner (or, for the backpack, the
earner) with the scope Badgr names. Right answers, and nothing of the issuer's or the
earner's leaks to the others (issue 22)."""

import dataclasses

import pytest
from rest_framework.test import APIClient

from assertions.models import AssertionStatus
from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import client_for

DATA_URI = "data:image/png;base64," + __import__("base64").b64encode(png_bytes()).decode()
FAMILIES = {"issuer", "profile", "backpack"}


@dataclasses.dataclass
class World:
    issuer: object
    template: object
    badge: object
    owner: object
    other_owner: object
    earner: object

    def secrets(self) -> set[str]:
        """What of issuer A and its earner nobody else may see."""
        return {self.template.entity_id, self.badge.entity_id, self.badge.recipient_email}


@pytest.fixture
def world(db):
    owner = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=owner.issuer, amount=10)
    template = BadgeTemplateFactory(issuer=owner.issuer)
    badge = AssertionFactory(template=template, recipient_email="earner@example.org")
    return World(
        issuer=owner.issuer,
        template=template,
        badge=badge,
        owner=owner.user,
        other_owner=MembershipFactory(role=Role.OWNER).user,
        earner=badge.earner.user,
    )


# (method, path, body, scope Badgr names, who succeeds: "owner" | "earner" | "anyone")
OPS = [
    ("GET", "/v2/issuers/{issuer}", None, "rw:issuer", "owner"),
    ("PUT", "/v2/issuers/{issuer}", {"name": "Renamed"}, "rw:issuer", "owner"),
    ("DELETE", "/v2/issuers/{issuer}", None, "rw:issuer", "owner"),
    ("GET", "/v2/issuers/{issuer}/badgeclasses", None, "rw:issuer", "owner"),
    (
        "POST",
        "/v2/issuers/{issuer}/badgeclasses",
        {"name": "New", "image": DATA_URI, "criteriaNarrative": "Do it"},
        "rw:issuer",
        "owner",
    ),
    ("GET", "/v2/issuers/{issuer}/assertions", None, "rw:issuer", "owner"),
    (
        "POST",
        "/v2/issuers/{issuer}/assertions",
        {"badgeclass": "{template}", "recipient": {"identity": "new@example.org"}},
        "rw:issuer",
        "owner",
    ),
    ("GET", "/v2/badgeclasses/{template}", None, "rw:issuer", "owner"),
    ("PUT", "/v2/badgeclasses/{template}", {"description": "New"}, "rw:issuer", "owner"),
    ("DELETE", "/v2/badgeclasses/{template}", None, "rw:issuer", "owner"),
    ("GET", "/v2/badgeclasses/{template}/assertions", None, "rw:issuer", "owner"),
    (
        "POST",
        "/v2/badgeclasses/{template}/assertions",
        {"recipient": {"identity": "new@example.org"}},
        "rw:issuer",
        "owner",
    ),
    (
        "POST",
        "/v2/badgeclasses/{template}/issue",
        {"assertions": [{"recipient": {"identity": "new@example.org"}}]},
        "rw:issuer",
        "owner",
    ),
    ("GET", "/v2/assertions/{badge}", None, "rw:issuer", "owner"),
    ("PUT", "/v2/assertions/{badge}", {"narrative": "Changed"}, "rw:issuer", "owner"),
    ("DELETE", "/v2/assertions/{badge}", None, "rw:issuer", "owner"),
    ("GET", "/v2/backpack/assertions/{badge}", None, "r:backpack", "earner"),
    ("PUT", "/v2/backpack/assertions/{badge}", {"acceptance": "Accepted"}, "rw:backpack", "earner"),
    ("DELETE", "/v2/backpack/assertions/{badge}", None, "rw:backpack", "earner"),
    ("POST", "/v2/tokens/issuers", {"issuers": ["{issuer}"]}, "rw:issuer", "owner"),
]
# The lists: everyone with the scope gets 200, and sees only their own.
LISTS = [
    ("/v2/issuers", "rw:issuer"),
    ("/v2/badgeclasses", "rw:issuer"),
    ("/v2/backpack/assertions", "r:backpack"),
    ("/v2/auth/tokens", "rw:profile"),
    ("/v2/users/self", "r:profile"),
]


def fill(value, world: World):
    names = {
        "{issuer}": world.issuer.entity_id,
        "{template}": world.template.entity_id,
        "{badge}": world.badge.entity_id,
    }
    if isinstance(value, str):
        for name, entity_id in names.items():
            value = value.replace(name, entity_id)
        return value
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value


def call(api, method, path, body):
    return getattr(api, method.lower())(path, body, format="json")


def wrong_scope(scope: str) -> str:
    family = scope.split(":")[1]
    return " ".join(f"rw:{other}" for other in sorted(FAMILIES - {family}))


def unchanged(world: World) -> None:
    world.badge.refresh_from_db()
    world.template.refresh_from_db()
    world.issuer.refresh_from_db()
    assert world.badge.status == AssertionStatus.VALID
    assert world.badge.acceptance == "Unaccepted"
    assert world.badge.narrative == ""
    assert world.issuer.name != "Renamed"


@pytest.mark.parametrize(
    ("method", "path", "body", "scope", "succeeds"), OPS, ids=[f"{o[0]} {o[1]}" for o in OPS]
)
def test_each_operation_answers_each_caller_rightly(world, method, path, body, scope, succeeds):
    path, body = fill(path, world), fill(body, world)
    right = "owner" if succeeds == "owner" else "earner"
    wrong = "earner" if right == "owner" else "owner"
    # Anonymous: 401
    assert call(APIClient(), method, path, body).status_code == 401
    # The right person with a token of another family: 403, nothing done
    response = call(client_for(getattr(world, right), wrong_scope(scope)), method, path, body)
    assert response.status_code == 403
    # Another issuer's owner, and the other party (the earner for issuer operations, the
    # issuer's owner for the earner's): it is not there for them, nothing leaks or changes
    for caller in (world.other_owner, getattr(world, wrong)):
        response = call(client_for(caller, scope), method, path, body)
        if path == "/v2/tokens/issuers":
            assert response.status_code == 400  # not an issuer they own: a field error
        else:
            assert response.status_code == 404, (caller, response.content)
        assert response.json()["result"] == []
        text = response.content.decode()
        assert not any(secret in text for secret in world.secrets())
    unchanged(world)
    # The right person with the right scope: done
    response = call(client_for(getattr(world, right), scope), method, path, body)
    allowed = {200, 201} | ({409} if method == "DELETE" and "assertions" not in path else set())
    assert response.status_code in allowed, response.content


@pytest.mark.parametrize(("path", "scope"), LISTS)
def test_each_list_shows_its_caller_only_their_own(world, path, scope):
    assert APIClient().get(path).status_code == 401
    assert client_for(world.owner, wrong_scope(scope)).get(path).status_code == 403
    for caller in (world.owner, world.other_owner, world.earner):
        response = client_for(caller, scope).get(path)
        assert response.status_code == 200
        text = response.content.decode()
        sees_issuer = caller == world.owner and path in ("/v2/issuers", "/v2/badgeclasses")
        sees_badge = caller == world.earner and path == "/v2/backpack/assertions"
        if sees_issuer:
            assert world.template.entity_id in text or world.issuer.entity_id in text
        elif sees_badge:
            assert world.badge.entity_id in text
        else:
            secrets = world.secrets()
            if caller == world.earner:
                secrets.discard(world.badge.recipient_email)  # their own address
            assert not any(secret in text for secret in secrets), (caller, path)
