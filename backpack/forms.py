from django import forms
from django.utils.translation import gettext_lazy as _

from assertions.selectors import BACKPACK_STATUSES
from assertions.sharing import STATUS_LABELS
from core.forms import WebURLField


class BackpackFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    issuer = forms.ChoiceField(required=False, label=_("Issuer"))
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", _("Any status")), *((s, STATUS_LABELS[s]) for s in BACKPACK_STATUSES)],
    )
    visibility = forms.ChoiceField(
        required=False,
        label=_("Visibility"),
        choices=[("", _("Public and private")), ("public", _("Public")), ("private", _("Private"))],
    )

    def __init__(self, *args, issuers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = [("", _("All issuers")), *issuers]


class ImportForm(forms.Form):
    url = WebURLField(
        required=False,
        max_length=1024,
        label=_("The badge's URL"),
        assume_scheme="https",
        help_text=_("The Open Badges 2.0 assertion URL, as shown on the badge's page elsewhere."),
    )
    image = forms.FileField(
        required=False,
        label=_("…or its baked image"),
        help_text=_("A PNG or SVG badge you downloaded."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("url") and not data.get("image"):
            raise forms.ValidationError(_("Give the badge's URL or upload its baked image."))
        return data


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=128, label=_("Name"))
    description = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    published = forms.BooleanField(
        required=False,
        label=_("Share it"),
        help_text=_("Anyone with the link sees the collection and can verify each badge."),
    )
    assertions = forms.MultipleChoiceField(
        required=False, label=_("Badges"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, badges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assertions"].choices = [
            (badge.entity_id, f"{badge.badge_template_version.name} · {badge.organization.name}")
            for badge in badges
        ]
