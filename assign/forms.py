"""Forms of the assign wizard. They check the shape of what was typed; the rules of
earner lists live in assertions.assign_files and those of an award in the services."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assertions.exports import XLSX_TYPE
from assertions.services import earner_row_clean
from assign.files import FIELD_LABELS, FIELDS, OPTIONAL_FIELDS
from core.timefmt import day_end


class EarnersForm(forms.Form):
    MODES = (("single", _("One earner")), ("bulk", _("Many earners (file or pasted rows)")))
    mode = forms.ChoiceField(
        choices=MODES, widget=forms.RadioSelect, initial="single", label=_("Assign to")
    )
    first_name = forms.CharField(max_length=150, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=150, required=False, label=_("Last name"))
    email = forms.CharField(max_length=254, required=False, label=_("Email"))
    file = forms.FileField(
        required=False,
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv,text/plain," + XLSX_TYPE}
        ),
        help_text=_(
            "Columns first_name, last_name, email (any other column is kept as the "
            "earner's details). Up to 10 MB and 10,000 earners."
        ),
    )
    pasted = forms.CharField(
        required=False,
        label=_("Or paste rows"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("Copied from a spreadsheet (tab-separated) or CSV, header row first."),
    )

    def clean(self):
        data = super().clean()
        if data.get("mode") == "single":
            # Every field's problem at once, each under its own field: the rule of a
            # row (assertions.services.earner_row_clean) says what a valid one is.
            _clean, errors = earner_row_clean({name: data.get(name) or "" for name in FIELDS})
            for name in FIELDS:
                if name in self.errors:
                    continue
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("The %(name)s is required.") % _field(name))
                elif name == "email" and errors.get("email"):
                    self.add_error(name, _("Enter a valid email address, like ada@example.org."))
                elif errors.get(name):
                    self.add_error(name, errors[name])
        elif data.get("mode") == "bulk" and not data.get("file") and not data.get("pasted"):
            self.add_error("file", _("Choose a file or paste rows."))
        return data


def _field(name: str) -> dict:
    return {
        "name": {
            "email": _("email"),
            "first_name": _("first name"),
            "last_name": _("last name"),
        }[name]
    }


class MappingForm(forms.Form):
    """Which column holds each field; built with the table's columns."""

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(none)"))] + [(str(i), name) for i, name in enumerate(columns)]
        for name in FIELDS + OPTIONAL_FIELDS:
            self.fields[name] = forms.ChoiceField(
                choices=choices, required=False, label=FIELD_LABELS[name]
            )


def _zone(issuer) -> ZoneInfo:
    return ZoneInfo(issuer.timezone or "UTC")


class ContextForm(forms.Form):
    activity_title = forms.CharField(
        max_length=255, label=_("Activity title"), help_text=_("E.g. the course or event.")
    )
    activity_started_at = forms.DateTimeField(
        required=False,
        label=_("Started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    activity_ended_at = forms.DateTimeField(
        required=False,
        label=_("Ended"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def __init__(self, *args, issuer, **kwargs):
        self.issuer = issuer
        super().__init__(*args, **kwargs)
        # The zone in each time's own label, so it is read with the field.
        for name in ("activity_started_at", "activity_ended_at"):
            field = self.fields[name]
            field.label = _("%(label)s (%(zone)s)") % {
                "label": field.label,
                "zone": issuer.timezone or "UTC",
            }

    def _in_zone(self, value):
        # Typed in the issuer's time zone, whatever the server's or the browser's is.
        if value is None:
            return None
        return value.replace(tzinfo=None).replace(tzinfo=_zone(self.issuer))

    def clean_activity_started_at(self):
        return self._in_zone(self.cleaned_data.get("activity_started_at"))

    def clean_activity_ended_at(self):
        return self._in_zone(self.cleaned_data.get("activity_ended_at"))

    def clean(self):
        data = super().clean()
        start, end = data.get("activity_started_at"), data.get("activity_ended_at")
        if start and end and end < start:
            self.add_error("activity_ended_at", _("The activity cannot end before it starts."))
        return data


class ValidityForm(forms.Form):
    CHOICES = (
        ("default", _("The template's default")),
        ("none", _("Never expires")),
        ("explicit", _("Expires on a date")),
    )
    validity = forms.ChoiceField(
        choices=CHOICES, widget=forms.RadioSelect, initial="default", label=_("Validity")
    )
    expires_on = forms.DateField(
        required=False, label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, issuer, **kwargs):
        self.issuer = issuer
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].help_text = _(
            "The badges are valid through that day (%(issuer_timezone)s)."
        ) % {"issuer_timezone": issuer.timezone}

    def clean(self):
        data = super().clean()
        if data.get("validity") == "explicit":
            day = data.get("expires_on")
            if day is None:
                self.add_error("expires_on", _("Give the date the badges expire."))
            elif expiry_of(day, self.issuer) <= timezone.now():
                self.add_error("expires_on", _("Give a date in the future."))
        return data


def expiry_of(day, issuer) -> datetime:
    """A badge that expires "on" a day is valid through that day in the issuer's zone."""
    return day_end(day, issuer.timezone)


class NotesForm(forms.Form):
    notes = forms.CharField(
        required=False,
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with each badge, for your organisation."),
    )
    narrative = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Narrative (Markdown)"),
        help_text=_("Shown on each badge's public page: what the earners did."),
        max_length=20000,
    )
    notify = forms.BooleanField(
        required=False, initial=True, label=_("Email each earner (one credit per email)")
    )
    email_message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("A message in the email (Markdown)"),
        help_text=_(
            "Added to each earner's email after the issuer's words. Placeholders "
            "such as {{ earner.first_name }} or {{ badge.name }} are filled in per earner; "
            "the review step shows the exact email."
        ),
        max_length=5000,
    )
