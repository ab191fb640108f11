"""Forms of the issuer's staff pages. They check the shape of what was typed; the rules
are the services' (assertions.services), whose errors come back under these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assertions.selectors import BADGE_STATUSES


class BadgeFilterForm(forms.Form):
    """The badge list's search and filters (GET); `templates` and `batches` are the
    issuer's, as (entity_id, label) choices."""

    q = forms.CharField(
        required=False,
        max_length=254,
        label=_("Search"),
        help_text=_("The start of a name, or of an email address"),
    )
    template = forms.ChoiceField(required=False, label=_("Badge"))
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", _("Any"))]
        + list(zip(BADGE_STATUSES, (_("Valid"), _("Expired"), _("Revoked")), strict=True)),
    )
    batch = forms.ChoiceField(required=False, label=_("Assignment"))
    issued_from = forms.DateField(
        required=False, label=_("Issued from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        required=False, label=_("Issued until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    imported = forms.ChoiceField(
        required=False,
        label=_("Origin"),
        choices=[("", _("Any")), ("0", _("Issued here")), ("1", _("Imported"))],
    )

    def __init__(self, *args, templates, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("Any"))] + list(templates)
        self.fields["batch"].choices = [("", _("Any"))] + list(batches)

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and end < start:
            self.add_error("issued_to", _("Give a day on or after the first one."))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        label=_("Reason"),
        help_text=_("Shown on the badge's public page and to verifiers."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Email the earner"),
        help_text=_("Tell the earner by email that the badge was revoked, and why."),
    )


class NameForm(forms.Form):
    recipient_first_name = forms.CharField(max_length=150, label=_("First name"))
    recipient_last_name = forms.CharField(max_length=150, label=_("Last name"))


class ExpiryForm(forms.Form):
    CHOICES = (("date", _("Expires on a date")), ("never", _("Never expires")))
    validity = forms.ChoiceField(
        choices=CHOICES, widget=forms.RadioSelect, initial="date", label=_("Validity")
    )
    expires_on = forms.DateField(
        required=False, label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("validity") == "date" and not data.get("expires_on"):
            self.add_error("expires_on", _("Give the day the badge expires."))
        return data


class SelectionForm(forms.Form):
    """An action on the badges ticked on a page of the list."""

    ACTIONS = (("revoke", _("Revoke them")), ("resend", _("Send their email again")))
    action = forms.ChoiceField(choices=ACTIONS, label=_("With the selected badges"))
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Reason (to revoke)"),
        widget=forms.TextInput(),
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Email the earners (to revoke)"),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "revoke" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for revoking."))
        return data


class EarnerSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=254,
        label=_("Search"),
        help_text=_("The start of a name, or of an email address"),
    )


ROLE_CHOICES = (("staff", _("Staff")), ("editor", _("Editor")), ("owner", _("Owner")))
ROLE_HELP = _(
    "Staff assign and revoke badges; editors also make badge templates; owners also "
    "manage members and ask for credits."
)


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email address"))
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="staff", label=_("Role"))


class MemberRoleForm(forms.Form):
    email = forms.EmailField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=ROLE_CHOICES, label=_("Role"))


class MemberForm(forms.Form):
    email = forms.EmailField(widget=forms.HiddenInput)


class CreditRequestForm(forms.Form):
    amount = forms.IntegerField(
        min_value=1,
        max_value=1_000_000_000,
        label=_("How many credits"),
        initial=100,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        required=False,
        max_length=255,
        label=_("Note for the operators"),
        help_text=_("What the credits are for, or by when you need them."),
    )
