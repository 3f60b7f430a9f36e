from django.http import HttpRequest, HttpResponse
from django.urls import path


def health(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers: answers without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("healthz", health, name="health")]
