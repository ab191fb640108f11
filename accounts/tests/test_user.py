import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from accounts.forms import UserCreateForm
from accounts.models import User


@pytest.mark.django_db
def test_email_is_the_login_and_is_stored_lower_cased():
    # when a user is created with a mixed-case email
    user = User.objects.create_user("  Ann.Lee@Example.ORG ", "pw-1234567")
    # then it is stored lower-cased and the login works in any case
    assert user.email == "ann.lee@example.org"
    assert authenticate(username="ANN.LEE@example.org", password="pw-1234567") == user
    assert authenticate(username="ann.lee@example.org", password="wrong") is None


@pytest.mark.django_db
def test_a_second_user_with_the_same_email_in_another_case_is_refused():
    User.objects.create_user("ann@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ANN@example.org")


@pytest.mark.django_db
def test_the_database_refuses_a_mixed_case_email_that_bypasses_the_manager():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Bob@example.org")])


@pytest.mark.django_db
def test_user_created_without_password_cannot_log_in():
    user = User.objects.create_user("earner@example.org")
    assert not user.has_usable_password()
    assert authenticate(username="earner@example.org", password="") is None


@pytest.mark.django_db
def test_superuser_gets_staff_and_superuser_flags():
    admin = User.objects.create_superuser("root@example.org", "pw-1234567")
    assert admin.is_staff
    assert admin.is_superuser
    with pytest.raises(ValueError, match="is_superuser"):
        User.objects.create_superuser("x@example.org", "pw", is_superuser=False)


@pytest.mark.django_db
def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("")


@pytest.mark.django_db
def test_admin_creation_form_names_a_case_insensitive_duplicate():
    User.objects.create_user("ann@example.org")
    form = UserCreateForm(
        data={
            "email": "Ann@Example.org",
            "password1": "a-Long-pass-9",
            "password2": "a-Long-pass-9",
        }
    )
    assert not form.is_valid()
    assert form.errors["email"] == ["A user with this email address already exists."]


@pytest.mark.django_db
def test_admin_creation_form_stores_the_email_lower_cased():
    form = UserCreateForm(
        data={
            "email": "New@Example.org",
            "password1": "a-Long-pass-9",
            "password2": "a-Long-pass-9",
        }
    )
    assert form.is_valid(), form.errors
    assert form.save().email == "new@example.org"


def test_names():
    assert User(email="a@b.org", first_name="Ann", last_name="Lee").get_full_name() == "Ann Lee"
    assert User(email="a@b.org").get_full_name() == "a@b.org"
    assert str(User(email="a@b.org")) == "a@b.org"
