"""Who may open which URL: the one place where every URL of the project is classified.

`tests/test_url_access.py` walks the URLconf and fails for a URL name missing here, so a new URL is
never left untried: add one line `"namespace:name": page(CLASS)` (or `action(CLASS)` for a view that
answers POST only). The access classes, and what each actor gets:

- `public`: everyone, signed in or not, gets the page.
- `anonymous-only`: the sign-in page; signed-in staff are sent on (302), visitors get it.
- `signed-in`: any staff user, whatever their workspaces; the anonymous are sent to sign in.
- `workspace`: any member of the URL's workspace; another workspace's staff get 404.
- `workspace-request`: a request (or its items, files) of the workspace: owners and admins always, a
  member only when they own the request or are assigned to it (404 otherwise, as if it did not exist).
- `workspace-editor`: a checklist's editor: any member sees it, but only owners and admins change it;
  a member's change is refused (back to the checklist with an error, or the form again) and changes
  nothing.
- `request-handler`: a request's legal hold: whoever sees the request reaches the view, only rights
  handlers (owners, admins, privacy officers) set it; an assignee's attempt is refused, nothing changes.
- `workspace-manager`: owners and admins; a member gets 403, an outsider 404.
- `rights-handler`: owners, admins and privacy officers (the same answers as `workspace-manager` for
  a member who is not a privacy officer).
- `workspace-owner`: owners only; admins and members get 403, an outsider 404.
- `portal`: a client's own portal pages, shown for the link of the visitor's session (any request's);
  without a portal session: the neutral 404 page, also for signed-in staff.
- `portal-request`: a portal URL naming an item or file: only the session of that item's request; every
  other visitor gets the neutral 404 page.
- `token`: a per-link token (or the session such a link opens); an unknown token gets the neutral 404.
- `capability`: the URL's id is itself the credential e-mailed to the person: whoever holds it gets the
  page, which names the workspace.
- `demo-outbox`: the sealed outbox, on a trial installation only: 404 for everyone otherwise.
- `home`: where staff land: straight to their workspace; a page of choices when there are several
  or (the operator's case) none.
- `operator`: the installation operator's console: operators only; other staff get 404, the
  anonymous are sent to sign in. Everywhere else the operator is answered as any outsider.
- `second-step`: the second step of a sign-in with two factors: without a pending sign-in, everyone is
  sent back to the sign-in page.
- `second-step-json`: the passkey half of that step: without a pending sign-in, 403 for everyone.

Anonymous visitors of staff pages are sent to the sign-in page (302). A refused POST answers as the GET
would (or 405 for a view that takes no POST) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

# --- actors ------------------------------------------------------------------------------------------

ANONYMOUS: Final = "anonymous"
CLIENT: Final = "client"  # portal session of the request the URLs name
OTHER_CLIENT: Final = "other-client"  # portal session of another firm's request
OUTSIDER: Final = "outsider"  # owner of another workspace
MEMBER: Final = "member"  # role member, neither owner nor assignee of the request
ASSIGNEE: Final = "assignee"  # role member, assigned to the request
ADMIN: Final = "admin"
OWNER: Final = "owner"
OPERATOR: Final = "operator"  # the installation's operator, member of no workspace, no support access
ACTORS: Final = (ANONYMOUS, CLIENT, OTHER_CLIENT, OUTSIDER, MEMBER, ASSIGNEE, ADMIN, OWNER, OPERATOR)

# --- outcomes ------------------------------------------------------------------------------------------

OK: Final = "ok"  # the page itself (the route's `ok` status)
LOGIN: Final = "login"  # 302 to the sign-in page
REFUSED: Final = "refused"  # GET: the page; a change (POST) is refused: 302 back, 400 or 403, nothing changed
Outcome = str | int


def _row(*outcomes: Outcome, operator: Outcome | None = None) -> dict[str, Outcome]:
    """The outcomes in ACTORS' order; the operator is answered as any outsider unless said otherwise."""
    row = dict(zip(ACTORS[:-1], outcomes, strict=True))
    return row | {OPERATOR: row[OUTSIDER] if operator is None else operator}


#        anonymous client other-client outsider member assignee admin owner
CLASSES: Final[dict[str, dict[str, Outcome]]] = {
    "public": _row(OK, OK, OK, OK, OK, OK, OK, OK),
    "anonymous-only": _row(OK, OK, OK, 302, 302, 302, 302, 302),
    "signed-in": _row(LOGIN, LOGIN, LOGIN, OK, OK, OK, OK, OK),
    "workspace": _row(LOGIN, LOGIN, LOGIN, 404, OK, OK, OK, OK),
    "workspace-request": _row(LOGIN, LOGIN, LOGIN, 404, 404, OK, OK, OK),
    "workspace-editor": _row(LOGIN, LOGIN, LOGIN, 404, REFUSED, REFUSED, OK, OK),
    "request-handler": _row(LOGIN, LOGIN, LOGIN, 404, 404, REFUSED, OK, OK),
    "workspace-manager": _row(LOGIN, LOGIN, LOGIN, 404, 403, 403, OK, OK),
    "rights-handler": _row(LOGIN, LOGIN, LOGIN, 404, 403, 403, OK, OK),
    "workspace-owner": _row(LOGIN, LOGIN, LOGIN, 404, 403, 403, 403, OK),
    "portal": _row(404, OK, OK, 404, 404, 404, 404, 404),
    "portal-request": _row(404, OK, 404, 404, 404, 404, 404, 404),
    "token": _row(404, 404, 404, 404, 404, 404, 404, 404),
    "capability": _row(OK, OK, OK, OK, OK, OK, OK, OK),
    "demo-outbox": _row(404, 404, 404, 404, 404, 404, 404, 404),
    "home": _row(LOGIN, LOGIN, LOGIN, OK, OK, OK, OK, OK, operator=200),  # no workspace: a page saying so
    "operator": _row(LOGIN, LOGIN, LOGIN, 404, 404, 404, 404, 404, operator=OK),
    "second-step": _row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "second-step-json": _row(403, 403, 403, 403, 403, 403, 403, 403),
}


@dataclass(frozen=True)
class Access:
    kind: str  # a key of CLASSES
    post_only: bool = False  # the view answers POST only: the right actors' GET gets 405
    ok: int = 200  # what the right actors' GET answers
    data: dict[str, Any] = field(default_factory=dict)  # a valid form: a refusal must not hinge on bad input

    def outcome(self, actor: str) -> Outcome:
        return CLASSES[self.kind][actor]


def page(kind: str, /, ok: int = 200, **data: Any) -> Access:
    assert kind in CLASSES, kind
    return Access(kind, ok=ok, data=data)


def action(kind: str, /, **data: Any) -> Access:
    assert kind in CLASSES, kind
    return Access(kind, post_only=True, ok=405, data=data)


ITEM: Final[dict[str, Any]] = {
    "kind": "question", "question_type": "short_text", "label": "Mother's maiden name", "required": "on"
}


# --- the registry ------------------------------------------------------------------------------------

ACCESS: Final[dict[str, Access]] = {
    # sign-in and the way in
    "twofactor:setup": page("signed-in"),
    "twofactor:totp_enrol": page("signed-in"),
    "twofactor:totp_qr": page("signed-in"),  # while an authenticator is being set up (totp_enrol began it)
    "twofactor:totp_remove": action("signed-in"),
    "twofactor:recovery_regenerate": action("signed-in"),
    "twofactor:passkey_register_options": action("signed-in"),
    "twofactor:passkey_register": action("signed-in"),
    "twofactor:passkey_remove": action("signed-in"),
    "twofactor:verify": page("second-step"),
    "twofactor:passkey_sign_in_options": action("second-step-json"),
    "twofactor:passkey_sign_in": action("second-step-json"),
    "signin:password_reset": page("public", email="nobody@nowhere.example"),  # the same answer for any e-mail
    "signin:password_reset_confirm": page("token"),
    "signin:password_change": page("signed-in"),
    "signin:sessions": page("signed-in"),
    "signin:session_revoke": action("signed-in"),
    "signin:session_revoke_others": action("signed-in"),
    "signin:reauth": page("signed-in"),
    "signin:reauth_passkey_options": action("signed-in"),
    "signin:reauth_passkey": action("signed-in"),
    # the operator's console and the support access owners grant
    "operator:console": page("operator"),
    "operator:workspace": page("operator"),
    "operator:support_request": action("operator", reason="Ticket 4411: the dashboard is slow", hours=4),
    "support:grants": page("workspace-owner"),
    "support:approve": action("workspace-owner", hours=4),
    "support:refuse": action("workspace-owner"),
    "support:revoke": action("workspace-owner"),
    "support:client_access": page("workspace-manager"),
    "health": page("public"),
    "home": page("home", ok=302),  # straight to the only workspace
    "login": page("anonymous-only"),
    "logout": action("public"),
    # the workspace's requests, clients and checklists
    "staff:dashboard": page("workspace"),
    "staff:clients": page("workspace"),
    "staff:client_new": page("workspace", name="Eve Intruder", email="eve@intruder.example"),
    "staff:client": page("workspace"),
    "staff:request_new": page("workspace"),
    "staff:request": page("workspace-request"),
    "staff:request_send": action("workspace-request"),
    "staff:request_cancel": action("workspace-request"),
    "staff:request_new_link": action("workspace-request"),
    "staff:request_revoke_links": action("workspace-request"),
    "staff:request_contributor": action(
        "workspace-request", name="Eve Intruder", email="eve@intruder.example", language="en"
    ),
    "staff:request_message": action("workspace-request", body="Send me everything"),
    "staff:request_zip": page("workspace-request"),
    "staff:item_review": action("workspace-request"),
    "staff:upload_file": page("workspace-request"),
    "staff:request_edit": page("workspace-request"),
    "staff:request_section_add": action("workspace-request", title="Extra"),
    "staff:request_item_new": page("workspace-request", **ITEM),
    "staff:request_item_edit": page("workspace-request", **ITEM),
    "staff:request_item_delete": action("workspace-request"),
    "staff:templates": page("workspace"),
    "staff:template": page("workspace"),
    "staff:template_copy": action("workspace-manager"),
    "staff:template_section_add": action("workspace-editor", title="Extra"),
    "staff:template_section_delete": action("workspace-editor"),
    "staff:template_item_new": page("workspace-editor", **ITEM),
    "staff:template_item": page("workspace-editor", **ITEM),
    "staff:template_item_delete": action("workspace-editor"),
    "staff:template_item_move": action("workspace-editor"),
    # workspace administration
    "admin_pages:settings": page("workspace-owner"),
    "admin_pages:members": page("workspace", email="eve@intruder.example", role="owner"),
    "admin_pages:member_role": action("workspace-manager", role="owner"),
    "admin_pages:member_privacy_officer": action("workspace-manager", privacy_officer="on"),
    "admin_pages:member_remove": action("workspace-manager"),
    "admin_pages:invitation_revoke": action("workspace-manager"),
    "admin_pages:invitation_accept": page("token"),
    "admin_pages:outbox": page("demo-outbox"),
    "admin_pages:outbox_message": page("demo-outbox"),
    # the client's portal
    "portal:enter": page("token"),
    "portal:home": page("portal"),
    "portal:password": page("portal", ok=302),  # no password on the link: on to the checklist
    "portal:set_password": page("portal"),
    "portal:code": page("portal", ok=302),  # no code asked by the workspace: on to the checklist
    "portal:notice": page("portal"),
    "portal:answer": action("portal-request", value="Overwritten"),
    "portal:not_applicable": action("portal-request", reason="None"),
    "portal:upload": action("portal-request"),
    "portal:attachment": page("portal-request"),
    "portal:remove_upload": action("portal-request"),
    "portal:finish": action("portal"),
    "portal:receipt": page("portal"),
    "portal:messages": page("portal"),
    "portal:logo": page("portal"),
    # data subject rights
    "rights:board": page("rights-handler"),
    "rights:log": page("rights-handler"),
    "rights:detail": page("rights-handler"),
    "rights:approve": action("rights-handler"),
    "rights:refuse": action("rights-handler", reason="No"),
    "rights:extend": action("rights-handler", months="2", reason="Complex"),
    "rights:resend_code": action("rights-handler"),
    "rights:correction_decide": action("rights-handler"),
    "rights:notice_done": action("rights-handler"),
    "rights:hold_add": action("request-handler", ground="Anti-money-laundering law"),
    "rights:hold_lift": action("rights-handler"),
    "rights:restriction_lift": action("rights-handler"),
    "rights:account": page("signed-in"),
    "rights:account_export": action("signed-in"),
    "rights:account_close": action("signed-in"),
    "rights:portal": page("portal"),
    "rights:portal_correct": page("portal"),
    "rights:portal_package": page("portal-request"),
    "rights:verify": page("capability"),
    "rights:package": page("token"),
    "rights:package_download": page("token"),
    "rights:package_enter": page("token"),
    # compliance
    "compliance:home": page("workspace-manager"),
    "compliance:record_export": page("workspace-manager"),
    "compliance:dpa": page("workspace-manager"),
    "compliance:dpa_pdf": page("workspace-owner"),
    "compliance:signing_certificate": page("public"),
    "compliance:dpia_list": page("workspace-manager"),
    "compliance:dpia": page("workspace-manager"),
    "compliance:dpia_pdf": page("workspace-manager"),
    "compliance:close": page("workspace-owner"),
    "compliance:retention": page("workspace-manager"),
    "compliance:retention_rule_add": action(
        "workspace-owner", action="documents_after_completion", days="30"
    ),
    "compliance:retention_rule_remove": action("workspace-owner"),
    "compliance:breaches": page("workspace-manager"),
    "compliance:breach_new": page("workspace-owner"),
    "compliance:breach_notice": page("workspace-manager"),
    "compliance:breach_authority": action("workspace-owner"),
    "compliance:breach_not_notified": action("workspace-owner", reason="Low risk"),
    "compliance:breach_update": action("workspace-owner", text="Update"),
    "compliance:breach_subjects": action("workspace-owner"),
    "compliance:subprocessors": page("public"),
    "compliance:subprocessors_json": page("public"),
    "compliance:security": page("public"),
    "compliance:workspace_subprocessors": page("workspace-manager"),
    "compliance:subprocessor_object": action("workspace-owner", reason="We object"),
}
