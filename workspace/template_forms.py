"""Forms of the badge template pages: the template's fields, its image (designed here,
uploaded, or kept) and the designer's choices. They check the shape of what was typed;
the rules are templates_app's services', whose errors come back under these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import WebURLField
from templates_app.designer import ICONS, SHAPES, TITLE_MAX, Design
from templates_app.models import Kind, ValidityUnit

KIND_LABELS = {
    Kind.SKILLS: _("Skills"),
    Kind.PARTICIPATION: _("Participation"),
    Kind.KNOWLEDGE: _("Knowledge"),
    Kind.QUALIFICATION: _("Qualification"),
}
UNIT_LABELS = {
    ValidityUnit.DAYS: _("days"),
    ValidityUnit.WEEKS: _("weeks"),
    ValidityUnit.MONTHS: _("months"),
    ValidityUnit.YEARS: _("years"),
}
# The alignment rows' inputs (repeated, one per row) and the Open Badges keys they fill.
ALIGNMENT_INPUTS = (
    ("alignment_framework", "targetFramework"),
    ("alignment_code", "targetCode"),
    ("alignment_name", "targetName"),
    ("alignment_url", "targetUrl"),
)
MAX_ALIGNMENTS = 50
COLOUR = forms.TextInput(attrs={"type": "color"})


class PictureInput(forms.ClearableFileInput):
    """The designer's picture: the one the template has (small), a box to draw the icon
    instead, and the file input for another."""

    template_name = "workspace/picture_input.html"
    clear_checkbox_label = _("Draw the icon instead of this picture")


class TemplateListForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    kind = forms.ChoiceField(
        required=False,
        label=_("Kind"),
        choices=[("", _("Any"))] + list(KIND_LABELS.items()),
    )
    archived = forms.BooleanField(required=False, label=_("Archived templates"))


def tags_from_text(text: str) -> list[str]:
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


class TemplateForm(forms.Form):
    """`editing`: an existing template, whose image may be kept as it is."""

    name = forms.CharField(max_length=255, label=_("Name"))
    description = forms.CharField(
        required=False,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()))
    criteria_narrative = forms.CharField(
        required=False,
        label=_("Criteria (Markdown)"),
        help_text=_("What an earner did to earn the badge."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
    )
    criteria_url = WebURLField(
        required=False,
        max_length=1024,
        label=_("Criteria page (URL)"),
        assume_scheme="https",
    )
    tags = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Tags"),
        help_text=_("Separate tags with commas."),
    )
    # Filled from the alignment rows; here so that their errors have a place.
    alignments = forms.Field(required=False, label=_("Alignments"), widget=forms.HiddenInput)
    validity_amount = forms.IntegerField(
        required=False, min_value=1, max_value=1000, label=_("Badges are valid for")
    )
    validity_unit = forms.ChoiceField(
        required=False,
        label=_("Unit"),
        choices=[("", _("(no expiry)"))] + list(UNIT_LABELS.items()),
    )
    image_source = forms.ChoiceField(
        label=_("Badge image"),
        widget=forms.RadioSelect,
        choices=(("design", _("Design it here")), ("upload", _("Upload an image"))),
        initial="design",
    )
    image = forms.FileField(
        required=False,
        label=_("Image file"),
        help_text=_("PNG, JPEG, WebP or SVG."),
    )
    shape = forms.ChoiceField(label=_("Shape"), choices=list(SHAPES.items()), initial="circle")
    background = forms.CharField(label=_("Background"), widget=COLOUR, initial=Design.background)
    accent = forms.CharField(label=_("Edge"), widget=COLOUR, initial=Design.accent)
    text_colour = forms.CharField(
        label=_("Text and icon"), widget=COLOUR, initial=Design.text_colour
    )
    title = forms.CharField(required=False, max_length=TITLE_MAX, label=_("Title on the badge"))
    icon = forms.ChoiceField(
        label=_("Icon"),
        choices=[(key, label) for key, (label, _path, _paint) in ICONS.items()],
        initial="star",
    )
    picture = forms.FileField(
        required=False,
        widget=PictureInput,
        label=_("Or a picture instead of the icon"),
        help_text=_("PNG, JPEG or WebP; it is cut to a circle."),
    )

    DESIGN_FIELDS = tuple(Design().as_dict())

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["image_source"].choices = [
                ("keep", _("Keep the current image")),
                *self.fields["image_source"].choices,
            ]
            self.fields["image_source"].initial = "keep"

    def alignment_rows(self) -> list[dict]:
        """The rows as typed (bound) or as stored (initial), plus one empty row to fill."""
        if self.is_bound:
            columns = [self.data.getlist(name) for name, _key in ALIGNMENT_INPUTS]
            count = max((len(c) for c in columns), default=0)
            rows = [
                {
                    key: (c[i] if i < len(c) else "").strip()
                    for (_n, key), c in zip(ALIGNMENT_INPUTS, columns, strict=True)
                }
                for i in range(count)
            ]
            rows = [row for row in rows if any(row.values())]
        else:
            rows = [dict(a) for a in self.initial.get("alignment_list") or []]
        return [*rows, dict.fromkeys(key for _n, key in ALIGNMENT_INPUTS)]

    def clean(self):
        data = super().clean()
        amount, unit = data.get("validity_amount"), data.get("validity_unit")
        if amount and not unit:
            self.add_error("validity_unit", _("Choose days, weeks, months or years."))
        if unit and not amount:
            self.add_error(
                "validity_amount", _("Give how many %(unit)s.") % {"unit": UNIT_LABELS[unit]}
            )
        no_criteria = not (data.get("criteria_narrative") or "").strip()
        if no_criteria and not data.get("criteria_url") and "criteria_url" not in self.errors:
            self.add_error("criteria_narrative", _("Give the criteria as a text, a URL, or both."))
        if data.get("image_source") == "upload" and not data.get("image"):
            self.add_error("image", _("Choose the image file to upload."))
        data["tags"] = tags_from_text(data.get("tags", ""))
        if len(self.alignment_rows()) > MAX_ALIGNMENTS + 1:
            self.add_error("alignments", _("At most %(n)s alignments.") % {"n": MAX_ALIGNMENTS})
        data["alignments"] = [
            {key: value for key, value in row.items() if value}
            for row in self.alignment_rows()
            if any(row.values())
        ]
        return data

    def template_fields(self) -> dict:
        """What the services take (everything but the image)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description", ""),
            "kind": data["kind"],
            "criteria_narrative": data.get("criteria_narrative", ""),
            "criteria_url": data.get("criteria_url", ""),
            "tags": data["tags"],
            "alignments": data["alignments"],
            "validity_amount": data.get("validity_amount") or None,
            "validity_unit": data.get("validity_unit") or "",
        }

    def design(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.DESIGN_FIELDS}

    def design_picture(self):
        """The designer's picture: an upload, the template's own (kept), or None."""
        return self.cleaned_data.get("picture") or None


def template_initial(template) -> dict:
    """The form's starting values for an existing template."""
    initial = {
        "name": template.name,
        "description": template.description,
        "kind": template.kind,
        "criteria_narrative": template.criteria_narrative,
        "criteria_url": template.criteria_url,
        "tags": ", ".join(template.tags or []),
        "alignment_list": template.alignments or [],
        "validity_amount": template.validity_amount,
        "validity_unit": template.validity_unit,
        "image_source": "keep",
        "picture": template.design_picture or None,
    }
    initial.update(template.design or {})
    return initial
