from django.urls import path

from strongroom.portal import views

app_name = "portal"

urlpatterns = [
    path("p/<str:token>", views.enter, name="enter"),
    path("portal/", views.home, name="home"),
    path("portal/password/", views.password, name="password"),
    path("portal/password/new/", views.set_password, name="set_password"),
    path("portal/code/", views.code, name="code"),
    path("portal/privacy/", views.notice, name="notice"),
    path("portal/items/<uuid:item_id>/answer/", views.answer, name="answer"),
    path("portal/items/<uuid:item_id>/not-applicable/", views.not_applicable, name="not_applicable"),
    path("portal/items/<uuid:item_id>/files/", views.upload, name="upload"),
    path("portal/items/<uuid:item_id>/form/", views.attachment, name="attachment"),
    path("portal/files/<uuid:upload_id>/remove/", views.remove_upload, name="remove_upload"),
    path("portal/finish/", views.finish, name="finish"),
    path("portal/receipt/", views.receipt, name="receipt"),
    path("portal/messages/", views.thread, name="messages"),
    path("portal/logo", views.logo, name="logo"),
]
