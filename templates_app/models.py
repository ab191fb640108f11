from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import EntityModel, WebURLField


class Kind(models.TextChoices):
    SKILLS = "skills", _("Skills")
    PARTICIPATION = "participation", _("Participation")
    KNOWLEDGE = "knowledge", _("Knowledge")
    QUALIFICATION = "qualification", _("Qualification")


class ValidityUnit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class BadgeTemplate(EntityModel):
    """What a badge is for (Badgr's "BadgeClass"). Awarded badges show a version of it."""

    issuer = models.ForeignKey(
        "issuers.Issuer", on_delete=models.PROTECT, related_name="badge_templates"
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SKILLS)
    criteria_url = WebURLField(max_length=1024, blank=True)
    criteria_narrative = models.TextField(blank=True, help_text="Markdown.")
    image = models.ImageField(upload_to="badge-templates/", blank=True)
    tags = models.JSONField(default=list, blank=True)
    alignments = models.JSONField(
        default=list,
        blank=True,
        help_text="Open Badges alignment objects: targetName, targetUrl, targetDescription, "
        "targetFramework, targetCode.",
    )
    validity_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Default validity of an awarded badge; empty: none."
    )
    validity_unit = models.CharField(max_length=10, choices=ValidityUnit.choices, blank=True)
    archived = models.BooleanField(default=False)
    design = models.JSONField(
        default=dict,
        blank=True,
        help_text="The badge designer's choices that drew the image (templates_app.designer); "
        "empty when the image was uploaded.",
    )
    design_picture = models.ImageField(
        upload_to="badge-templates/pictures/",
        blank=True,
        help_text="The picture the designer drew in place of the icon, as the upload gate "
        "kept it, to draw the badge again with; empty when none.",
    )
    current_version = models.ForeignKey(
        "BadgeTemplateVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["issuer", "archived", "name"], name="templates_issuer_list")
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(validity_amount__isnull=True) & Q(validity_unit=""))
                    | (Q(validity_amount__gt=0) & ~Q(validity_unit=""))
                ),
                name="templates_validity_amount_and_unit_together",
                violation_error_message="A default validity needs both an amount and a unit.",
            ),
            models.CheckConstraint(
                condition=~Q(criteria_url="") | ~Q(criteria_narrative=""),
                name="templates_criteria_url_or_narrative",
                violation_error_message="Give the criteria as a URL, a narrative, or both.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# What a version snapshots of its template (besides the image): what an awarded badge shows.
VERSION_FIELDS = (
    "name",
    "description",
    "kind",
    "criteria_url",
    "criteria_narrative",
    "tags",
    "alignments",
)


class BadgeTemplateVersion(EntityModel):
    """Immutable snapshot of everything an awarded badge shows.

    Numbered 1, 2, 3... per template. Services create versions and never change them; an
    awarded badge keeps pointing at the version it was issued with.
    """

    template = models.ForeignKey(BadgeTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    criteria_url = WebURLField(max_length=1024, blank=True)
    criteria_narrative = models.TextField(blank=True)
    image = models.ImageField(upload_to="badge-versions/", blank=True)
    image_high = models.ImageField(
        upload_to="badge-versions/", blank=True, help_text="High-resolution rendition."
    )
    image_thumbnail = models.ImageField(upload_to="badge-versions/", blank=True)
    image_sha256 = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=list, blank=True)
    alignments = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="templates_version_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="templates_version_number_from_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"
