"""French: the catalog is complete and compiled, and the portal, its notice and the staff pages speak the
client's (or the browser's) language."""

from __future__ import annotations

import gettext as gnu_gettext
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as Browser
from django.utils import translation

from strongroom.accounts.models import User, Workspace
from strongroom.collection.models import Request
from strongroom.collection.models.requests import RequestState
from strongroom.collection.tests.factories import acknowledged_link, make_client, make_request, question
from strongroom.portal.notice import notice_for

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "strongroom" / "locale" / "fr" / "LC_MESSAGES"


def sent_request(workspace: Workspace, owner: User, language: str) -> Request:
    client = make_client(workspace, owner, language=language)
    return make_request(workspace, owner, client, [question("Your tax number")], title="Tax return 2025",
                        state=RequestState.SENT)


def portal_page(token: str) -> str:
    """The checklist as the link's holder sees it, entities decoded (`'` comes out as `&#x27;`)."""
    browser = Browser()
    assert browser.get(f"/p/{token}").status_code == 302
    response = browser.get("/portal/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- the catalog ---------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    body = line.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def po_entries() -> list[tuple[str, list[str], list[str]]]:
    """(msgid, msgstrs, flags) of each live entry of the French .po."""
    entries = []
    for block in (CATALOG / "django.po").read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        flags: list[str] = []
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key] += _unquote(line)
            elif line.strip():
                key, _space, rest = line.partition(" ")
                fields[key] = _unquote(rest)
        if fields.get("msgid"):
            msgstrs = [value for name, value in fields.items() if name.startswith("msgstr")]
            entries.append((fields["msgid"], msgstrs, flags))
    return entries


def test_every_french_message_is_translated_and_compiled() -> None:
    entries = po_entries()
    compiled = gnu_gettext.GNUTranslations((CATALOG / "django.mo").open("rb"))

    assert len(entries) > 250
    assert [msgid for msgid, msgstrs, _flags in entries if not all(msgstrs)] == []
    assert [msgid for msgid, _msgstrs, flags in entries if "fuzzy" in flags] == []
    stale = [msgid for msgid, msgstrs, _flags in entries if compiled.gettext(msgid) != msgstrs[0]]
    assert stale == [], "django.mo is older than django.po: run compilemessages"
    assert compiled.info()["plural-forms"] == "nplurals=2; plural=(n > 1);"


def test_placeholders_survive_translation() -> None:
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]")
    for msgid, msgstrs, flags in po_entries():
        if "python-format" in flags:
            for msgstr in msgstrs:
                assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(msgid)), msgid


def test_plural_forms_follow_french_rules() -> None:
    with translation.override("fr"):
        one = translation.ngettext("Up to %(count)s file, %(size)s at most.",
                                   "Up to %(count)s files, %(size)s each at most.", 1)
        many = translation.ngettext("Up to %(count)s file, %(size)s at most.",
                                    "Up to %(count)s files, %(size)s each at most.", 3)
    assert one == "Jusqu'à %(count)s fichier, %(size)s au maximum."
    assert many == "Jusqu'à %(count)s fichiers, %(size)s au maximum chacun."


# --- the privacy notice --------------------------------------------------------------------------


def test_the_french_notice_is_in_french(workspace: Workspace, owner: User) -> None:
    workspace.dpo_contact = "dpo@firm-a.example"
    workspace.privacy_policy_url = "https://firm-a.example/privacy"
    workspace.save(update_fields=["dpo_contact", "privacy_policy_url"])
    link, _token = acknowledged_link(sent_request(workspace, owner, "fr"))

    english, french = notice_for(link, "en"), notice_for(link, "fr")

    assert french.text != english.text
    assert len(french.paragraphs) == len(english.paragraphs) == 5
    assert french.paragraphs[0] == (
        "Firm A vous demande les documents et informations énumérés dans « Tax return 2025 »."
    )
    assert "responsable du traitement" in french.text and "chiffrée" in french.text
    assert "Contact pour la protection des données : dpo@firm-a.example." in french.paragraphs
    assert "Politique de confidentialité : https://firm-a.example/privacy" in french.paragraphs
    assert "asks you for" not in french.text and "controller" not in french.text
    assert french.sha256 != english.sha256


# --- the portal ----------------------------------------------------------------------------------


def test_a_french_clients_portal_is_in_french(workspace: Workspace, owner: User) -> None:
    link, token = acknowledged_link(sent_request(workspace, owner, "fr"))
    assert link.request.client.language == "fr"

    page = portal_page(token)

    assert '<html lang="fr">' in page
    for french in ("J'ai terminé", "Liste des pièces", "Firm A vous demande les éléments ci-dessous.",
                   "Éléments fournis : 0 sur 1", "Obligatoire", "Votre réponse", "Enregistrer",
                   "Cela ne me concerne pas", "Marquer comme sans objet", "Manquant"):
        assert french in page, french
    assert "I've finished" not in page and "Checklist" not in page and "Your answer" not in page
    # what the page's script says (limits, a dropped connection) comes translated too
    assert 'data-too-big="« {name} » fait {size} : la limite est de {limit}."' in page
    assert 'data-units="o Ko Mo Go"' in page


def test_an_english_clients_portal_is_in_english(workspace: Workspace, owner: User) -> None:
    _link, token = acknowledged_link(sent_request(workspace, owner, "en"))

    page = portal_page(token)

    assert '<html lang="en">' in page
    for english in ("I've finished", "Checklist", "Firm A asks you for the items below.", "Your answer"):
        assert english in page, english
    assert "J'ai terminé" not in page and "Liste des pièces" not in page


def test_the_portal_follows_the_client_not_the_browser(workspace: Workspace, owner: User) -> None:
    _link, token = acknowledged_link(sent_request(workspace, owner, "fr"))
    browser = Browser(headers={"Accept-Language": "en"})
    browser.get(f"/p/{token}")

    page = html.unescape(browser.get("/portal/").content.decode())

    assert "J'ai terminé" in page and "I've finished" not in page


def test_the_neutral_not_found_page_in_french() -> None:
    response = Browser(headers={"Accept-Language": "fr"}).get("/p/not-a-token")

    assert response.status_code == 404
    assert "Ce lien n'est pas disponible" in html.unescape(response.content.decode())


# --- staff pages ---------------------------------------------------------------------------------


def test_the_staff_login_page_follows_the_browser_language() -> None:
    french = html.unescape(Browser(headers={"Accept-Language": "fr"}).get("/login/").content.decode())
    english = html.unescape(Browser(headers={"Accept-Language": "en"}).get("/login/").content.decode())

    assert '<html lang="fr">' in french
    assert "Se connecter" in french and "Mot de passe" in french and "Aller au contenu" in french
    assert "Sign in" not in french and "Password" not in french
    assert "Sign in" in english and "Password" in english and "Se connecter" not in english

