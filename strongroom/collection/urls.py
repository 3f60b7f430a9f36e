from django.urls import path

from strongroom.collection.views import clients, dashboard, files, requests

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
]
