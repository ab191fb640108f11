from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from accounts.models import User, normalize_email


class EmailNormalizingMixin:
    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        others = User.objects.filter(email=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            self.add_error("email", "A user with this email address already exists.")
        return email


class UserCreateForm(EmailNormalizingMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserEditForm(EmailNormalizingMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
