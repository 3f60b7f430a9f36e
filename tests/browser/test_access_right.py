"""The right of access in a real browser against a real server and worker: a client asks from the
portal, the owner approves, the client follows the e-mailed link, unlocks it with the e-mailed code
and downloads a package that opens, with the same data in each of its four formats."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from strongroom.rights import formats
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.server import LiveStrongroom

CLIENT_EMAIL = "ada.applicant@client.example"


def sign_in(page: Any, url: str) -> None:
    page.goto(url + "/login/")
    page.get_by_label("E-mail").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Requests").wait_for()


def code_in(mail: str) -> str:
    found = re.search(r"^\s+(\d{6})\s*$", mail, re.MULTILINE)
    assert found, mail
    return found.group(1)


def test_a_client_exercises_access_from_the_portal_and_downloads_a_package_that_opens(
    browser: Any, strongroom: LiveStrongroom, artefacts: Path
) -> None:
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(staff, strongroom.url)
    staff.get_by_role("link", name="Clients").click()
    staff.get_by_role("link", name="Add a client").click()
    staff.get_by_label("Name").fill("Ada Applicant")
    staff.get_by_label("E-mail").fill(CLIENT_EMAIL)
    staff.get_by_role("button", name="Add client").click()
    staff.get_by_role("link", name="New request for this client").click()
    staff.get_by_label("Checklist").select_option(label="Tenant application")
    staff.get_by_role("button", name="Create draft").click()
    staff.get_by_role("button", name="Send to the client").click()
    staff.get_by_text("Sent: the client will receive").wait_for()

    # the client opens the portal and asks for their data from "Your privacy rights"
    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                         accept_downloads=True)
    client = client_context.new_page()
    client.goto(strongroom.link_in(strongroom.wait_for_mail(CLIENT_EMAIL)))
    client.get_by_label("I have read this notice.").check()
    client.get_by_role("button", name="Continue").click()
    client.get_by_role("navigation", name="Portal").get_by_role("link", name="Your privacy rights").click()
    client.get_by_role("heading", name="Your privacy rights").wait_for()
    client.get_by_label("Access to my data").check()
    client.get_by_label("Anything to add (optional)").fill("Please send me everything you hold.")
    client.get_by_role("button", name="Send my request").click()
    client.get_by_text("Your request was received").wait_for()
    assert "Awaiting the workspace's decision" in client.content()
    client.screenshot(path=str(artefacts / "rights-01-client-asked.png"), full_page=True)

    # the owner sees it on the rights board and approves it
    strongroom.wait_for_mail(STAFF_EMAIL, subject_has="Rights request to decide")
    staff.goto(strongroom.url + "/")
    staff.get_by_role("link", name="Rights requests").click()
    staff.get_by_role("link", name="Access to my data").click()
    staff.screenshot(path=str(artefacts / "rights-02-staff-decides.png"), full_page=True)
    staff.get_by_role("button", name="Approve").click()
    staff.get_by_text("Approved").first.wait_for()

    # the worker builds the package and e-mails the link; a code unlocks the download
    mail = strongroom.wait_for_mail(CLIENT_EMAIL, subject_has="Your personal data held by", timeout=120)
    found = re.search(re.escape(strongroom.url) + r"/rights/package/\S+", mail)
    assert found, mail
    client.goto(found.group(0))
    client.get_by_role("button", name="Send me a code").click()
    code = code_in(strongroom.wait_for_mail(CLIENT_EMAIL, subject_has="Your download code"))
    client.get_by_label("Code").fill(code)
    client.get_by_role("button", name="Continue").click()
    client.screenshot(path=str(artefacts / "rights-03-client-download.png"), full_page=True)
    with client.expect_download() as downloading:
        client.get_by_role("link", name="Download your data (ZIP)").click()
    data = Path(downloading.value.path()).read_bytes()

    # the package opens: a README, the four formats agreeing with each other, and the person's data
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert {"README.txt", "data.json", "data.xml", "data.xlsx", "subject-export.xsd"} <= set(names)
    exported = formats.read_json(archive.read("data.json"))
    assert formats.read_xml(archive.read("data.xml")) == exported
    assert formats.read_xlsx(archive.read("data.xlsx")) == exported
    csvs = {n.removeprefix("csv/"): archive.read(n) for n in names if n.startswith("csv/")}
    assert formats.read_csv(csvs) == exported
    tables = {t.name: t for t in exported.tables}
    [profile] = tables["collection_client"].rows
    assert (profile["name"], profile["email"]) == ("Ada Applicant", CLIENT_EMAIL)
    [asked] = tables["rights_rightsrequest"].rows
    assert asked["details"] == "Please send me everything you hold."
    assert "Firm A Lettings" in archive.read("README.txt").decode() or "Firm A Lettings" in str(
        tables["information"].rows
    )
