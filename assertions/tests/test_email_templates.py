"""The issuer's own words for its badge emails, an assignment's message, and the preview
that shows the exact email: placeholders filled safely, bad ones refused."""

import re

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from assertions.services import award_email_preview, batch_assign
from core.exceptions import ApplicationError, PermissionDeniedError
from issuers.models import Role
from issuers.services import credits_top_up, issuer_email_settings_update
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    template = BadgeTemplateFactory(name="Primo soccorso", issuer__name="Croce Verde")
    credits_top_up(issuer=template.issuer, amount=20)
    issuer_email_settings_update(
        issuer=template.issuer,
        email_subject="{{ badge.name }} for {{ earner.first_name }}",
        email_greeting="Dear {{ earner.first_name }} {{ earner.last_name }},",
        email_body="Well done on **{{ activity.title }}**: your badge *{{ badge.name }}*.",
        email_closing="The {{ issuer.name }} team",
    )
    return template


@pytest.mark.parametrize(
    "text",
    [
        "{{ earner.password }}",
        "{{ issuer.credit_balance }}",
        "{% load static %}",
        "{{ badge.name|safe }}",
        "{{ earner.first_name.upper }}",
    ],
)
def test_unknown_placeholders_and_template_tags_are_refused_by_field(text):
    issuer = BadgeTemplateFactory().issuer
    with pytest.raises(ApplicationError) as refused:
        issuer_email_settings_update(issuer=issuer, email_body=text)
    assert "email_body" in refused.value.field_errors
    with pytest.raises(ApplicationError) as message:
        batch_assign(
            template=BadgeTemplateFactory(issuer=issuer),
            rows=[{"email": "a@example.org", "first_name": "A", "last_name": "B"}],
            email_message=text,
        )
    assert "email_message" in message.value.field_errors


def test_only_editors_and_owners_change_the_emails():
    staff = MembershipFactory(role=Role.STAFF)
    with pytest.raises(PermissionDeniedError):
        issuer_email_settings_update(issuer=staff.issuer, actor=staff.user, email_body="Hi")
    editor = MembershipFactory(role=Role.EDITOR, issuer=staff.issuer)
    issuer_email_settings_update(issuer=staff.issuer, actor=editor.user, email_body="Hi")


def test_the_issuers_words_and_the_assignments_message_fill_the_email_safely(
    template, django_capture_on_commit_callbacks
):
    # given an earner whose name is written to look like Markdown and HTML
    rows = [
        {
            "email": "ann@example.org",
            "first_name": "[Ann](https://evil.example)",
            "last_name": "<b>Lee</b>",
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch_assign(
            template=template,
            rows=rows,
            activity_title="BLS course",
            email_message="See you in *{{ badge.name }}* part 2, {{ earner.first_name }}.",
        )
    (sent,) = mail.outbox
    html = sent.alternatives[0][0]
    # then the issuer's subject, greeting, body and closing are there, filled in
    assert sent.subject == "Primo soccorso for [Ann](https://evil.example)"
    assert "Dear [Ann](https://evil.example) <b>Lee</b>," in sent.body
    assert "Well done on **BLS course**: your badge *Primo soccorso*." in sent.body
    assert "See you in *Primo soccorso* part 2" in sent.body
    assert "The Croce Verde team" in sent.body
    assert "<strong>BLS course</strong>" in html
    assert "<em>Primo soccorso</em>" in html
    # and the earner's name stays text: no link, no tag of theirs
    assert "evil.example" not in re.findall(r'href="([^"]+)"', html)
    assert "<b>Lee</b>" not in html
    assert "&lt;b&gt;Lee&lt;/b&gt;" in html


def test_the_preview_is_the_email_that_is_sent(template, django_capture_on_commit_callbacks):
    UserFactory(email="known@example.org")  # has a password: the badge email
    preview = award_email_preview(
        template=template,
        email="known@example.org",
        first_name="Kim",
        last_name="Ng",
        activity_title="BLS course",
        message="Hello from **{{ issuer.name }}**",
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = batch_assign(
            template=template,
            rows=[{"email": "known@example.org", "first_name": "Kim", "last_name": "Ng"}],
            activity_title="BLS course",
            email_message="Hello from **{{ issuer.name }}**",
        )
    (sent,) = mail.outbox
    badge_url = result.assertions[0].url

    def same(text):  # the preview's badge has no id yet (its page, its place in the backpack)
        text = re.sub(r"/public/assertions/[\w-]+", "/public/assertions/ID", text)
        return re.sub(r"/me/badges#[\w-]+", "/me/badges#ID", text)

    assert preview["subject"] == sent.subject
    assert same(preview["text"]) == same(sent.body)
    assert same(preview["html"]) == same(sent.alternatives[0][0])
    assert badge_url in sent.body


def test_a_new_earners_preview_is_the_account_creation_email(template):
    preview = award_email_preview(template=template, email="new@example.org", first_name="N")
    assert preview["kind"] == "account_created"
    assert "/accounts/set-password/" in preview["text"]
