"""Page-number pagination of the Open Badge /api/v1 lists.

`?page=N&page_size=M` (M from 1 to 500, 50 by default; a larger M is capped at 500),
answered as `{"count", "next", "previous", "results"}`.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 500


class V1PageNumberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {
                    "page_size": [
                        _("Give a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}
                    ]
                }
            )
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return raw
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise ValidationError({"page": [_("Give a page number from 1.")]})
        return number
