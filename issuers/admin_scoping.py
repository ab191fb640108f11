"""The Django admin, scoped to the issuers a staff user belongs to.

Access comes from IssuerMembership roles (issuers.permissions), not from Django's model
permissions: a member with no auth permissions at all works in their own issuers and
sees nothing of anyone else's. Superusers see everything.

Every ModelAdmin of issuer data uses `IssuerScopedMixin`; writes go through services,
from a `ServiceModelForm` (see there why the service runs during validation).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.http import Http404

from core.exceptions import ApplicationError
from core.forms import add_application_error
from issuers.models import Role
from issuers.permissions import has_role
from issuers.selectors import issuers_for_user


def issuer_ids(request, role: Role) -> frozenset[int] | None:
    """Ids of the issuers where the user holds `role` or more; None means all (superuser).

    Remembered on the request: the admin asks many times per page (index, sidebar,
    changelist, filters).
    """
    user = request.user
    if user.is_active and user.is_superuser:
        return None
    cache = request.__dict__.setdefault("_admin_issuer_ids", {})
    if role not in cache:
        cache[role] = frozenset(issuers_for_user(user, role).values_list("pk", flat=True))
    return cache[role]


def message_application_error(model_admin, request, exc: ApplicationError) -> None:
    model_admin.message_user(request, exc.message, messages.ERROR)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose saving is one service call.

    The service runs at the end of validation, in place of ModelForm's model validation
    (the services validate themselves), so that its ApplicationError becomes errors on
    the form's fields instead of a 500 after validation. The admin rolls the request
    back whenever it shows a form again (`IssuerScopedMixin.render_change_form`), so a
    write made here never outlives a page that did not validate.
    """

    # Set on the class the admin builds for each request (IssuerScopedMixin.get_form).
    admin_request = None
    # Field names in a service's field_errors -> this form's field names.
    error_aliases: dict[str, str] = {}

    def run_service(self, actor):
        """Call the service with `self.cleaned_data`; return the saved instance."""
        raise NotImplementedError

    def changed_fields(self, allowed) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in allowed and name in self.cleaned_data
        }

    def _post_clean(self):
        if self._errors:
            return
        try:
            self.instance = self.run_service(self.admin_request.user)
        except ApplicationError as exc:
            add_application_error(self, exc, self.error_aliases)

    def save(self, commit=True):
        if self.errors:
            raise ValueError("The form did not validate; nothing was saved.")
        self.save_m2m = lambda: None
        return self.instance


class IssuerScopedMixin:
    """Limit a ModelAdmin to the issuers of the logged-in member, by role.

    `issuer_path` is the lookup from the model to its Issuer ("" for Issuer itself).
    Each `*_role` is the least role that allows it in an object's issuer; None means
    nobody, superusers included (writes that have no service, append-only records).
    """

    issuer_path = "issuer"
    view_role: Role = Role.STAFF
    add_role: Role | None = None
    change_role: Role | None = None
    delete_role: Role | None = None

    # -- scoping -------------------------------------------------------------------

    def scope(self, queryset, request, role: Role | None = None):
        ids = issuer_ids(request, role or self.view_role)
        if ids is None:
            return queryset
        lookup = f"{self.issuer_path}__in" if self.issuer_path else "pk__in"
        return queryset.filter(**{lookup: ids})

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request)

    def issuer_of(self, obj):
        issuer = obj
        for part in self.issuer_path.split("__") if self.issuer_path else ():
            issuer = getattr(issuer, part)
            if issuer is None:
                return None
        return issuer

    def get_object(self, request, object_id, from_field=None):
        # Django redirects to the index with a message for a missing object; an object
        # of another issuer must look exactly like one that does not exist: a 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"There is no {self.opts.verbose_name} with this id.")
        return obj

    # -- permissions: membership roles, not Django model permissions ----------------

    def _allows(self, request, role: Role | None, obj=None) -> bool:
        user = request.user
        if role is None or not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        if obj is None:
            return bool(issuer_ids(request, role))
        issuer = self.issuer_of(obj)
        return issuer is not None and has_role(user, issuer, role)

    def has_module_permission(self, request):
        return self._allows(request, self.view_role)

    def has_view_permission(self, request, obj=None):
        return self._allows(request, self.view_role, obj)

    def has_add_permission(self, request):
        return self._allows(request, self.add_role)

    def has_change_permission(self, request, obj=None):
        return self._allows(request, self.change_role, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allows(request, self.delete_role, obj)

    # -- forms ---------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = db_field.related_model._default_manager.all()
            kwargs["queryset"] = self.scope_choices(db_field.related_model, queryset, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def scope_choices(self, model, queryset, request):
        """Choices of a foreign key: what the user may act on with this admin's role."""
        if request.user.is_superuser:
            return queryset
        try:
            related_admin = self.admin_site.get_model_admin(model)
        except NotRegistered:
            related_admin = None
        if not isinstance(related_admin, IssuerScopedMixin):
            # Not issuer data (users, say): nothing to choose from but for superusers.
            return queryset.none()
        role = self.add_role or self.change_role or self.view_role
        return related_admin.scope(queryset, request, role)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory made a new class for this request, so this stays with it.
        form.admin_request = request
        return form

    def save_model(self, request, obj, form, change):
        if not isinstance(form, ServiceModelForm):
            raise ImproperlyConfigured(f"{type(self).__name__} saves through a service form.")
        # Already saved: the service ran while the form validated.

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Built before the rollback is asked for: building it queries (permissions,
        # choices), and no query may run in a transaction that is set to roll back.
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if request.method == "POST":
            # The form is shown again because something did not validate; a service
            # may have written while the form validated, so none of it may stay.
            transaction.set_rollback(True, using=router.db_for_write(self.model))
        return response

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass the services; deletions go one by one, if at all.
        actions.pop("delete_selected", None)
        return actions


class IssuerScopedAdmin(IssuerScopedMixin, admin.ModelAdmin):
    pass


class ReadOnlyIssuerScopedAdmin(IssuerScopedAdmin):
    """Append-only records and data without a write service: view only, for everyone."""

    add_role = change_role = delete_role = None


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, read-only: visible to whoever may view the parent."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def _parent_admin(self):
        return self.admin_site.get_model_admin(self.parent_model)

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
