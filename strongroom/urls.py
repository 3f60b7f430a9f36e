from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from strongroom.accounts import views as accounts


def health(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers: answers without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", health, name="health"),
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("strongroom.collection.urls")),
    path("", include("strongroom.accounts.urls")),
    path("", include("strongroom.portal.urls")),
    path("", include("strongroom.rights.urls")),
    path("", include("strongroom.privacy.urls")),
    path("", include("strongroom.twofactor.urls")),
    path("", include("strongroom.signin.urls")),
    path("", include("strongroom.operator.staff_urls")),
    path("operator/", include("strongroom.operator.urls")),
]
