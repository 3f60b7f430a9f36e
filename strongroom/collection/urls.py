from django.urls import path

from strongroom.collection.views import clients, dashboard, files, request_edit, requests, templates

app_name = "staff"

urlpatterns = [
    path("w/<uuid:workspace_id>/", dashboard.dashboard, name="dashboard"),
    path("w/<uuid:workspace_id>/clients/", clients.client_list, name="clients"),
    path("w/<uuid:workspace_id>/clients/new/", clients.client_new, name="client_new"),
    path("w/<uuid:workspace_id>/clients/<uuid:client_id>/", clients.client_detail, name="client"),
    path("w/<uuid:workspace_id>/requests/new/", requests.request_new, name="request_new"),
    path("w/<uuid:workspace_id>/requests/<uuid:request_id>/", requests.request_detail, name="request"),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/send/", requests.request_send, name="request_send"
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/cancel/",
        requests.request_cancel,
        name="request_cancel",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/new-link/",
        requests.request_new_link,
        name="request_new_link",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/revoke-links/",
        requests.request_revoke_links,
        name="request_revoke_links",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/contributors/",
        requests.request_contributor,
        name="request_contributor",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/messages/",
        requests.request_message,
        name="request_message",
    ),
    path("w/<uuid:workspace_id>/requests/<uuid:request_id>/files.zip", files.request_zip, name="request_zip"),
    path("w/<uuid:workspace_id>/items/<uuid:item_id>/<str:verb>/", requests.item_review, name="item_review"),
    path("w/<uuid:workspace_id>/files/<uuid:upload_id>/", files.upload_file, name="upload_file"),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/edit/",
        request_edit.request_edit,
        name="request_edit",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/sections/",
        request_edit.request_section_add,
        name="request_section_add",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/sections/<uuid:section_id>/items/new/",
        request_edit.request_item_edit,
        name="request_item_new",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/sections/<uuid:section_id>/items/<uuid:item_id>/",
        request_edit.request_item_edit,
        name="request_item_edit",
    ),
    path(
        "w/<uuid:workspace_id>/requests/<uuid:request_id>/items/<uuid:item_id>/delete/",
        request_edit.request_item_delete,
        name="request_item_delete",
    ),
    path("w/<uuid:workspace_id>/checklists/", templates.template_list, name="templates"),
    path("w/<uuid:workspace_id>/checklists/<uuid:template_id>/", templates.template_detail, name="template"),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/copy/",
        templates.template_copy,
        name="template_copy",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/sections/",
        templates.section_add,
        name="template_section_add",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/sections/<uuid:section_id>/delete/",
        templates.section_delete,
        name="template_section_delete",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/sections/<uuid:section_id>/items/new/",
        templates.item_edit,
        name="template_item_new",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/sections/<uuid:section_id>/items/<uuid:item_id>/",
        templates.item_edit,
        name="template_item",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/items/<uuid:item_id>/delete/",
        templates.item_delete,
        name="template_item_delete",
    ),
    path(
        "w/<uuid:workspace_id>/checklists/<uuid:template_id>/items/<uuid:item_id>/<str:direction>/",
        templates.item_move,
        name="template_item_move",
    ),
]
