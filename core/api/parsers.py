"""Request body parsers of both APIs.

DRF's JSON parser turns a ValueError into a 400, but JSON nested deeper than Python
recurses raises RecursionError, which is none: a body of 100,000 `[` was a 500 on every
API endpoint, before authentication (the OAuth2 backend reads the body). Here it is the
same 400 as any JSON that cannot be read.

A number beyond the double's range (`1e400`) is refused here too, for every field of
every API at once: Python reads it as infinity, which JSON cannot hold (it was stored as
null). Integers of any size are read as they are: what stores and answers JSON writes
those orjson cannot (beyond 64 bits) with json (core.inserts, core.api.renderers).
"""

import codecs
import math

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(
            _("the number %(number)s is too large; send it as text.") % {"number": text}
        )
    return value


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        """DRF's parse, its floats checked as they are read."""
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=json.strict_constant if self.strict else None,
                parse_float=_float,
            )
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(problem)s") % {"problem": exc}) from None


# Every API's parsers: JSON, forms and multipart (file uploads).
PARSERS = [JSONParser, parsers.MultiPartParser, parsers.FormParser]
