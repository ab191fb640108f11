from django.conf import settings
from django.db import models

from core.models import EntityModel
from core.storage import get_private_storage


class WizardDraft(EntityModel):
    """An assignment being entered in the wizard, until it is confirmed or discarded.

    It belongs to one person and one issuer and is read by nobody else; the session
    holds only its `entity_id`. The steps' answers (mode, column mapping, context,
    template, validity, notes) are `data`, a few hundred bytes; the earner list (the
    table read from the file, its checked rows and their problems), up to 10,000 rows,
    is a file in the private storage, read only by the steps that need it. A draft lives
    a day from its creation; `assign.tasks.expire_wizard_drafts` deletes it with its
    file after that.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issuer = models.ForeignKey("issuers.Issuer", on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True, help_text="The answers of the steps.")
    rows = models.FileField(
        storage=get_private_storage,
        max_length=255,
        blank=True,
        help_text="The earner list: the table read, its checked rows and their problems.",
    )
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "issuer"], name="assign_wizarddraft_one_per_user_and_issuer"
            )
        ]

    def __str__(self) -> str:
        return f"Assign draft {self.entity_id}"
