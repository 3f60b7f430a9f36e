"""The four shipped templates: well-formed data, installed idempotently, translated, copied to a workspace."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.checklists import copy_template_to_workspace, install_shipped_templates
from strongroom.collection.models import Template, TemplateItem, TemplateSection
from strongroom.collection.models.common import (
    DEFAULT_MAX_FILE_SIZE,
    FileKind,
    ItemKind,
    QuestionType,
)
from strongroom.collection.shipped import (
    SHIPPED_TEMPLATES,
    ShippedItem,
    shipped_template,
    translate_text,
    translated,
)

pytestmark = pytest.mark.django_db

SLUGS = ["mortgage-application", "new-tax-client", "tenant-application", "employee-onboarding"]
CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)


def _rows() -> dict[str, list[tuple[object, ...]]]:
    """Every shipped item row by template slug: (id, key, section id, position, condition id)."""
    return {
        t.slug: list(
            TemplateItem.objects.filter(section__template=t).order_by("position")
            .values_list("id", "key", "section_id", "position", "condition_item_id")
        )
        for t in Template.objects.filter(workspace=None)
    }


# Shipped data --------------------------------------------------------------------------------------


def test_four_templates_are_shipped() -> None:
    assert [t.slug for t in SHIPPED_TEMPLATES] == SLUGS
    for template in SHIPPED_TEMPLATES:
        assert template.name.en and template.description.en and template.default_due_days > 0
        assert all(section.items for section in template.sections)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_item_meets_the_item_spec(slug: str) -> None:
    items = shipped_template(slug).items()
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)), "keys are unique within a template"
    for item in items:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item.key) and len(item.key) <= 60
        assert item.kind in ItemKind.values
        assert item.label.en and item.instructions.en and len(item.label.en) <= 300
        assert 0 < item.max_file_size <= DEFAULT_MAX_FILE_SIZE and item.max_files >= 1
        if item.kind == ItemKind.QUESTION:
            assert item.question_type in QuestionType.values, item.key
            assert item.accepted_kinds == ()
            if item.question_type in CHOICE_TYPES:
                choices = [c.en for c in item.choices]
                assert len(choices) >= 2 and len(choices) == len(set(choices)), item.key
            else:
                assert item.choices == (), item.key
        else:
            assert item.question_type == "" and item.choices == ()
            assert item.accepted_kinds and set(item.accepted_kinds) <= set(FileKind.values), item.key


def _check_condition(item: ShippedItem, earlier: dict[str, ShippedItem]) -> None:
    assert item.condition is not None
    parent = earlier.get(item.condition["when"])
    assert parent is not None, f"{item.key} depends on {item.condition['when']}, not an earlier item"
    assert parent.kind == ItemKind.QUESTION
    expected = item.condition["equals"]
    if parent.question_type == QuestionType.YES_NO:
        assert isinstance(expected, bool)
    else:
        assert parent.question_type in CHOICE_TYPES and expected in [c.en for c in parent.choices]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_condition_names_an_earlier_item_with_a_value_it_can_take(slug: str) -> None:
    earlier: dict[str, ShippedItem] = {}
    conditions = 0
    for item in shipped_template(slug).items():
        if item.condition is not None:
            _check_condition(item, earlier)
            conditions += 1
        earlier[item.key] = item
    assert conditions >= 1, "each shipped template shows at least one conditional item"


@pytest.mark.parametrize("slug", SLUGS)
def test_french_exists_for_every_text(slug: str) -> None:
    template = shipped_template(slug)
    texts = [template.name, template.description, *(s.title for s in template.sections)]
    for item in template.items():
        texts += [item.label, item.instructions, *item.choices]
        assert item.label.fr != item.label.en, f"{item.key} has no French label"
    assert all(t.fr.strip() for t in texts)


def test_translated_looks_texts_up_by_path_and_language() -> None:
    assert translated("mortgage-application", "name", "fr") == "Demande de prêt immobilier"
    assert translated("mortgage-application", "name", "fr-CA") == "Demande de prêt immobilier"
    assert translated("mortgage-application", "name", "en") == "Mortgage application"
    assert translated("mortgage-application", "name", "de") == "Mortgage application"
    assert translated("mortgage-application", "sections.income.title", "fr") == "Revenus"
    pets = translated("tenant-application", "items.pets.label", "fr")
    assert pets == "Avez-vous des animaux de compagnie ?"
    assert translated("mortgage-application", "items.deposit-source.choices.0", "fr") == "Épargne"
    with pytest.raises(KeyError):
        translated("mortgage-application", "items.no-such-item.label", "fr")
    with pytest.raises(KeyError):
        translated("no-such-template", "name", "fr")


def test_an_english_text_has_one_french_wording_across_templates() -> None:
    seen: dict[str, str] = {}
    for template in SHIPPED_TEMPLATES:
        for item in template.items():
            for text in (item.label, item.instructions, *item.choices):
                assert seen.setdefault(text.en, text.fr) == text.fr, text.en
    passport = "Passport or national identity card"
    assert translate_text(passport, "fr") == "Passeport ou carte nationale d'identité"
    assert translate_text(passport, "en") == passport
    assert translate_text("Wording staff wrote", "fr") == "Wording staff wrote"


# Installing ----------------------------------------------------------------------------------------


def test_install_twice_gives_the_same_rows() -> None:
    assert install_shipped_templates() == 4
    templates = {t.slug: t.pk for t in Template.objects.filter(workspace=None)}
    rows = _rows()

    assert install_shipped_templates() == 0

    assert {t.slug: t.pk for t in Template.objects.filter(workspace=None)} == templates
    assert sorted(templates) == sorted(SLUGS)
    assert _rows() == rows
    for slug in SLUGS:
        assert [r[1] for r in rows[slug]] == [i.key for i in shipped_template(slug).items()]


def test_installed_rows_match_the_shipped_data() -> None:
    install_shipped_templates()
    template = Template.objects.get(workspace=None, slug="mortgage-application")
    assert template.name == "Mortgage application" and template.default_due_days == 14
    assert [s.title for s in template.sections.all()] == [
        s.title.en for s in shipped_template("mortgage-application").sections
    ]
    items = {i.key: i for i in TemplateItem.objects.filter(section__template=template)}
    accounts = items["accounts"]
    assert accounts.condition_item == items["self-employed"] and accounts.condition_value is True
    assert accounts.accepted_kinds == ["pdf", "office"] and accounts.max_file_size == 20 * 1024 * 1024
    assert items["payslips"].max_files == 3 and items["payslips"].kind == ItemKind.DOCUMENT
    assert items["deposit-source"].choices[1] == "Gift from family"
    assert items["gift-letter"].condition_value == "Gift from family"
    assert items["dependants"].question_type == QuestionType.NUMBER
    for item in items.values():
        item.full_clean()
        if item.condition_item is not None:
            assert item.condition_item.position < item.position


def test_install_repairs_changed_rows_in_place() -> None:
    install_shipped_templates()
    template = Template.objects.get(workspace=None, slug="tenant-application")
    rows = _rows()
    pets = TemplateItem.objects.get(section__template=template, key="pets")
    pets.label, pets.required = "Edited", False
    pets.save()
    TemplateItem.objects.filter(section__template=template, key="pet-details").update(condition_item=None)
    TemplateItem.objects.create(section=pets.section, kind="question", question_type="short_text",
                                label="Stray", key="stray")
    TemplateItem.objects.create(section=pets.section, kind="question", question_type="yes_no",
                                label="Duplicate", key="pets", position=999)
    TemplateSection.objects.create(template=template, title="Extra", position=99)
    template.name = "Renamed"
    template.save()

    assert install_shipped_templates() == 1

    assert _rows() == rows
    pets.refresh_from_db()
    template.refresh_from_db()
    assert (pets.label, pets.required, template.name) == ("Do you have pets?", True, "Tenant application")
    assert template.sections.count() == len(shipped_template("tenant-application").sections)


def test_installing_is_audited_only_when_something_changed() -> None:
    install_shipped_templates()
    assert Event.objects.filter(action="template.shipped_installed").count() == 4
    install_shipped_templates()
    assert Event.objects.filter(action="template.shipped_installed").count() == 4


def test_the_command_reports_how_many_templates_it_wrote() -> None:
    out = io.StringIO()
    call_command("templates", "install", stdout=out)
    call_command("templates", "install", stdout=out)
    assert out.getvalue().splitlines() == [
        "4 shipped template(s) installed or updated",
        "0 shipped template(s) installed or updated",
    ]


# Copying into a workspace --------------------------------------------------------------------------


def test_a_shipped_template_copied_into_a_workspace_is_editable_and_keeps_its_conditions(
    workspace: Workspace, owner: User
) -> None:
    install_shipped_templates()
    shipped = Template.objects.get(workspace=None, slug="new-tax-client")

    copy = copy_template_to_workspace(shipped, workspace, owner)

    assert (copy.workspace, copy.slug, copy.name, copy.created_by) == (workspace, "", shipped.name, owner)
    original = list(TemplateItem.objects.filter(section__template=shipped).order_by("position"))
    copied = list(TemplateItem.objects.filter(section__template=copy).order_by("position"))
    assert [i.key for i in copied] == [i.key for i in original]
    assert {i.pk for i in copied}.isdisjoint({i.pk for i in original})
    by_key = {i.key: i for i in copied}
    disposals = by_key["disposals"]
    assert disposals.condition_item == by_key["other-income-sources"]
    assert disposals.condition_value == "Capital gains (sale of shares or property)"
    assert all(i.condition_item is None or i.condition_item.section.template == copy for i in copied)
    assert Event.objects.filter(action="template.created", target_id=str(copy.pk),
                                workspace=workspace.pk).exists()
    assert _rows()["new-tax-client"] == [
        (i.pk, i.key, i.section_id, i.position, i.condition_item_id) for i in original
    ], "the shipped template is untouched"


def test_a_french_copy_translates_wording_choices_and_condition_values(
    workspace: Workspace, owner: User
) -> None:
    install_shipped_templates()
    shipped = Template.objects.get(workspace=None, slug="mortgage-application")

    copy = copy_template_to_workspace(shipped, workspace, owner, language="fr")

    assert copy.name == "Demande de prêt immobilier"
    assert copy.sections.first().title == "Identité"  # type: ignore[union-attr]
    by_key = {i.key: i for i in TemplateItem.objects.filter(section__template=copy)}
    assert by_key["deposit-source"].choices[1] == "Don familial"
    assert by_key["gift-letter"].condition_value == "Don familial"
    assert by_key["accounts"].condition_value is True


def test_another_workspaces_template_cannot_be_copied(
    workspace: Workspace, other_workspace: Workspace, owner: User, outsider: User
) -> None:
    theirs = Template.objects.create(workspace=other_workspace, name="Theirs")
    before = Template.objects.count()

    with pytest.raises(ValueError, match="another workspace"):
        copy_template_to_workspace(theirs, workspace, owner)

    assert Template.objects.count() == before
    mine = copy_template_to_workspace(
        Template.objects.create(workspace=workspace, name="Mine"), workspace, owner
    )
    assert mine.name == "Copy of Mine"
