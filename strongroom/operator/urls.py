"""The operator console, under /operator/."""

from django.urls import path

from strongroom.operator import views

app_name = "operator"

urlpatterns = [
    path("", views.console, name="console"),
    path("workspaces/<uuid:workspace_id>/", views.workspace_detail, name="workspace"),
    path("workspaces/<uuid:workspace_id>/support/", views.support_request, name="support_request"),
]
