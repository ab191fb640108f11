import pytest

from core.exceptions import ApplicationError
from earners.models import Earner
from earners.services import earner_get_or_create
from issuers.tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db


def test_one_earner_per_issuer_and_email_in_any_case():
    issuer = IssuerFactory()
    first, created = earner_get_or_create(
        issuer=issuer, email=" Ann@Example.org ", first_name="Ann"
    )
    again, created_again = earner_get_or_create(issuer=issuer, email="ANN@example.ORG")
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert first.email == "ann@example.org"
    other, created_other = earner_get_or_create(issuer=IssuerFactory(), email="ann@example.org")
    assert created_other
    assert other.pk != first.pk


def test_names_given_later_correct_and_metadata_merges():
    issuer = IssuerFactory()
    earner_get_or_create(
        issuer=issuer,
        email="a@x.org",
        first_name="Anne",
        last_name="Lee",
        metadata={"course": "A", "city": "Rome"},
    )
    earner, _ = earner_get_or_create(
        issuer=issuer, email="a@x.org", first_name="Ann", metadata={"course": "B"}
    )
    assert (earner.first_name, earner.last_name) == ("Ann", "Lee")  # blank last name keeps it
    assert earner.metadata == {"course": "B", "city": "Rome"}
    assert Earner.objects.count() == 1


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@", "a b@x.org", None])
def test_bad_emails_are_named(bad):
    with pytest.raises(ApplicationError) as err:
        earner_get_or_create(issuer=IssuerFactory(), email=bad)
    assert err.value.field_errors == {"email": ["Enter a valid email address."]}
    assert not Earner.objects.exists()


def test_metadata_must_be_an_object():
    with pytest.raises(ApplicationError, match="Metadata"):
        earner_get_or_create(issuer=IssuerFactory(), email="a@x.org", metadata=["x"])
