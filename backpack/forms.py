from django import forms

from assertions.selectors import BACKPACK_STATUSES
from core.forms import WebURLField


class BackpackFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    issuer = forms.ChoiceField(required=False, label="Issuer")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *((s, s.capitalize()) for s in BACKPACK_STATUSES)],
    )
    visibility = forms.ChoiceField(
        required=False,
        choices=[("", "Public and private"), ("public", "Public"), ("private", "Private")],
    )

    def __init__(self, *args, issuers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = [("", "All issuers"), *issuers]


class ImportForm(forms.Form):
    url = WebURLField(
        required=False,
        max_length=1024,
        label="The badge's URL",
        assume_scheme="https",
        help_text="The Open Badges 2.0 assertion URL, as shown on the badge's page elsewhere.",
    )
    image = forms.FileField(
        required=False, label="…or its baked image", help_text="A PNG or SVG badge you downloaded."
    )

    def clean(self):
        data = super().clean()
        if not data.get("url") and not data.get("image"):
            raise forms.ValidationError("Give the badge's URL or upload its baked image.")
        return data
