"""The project's URLs, with /media/ served whatever SERVE_MEDIA was at import.

badges_project.urls adds its /media/ route only when SERVE_MEDIA is on when it is
imported; tests whose live server must serve badge images (to a browser or a verifier)
use this URLconf, which serves them as the project does (core.media: the test's own
MEDIA_ROOT, the upload gate's types and headers).
"""

from django.urls import re_path

from badges_project.urls import urlpatterns as project_urlpatterns
from core.media import serve_media

urlpatterns = [re_path(r"^media/(?P<path>.*)$", serve_media), *project_urlpatterns]
