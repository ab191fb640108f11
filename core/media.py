"""Uploaded images served by the application itself (`SERVE_MEDIA`: small installs whose
files live on this machine's disk and have no web server or bucket in front).

Only files of the types the upload gate keeps are served, each with the type its
extension names (the gate chose that extension from the bytes), `nosniff`, and a
sandboxing CSP: opened directly, even an old or hand-placed file cannot run script on
our origin. Anything else under MEDIA_ROOT (a file stored before the gate existed under
another extension, or queued rows an earlier release kept there) is a 404; the files
with earners' data are in the private storage, outside MEDIA_ROOT (core.storage). A
production install serves media from a separate origin instead (docs/deployment.md).
"""

from django.conf import settings
from django.http import Http404
from django.views.decorators.http import require_safe
from django.views.static import serve

from core.uploads import media_headers


@require_safe
def serve_media(request, path: str):
    headers = media_headers(path)
    if headers is None:
        raise Http404("No such image.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    for name, value in headers.items():
        response[name] = value
    return response
