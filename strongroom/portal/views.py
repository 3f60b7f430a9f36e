"""The client portal's pages. Thin: each reads through the session's link and calls an action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from strongroom.collection import answers
from strongroom.collection.models import RequestItem, Upload
from strongroom.collection.models.requests import RequestState
from strongroom.portal import links, session
from strongroom.portal.models import PortalLink
from strongroom.portal.notice import do_acknowledge, notice_for
from strongroom.portal.session import portal_view
from strongroom.rights.restriction import active_restriction


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _context(link: PortalLink, **extra: Any) -> dict[str, Any]:
    workspace = link.request.workspace
    return {
        "link": link,
        "workspace": workspace,
        "accent": workspace.accent_colour,
        "request_obj": link.request,
        "restriction": active_restriction(link.request.client.subject_id),
    } | extra


def enter(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find_link(token)
    if link is None:
        return session.not_found(request)
    session.start(request, link)
    return redirect("portal:home")


@portal_view(gate="portal:password")
def password(request: HttpRequest, link: PortalLink) -> HttpResponse:
    error = ""
    if request.method == "POST":
        if links.check_link_password(link, request.POST.get("password", ""), _ip(request)):
            request.session[session.PASSWORD_OK] = True
            return redirect("portal:home")
        error = (
            _("Too many wrong attempts. Try again in 15 minutes.")
            if links.is_locked(link)
            else _("That password is not right.")
        )
    return render(request, "portal/password.html", _context(link, error=error), status=400 if error else 200)


@portal_view(gate="portal:code")
def code(request: HttpRequest, link: PortalLink) -> HttpResponse:
    from strongroom.mail.render import send_mail_in_language

    error = ""
    if request.method == "POST" and "send" in request.POST:
        sent = links.do_issue_code(link)
        person = link.contributor or link.request.client
        send_mail_in_language(
            to=[person.email],
            template="access_code",
            language=session.language_of(link),
            context={"workspace_name": link.request.workspace.name, "code": sent, "minutes": 10},
        )
        messages.info(request, _("We sent a code to your e-mail address."))
    elif request.method == "POST":
        if links.check_code(link, request.POST.get("code", ""), _ip(request)):
            request.session[session.CODE_OK] = True
            return redirect("portal:home")
        error = (
            _("Too many wrong attempts. Try again in 15 minutes.")
            if links.is_locked(link)
            else _("That code is not right, or it has expired.")
        )
    return render(request, "portal/code.html", _context(link, error=error), status=400 if error else 200)


@portal_view(gate="portal:notice")
def notice(request: HttpRequest, link: PortalLink) -> HttpResponse:
    shown = notice_for(link, session.language_of(link))
    if request.method == "POST":
        if request.POST.get("sha256") != shown.sha256 or not request.POST.get("agree"):
            return render(
                request,
                "portal/notice.html",
                _context(link, notice=shown, error=_("Please tick the box to continue.")),
                status=400,
            )
        do_acknowledge(link, shown, ip=_ip(request))
        return redirect("portal:home")
    return render(request, "portal/notice.html", _context(link, notice=shown))


def _checklist(link: PortalLink) -> list[dict[str, Any]]:
    from strongroom.collection.checklists import visible_items

    items = list(
        link.request.items.select_related("section")
        .prefetch_related("uploads__blob", "uploads__uploaded_by_link")
        .order_by("section__position", "position")
    )
    visible = {item.pk for item in visible_items(items)}
    sections: dict[Any, dict[str, Any]] = {}
    for item in items:
        entry = sections.setdefault(item.section_id, {"section": item.section, "items": []})
        entry["items"].append(
            {
                "item": item,
                "visible": item.pk in visible,
                "uploads": [
                    {"upload": u, "mine": answers.given_by_same_person(u, link)}
                    for u in item.uploads.all()
                    if u.state != "rejected"
                ],
            }
        )
    return list(sections.values())


@portal_view()
def home(request: HttpRequest, link: PortalLink) -> HttpResponse:
    sections = _checklist(link)
    visible = [e for s in sections for e in s["items"] if e["visible"]]
    done = sum(1 for e in visible if e["item"].state != "missing" and e["item"].state != "rejected")
    open_ = link.request.state in answers.ANSWERABLE
    return render(
        request,
        "portal/home.html",
        _context(
            link,
            sections=sections,
            done=done,
            total=len(visible),
            is_open=open_,
            can_finish=link.request.state in (RequestState.SENT, RequestState.IN_PROGRESS),
        ),
    )


def _item(link: PortalLink, item_id: Any) -> RequestItem:
    item = RequestItem.objects.filter(request=link.request, pk=item_id).select_related("request").first()
    if item is None:
        raise Http404
    return item


def _answer_response(request: HttpRequest, ok: bool, message: str) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": ok, "message": message}, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, message)
    return redirect("portal:home")


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@require_POST
@portal_view()
def answer(request: HttpRequest, link: PortalLink, item_id: Any) -> HttpResponse:
    item = _item(link, item_id)
    raw: Any = (
        request.POST.getlist("value")
        if item.question_type == "multiple_choice"
        else request.POST.get("value", "")
    )
    try:
        answers.do_save_answer(link, item, raw)
    except (ValidationError, PermissionDenied) as exc:
        return _answer_response(request, False, _refusal(exc))
    return _answer_response(request, True, _("Saved."))


@require_POST
@portal_view()
def not_applicable(request: HttpRequest, link: PortalLink, item_id: Any) -> HttpResponse:
    try:
        answers.do_mark_not_applicable(link, _item(link, item_id), request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        return _answer_response(request, False, _refusal(exc))
    return _answer_response(request, True, _("Marked as not applicable."))


@require_POST
@portal_view()
def remove_upload(request: HttpRequest, link: PortalLink, upload_id: Any) -> HttpResponse:
    upload = Upload.objects.filter(pk=upload_id, item__request=link.request).select_related("item").first()
    if upload is None:
        raise Http404
    try:
        answers.do_remove_upload(link, upload)
    except (ValidationError, PermissionDenied) as exc:
        return _answer_response(request, False, _refusal(exc))
    return _answer_response(request, True, _("File removed."))


@require_POST
@portal_view()
def finish(request: HttpRequest, link: PortalLink) -> HttpResponse:
    try:
        answers.do_finish(link)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("portal:home")
    return redirect("portal:receipt")


@portal_view()
def receipt(request: HttpRequest, link: PortalLink) -> HttpResponseBase:
    from strongroom.collection.tasks import receipt_lines

    return render(request, "portal/receipt.html", _context(link, **receipt_lines(link.request)))


@csrf_exempt  # checked below, once the sealing upload handler knows where the files go
@require_POST
@portal_view()
def upload(request: HttpRequest, link: PortalLink, item_id: Any) -> HttpResponseBase:
    """Files for one item, sealed chunk by chunk as they arrive: nothing in plaintext touches disk."""
    from strongroom.vault.uploads import UploadTarget, set_upload_target

    item = _item(link, item_id)
    given = item.uploads.exclude(state="rejected").count()
    set_upload_target(
        request,
        UploadTarget(
            subject=link.request.client.subject,
            workspace=link.request.workspace,
            max_size=item.max_file_size,
            max_files=max(item.max_files - given, 0),
            accepted_kinds=tuple(item.accepted_kinds),
            field_names=("files",),
        ),
    )
    return _receive_files(request, link, item)


@csrf_protect
def _receive_files(request: HttpRequest, link: PortalLink, item: RequestItem) -> HttpResponse:
    from strongroom.vault.uploads import abort_unfinished, upload_errors

    try:
        files = request.FILES.getlist("files")
        problems = [error.message for error in upload_errors(request)]
        kept = []
        for uploaded in files:
            try:
                kept.append(answers.do_add_upload(link, item, uploaded))
            except (ValidationError, PermissionDenied) as exc:
                problems.append(_refusal(exc))
        if not files and not problems:
            problems.append(_("Choose at least one file."))
    finally:
        abort_unfinished(request)
    message = (
        " ".join(problems)
        if problems
        else _("Received: %(names)s.") % {"names": ", ".join(upload.blob.meta["name"] for upload in kept)}
    )
    return _answer_response(request, not problems, message)


@portal_view()
def thread(request: HttpRequest, link: PortalLink) -> HttpResponse:
    from strongroom.collection.threads import author_label, do_post_message, visible_thread

    if request.method == "POST":
        try:
            do_post_message(link.request, link, request.POST.get("body", ""))
        except ValidationError as exc:
            messages.error(request, _refusal(exc))
        return redirect("portal:messages")
    entries = [
        (m, author_label(m, viewer_is_staff=False)) for m in visible_thread(link.request, for_portal=True)
    ]
    return render(request, "portal/messages.html", _context(link, entries=entries))


@portal_view()
def set_password(request: HttpRequest, link: PortalLink) -> HttpResponse:
    if request.method == "POST":
        first, second = request.POST.get("password", ""), request.POST.get("password2", "")
        try:
            if first != second:
                raise ValidationError(_("The two passwords differ."))
            links.do_set_password(link, first)
        except ValidationError as exc:
            return render(
                request, "portal/set_password.html", _context(link, error=_refusal(exc)), status=400
            )
        request.session[session.PASSWORD_OK] = True
        messages.success(request, _("Your password is set. You will need it each time you open this link."))
        return redirect("portal:home")
    return render(request, "portal/set_password.html", _context(link))


@portal_view()
def attachment(request: HttpRequest, link: PortalLink, item_id: Any) -> HttpResponseBase:
    """The form an item offers for download (to fill in and send back)."""
    from strongroom.vault.responses import blob_response

    item = _item(link, item_id)
    if item.attachment is None:
        raise Http404
    return blob_response(item.attachment, actor=link, as_attachment=True)


@require_safe
def logo(request: HttpRequest) -> HttpResponseBase:
    """The workspace's logo, for the portal header: its own file, not personal data, so not audited."""
    from django.http import StreamingHttpResponse

    from strongroom.vault.actions import read_blob

    link = session.current_link(request)
    blob = link.request.workspace.logo if link is not None else None
    if blob is None:
        return session.not_found(request)
    response = StreamingHttpResponse(read_blob(blob), content_type=blob.meta.get("content_type", "image/png"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
