from django import forms
from django.utils.translation import gettext, gettext_lazy

from credentials.verify import MAX_INPUT_BYTES


class VerifyForm(forms.Form):
    credential = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        label=gettext_lazy("Paste a credential"),
        help_text=gettext_lazy(
            "A VC-JWT (eyJ…), or the JSON of a credential or of an exported bundle."
        ),
        max_length=MAX_INPUT_BYTES,
    )
    file = forms.FileField(
        required=False,
        label=gettext_lazy("…or upload its file"),
        help_text=gettext_lazy("A .jwt or .json file, 1 MB at most."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_INPUT_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 1 MB."))
        return upload

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("credential") or "").strip() and not data.get("file"):
            raise forms.ValidationError(gettext("Paste a credential or choose a file to verify."))
        return data

    def payload(self) -> bytes:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            return upload.read(MAX_INPUT_BYTES + 1)
        return self.cleaned_data["credential"].encode("utf-8")
