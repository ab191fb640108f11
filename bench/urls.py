"""The project's URLs and `/bench/hello`: Django's "hello" (a JsonResponse with no
database or cache access) behind every middleware the project's pages go through."""

from django.http import JsonResponse
from django.urls import include, path


def hello(request):
    return JsonResponse({"hello": "world"})


urlpatterns = [
    path("bench/hello", hello),
    path("", include("badges_project.urls")),
]
