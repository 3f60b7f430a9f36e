"""The whole journey in a real browser against a real server: staff send a shipped checklist, the
client answers it through the portal, staff reject one file, the client sends it again, staff
approve everything and the request is completed. Screenshots of the key screens are kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.samples import pdf, png
from tests.server import LiveStrongroom

CLIENT_EMAIL = "tom.tenant@client.example"
NEEDS_ACTION = (
    "article.item:has(> div.row > span.state-missing), article.item:has(> div.row > span.state-rejected)"
)


def sample_files(folder: Path) -> dict[str, Path]:
    files = {"pdf": folder / "payslip.pdf", "png": folder / "passport-photo.png"}
    files["pdf"].write_bytes(pdf("March payslip"))
    files["png"].write_bytes(png())
    return files


def upload(page: Any, article: Any, file: Path, shots: Path | None = None) -> None:
    article.locator("form.upload input[type=file]").first.set_input_files(str(file))
    held: list[Any] = []
    if shots is not None:  # hold the upload in flight, so the progress bar can be pictured
        page.route("**/portal/items/*/files/", lambda route: held.append(route))
    with page.expect_navigation():
        article.get_by_role("button", name="Send files").click()
        if shots is not None:  # the progress bar appears while the file goes up
            article.locator(".bars .progress").first.wait_for(state="attached")
            for _ in range(100):  # the route handler runs while Playwright waits
                if held:
                    break
                page.wait_for_timeout(50)
            page.screenshot(path=str(shots / "03-upload-progress.png"))
            assert held, "the upload never left the browser"
            held[0].continue_()
            page.unroute("**/portal/items/*/files/")


def answer(page: Any, article: Any) -> None:
    """Fill the question in and save it; a question others depend on reloads the checklist."""
    label = article.locator("h3").inner_text()
    if article.get_attribute("data-has-dependants"):
        with page.expect_navigation():
            fill_in(article.locator("form.answer"))
        return
    form = article.locator("form.answer")
    fill_in(form)
    form.get_by_role("button", name="Save").click()
    feedback = form.locator(".feedback")
    page.wait_for_function("(el) => el.textContent.trim().length > 0", arg=feedback.element_handle())
    assert "Saved" in feedback.inner_text(), f"{label}: {feedback.inner_text()}"


def fill_in(form: Any) -> None:
    # click(), not check(): a question others depend on saves and reloads the page on change, and
    # check() would then wait for the old page's input to report its state.
    radios = form.locator("input[type=radio]")
    if radios.count():
        no = form.locator("input[type=radio][value=no]")
        (no if no.count() else radios.first).click()
    elif form.locator("input[type=checkbox]").count():
        form.locator("input[type=checkbox]").first.click()
    elif form.locator("textarea").count():
        form.locator("textarea").fill("Nothing else to declare.")
    else:
        field = form.locator("input[name=value]")
        kind, mode = field.get_attribute("type"), field.get_attribute("inputmode")
        field.fill(
            {"date": "1990-05-17", "email": "referee@employer.example", "tel": "+44 20 7946 0000"}.get(
                kind or "", "1000" if mode == "decimal" else "QQ123456C"
            )
        )


def give_everything(page: Any, home: str, files: dict[str, Path], shots: Path) -> dict[str, int]:
    """Answer or upload every item that needs it, marking the first optional one not applicable."""
    done = {"files": 0, "answers": 0, "not_applicable": 0}
    for _ in range(80):
        page.goto(home)
        todo = page.locator(NEEDS_ACTION)
        if not todo.count():
            return done
        article = todo.first
        if done["not_applicable"] == 0 and article.get_by_text("Optional", exact=True).count():
            article.get_by_text("This does not apply to me").click()
            article.get_by_label("Why? (optional)").fill("I have no pets")
            with page.expect_navigation():
                article.get_by_role("button", name="Mark as not applicable").click()
            done["not_applicable"] += 1
        elif article.locator("form.upload").count():
            accepts = article.locator("form.upload input[type=file]").first.get_attribute("accept") or ""
            photo = "image" in accepts and done["files"] == 0
            upload(page, article, files["png" if photo else "pdf"], shots if done["files"] == 0 else None)
            done["files"] += 1
        else:
            answer(page, article)
            done["answers"] += 1
    raise AssertionError("the checklist never ran out of items to give")


def test_request_from_template_to_completion(
    browser: Any, strongroom: LiveStrongroom, artefacts: Path, tmp_path: Path
) -> None:
    files = sample_files(tmp_path)
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # staff sign in, add a client and send them the shipped tenant checklist
    staff.goto(strongroom.url + "/login/")
    staff.get_by_label("E-mail").fill(STAFF_EMAIL)
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.get_by_role("heading", name="Requests").wait_for()
    staff.get_by_role("link", name="Clients").click()
    staff.get_by_role("link", name="Add a client").click()
    staff.get_by_label("Name").fill("Tom Tenant")
    staff.get_by_label("E-mail").fill(CLIENT_EMAIL)
    staff.get_by_role("button", name="Add client").click()
    staff.get_by_role("link", name="New request for this client").click()
    staff.get_by_label("Checklist").select_option(label="Tenant application")
    staff.get_by_role("button", name="Create draft").click()
    staff.get_by_role("button", name="Send to the client").click()
    staff.get_by_text("Sent: the client will receive").wait_for()
    staff.screenshot(path=str(artefacts / "01-staff-request-sent.png"), full_page=True)

    # the client follows the link from the e-mail and acknowledges the privacy notice
    link = strongroom.link_in(strongroom.wait_for_mail(CLIENT_EMAIL))
    client = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    client.goto(link)
    client.get_by_role("heading", name="Before you start").wait_for()
    assert "Firm A Lettings" in client.content()
    client.screenshot(path=str(artefacts / "02-client-privacy-notice.png"), full_page=True)
    client.get_by_label("I have read this notice.").check()
    client.get_by_role("button", name="Continue").click()
    home = client.url
    assert home.endswith("/portal/")

    # ... gives every item (a photo, PDFs, answers, one "not applicable") and finishes
    given = give_everything(client, home, files, artefacts)
    assert given["files"] >= 2 and given["answers"] >= 1 and given["not_applicable"] == 1
    client.screenshot(path=str(artefacts / "04-client-checklist-done.png"), full_page=True)
    client.get_by_role("button", name="I've finished").click()
    client.get_by_role("heading", name="Thank you: here is what we received").wait_for()
    assert "passport-photo.png" in client.content() and "payslip.pdf" in client.content()
    client.screenshot(path=str(artefacts / "05-client-receipt.png"), full_page=True)
    assert "payslip.pdf" in strongroom.wait_for_mail(CLIENT_EMAIL, after=1)

    # staff open the request, preview a file, and reject one with a reason
    staff.goto(strongroom.url + "/")
    staff.get_by_role("link", name="Tenant application").click()
    preview = staff.get_by_role("link", name="Preview").first.get_attribute("href")
    answer_to_preview = staff.request.get(strongroom.url + str(preview))
    assert answer_to_preview.status == 200 and answer_to_preview.body()[:4] in (b"%PDF", b"\x89PNG")
    rejected = staff.locator("article:has(form[action$='/reject/']):has(a:text('Preview'))").first
    rejected_id = rejected.get_attribute("id")
    rejected.get_by_label("Reason").fill("The scan is blurred: please send a sharper copy")
    rejected.get_by_role("button", name="Reject").click()
    staff.get_by_text("Sent back to the client").wait_for()
    staff.screenshot(path=str(artefacts / "06-staff-rejected-one.png"), full_page=True)

    # the client sees the reason (by e-mail and on the portal) and sends the file again
    assert "sharper copy" in strongroom.wait_for_mail(CLIENT_EMAIL, after=2)
    client.goto(home)
    again = client.locator(f"#{rejected_id}")
    assert "The scan is blurred" in again.inner_text()
    client.screenshot(path=str(artefacts / "07-client-sees-reason.png"), full_page=True)
    upload(client, again, files["pdf"])
    assert "Pending review" in client.locator(f"#{rejected_id}").inner_text()

    # staff approve everything and the request completes
    request_page = staff.url
    for _ in range(80):
        staff.goto(request_page)
        buttons = staff.locator("form[action$='/approve/'] button")
        if not buttons.count():
            break
        with staff.expect_navigation():
            buttons.first.click()
    staff.goto(request_page)
    states = staff.locator("article > div.row").all_inner_texts()
    assert re.search(r"\bCompleted\b", staff.locator("p.row").first.inner_text()), "\n".join(states)
    staff.screenshot(path=str(artefacts / "08-staff-request-completed.png"), full_page=True)
    client.goto(home)
    assert "This request is closed" in client.content()
