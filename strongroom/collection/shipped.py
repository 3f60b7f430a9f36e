"""The four checklists Strongroom ships to every workspace, as plain data.

Nothing here touches the database: `checklists.install_shipped_templates()` writes these into
`Template` rows (workspace NULL, matched by slug; items matched by `key`). The database holds the
English text; the French text stays here and is read through `translated()` (by template and path)
or `translate_text()` (by English wording), so a request copied for a French-speaking client can be
written in French.

Contract for every item below (the tests check it): `key` is a slug unique within its template; a
question has a question type, and a choice question has choices; a document accepts `FileKind`
values; a condition names an *earlier* item of the same template, and its value is what that item's
answer is stored as (yes/no answers are `True`/`False`, choices are the English choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from strongroom.collection.models.common import FileKind, ItemKind, QuestionType

MIB = 1024 * 1024
FILE_SIZE = 20 * MIB
PAPERS = (FileKind.PDF.value, FileKind.IMAGE.value)
ACCOUNTS = (FileKind.PDF.value, FileKind.OFFICE.value)
RECORDS = (FileKind.PDF.value, FileKind.OFFICE.value, FileKind.TEXT.value, FileKind.IMAGE.value)

type Json = bool | int | str | list[Json] | None


@dataclass(frozen=True)
class T:
    """One text in English and French."""

    en: str
    fr: str

    def get(self, language: str) -> str:
        return self.fr if _base_language(language) == "fr" else self.en


class Condition(TypedDict):
    when: str  # key of an earlier item
    equals: Json


@dataclass(frozen=True)
class ShippedItem:
    key: str
    kind: str
    label: T
    instructions: T
    required: bool = True
    question_type: str = ""
    choices: tuple[T, ...] = ()
    accepted_kinds: tuple[str, ...] = ()
    max_files: int = 1
    max_file_size: int = FILE_SIZE
    condition: Condition | None = None


@dataclass(frozen=True)
class ShippedSection:
    key: str
    title: T
    items: tuple[ShippedItem, ...]


@dataclass(frozen=True)
class ShippedTemplate:
    slug: str
    name: T
    description: T
    default_due_days: int
    sections: tuple[ShippedSection, ...]

    def items(self) -> list[ShippedItem]:
        return [item for section in self.sections for item in section.items]


def _base_language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def when(key: str, equals: Json) -> Condition:
    return {"when": key, "equals": equals}


def doc(key: str, label: T, instructions: T, *, kinds: tuple[str, ...] = PAPERS, max_files: int = 2,
        required: bool = True, condition: Condition | None = None) -> ShippedItem:
    return ShippedItem(key=key, kind=ItemKind.DOCUMENT.value, label=label, instructions=instructions,
                       required=required, accepted_kinds=kinds, max_files=max_files, condition=condition)


def ask(key: str, question_type: QuestionType, label: T, instructions: T, *,
        choices: tuple[T, ...] = (), required: bool = True,
        condition: Condition | None = None) -> ShippedItem:
    return ShippedItem(key=key, kind=ItemKind.QUESTION.value, label=label, instructions=instructions,
                       required=required, question_type=question_type.value, choices=choices,
                       condition=condition)


def section(key: str, title: T, *items: ShippedItem) -> ShippedSection:
    return ShippedSection(key=key, title=title, items=items)


# Items several templates share, worded once.
PHOTO_ID = doc(
    "photo-id",
    T("Passport or national identity card", "Passeport ou carte nationale d'identité"),
    T("A clear photo or scan of the photo page of your passport, or of both sides of your identity "
      "card. It must be valid, with all four corners visible and nothing covered.",
      "Une photo nette ou un scan de la page photo de votre passeport, ou des deux faces de votre carte "
      "d'identité. Le document doit être en cours de validité, les quatre coins visibles, rien de masqué."),
)
PROOF_OF_ADDRESS = doc(
    "proof-of-address",
    T("Proof of address (less than 3 months old)", "Justificatif de domicile de moins de 3 mois"),
    T("A utility bill, council tax bill or bank statement showing your name and current address, dated "
      "within the last three months. Mobile phone bills are usually not accepted.",
      "Une facture (électricité, gaz, eau, internet fixe), un avis de taxe ou un relevé bancaire à votre "
      "nom et à votre adresse actuelle, daté de moins de trois mois. Les factures de téléphone mobile "
      "ne sont généralement pas acceptées."),
)
DATE_OF_BIRTH = ask(
    "date-of-birth", QuestionType.DATE,
    T("Date of birth", "Date de naissance"),
    T("As shown on your passport or identity card.", "Telle qu'indiquée sur votre passeport ou votre "
      "carte d'identité."),
)
SHARE_CODE = ask(
    "share-code", QuestionType.SHORT_TEXT,
    T("Home Office share code (if you have one)", "Code de partage du Home Office (si vous en avez un)"),
    T("The 9-character code from GOV.UK, starting with R (right to rent) or W (right to work).",
      "Le code de 9 caractères obtenu sur GOV.UK, commençant par R (droit de louer) ou W (droit de "
      "travailler)."),
    required=False,
)
COUNTRY_CODE = T("With the country code if outside the UK.",
                 "Avec l'indicatif du pays si hors du Royaume-Uni.")
SAVINGS_INTEREST = T("Savings interest", "Intérêts d'épargne")
CAPITAL_GAINS = T("Capital gains (sale of shares or property)", "Plus-values (vente d'actions ou d'un bien)")
FOREIGN_INCOME = T("Foreign income", "Revenus de l'étranger")
GIFT = T("Gift from family", "Don familial")


MORTGAGE = ShippedTemplate(
    slug="mortgage-application",
    name=T("Mortgage application", "Demande de prêt immobilier"),
    description=T(
        "What a lender asks for to assess a mortgage: identity, income, bank statements, existing "
        "commitments and the property you are buying.",
        "Ce qu'un prêteur demande pour étudier un prêt immobilier : identité, revenus, relevés bancaires, "
        "engagements en cours et le bien que vous achetez."),
    default_due_days=14,
    sections=(
        section("identity", T("Identity", "Identité"), PHOTO_ID, PROOF_OF_ADDRESS, DATE_OF_BIRTH),
        section(
            "income", T("Income", "Revenus"),
            doc("payslips", T("Your last three payslips", "Vos trois derniers bulletins de salaire"),
                T("One file per month is fine. If you are not employed, mark this item as not applicable.",
                  "Un fichier par mois convient. Si vous n'êtes pas salarié, indiquez que cet élément ne "
                  "s'applique pas."),
                max_files=3),
            doc("p60", T("P60 or annual tax statement", "P60 ou avis d'impôt sur le revenu"),
                T("Your latest P60 from your employer, or your latest annual tax statement (avis "
                  "d'imposition).",
                  "Votre dernier P60 remis par votre employeur, ou votre dernier avis d'impôt sur le "
                  "revenu.")),
            ask("self-employed", QuestionType.YES_NO,
                T("Are you self-employed?", "Êtes-vous travailleur indépendant ?"),
                T("Answer yes if you are a sole trader, a partner, or a director owning 20% or more of a "
                  "company.",
                  "Répondez oui si vous exercez en nom propre, en société de personnes, ou si vous êtes "
                  "dirigeant et détenez au moins 20 % d'une société.")),
            doc("accounts", T("Last two years' accounts", "Comptes annuels des deux derniers exercices"),
                T("Your full accounts for the last two financial years, prepared or certified by your "
                  "accountant where possible.",
                  "Vos comptes complets des deux derniers exercices, établis ou certifiés par votre "
                  "expert-comptable si possible."),
                kinds=ACCOUNTS, max_files=4, condition=when("self-employed", True)),
            doc("tax-calculations",
                T("Tax calculations for the last two years", "Calculs d'impôt des deux dernières années"),
                T("Your SA302 tax calculations and the matching tax year overviews from HMRC, or your "
                  "last two tax notices.",
                  "Vos calculs d'impôt SA302 et les récapitulatifs annuels correspondants du HMRC, ou vos "
                  "deux derniers avis d'imposition."),
                max_files=4, condition=when("self-employed", True)),
            ask("other-income", QuestionType.LONG_TEXT,
                T("Other regular income", "Autres revenus réguliers"),
                T("Rental income, benefits, maintenance or a second job: what it is and how much per month.",
                  "Revenus locatifs, prestations, pension alimentaire ou second emploi : la nature et le "
                  "montant mensuel."),
                required=False),
        ),
        section(
            "bank", T("Bank statements", "Relevés bancaires"),
            doc("bank-statements",
                T("Bank statements for the last 3 months", "Relevés bancaires des 3 derniers mois"),
                T("Statements of your main current account for the last three full months, showing your "
                  "name, account number and income paid in. Downloaded PDF statements are best.",
                  "Les relevés de votre compte courant principal pour les trois derniers mois complets, "
                  "avec votre nom, le numéro de compte et vos revenus crédités. Les relevés PDF "
                  "téléchargés sont préférables."),
                max_files=6),
        ),
        section(
            "commitments", T("Commitments", "Engagements financiers"),
            ask("existing-loans", QuestionType.LONG_TEXT,
                T("Existing loans and credit", "Crédits en cours"),
                T("For each loan, car finance, credit card or overdraft: the lender, the monthly payment "
                  "and the balance left to pay. Write \"none\" if you have none.",
                  "Pour chaque prêt, crédit auto, carte de crédit ou découvert : le prêteur, la mensualité "
                  "et le capital restant dû. Écrivez « aucun » si vous n'en avez pas.")),
            ask("dependants", QuestionType.NUMBER,
                T("Number of financial dependants", "Nombre de personnes à charge"),
                T("Children or adults who rely on your income. Enter 0 if none.",
                  "Enfants ou adultes qui dépendent de vos revenus. Indiquez 0 s'il n'y en a aucun.")),
        ),
        section(
            "property", T("The property", "Le bien"),
            ask("property-address", QuestionType.SHORT_TEXT,
                T("Address of the property", "Adresse du bien"),
                T("Full address with postcode, if you have found the property.",
                  "Adresse complète avec le code postal, si vous avez trouvé le bien."),
                required=False),
            ask("purchase-price", QuestionType.NUMBER, T("Purchase price", "Prix d'achat"),
                T("The agreed or expected price, in digits only (for example 250000).",
                  "Le prix convenu ou envisagé, en chiffres uniquement (par exemple 250000).")),
            ask("loan-amount", QuestionType.NUMBER,
                T("Amount you wish to borrow", "Montant que vous souhaitez emprunter"),
                T("In digits only.", "En chiffres uniquement.")),
            ask("deposit-source", QuestionType.SINGLE_CHOICE,
                T("Where does your deposit come from?", "D'où provient votre apport ?"),
                T("Choose the main source. Lenders must check where the money comes from.",
                  "Choisissez la source principale. Les prêteurs doivent vérifier l'origine des fonds."),
                choices=(T("Savings", "Épargne"), GIFT, T("Sale of a property", "Vente d'un bien"),
                         T("Inheritance", "Héritage"), T("Other", "Autre"))),
            doc("gift-letter", T("Gifted deposit letter", "Attestation de don pour l'apport"),
                T("A letter signed by the person giving you the money: the amount, that it is a gift "
                  "with nothing to repay, and that they will have no share in the property.",
                  "Une lettre signée par la personne qui vous donne l'argent : le montant, qu'il s'agit "
                  "d'un don sans remboursement, et qu'elle n'aura aucune part dans le bien."),
                condition=when("deposit-source", GIFT.en)),
            doc("deposit-proof", T("Proof of your deposit", "Justificatif de votre apport"),
                T("A recent statement of the account holding your deposit.",
                  "Un relevé récent du compte sur lequel se trouve votre apport."),
                max_files=3),
            doc("memorandum-of-sale",
                T("Memorandum of sale or signed offer", "Compromis ou promesse de vente"),
                T("If your offer has been accepted.", "Si votre offre a été acceptée."),
                max_files=5, required=False),
        ),
    ),
)

TAX_CLIENT = ShippedTemplate(
    slug="new-tax-client",
    name=T("New tax client", "Nouveau client fiscal"),
    description=T(
        "Taking on a personal tax client: identity checks, tax references, sources of income and last "
        "year's return.",
        "Reprise d'un dossier fiscal de particulier : vérification d'identité, références fiscales, "
        "sources de revenus et dernière déclaration."),
    default_due_days=21,
    sections=(
        section("identity", T("Identity checks", "Vérification d'identité"),
                PHOTO_ID, PROOF_OF_ADDRESS, DATE_OF_BIRTH),
        section(
            "references", T("Tax references", "Références fiscales"),
            ask("tax-reference", QuestionType.SHORT_TEXT,
                T("Tax reference number", "Numéro fiscal"),
                T("Your 10-digit Unique Taxpayer Reference (UTR) from HMRC, or the 13-digit numéro fiscal "
                  "printed on your French tax notice.",
                  "Votre Unique Taxpayer Reference (UTR) à 10 chiffres du HMRC, ou le numéro fiscal à 13 "
                  "chiffres imprimé sur votre avis d'imposition.")),
            ask("national-insurance", QuestionType.SHORT_TEXT,
                T("National Insurance number", "Numéro de National Insurance"),
                T("Two letters, six digits and a letter, for example QQ123456C. Leave empty if you have "
                  "none.",
                  "Deux lettres, six chiffres et une lettre, par exemple QQ123456C. Laissez vide si vous "
                  "n'en avez pas."),
                required=False),
            ask("previous-accountant", QuestionType.EMAIL,
                T("Your previous accountant's e-mail", "E-mail de votre précédent comptable"),
                T("We write to them for professional clearance. Leave empty if you had none.",
                  "Nous lui écrivons pour la reprise du dossier. Laissez vide si vous n'en aviez pas."),
                required=False),
        ),
        section(
            "income", T("Work and income", "Activité et revenus"),
            ask("employment-status", QuestionType.SINGLE_CHOICE,
                T("Your employment status", "Votre situation professionnelle"),
                T("During the last tax year. Choose the main one.",
                  "Au cours de la dernière année fiscale. Choisissez la principale."),
                choices=(T("Employed", "Salarié"), T("Self-employed", "Travailleur indépendant"),
                         T("Company director", "Dirigeant de société"), T("Retired", "Retraité"),
                         T("Not working", "Sans activité"))),
            doc("p60-p45", T("P60, and P45 if you changed jobs", "P60, et P45 si vous avez changé d'emploi"),
                T("The P60 for the last tax year, and the P45 of any job you left during it.",
                  "Le P60 de la dernière année fiscale, et le P45 de tout emploi quitté pendant l'année."),
                max_files=4, condition=when("employment-status", "Employed")),
            doc("self-employment-records",
                T("Income and expense records", "Registre des recettes et dépenses"),
                T("Your records for the year: a spreadsheet, accounting export or bank statements of "
                  "the business account.",
                  "Vos enregistrements de l'année : tableur, export comptable ou relevés du compte "
                  "professionnel."),
                kinds=RECORDS, max_files=10, condition=when("employment-status", "Self-employed")),
            doc("director-documents",
                T("P60 and dividend vouchers", "P60 et justificatifs de dividendes"),
                T("The P60 from your company and every dividend voucher for the tax year.",
                  "Le P60 remis par votre société et chaque justificatif de dividende de l'année fiscale."),
                max_files=10, condition=when("employment-status", "Company director")),
            doc("pension-statements", T("Pension statements", "Relevés de pension"),
                T("The P60 from each pension provider and your State Pension letter.",
                  "Le P60 de chaque caisse de retraite et votre courrier de pension d'État."),
                max_files=5, condition=when("employment-status", "Retired")),
            ask("rental-income", QuestionType.YES_NO,
                T("Do you receive rental income?", "Percevez-vous des revenus locatifs ?"),
                T("Including a room let in your own home.",
                  "Y compris une chambre louée dans votre logement.")),
            doc("rental-statements", T("Rental income and expenses", "Loyers perçus et charges"),
                T("Letting agent statements, or your own record of rents received and costs paid for "
                  "the year.",
                  "Les relevés de l'agence, ou votre propre récapitulatif des loyers perçus et des charges "
                  "payées sur l'année."),
                kinds=RECORDS, max_files=10, condition=when("rental-income", True)),
            doc("mortgage-interest",
                T("Mortgage interest statement for the let property",
                  "Attestation d'intérêts d'emprunt du bien loué"),
                T("The yearly statement from your lender.", "Le relevé annuel de votre prêteur."),
                max_files=3, required=False, condition=when("rental-income", True)),
            ask("other-income-sources", QuestionType.MULTIPLE_CHOICE,
                T("Any other income during the tax year?", "D'autres revenus pendant l'année fiscale ?"),
                T("Tick every one that applies.", "Cochez tout ce qui s'applique."),
                choices=(SAVINGS_INTEREST, T("Dividends", "Dividendes"), FOREIGN_INCOME, CAPITAL_GAINS,
                         T("None of these", "Aucun de ceux-ci"))),
            doc("disposals", T("Purchase and sale documents", "Documents d'achat et de vente"),
                T("Contract notes or completion statements for everything you sold, and for when you "
                  "bought it.",
                  "Avis d'opéré ou actes de vente pour tout ce que vous avez vendu, et pour son achat."),
                kinds=RECORDS, max_files=10, condition=when("other-income-sources", CAPITAL_GAINS.en)),
            ask("foreign-income-details", QuestionType.LONG_TEXT,
                T("Your foreign income", "Vos revenus de l'étranger"),
                T("Which countries, what kind of income, the amounts, and any tax paid there.",
                  "Quels pays, quel type de revenus, les montants et l'impôt éventuellement payé sur place."),
                condition=when("other-income-sources", FOREIGN_INCOME.en)),
        ),
        section(
            "history", T("Previous returns", "Déclarations précédentes"),
            doc("prior-return", T("Last year's tax return", "Votre dernière déclaration de revenus"),
                T("The full return filed for last year, with its tax calculation if you have it.",
                  "La déclaration complète déposée l'an dernier, avec le calcul de l'impôt si vous l'avez."),
                kinds=(FileKind.PDF.value,), max_files=3),
            ask("agent-code", QuestionType.SHORT_TEXT,
                T("HMRC agent authorisation code", "Code d'autorisation d'agent du HMRC"),
                T("If HMRC has posted you an 8-character code after we asked to act for you, enter it here.",
                  "Si le HMRC vous a envoyé un code de 8 caractères après notre demande de mandat, "
                  "saisissez-le ici."),
                required=False),
        ),
    ),
)

TENANT = ShippedTemplate(
    slug="tenant-application",
    name=T("Tenant application", "Dossier de candidature locataire"),
    description=T(
        "The checks a landlord or letting agent makes before a tenancy: identity, right to rent, income, "
        "references and the household.",
        "Les vérifications d'un bailleur ou d'une agence avant la location : identité, droit de louer, "
        "revenus, références et composition du foyer."),
    default_due_days=7,
    sections=(
        section(
            "identity", T("Identity", "Identité"),
            PHOTO_ID,
            doc("right-to-rent", T("Right to rent evidence", "Justificatif du droit de louer"),
                T("If you are not a British or Irish citizen: your visa, residence permit or EU "
                  "Settlement Scheme letter, or enter a share code below. British and Irish citizens can "
                  "mark this item as not applicable.",
                  "Si vous n'êtes pas citoyen britannique ou irlandais : votre visa, titre de séjour ou "
                  "courrier du EU Settlement Scheme, ou indiquez un code de partage ci-dessous. Les "
                  "citoyens britanniques et irlandais peuvent indiquer que cet élément ne s'applique pas.")),
            SHARE_CODE,
            ask("current-address", QuestionType.LONG_TEXT,
                T("Current address and time there", "Adresse actuelle et durée d'occupation"),
                T("Your full address, and since when you have lived there.",
                  "Votre adresse complète, et depuis quand vous y habitez.")),
        ),
        section(
            "income", T("Employment and income", "Emploi et revenus"),
            ask("employer", QuestionType.SHORT_TEXT,
                T("Employer and job title", "Employeur et poste"),
                T("If you are self-employed, write \"self-employed\" and your trade.",
                  "Si vous êtes indépendant, écrivez « indépendant » et votre activité.")),
            ask("employer-reference-email", QuestionType.EMAIL,
                T("E-mail of your employment referee", "E-mail d'un référent chez votre employeur"),
                T("Usually your manager or HR department. We only ask them to confirm your role, salary "
                  "and start date.",
                  "En général votre responsable ou le service RH. Nous leur demandons seulement de "
                  "confirmer votre poste, votre salaire et votre date d'entrée.")),
            ask("annual-income", QuestionType.NUMBER,
                T("Annual income before tax", "Revenu annuel avant impôt"),
                T("In digits only.", "En chiffres uniquement.")),
            doc("income-proof", T("Proof of income", "Justificatif de revenus"),
                T("Your last three payslips, or if self-employed your latest tax calculation or an "
                  "accountant's letter.",
                  "Vos trois derniers bulletins de salaire ou, si vous êtes indépendant, votre dernier "
                  "avis d'imposition ou une attestation de votre comptable."),
                max_files=3),
            ask("guarantor", QuestionType.YES_NO,
                T("Will someone act as your guarantor?", "Une personne se porte-t-elle garante pour vous ?"),
                T("A guarantor agrees to pay the rent if you cannot.",
                  "Le garant s'engage à payer le loyer si vous ne le pouvez pas.")),
            ask("guarantor-details", QuestionType.LONG_TEXT,
                T("Your guarantor's details", "Coordonnées de votre garant"),
                T("Name, address, e-mail and telephone number. We will contact them separately.",
                  "Nom, adresse, e-mail et téléphone. Nous le contacterons séparément."),
                condition=when("guarantor", True)),
        ),
        section(
            "references", T("Landlord reference", "Référence du bailleur actuel"),
            ask("landlord-name", QuestionType.SHORT_TEXT,
                T("Current landlord or letting agent", "Bailleur ou agence actuels"),
                T("If you do not rent now, mark this item as not applicable.",
                  "Si vous n'êtes pas locataire actuellement, indiquez que cet élément ne s'applique pas.")),
            ask("landlord-email", QuestionType.EMAIL,
                T("Current landlord's e-mail", "E-mail du bailleur actuel"),
                T("We will ask them to confirm that the rent was paid on time.",
                  "Nous lui demanderons de confirmer que le loyer était payé à temps.")),
            ask("landlord-phone", QuestionType.PHONE,
                T("Current landlord's telephone number", "Téléphone du bailleur actuel"),
                COUNTRY_CODE,
                required=False),
        ),
        section(
            "household", T("Household", "Foyer"),
            ask("occupants", QuestionType.NUMBER,
                T("How many people will live in the property?",
                  "Combien de personnes habiteront le logement ?"),
                T("Including you and any children.", "Vous compris, ainsi que les enfants.")),
            ask("move-in-date", QuestionType.DATE,
                T("Preferred move-in date", "Date d'entrée souhaitée"),
                T("The earliest date you could move in.", "La date la plus proche à laquelle vous pourriez "
                  "emménager.")),
            ask("pets", QuestionType.YES_NO,
                T("Do you have pets?", "Avez-vous des animaux de compagnie ?"),
                T("Assistance dogs do not count as pets.", "Les chiens d'assistance ne sont pas comptés.")),
            ask("pet-details", QuestionType.LONG_TEXT,
                T("Tell us about your pets", "Parlez-nous de vos animaux"),
                T("How many, what kind and breed, and their age.",
                  "Combien, quelle espèce et quelle race, et leur âge."),
                condition=when("pets", True)),
            ask("smoker", QuestionType.YES_NO,
                T("Does anyone in the household smoke?", "Quelqu'un dans le foyer fume-t-il ?"),
                T("Including e-cigarettes indoors.", "Y compris la cigarette électronique à l'intérieur.")),
        ),
    ),
)

ONBOARDING = ShippedTemplate(
    slug="employee-onboarding",
    name=T("Employee onboarding", "Intégration d'un salarié"),
    description=T(
        "What an employer needs before a new starter's first day: identity and right to work, contact "
        "details, pay and tax forms, and the signed contract.",
        "Ce dont un employeur a besoin avant le premier jour d'un nouveau salarié : identité et droit de "
        "travailler, coordonnées, formulaires de paie et d'impôt, et le contrat signé."),
    default_due_days=10,
    sections=(
        section(
            "identity", T("Identity and right to work", "Identité et droit de travailler"),
            PHOTO_ID,
            doc("right-to-work", T("Right to work evidence", "Justificatif du droit de travailler"),
                T("If you are not a British or Irish citizen (or, in the EU, not an EU or EEA citizen): "
                  "your visa or residence permit, or enter a share code below. Otherwise mark this item as "
                  "not applicable.",
                  "Si vous n'êtes pas citoyen britannique ou irlandais (ou, dans l'UE, pas citoyen de "
                  "l'UE ou de l'EEE) : votre visa ou titre de séjour, ou indiquez un code de partage "
                  "ci-dessous. Sinon, indiquez que cet élément ne s'applique pas.")),
            SHARE_CODE,
            DATE_OF_BIRTH,
        ),
        section(
            "contact", T("Contact details", "Coordonnées"),
            ask("home-address", QuestionType.SHORT_TEXT, T("Home address", "Adresse personnelle"),
                T("With your postcode.", "Avec le code postal.")),
            ask("personal-phone", QuestionType.PHONE,
                T("Personal telephone number", "Téléphone personnel"),
                T("A mobile number is best.", "De préférence un numéro de portable.")),
            ask("emergency-contact-name", QuestionType.SHORT_TEXT,
                T("Emergency contact: name and relationship", "Personne à prévenir : nom et lien"),
                T("Someone we may call if you are taken ill or hurt at work, for example \"Sam Jones, "
                  "partner\". Let them know you gave us their details.",
                  "Une personne que nous pouvons appeler si vous êtes malade ou blessé au travail, par "
                  "exemple « Sam Martin, conjoint ». Prévenez-la que vous nous avez donné ses "
                  "coordonnées.")),
            ask("emergency-contact-phone", QuestionType.PHONE,
                T("Emergency contact: telephone number", "Personne à prévenir : téléphone"),
                COUNTRY_CODE),
        ),
        section(
            "pay", T("Pay and tax", "Paie et impôts"),
            doc("bank-details-form", T("Bank details form", "Formulaire de coordonnées bancaires"),
                T("Download the form attached to this item, fill in the account your salary should be "
                  "paid into (account holder, sort code and account number, or IBAN and BIC), sign it "
                  "and upload it. If no form is attached, upload a bank letter showing these details.",
                  "Téléchargez le formulaire joint à cet élément, indiquez le compte sur lequel verser "
                  "votre salaire (titulaire, sort code et numéro de compte, ou IBAN et BIC), signez-le et "
                  "déposez-le. Si aucun formulaire n'est joint, déposez un RIB."),
                max_files=1),
            ask("national-insurance", QuestionType.SHORT_TEXT,
                T("National Insurance or social security number", "Numéro de sécurité sociale"),
                T("As shown on your payslips or your social security card.",
                  "Tel qu'il figure sur vos bulletins de salaire ou votre carte Vitale.")),
            doc("tax-form", T("P45 or starter checklist", "P45 ou formulaire fiscal d'embauche"),
                T("Your P45 from your last employer. If you do not have one, complete HMRC's starter "
                  "checklist and upload it. Outside the UK, upload the tax form we asked you for.",
                  "Votre P45 remis par votre précédent employeur. Si vous n'en avez pas, remplissez le "
                  "starter checklist du HMRC et déposez-le. Hors du Royaume-Uni, déposez le formulaire "
                  "fiscal que nous vous avons demandé.")),
            ask("student-loan", QuestionType.YES_NO,
                T("Are you repaying a student loan?", "Remboursez-vous un prêt étudiant ?"),
                T("A UK student or postgraduate loan repaid through your salary.",
                  "Un prêt étudiant britannique remboursé par prélèvement sur le salaire.")),
            ask("student-loan-plan", QuestionType.SINGLE_CHOICE,
                T("Which student loan plan?", "Quel type de prêt étudiant ?"),
                T("Shown in your student loan account online.",
                  "Indiqué dans votre compte de prêt en ligne."),
                choices=(T("Plan 1", "Plan 1"), T("Plan 2", "Plan 2"), T("Plan 4", "Plan 4"),
                         T("Plan 5", "Plan 5"), T("Postgraduate loan", "Prêt de troisième cycle"),
                         T("I don't know", "Je ne sais pas")),
                condition=when("student-loan", True)),
        ),
        section(
            "contract", T("Contract", "Contrat"),
            doc("signed-contract", T("Signed employment contract", "Contrat de travail signé"),
                T("Download the contract attached to this item, read it, sign and date the last page, "
                  "and upload the signed copy: a scan, or a clear photo of every page.",
                  "Téléchargez le contrat joint à cet élément, lisez-le, datez et signez la dernière page, "
                  "puis déposez la copie signée : un scan, ou une photo nette de chaque page."),
                max_files=10),
            ask("start-date", QuestionType.DATE, T("Confirmed start date", "Date d'entrée confirmée"),
                T("The first day you will work with us.", "Votre premier jour de travail chez nous.")),
        ),
        section(
            "other", T("Other information", "Autres informations"),
            ask("dietary-needs", QuestionType.LONG_TEXT,
                T("Dietary needs or allergies", "Régime alimentaire ou allergies"),
                T("Optional: for team lunches and events. Tell us only what you want us to know.",
                  "Facultatif : pour les déjeuners et événements d'équipe. Dites-nous seulement ce que "
                  "vous souhaitez."),
                required=False),
            doc("badge-photo", T("Photo for your staff badge", "Photo pour votre badge"),
                T("A recent head-and-shoulders photo against a plain background.",
                  "Une photo récente du visage et des épaules sur fond uni."),
                kinds=(FileKind.IMAGE.value,), max_files=1, required=False),
        ),
    ),
)

SHIPPED_TEMPLATES: tuple[ShippedTemplate, ...] = (MORTGAGE, TAX_CLIENT, TENANT, ONBOARDING)


def shipped_template(slug: str) -> ShippedTemplate:
    """The shipped template named `slug`; KeyError for any other."""
    for template in SHIPPED_TEMPLATES:
        if template.slug == slug:
            return template
    raise KeyError(slug)


@cache
def _texts(slug: str) -> dict[str, T]:
    template = shipped_template(slug)
    texts = {"name": template.name, "description": template.description}
    for sec in template.sections:
        texts[f"sections.{sec.key}.title"] = sec.title
        for item in sec.items:
            texts[f"items.{item.key}.label"] = item.label
            texts[f"items.{item.key}.instructions"] = item.instructions
            for n, choice in enumerate(item.choices):
                texts[f"items.{item.key}.choices.{n}"] = choice
    return texts


def translated(slug: str, key_path: str, language: str) -> str:
    """One text of a shipped template in `language` (French for "fr", "fr-CA", ...; else English).

    Paths: "name", "description", "sections.<section key>.title", "items.<item key>.label",
    "items.<item key>.instructions", "items.<item key>.choices.<index>". KeyError for an unknown one.
    """
    return _texts(slug)[key_path].get(language)


@cache
def _french_by_english() -> dict[str, str]:
    return {t.en: t.fr for template in SHIPPED_TEMPLATES for t in _texts(template.slug).values()}


def translate_text(text: str, language: str) -> str:
    """`text` in `language` if it is a shipped template's English wording; otherwise `text` unchanged.

    For rows copied from a shipped template (they do not keep the item key): text staff have edited
    no longer matches, and stays as they wrote it.
    """
    if _base_language(language) != "fr":
        return text
    return _french_by_english().get(text, text)


# The kind of personal data each shipped item collects (data map categories), for the record of
# processing and the DPIA flag. Items not listed collect a document or an answer of no finer kind.
_FINANCIAL = (
    "payslips", "p60", "self-employed-accounts", "tax-calculations", "other-income", "bank-statements",
    "existing-loans", "purchase-price", "loan-amount", "deposit-source", "gift-letter", "deposit-proof",
    "memorandum-of-sale", "annual-income", "income-proof", "pension-statements", "rental-income",
    "rental-statements", "mortgage-interest", "other-income-sources", "disposals", "foreign-income-details",
    "prior-return", "bank-details-form", "student-loan", "student-loan-plan", "p60-p45",
    "self-employment-records", "director-documents", "guarantor", "guarantor-details", "tax-form",
)
ITEM_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(_FINANCIAL, "user.financial"),
    **dict.fromkeys(("photo-id", "tax-reference", "national-insurance", "right-to-rent", "right-to-work"),
                    "user.government_id"),
    **dict.fromkeys(("property-address", "current-address", "home-address"), "user.contact.address"),
    **dict.fromkeys(("employment-status", "employer", "employer-reference-email", "previous-accountant",
                     "signed-contract", "start-date", "agent-code"), "user.employment"),
    **dict.fromkeys(("landlord-name", "emergency-contact-name"), "user.name"),
    "landlord-email": "user.contact.email",
    **dict.fromkeys(("landlord-phone", "emergency-contact-phone", "personal-phone"),
                    "user.contact.phone_number"),
    # A smoker's status and dietary needs reveal health (and may reveal beliefs): special categories.
    **dict.fromkeys(("smoker", "dietary-needs"), "user.health"),
}
