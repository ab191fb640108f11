"""credentials hears of new issuers and revoked badges through signals (the apps below
it never import it); what it writes belongs to the sender's transaction."""

import pytest

from assertions.models import AssertionStatus
from assertions.services import assertion_revoke
from credentials import receivers, services
from credentials.models import IssuerKey, StatusEntry
from issuers.services import issuer_create

pytestmark = pytest.mark.django_db


def test_a_new_issuer_gets_its_signing_key_with_it():
    # given / when an issuer is created
    issuer = issuer_create(name="Keyed", email="k@keyed.example")
    # then its active key exists already
    assert IssuerKey.objects.filter(issuer=issuer, active=True).count() == 1


def test_revoking_sets_the_status_bit_in_the_same_transaction(make_badge):
    # given a badge whose credential has a status list entry
    badge = make_badge()
    entry = services.status_entry_get_or_create(assertion=badge)
    assert entry.revoked is False
    # when it is revoked
    assertion_revoke(assertion=badge, reason="Issued in error")
    # then its bit is set
    assert StatusEntry.objects.get(pk=entry.pk).revoked is True


def test_a_status_bit_that_cannot_be_set_undoes_the_revocation(make_badge, monkeypatch):
    # given a badge with an entry, and a status list that fails to update
    badge = make_badge()
    entry = services.status_entry_get_or_create(assertion=badge)

    def broken(*, assertion):
        raise RuntimeError("status list unavailable")

    monkeypatch.setattr(receivers, "status_entry_revoke", broken)
    # when it is revoked
    with pytest.raises(RuntimeError):
        assertion_revoke(assertion=badge, reason="Issued in error")
    # then neither the badge nor its bit changed: the bit belongs to the revocation
    badge.refresh_from_db()
    assert badge.status == AssertionStatus.VALID
    assert StatusEntry.objects.get(pk=entry.pk).revoked is False
