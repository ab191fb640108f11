"""django-filter pieces of /api/v1 that know the caller's issuers."""

from issuers.selectors import issuer_zones_for_user


class IssuerZonesMixin:
    """For core.api.filters.V1DateTimeFilter(zone="issuer"): the time zones of the
    caller's issuers."""

    def issuer_zones(self) -> list[str]:
        if not hasattr(self, "_issuer_zones"):
            user = getattr(self.request, "user", None)
            self._issuer_zones = issuer_zones_for_user(user)
        return self._issuer_zones
