"""django-filter pieces of /api/v1 that know the caller's issuers."""

from issuers.selectors import issuers_for_user


class IssuerZonesMixin:
    """For core.api.filters.V1DateTimeFilter(zone="issuer"): the time zones of the
    caller's issuers."""

    def issuer_zones(self) -> list[str]:
        if not hasattr(self, "_issuer_zones"):
            user = getattr(self.request, "user", None)
            self._issuer_zones = sorted(
                set(issuers_for_user(user).order_by().values_list("timezone", flat=True))
            )
        return self._issuer_zones
