"""Badgr's v2 response envelope, for the /v2 API.

    {"status": {"success": true, "description": "ok"}, "result": [ ... ]}

A detail is a one-item list; an error has an empty result plus `fieldErrors` and
`validationErrors`, built from the shape of core.api.exception_handler.
"""

from rest_framework.renderers import JSONRenderer


class BadgrEnvelopeRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        if response is not None and response.status_code >= 400:
            data = envelope_error(data)
        else:
            data = envelope(data)
        return super().render(data, accepted_media_type, renderer_context)


def envelope(result, description: str = "ok") -> dict:
    if result is None:
        items = []
    elif isinstance(result, list):
        items = result
    else:
        items = [result]
    return {"status": {"success": True, "description": description}, "result": items}


def envelope_error(error) -> dict:
    # Anything not produced by our handler (it always is, but be defensive) is a bare message.
    if not isinstance(error, dict) or "detail" not in error:
        error = {"detail": str(error), "field_errors": {}, "errors": []}
    return {
        "status": {"success": False, "description": error["detail"]},
        "result": [],
        "fieldErrors": error.get("field_errors", {}),
        "validationErrors": error.get("errors", []),
    }
