from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import WebURLField
from imports.documents import MAX_FILES


def anyway_field() -> forms.BooleanField:
    """Keep what the source holds where the data allows (imported_row_clean's `anyway`)."""
    return forms.BooleanField(
        label=_("Import anyway where the data allows"),
        required=False,
        help_text=_(
            "Keep a future issue date, and evidence links that are not web addresses (as "
            "text), as the source holds them; each is named in the report."
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class BadgrImportForm(forms.Form):
    url = WebURLField(
        label="Old server's API URL",
        assume_scheme="https",
        help_text="The base of its API, e.g. https://api.badgr.io (without /v2).",
    )
    token = forms.CharField(
        label=gettext_lazy("Access token"),
        widget=forms.PasswordInput(render_value=False),
        max_length=2048,
        help_text=gettext_lazy(
            "A token of a staff member of the old issuer(s); kept only while the import runs."
        ),
    )
    issuers = forms.CharField(
        label=gettext_lazy("Only these old issuers"),
        required=False,
        help_text=gettext_lazy(
            "Their entity ids, separated by spaces or commas. Empty: every issuer the "
            "token can see."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run (check, write nothing)"), required=False
    )
    anyway = anyway_field()

    def clean_issuers(self):
        raw = self.cleaned_data.get("issuers") or ""
        return [part for part in raw.replace(",", " ").split() if part]


class DocumentsImportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # Both forms share the page and a field name (`anyway`): ids of their own.
        kwargs.setdefault("auto_id", "documents_%s")
        super().__init__(*args, **kwargs)

    files = MultipleFileField(
        label="Baked badge images (PNG, SVG) or a zip of them",
        required=False,
    )
    urls = forms.CharField(
        label=gettext_lazy("Hosted badge URLs, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    emails = forms.CharField(
        label=gettext_lazy("Earners' emails (for badges whose recipient is hashed)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Your earners' addresses are tried anyway."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("files") and not (data.get("urls") or "").strip():
            raise forms.ValidationError(gettext("Upload badge images or give hosted badge URLs."))
        if len(data.get("files") or []) > MAX_FILES:
            raise forms.ValidationError(
                _("At most %(max_files)s files at once; use a zip.") % {"max_files": MAX_FILES}
            )
        return data

    def clean_emails(self):
        raw = self.cleaned_data.get("emails") or ""
        return [p for p in raw.replace(",", " ").replace(";", " ").split() if "@" in p]


class SpreadsheetImportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # Both forms share the page and a field name (`anyway`): ids of their own.
        kwargs.setdefault("auto_id", "spreadsheet_%s")
        super().__init__(*args, **kwargs)

    sheet = forms.FileField(
        label=gettext_lazy("Spreadsheet of past awards (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: email, template, issued_on, and optionally first_name, "
            "last_name, expires, legacy_id, narrative, status, revoked_reason."
        ),
    )
    anyway = anyway_field()
