from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.i18n import language_choices
from core.ids import ENTITY_ID_LENGTH, new_entity_id
from core.models import EntityIdField


def normalize_email(email: str) -> str:
    """Emails are compared without regard to case, so they are stored lower-cased.

    RFC 5321 lets a mail server treat the local part as case-sensitive; none of the
    providers people use do, while two accounts for `Ann@x.org` and `ann@x.org` would
    be a real bug (badges split across two backpacks).
    """
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), **extra_fields)
        # password=None leaves an unusable password: the person sets one from an email link.
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: issuer staff and earners alike. The email is the login."""

    entity_id = EntityIdField(
        max_length=ENTITY_ID_LENGTH, unique=True, default=new_entity_id, editable=False
    )
    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log into the admin (issuer staff)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Blank: the browser's. Pages and the emails about the account use it.
    language = models.CharField(max_length=10, choices=language_choices, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Stored lower-cased, so the plain unique index on email is case-insensitive
            # and lookups by email can use it.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="accounts_user_email_lowercase",
                violation_error_message="Email addresses are stored in lower case.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        # A new password (reset, changed, set from a link) ends every OAuth token the
        # person's clients hold, as it ends their other browser sessions: whoever had the
        # old password may have had a token too.
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from accounts.oauth import user_tokens_revoke  # oauth imports this module

            user_tokens_revoke(self)

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email
