"""The workspace's side: owners decide on support access; managers see who has access to a client."""

from django.urls import path

from strongroom.operator import staff_views as views

app_name = "support"

urlpatterns = [
    path("w/<uuid:workspace_id>/support/", views.grants, name="grants"),
    path("w/<uuid:workspace_id>/support/<uuid:grant_id>/approve/", views.approve, name="approve"),
    path("w/<uuid:workspace_id>/support/<uuid:grant_id>/refuse/", views.refuse, name="refuse"),
    path("w/<uuid:workspace_id>/support/<uuid:grant_id>/revoke/", views.revoke, name="revoke"),
    path("w/<uuid:workspace_id>/clients/<uuid:client_id>/access/", views.client_access, name="client_access"),
]
