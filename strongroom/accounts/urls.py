"""Workspace administration pages, invitations and the demo outbox."""

from django.urls import path

from strongroom.accounts import admin_views as views

app_name = "admin_pages"

urlpatterns = [
    path("w/<uuid:workspace_id>/settings/", views.workspace_settings, name="settings"),
    path("w/<uuid:workspace_id>/members/", views.members, name="members"),
    path("w/<uuid:workspace_id>/members/<uuid:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "w/<uuid:workspace_id>/members/<uuid:membership_id>/privacy-officer/",
        views.member_privacy_officer,
        name="member_privacy_officer",
    ),
    path(
        "w/<uuid:workspace_id>/members/<uuid:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "w/<uuid:workspace_id>/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<str:message_id>/", views.outbox_message, name="outbox_message"),
]
