"""The project's URLs, with /media/ served from the MEDIA_ROOT of the running test.

badges_project.urls binds MEDIA_ROOT when it is imported, before conftest moves each
test's uploads to a temporary directory; tests whose live server must serve badge
images (to a browser or a verifier) use this URLconf instead.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from badges_project.urls import urlpatterns as project_urlpatterns


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *project_urlpatterns]
