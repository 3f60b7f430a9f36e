"""Staff pages that administer a workspace: settings and logo, members and invitations, and the
demo outbox. Thin: access through `accounts.access` (404 outside, 403 for a role that is not
enough), state changes through actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from strongroom.accounts.access import (
    MANAGERS,
    get_in_workspace,
    membership_in,
    require_role,
    support_grant_of,
)
from strongroom.accounts.actions import do_change_role, do_remove_member, do_set_privacy_officer
from strongroom.accounts.forms import AcceptInvitationForm, InviteForm, WorkspaceSettingsForm, role_choices
from strongroom.accounts.invitations import (
    LOGO_MAX_SIZE,
    do_accept_invitation,
    do_invite,
    do_revoke_invitation,
    do_update_workspace_settings,
    find_invitation,
    needs_password,
    pending_invitations,
    workspace_subject,
)
from strongroom.accounts.models import Invitation, Membership, Role, User
from strongroom.audit.actions import record_now
from strongroom.crypto.errors import DecryptionFailed
from strongroom.mail import outbox
from strongroom.signin.reauth import recent_login_required
from strongroom.vault.filekinds import IMAGE
from strongroom.vault.uploads import UploadTarget, sealed_uploads, upload_errors

OUTBOX_LIMIT = 200


def _refusal(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


class StaffNav:
    """What the staff navigation offers the signed-in person; each answer is looked up on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def _found(self) -> Membership | None:
        """The membership the access helpers see (a support grant shows as a read-only admin)."""
        user, match = self._request.user, self._request.resolver_match
        if match is None or match.namespace == "operator" or not user.is_authenticated:
            return None
        workspace_id = match.kwargs.get("workspace_id")
        if workspace_id is None:
            return None
        try:
            return membership_in(user, workspace_id)
        except Http404:
            return None

    @property
    def _membership(self) -> tuple[str, bool]:
        found = self._found
        return (str(found.role), bool(found.privacy_officer)) if found is not None else ("", False)

    @property
    def support_grant(self) -> Any:
        """The support grant the page is seen under, for the read-only banner."""
        return support_grant_of(self._found) if self._found is not None else None

    @cached_property
    def operator(self) -> bool:
        from strongroom.operator.operators import is_operator

        return is_operator(self._request.user)

    @property
    def role(self) -> str:
        return self._membership[0]

    @property
    def rights(self) -> bool:
        """Owners, admins and privacy officers handle rights requests."""
        role, officer = self._membership
        return role in (Role.OWNER, Role.ADMIN) or officer

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @cached_property
    def outbox(self) -> bool:
        return _may_read_outbox(self._request)


def staff_nav(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `nav` for staff/base.html (the Settings and Outbox links)."""
    return {"nav": StaffNav(request)}


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"staff/{template}", {"nav": StaffNav(request)} | context, status=status)


# --- settings ------------------------------------------------------------------------------------


def _logo_target(request: HttpRequest, workspace_id: Any) -> UploadTarget | None:
    """Only an owner's POST may carry a logo; everyone else's files are refused unread."""
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    if request.method != "POST" or membership.role != Role.OWNER:
        return None
    return UploadTarget(
        subject=workspace_subject(membership.workspace, request.user),
        workspace=membership.workspace,
        max_size=LOGO_MAX_SIZE,
        max_files=1,
        accepted_kinds=(IMAGE,),
        field_names=("logo",),
    )


@login_required
@require_http_methods(["GET", "POST"])
@sealed_uploads(_logo_target)
def workspace_settings(request: HttpRequest, workspace_id: Any) -> HttpResponseBase:
    workspace = require_role(request.user, workspace_id, (Role.OWNER,)).workspace  # type: ignore[arg-type]
    if request.method != "POST":
        form = WorkspaceSettingsForm(initial=WorkspaceSettingsForm.initial_from(workspace))
        return _page(request, "settings.html", {"workspace": workspace, "form": form})
    form = WorkspaceSettingsForm(request.POST, request.FILES)
    valid = form.is_valid()
    for refused in upload_errors(request):
        form.add_error("logo", refused.message)
    if valid and not form.errors:
        try:
            do_update_workspace_settings(workspace, request.user, **form.changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("admin_pages:settings", workspace_id=workspace.pk)
    return _page(request, "settings.html", {"workspace": workspace, "form": form}, status=400)


# --- members and invitations ---------------------------------------------------------------------


def _member_rows(membership: Membership) -> list[dict[str, Any]]:
    is_owner = membership.role == Role.OWNER
    manager = membership.role in MANAGERS
    rows = [
        {"membership": m, "user": m.user, "can_change": manager and (is_owner or m.role != Role.OWNER)}
        for m in Membership.objects.filter(workspace=membership.workspace).select_related("user")
    ]
    return sorted(rows, key=lambda row: (str(row["user"].name or row["user"].email).casefold()))


@login_required
@recent_login_required(methods=["POST"])
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """Everyone in the workspace sees who is in it; owners and admins invite and manage."""
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    manager = membership.role in MANAGERS
    if request.method == "POST" and not manager:
        raise PermissionDenied(_("Only owners and admins invite people."))
    can_grant_owner = membership.role == Role.OWNER
    form = InviteForm(request.POST or None, can_grant_owner=can_grant_owner) if manager else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            do_invite(membership.workspace, data["email"], data["role"], request.user)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("admin_pages:members", workspace_id=membership.workspace_id)
    context = {
        "workspace": membership.workspace,
        "membership": membership,
        "manager": manager,
        "rows": _member_rows(membership),
        "role_choices": role_choices(can_grant_owner),
        "invitations": list(pending_invitations(membership.workspace)) if manager else [],
        "form": form,
    }
    return _page(request, "members.html", context, status=400 if request.method == "POST" else 200)


def _act(request: HttpRequest, action: Callable[[], Any], done: str, then: HttpResponse) -> HttpResponse:
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, done)
    return then


def _managed(request: HttpRequest, workspace_id: Any, model: Any, pk: Any) -> Any:
    """A record of the workspace for an owner or admin: 404 outside it, 403 for a member."""
    require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    return get_in_workspace(model.objects.select_related("user"), request.user, workspace_id, pk)  # type: ignore[arg-type]


@require_POST
@login_required
@recent_login_required()
def member_role(request: HttpRequest, workspace_id: Any, membership_id: Any) -> HttpResponse:
    target: Membership = _managed(request, workspace_id, Membership, membership_id)
    role = request.POST.get("role", "")
    back = redirect("admin_pages:members", workspace_id=workspace_id)
    return _act(request, lambda: do_change_role(target, role, request.user), _("Role changed."), back)


@require_POST
@login_required
@recent_login_required()
def member_privacy_officer(request: HttpRequest, workspace_id: Any, membership_id: Any) -> HttpResponse:
    target: Membership = _managed(request, workspace_id, Membership, membership_id)
    on = request.POST.get("privacy_officer") == "on"
    back = redirect("admin_pages:members", workspace_id=workspace_id)
    return _act(request, lambda: do_set_privacy_officer(target, on, request.user), _("Saved."), back)


@require_POST
@login_required
@recent_login_required()
def member_remove(request: HttpRequest, workspace_id: Any, membership_id: Any) -> HttpResponse:
    target: Membership = _managed(request, workspace_id, Membership, membership_id)
    try:
        do_remove_member(target, request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Removed from the workspace."))
        if target.user_id == request.user.pk:
            return redirect("home")  # they left: the members page is no longer theirs to see
    return redirect("admin_pages:members", workspace_id=workspace_id)


@require_POST
@login_required
@recent_login_required()
def invitation_revoke(request: HttpRequest, workspace_id: Any, invitation_id: Any) -> HttpResponse:
    invitation: Invitation = _managed(request, workspace_id, Invitation, invitation_id)
    back = redirect("admin_pages:members", workspace_id=workspace_id)
    return _act(request, lambda: do_revoke_invitation(invitation, request.user),
                _("Invitation withdrawn: its link no longer works."), back)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """One neutral 404 for every token that cannot be accepted (unknown, expired, revoked, used)."""
    invitation = find_invitation(token)
    if invitation is None:
        raise Http404("No such invitation.")
    new_account = needs_password(invitation)
    form = AcceptInvitationForm(request.POST or None) if new_account else None
    error = ""
    if request.method == "POST":
        if form is not None:
            if form.is_valid():
                return _accept_new(request, invitation, form)
        else:
            try:
                do_accept_invitation(invitation, request.user)
            except (ValidationError, PermissionDenied) as exc:
                error = _refusal(exc)
            else:
                messages.success(request, _("Welcome to %(name)s.") % {"name": invitation.workspace.name})
                return redirect("staff:dashboard", workspace_id=invitation.workspace_id)
    context = {
        "invitation": invitation,
        "workspace_name": invitation.workspace.name,
        "role": Role(invitation.role).label,
        "form": form,
        "error": error,
        "signed_in_as_invitee": request.user.is_authenticated and request.user.pk == invitation.user_id,
    }
    return _page(request, "invitation_accept.html", context, status=400 if request.method == "POST" else 200)


def _accept_new(request: HttpRequest, invitation: Invitation, form: AcceptInvitationForm) -> HttpResponse:
    password = form.cleaned_data["password"]
    try:
        do_accept_invitation(invitation, request.user, password=password)
    except (ValidationError, PermissionDenied) as exc:
        form.add_error("password", _refusal(exc))
        context = {"invitation": invitation, "workspace_name": invitation.workspace.name,
                   "role": Role(invitation.role).label, "form": form, "error": ""}
        return _page(request, "invitation_accept.html", context, status=400)
    # Through the backend, so the first sign-in is audited like every other.
    user = authenticate(request, username=invitation.user.email, password=password)
    if user is not None:
        login(request, user)
    messages.success(request, _("Welcome to %(name)s.") % {"name": invitation.workspace.name})
    return redirect("staff:dashboard", workspace_id=invitation.workspace_id)


# --- the demo outbox -----------------------------------------------------------------------------


def _may_read_outbox(request: HttpRequest) -> bool:
    user = request.user
    return (
        outbox.outbox_in_use()
        and settings.DEMO
        and isinstance(user, User)
        and user.is_active
        and Membership.objects.filter(user=user, role=Role.OWNER).exists()
    )


def _outbox_gate(request: HttpRequest) -> HttpResponse | None:
    """404 when mail really leaves (SMTP) and for anyone but an owner; sign-in first otherwise."""
    if not outbox.outbox_in_use() or not settings.DEMO:
        raise Http404("No outbox.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _may_read_outbox(request):
        raise Http404("No outbox.")
    return None


@never_cache
@require_http_methods(["GET"])
def outbox_list(request: HttpRequest) -> HttpResponse:
    if (gate := _outbox_gate(request)) is not None:
        return gate
    return _page(request, "outbox.html", {"messages_sent": outbox.list_messages(OUTBOX_LIMIT)})


@never_cache
@require_http_methods(["GET"])
def outbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    if (gate := _outbox_gate(request)) is not None:
        return gate
    try:
        message = outbox.read_message(message_id)
    except LookupError:
        raise Http404("No such message.") from None
    except DecryptionFailed as exc:
        return _page(request, "outbox_message.html", {"message_id": message_id, "problem": str(exc)})
    record_now(request.user, "outbox.read", ("mail.outbox", message_id))
    context = {
        "message_id": message_id,
        "subject": str(message.get("Subject", "")),
        "headers": [(name, str(message.get(name, ""))) for name in ("Date", "From", "To", "Subject")],
        "body": outbox.body_text(message),
    }
    return _page(request, "outbox_message.html", context)
