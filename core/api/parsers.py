"""Request body parsers of both APIs.

DRF's JSON parser turns a ValueError into a 400, but JSON nested deeper than Python
recurses raises RecursionError, which is none: a body of 100,000 `[` was a 500 on every
API endpoint, before authentication (the OAuth2 backend reads the body). Here it is the
same 400 as any JSON that cannot be read.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None


# Every API's parsers: JSON, forms and multipart (file uploads).
PARSERS = [JSONParser, parsers.MultiPartParser, parsers.FormParser]
