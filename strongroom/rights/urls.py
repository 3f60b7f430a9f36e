from django.urls import path

from strongroom.rights.views import account, public, staff

app_name = "rights"

urlpatterns = [
    path("w/<uuid:workspace_id>/rights/", staff.board, name="board"),
    path("w/<uuid:workspace_id>/rights/new/", staff.log_request, name="log"),
    path("w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/", staff.detail, name="detail"),
    path("w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/approve/", staff.approve, name="approve"),
    path("w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/refuse/", staff.refuse, name="refuse"),
    path("w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/extend/", staff.extend, name="extend"),
    path(
        "w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/resend-code/",
        staff.resend_code,
        name="resend_code",
    ),
    path(
        "w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/corrections/<uuid:correction_id>/<str:verb>/",
        staff.correction_decide,
        name="correction_decide",
    ),
    path(
        "w/<uuid:workspace_id>/rights/<uuid:rights_request_id>/recipients/<uuid:notice_id>/",
        staff.notice_done,
        name="notice_done",
    ),
    path("w/<uuid:workspace_id>/requests/<uuid:request_id>/holds/", staff.hold_add, name="hold_add"),
    path("w/<uuid:workspace_id>/holds/<uuid:hold_id>/lift/", staff.hold_lift, name="hold_lift"),
    path(
        "w/<uuid:workspace_id>/restrictions/<uuid:restriction_id>/lift/",
        staff.restriction_lift,
        name="restriction_lift",
    ),
    path("account/", account.account_page, name="account"),
    path("account/data/", account.account_export, name="account_export"),
    path("account/close/", account.account_close, name="account_close"),
    path("portal/rights/", public.portal_rights, name="portal"),
    path("portal/rights/correct/", public.portal_correct, name="portal_correct"),
    path("portal/rights/packages/<uuid:package_id>/", public.portal_package, name="portal_package"),
    path("rights/<uuid:rights_request_id>/verify/", public.verify, name="verify"),
    path("rights/package/", public.package_page, name="package"),
    path("rights/package/download", public.package_download, name="package_download"),
    path("rights/package/<str:token>", public.package_enter, name="package_enter"),
]
