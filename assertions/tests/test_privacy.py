"""A badge's privacy: only its earner hides it (what that does to the pages:
public_pages/tests/test_views.py, backpack/tests/test_views.py)."""

import pytest

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.services import assertion_set_private
from assertions.tests.factories import AssertionFactory
from core.exceptions import PermissionDeniedError
from earners.models import Earner

pytestmark = pytest.mark.django_db


def owned_badge():
    """A badge whose earner has a user account (as every awarded earner does)."""
    badge = AssertionFactory()
    Earner.objects.filter(pk=badge.earner_id).update(user=UserFactory())
    return Assertion.objects.select_related("earner__user").get(pk=badge.pk)


def test_only_the_earner_can_make_a_badge_private():
    badge = owned_badge()
    staff = UserFactory(is_staff=True)
    for actor in (None, staff):
        with pytest.raises(PermissionDeniedError):
            assertion_set_private(assertion=badge, actor=actor, private=True)
    badge.refresh_from_db()
    assert not badge.is_private
