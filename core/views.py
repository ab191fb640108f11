"""Error pages Django's defaults do not word well enough."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from core.api.exception_handler import too_large_message


def bad_request(request, exception):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is told as such (413), not a bare 400."""
    if isinstance(exception, RequestDataTooBig):
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = "/"
        context = {"message": too_large_message(), "back": back}
        return render(request, "413.html", context, status=413)
    return defaults.bad_request(request, exception)
