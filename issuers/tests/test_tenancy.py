"""The tenancy rules in the services: who creates issuers (ISSUER_CREATION), who grants
credits, and membership by invitation. The same rules through the APIs, the admin and
the pages: tests/security/test_tenancy.py."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from badges_project.celery import app as celery_app
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.models import EmailKind, OutboundEmail
from core.services import email_resend, enqueue_send
from issuers.apps import check_issuer_creation
from issuers.exceptions import IssuerCreationRefusedError
from issuers.models import (
    CreditLedgerEntry,
    CreditRequestStatus,
    Invitation,
    InvitationStatus,
    Issuer,
    IssuerMembership,
    IssuerRequest,
    RequestStatus,
    Role,
)
from issuers.services import (
    credit_request_create,
    credit_request_decline,
    credit_request_grant,
    credits_grant_monthly,
    invitation_accept,
    invitation_accept_with_password,
    invitation_by_token,
    invitation_create,
    invitation_revoke,
    issuer_create,
    issuer_request_approve,
    issuer_request_create,
    issuer_request_decline,
)
from issuers.tests.factories import (
    InvitationFactory,
    IssuerFactory,
    MembershipFactory,
    OperatorFactory,
)

pytestmark = pytest.mark.django_db

PROFILE = {"name": "Night School", "email": "hello@night.example"}


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/(\S+?)/", message.body).group(1)


# -- who creates an issuer ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["closed", "approval"])
def test_outside_open_an_earner_cannot_create_an_issuer(settings, mode):
    settings.ISSUER_CREATION = mode
    earner = UserFactory(is_staff=False)
    with pytest.raises(IssuerCreationRefusedError) as refused:
        issuer_create(actor=earner, **PROFILE)
    assert refused.value.status_code == 403
    assert "operators" in refused.value.message
    earner.refresh_from_db()
    assert not earner.is_staff
    assert not Issuer.objects.exists()


@pytest.mark.parametrize("mode", ["closed", "approval", "open"])
def test_operators_create_issuers_under_every_setting(settings, mode):
    settings.ISSUER_CREATION = mode
    for operator in (OperatorFactory(), UserFactory(is_superuser=True, is_staff=True)):
        issuer = issuer_create(actor=operator, **PROFILE)
        assert IssuerMembership.objects.get(issuer=issuer).user == operator


def test_open_lets_anyone_signed_in_create_and_own_an_issuer(settings):
    settings.ISSUER_CREATION = "open"
    person = UserFactory(is_staff=False)
    issuer = issuer_create(actor=person, **PROFILE)
    assert IssuerMembership.objects.get(issuer=issuer, user=person).role == Role.OWNER
    person.refresh_from_db()
    assert person.is_staff  # an owner works in the admin


def test_an_unknown_setting_is_a_system_check_error(settings):
    settings.ISSUER_CREATION = "sometimes"
    (error,) = check_issuer_creation(None)
    assert error.id == "issuers.E001"
    settings.ISSUER_CREATION = "approval"
    assert check_issuer_creation(None) == []


# -- requests for an issuer ------------------------------------------------------------------


@pytest.fixture
def approval(settings):
    settings.ISSUER_CREATION = "approval"
    settings.SITE_URL = "https://badges.example"


def test_a_request_is_stored_and_emailed_to_every_operator(
    approval, django_capture_on_commit_callbacks
):
    operator, root = OperatorFactory(), UserFactory(is_superuser=True, is_staff=True)
    UserFactory(is_staff=True)  # staff, not an operator: not told
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = issuer_request_create(actor=person, **PROFILE, timezone="Europe/Rome")
    assert (request.status, request.requested_by, request.timezone) == (
        RequestStatus.PENDING,
        person,
        "Europe/Rome",
    )
    assert not Issuer.objects.exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([operator.email, root.email])
    assert "Night School" in mail.outbox[0].body
    assert f"/admin/issuers/issuerrequest/{request.pk}/change/" in mail.outbox[0].body


def test_operators_and_invitees_get_their_emails_in_their_own_language(
    approval, django_capture_on_commit_callbacks
):
    # given an Italian operator, an English one, and an Italian person who has an account
    italian = UserFactory(is_superuser=True, is_staff=True, language="it")
    english = UserFactory(is_superuser=True, is_staff=True, language="en")
    UserFactory(email="nuovo@example.org", language="it")
    membership = MembershipFactory(role=Role.OWNER)
    # when a request reaches the operators and the Italian person is invited
    with django_capture_on_commit_callbacks(execute=True):
        issuer_request_create(actor=UserFactory(), **PROFILE)
        invitation_create(
            issuer=membership.issuer, email="nuovo@example.org", actor=membership.user
        )
    # then each reads subject and body in their language
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[italian.email].subject == "Nuovo emittente richiesto: Night School"
    assert '<html lang="it">' in by_address[italian.email].alternatives[0][0]
    assert by_address[english.email].subject == "New issuer requested: Night School"
    assert '<html lang="en">' in by_address[english.email].alternatives[0][0]
    invited = by_address["nuovo@example.org"]
    assert invited.subject.startswith("Unisciti a ")
    assert '<html lang="it">' in invited.alternatives[0][0]
    # and the invitation's outbox row still names only the address
    assert OutboundEmail.objects.get(kind=EmailKind.MEMBER_INVITED).user is None


def test_one_request_waits_at_a_time_per_person(approval):
    person = UserFactory()
    issuer_request_create(actor=person, **PROFILE)
    with pytest.raises(ConflictError, match="still waiting"):
        issuer_request_create(actor=person, name="Another", email="a@x.example")
    assert IssuerRequest.objects.count() == 1


def test_a_request_names_bad_fields_and_refuses_an_image(approval):
    with pytest.raises(ApplicationError) as bad:
        issuer_request_create(actor=UserFactory(), name="", email="nope", timezone="Mars/Base")
    assert set(bad.value.field_errors) == {"name", "email", "timezone"}
    with pytest.raises(ApplicationError) as image:
        issuer_request_create(actor=UserFactory(), image=object(), **PROFILE)
    assert "image" in image.value.field_errors
    assert not IssuerRequest.objects.exists()


@pytest.mark.parametrize("mode", ["closed", "open"])
def test_a_request_is_only_for_approval(settings, mode):
    settings.ISSUER_CREATION = mode
    with pytest.raises(ApplicationError):
        issuer_request_create(actor=UserFactory(), **PROFILE)
    assert not IssuerRequest.objects.exists()


def test_an_operator_approves_and_the_requester_owns_the_issuer(
    approval, django_capture_on_commit_callbacks
):
    person = UserFactory(is_staff=False)
    request = issuer_request_create(actor=person, **PROFILE)
    operator = OperatorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        issuer = issuer_request_approve(issuer_request=request, actor=operator)
    request.refresh_from_db()
    assert (request.status, request.issuer, request.decided_by) == (
        RequestStatus.APPROVED,
        issuer,
        operator,
    )
    assert IssuerMembership.objects.get(issuer=issuer).user == person
    assert IssuerMembership.objects.get(issuer=issuer).role == Role.OWNER
    assert not IssuerMembership.objects.filter(user=operator).exists()
    person.refresh_from_db()
    assert person.is_staff
    (told,) = sent_to(person.email)
    assert f"/issuers/{issuer.entity_id}/" in told.body
    with pytest.raises(ConflictError, match="approved already"):
        issuer_request_decline(issuer_request=request, actor=operator)


def test_a_declined_request_creates_nothing_and_tells_the_requester(
    approval, django_capture_on_commit_callbacks
):
    person = UserFactory()
    request = issuer_request_create(actor=person, **PROFILE)
    with django_capture_on_commit_callbacks(execute=True):
        issuer_request_decline(issuer_request=request, actor=OperatorFactory(), note="Who are you?")
    assert IssuerRequest.objects.get().status == RequestStatus.DECLINED
    assert not Issuer.objects.exists()
    (told,) = sent_to(person.email)
    assert "declined" in told.body
    assert "Who are you?" in told.body
    # and the person may ask again
    issuer_request_create(actor=person, **PROFILE)


def test_only_operators_decide_requests(approval):
    request = issuer_request_create(actor=UserFactory(), **PROFILE)
    owner = MembershipFactory(role=Role.OWNER).user
    for decide in (issuer_request_approve, issuer_request_decline):
        with pytest.raises(PermissionDeniedError):
            decide(issuer_request=request, actor=owner)
        with pytest.raises(PermissionDeniedError):
            decide(issuer_request=request, actor=request.requested_by)
    assert IssuerRequest.objects.get().status == RequestStatus.PENDING
    assert Issuer.objects.count() == 1  # the owner's own


# -- credits ----------------------------------------------------------------------------------


def test_an_owner_asks_for_credits_and_the_operators_are_emailed(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://badges.example"
    owner = MembershipFactory(role=Role.OWNER)
    operator = OperatorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = credit_request_create(
            issuer=owner.issuer, actor=owner.user, amount=200, note="Spring term"
        )
    (told,) = mail.outbox
    assert told.to == [operator.email]
    assert "200 credits" in told.body
    assert "Spring term" in told.body
    # no credits until an operator grants them; one request waits at a time
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 0
    with pytest.raises(ConflictError):
        credit_request_create(issuer=owner.issuer, actor=owner.user, amount=5)
    # granted: a top-up in the ledger, by the operator
    entry = credit_request_grant(credit_request=request, actor=operator)
    request.refresh_from_db()
    assert (request.status, request.entry, entry.amount, entry.created_by) == (
        CreditRequestStatus.GRANTED,
        entry,
        200,
        operator,
    )
    owner.issuer.refresh_from_db()
    assert owner.issuer.credit_balance == 200
    with pytest.raises(ConflictError):
        credit_request_grant(credit_request=request, actor=operator)
    assert owner.issuer.credit_balance == 200


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_only_owners_ask_for_credits(role):
    member = MembershipFactory(role=role)
    with pytest.raises(PermissionDeniedError):
        credit_request_create(issuer=member.issuer, actor=member.user, amount=5)


def test_an_owner_cannot_grant_or_decline_its_own_request():
    owner = MembershipFactory(role=Role.OWNER)
    request = credit_request_create(issuer=owner.issuer, actor=owner.user, amount=5)
    for decide in (credit_request_grant, credit_request_decline):
        with pytest.raises(PermissionDeniedError):
            decide(credit_request=request, actor=owner.user)
    assert not CreditLedgerEntry.objects.exists()
    credit_request_decline(credit_request=request, actor=OperatorFactory())
    request.refresh_from_db()
    assert request.status == CreditRequestStatus.DECLINED


def test_the_initial_grant_comes_with_every_new_issuer(settings):
    settings.CREDITS_INITIAL_GRANT = 300
    issuer = issuer_create(actor=OperatorFactory(), **PROFILE)
    assert issuer.credit_balance == 300
    assert CreditLedgerEntry.objects.get(issuer=issuer).note == "Initial grant"


def test_the_monthly_grant_is_given_once_per_issuer_and_month(settings):
    settings.CREDITS_MONTHLY_GRANT = 100
    a, b = IssuerFactory(), IssuerFactory()
    march = dt.datetime(2025, 3, 1, 0, 5, tzinfo=dt.UTC)
    # when the task runs twice in March, then once in April
    assert credits_grant_monthly(now=march) == 2
    assert credits_grant_monthly(now=march + dt.timedelta(days=20)) == 0
    assert credits_grant_monthly(now=march + dt.timedelta(days=31)) == 2
    # then each issuer got two grants, one per month
    for issuer in (a, b):
        issuer.refresh_from_db()
        assert issuer.credit_balance == 200
        periods = CreditLedgerEntry.objects.filter(issuer=issuer).values_list("period", flat=True)
        assert sorted(periods) == ["2025-03", "2025-04"]


def test_beat_runs_the_monthly_grant_task(settings):
    # given the schedule beat runs, the tasks a worker finds at start, a monthly grant
    celery_app.loader.import_default_modules()
    settings.CREDITS_MONTHLY_GRANT = 10
    issuer = IssuerFactory()
    entry = settings.CELERY_BEAT_SCHEDULE["grant-monthly-credits"]
    # when the task it names runs (twice), then the issuer got this month's grant once
    assert celery_app.tasks[entry["task"]].delay().get() == 1
    assert celery_app.tasks[entry["task"]].delay().get() == 0
    issuer.refresh_from_db()
    assert issuer.credit_balance == 10


def test_no_monthly_grant_unless_set(settings):
    settings.CREDITS_MONTHLY_GRANT = 0
    IssuerFactory()
    assert credits_grant_monthly() == 0
    assert not CreditLedgerEntry.objects.exists()


def test_the_grant_credits_command_grants_and_refuses_clearly():
    issuer = IssuerFactory()
    out = StringIO()
    call_command("grant_credits", issuer.entity_id, "250", "--reason", "Invoice 12", stdout=out)
    assert "balance is 250" in out.getvalue()
    entry = CreditLedgerEntry.objects.get(issuer=issuer)
    assert (entry.amount, entry.note) == (250, "Invoice 12")
    with pytest.raises(CommandError, match="no issuer"):
        call_command("grant_credits", "nope", "5")
    with pytest.raises(CommandError, match="above zero"):
        call_command("grant_credits", issuer.entity_id, "0")
    assert CreditLedgerEntry.objects.count() == 1


# -- invitations ------------------------------------------------------------------------------


@pytest.fixture
def owner(settings):
    settings.SITE_URL = "https://badges.example"
    return MembershipFactory(role=Role.OWNER)


def test_an_invitation_is_emailed_with_a_link_whose_token_is_made_at_sending(
    owner, django_capture_on_commit_callbacks
):
    # when an owner invites an address
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            issuer=owner.issuer, email="Sam@Example.org", role=Role.EDITOR, actor=owner.user
        )
    # then the address gets a link; the outbox holds no token, the invitation its hash
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    token = link_in(message)
    row = OutboundEmail.objects.get(kind=EmailKind.MEMBER_INVITED)
    assert token not in str(row.context)
    invitation.refresh_from_db()
    assert invitation.token_hash
    assert token not in invitation.token_hash
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=6)
    assert invitation_by_token(token) == invitation


def test_sending_again_makes_a_new_link_and_the_old_one_stops(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(issuer=owner.issuer, email="sam@example.org", actor=owner.user)
    first = link_in(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        email_resend(email=OutboundEmail.objects.get(kind=EmailKind.MEMBER_INVITED))
    second = link_in(mail.outbox[1])
    assert first != second
    with pytest.raises(NotFoundError):
        invitation_by_token(first)
    assert invitation_by_token(second).email == "sam@example.org"


def test_accepting_needs_the_invited_address(owner):
    invitation = InvitationFactory(issuer=owner.issuer, email="sam@example.org", token="t1")
    stranger = UserFactory(email="other@example.org")
    with pytest.raises(PermissionDeniedError, match="another address"):
        invitation_accept(token="t1", user=stranger)
    assert not IssuerMembership.objects.filter(user=stranger).exists()
    sam = UserFactory(email="sam@example.org", is_staff=False)
    membership = invitation_accept(token="t1", user=sam)
    assert (membership.issuer, membership.role) == (owner.issuer, invitation.role)
    sam.refresh_from_db()
    assert sam.is_staff
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, sam)
    # a link works once
    with pytest.raises(NotFoundError):
        invitation_accept(token="t1", user=sam)


def test_a_new_address_makes_its_account_from_the_link(owner):
    InvitationFactory(issuer=owner.issuer, email="new@example.org", token="t2", role=Role.STAFF)
    with pytest.raises(ApplicationError) as weak:
        invitation_accept_with_password(token="t2", password="123")
    assert "password" in weak.value.field_errors
    user, membership = invitation_accept_with_password(
        token="t2", password="a-long-enough-passphrase", first_name="Nia"
    )
    assert (user.email, user.first_name) == ("new@example.org", "Nia")
    assert user.check_password("a-long-enough-passphrase")
    assert membership.user == user


def test_an_account_an_award_made_chooses_its_password_from_the_link(owner):
    # given an earner account made by an award, whose set-password link was never used
    earner = UserFactory(email="earner@example.org", password=None, first_name="Eve")
    assert not earner.has_usable_password()
    InvitationFactory(issuer=owner.issuer, email="earner@example.org", token="t5")
    # when they choose a password on the invitation
    user, membership = invitation_accept_with_password(
        token="t5", password="a-long-enough-passphrase"
    )
    # then it is that account, with the password, and a member
    assert user == earner
    user.refresh_from_db()
    assert user.check_password("a-long-enough-passphrase")
    assert user.first_name == "Eve"
    assert membership.user == earner


def test_an_address_with_an_account_must_sign_in_instead(owner):
    InvitationFactory(issuer=owner.issuer, email="sam@example.org", token="t3")
    sam = UserFactory(email="sam@example.org")
    with pytest.raises(ConflictError, match="sign in"):
        invitation_accept_with_password(token="t3", password="a-long-enough-passphrase")
    sam.refresh_from_db()
    assert sam.check_password("pw-for-tests")


@pytest.mark.parametrize(
    "change",
    [
        {"status": InvitationStatus.REVOKED},
        {"status": InvitationStatus.ACCEPTED},
        {"expires_at": timezone.now() - dt.timedelta(seconds=1)},
    ],
    ids=["revoked", "accepted", "expired"],
)
def test_a_link_that_no_longer_works_says_so_in_one_way(owner, change):
    InvitationFactory(issuer=owner.issuer, email="sam@example.org", token="t4", **change)
    with pytest.raises(NotFoundError, match="used, revoked or has expired"):
        invitation_accept(token="t4", user=UserFactory(email="sam@example.org"))
    assert not IssuerMembership.objects.filter(user__email="sam@example.org").exists()


def test_an_invitation_revoked_before_its_email_left_is_not_sent(
    owner, django_capture_on_commit_callbacks
):
    invitation = invitation_create(issuer=owner.issuer, email="sam@example.org", actor=owner.user)
    invitation_revoke(invitation=invitation, actor=owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_send(OutboundEmail.objects.get(kind=EmailKind.MEMBER_INVITED).pk)
    assert mail.outbox == []
    row = OutboundEmail.objects.get(kind=EmailKind.MEMBER_INVITED)
    assert "revoked" in row.last_error


def test_invitations_are_refused_for_members_and_pending_addresses(owner):
    member = MembershipFactory(issuer=owner.issuer, user__email="member@example.org")
    with pytest.raises(ConflictError, match="already a member"):
        invitation_create(issuer=owner.issuer, email=member.user.email.upper(), actor=owner.user)
    invitation_create(issuer=owner.issuer, email="sam@example.org", actor=owner.user)
    with pytest.raises(ConflictError, match="pending"):
        invitation_create(issuer=owner.issuer, email="sam@example.org", actor=owner.user)
    with pytest.raises(ApplicationError) as bad:
        invitation_create(issuer=owner.issuer, email="not-an-address", actor=owner.user)
    assert "email" in bad.value.field_errors
    with pytest.raises(ApplicationError) as role:
        invitation_create(issuer=owner.issuer, email="x@example.org", role="boss", actor=owner.user)
    assert "role" in role.value.field_errors
    assert Invitation.objects.count() == 1


def test_an_invitation_answers_the_same_whether_or_not_the_address_has_an_account(owner):
    UserFactory(email="known@example.org", first_name="Kim")
    known = invitation_create(issuer=owner.issuer, email="known@example.org", actor=owner.user)
    unknown = invitation_create(issuer=owner.issuer, email="unknown@example.org", actor=owner.user)
    assert known.accepted_by is None
    assert unknown.accepted_by is None
    assert not IssuerMembership.objects.filter(user__email="known@example.org").exists()


def test_only_owners_revoke_and_only_pending_invitations(owner):
    invitation = invitation_create(issuer=owner.issuer, email="sam@example.org", actor=owner.user)
    staff = MembershipFactory(issuer=owner.issuer, role=Role.STAFF)
    with pytest.raises(PermissionDeniedError):
        invitation_revoke(invitation=invitation, actor=staff.user)
    invitation_revoke(invitation=invitation, actor=owner.user)
    assert Invitation.objects.get().status == InvitationStatus.REVOKED
    with pytest.raises(ConflictError):
        invitation_revoke(invitation=invitation, actor=owner.user)
