"""core.freshness: a row read during the request being served is fresh for the rest of
it, and for nothing else; an award takes such a template without reading it again."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from assertions.services import assertion_issue
from core.exceptions import ApplicationError
from core.freshness import read_in_this_request, read_now
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate
from templates_app.selectors import template_for_user
from templates_app.services import template_archive, template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_connection():
    # Django closes the database connection at a request's boundaries; the test's
    # transaction lives on it (the test client disconnects it alike).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _request_starts():
    request_started.send(sender=None, environ={})


def _request_ends():
    request_finished.send(sender=None)


def test_a_row_is_fresh_only_within_the_request_that_read_it():
    template = BadgeTemplateFactory()
    # Read outside any request (a worker, a command): never fresh
    assert not read_in_this_request(read_now(BadgeTemplate.objects.get(pk=template.pk)))
    # Read during a request: fresh until it ends, and not in the next one
    _request_starts()
    copy = read_now(BadgeTemplate.objects.get(pk=template.pk))
    assert read_in_this_request(copy)
    unread = BadgeTemplate.objects.get(pk=template.pk)
    assert not read_in_this_request(unread)
    _request_ends()
    assert not read_in_this_request(copy)
    _request_starts()
    assert not read_in_this_request(copy)
    _request_ends()


def _award(template, owner):
    return assertion_issue(
        template=template, recipient_email="ada@learners.example", actor=owner, notify=False
    )


def test_an_award_reads_again_a_template_read_before_its_request():
    # Given an owner's copy of a template, read in an earlier request
    template = BadgeTemplateFactory()
    owner = MembershipFactory(issuer=template.issuer, role=Role.OWNER).user
    _request_starts()
    copy = template_for_user(owner, template.entity_id)
    _request_ends()
    # When the template is archived, and the copy is awarded in a later request
    template_archive(template=BadgeTemplate.objects.get(pk=template.pk))
    _request_starts()
    try:
        # Then the award reads the template again and refuses it
        with pytest.raises(ApplicationError, match="archived"):
            _award(copy, owner)
    finally:
        _request_ends()


def test_an_award_takes_the_template_its_request_read_without_reading_it_again():
    # Given a template whose version changed before the request
    template = BadgeTemplateFactory()
    owner = MembershipFactory(issuer=template.issuer, role=Role.OWNER).user
    template_update(template=template, actor=owner, name="Renamed")
    _request_starts()
    try:
        # When the request reads it and awards it
        copy = template_for_user(owner, template.entity_id)
        with CaptureQueriesContext(connection) as ctx:
            badge = _award(copy, owner).assertion
    finally:
        _request_ends()
    # Then the badge is of the version current when the request read it, and the award
    # did not read the template again
    assert badge.badge_template_version.number == 2
    assert not [q for q in ctx.captured_queries if "templates_app_badgetemplate" in q["sql"]]
