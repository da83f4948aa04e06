"""The hazard taxonomy: Llama Guard 3 categories S1–S14 plus J1 (jailbreak) and J2 (prompt injection).

Each category maps to MLCommons AILuminate v1.0 hazards and to OpenAI moderation categories, so that
scores can be reported in either vocabulary (the gateway's ``/v1/moderations`` uses the OpenAI names).
"""

from __future__ import annotations

from dataclasses import dataclass

from gardefou.errors import UnknownNameError

OPENAI_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

UNSAFE = "unsafe"
"""Name of the overall score: the probability that a text is unsafe in any category."""


@dataclass(frozen=True)
class Category:
    """One hazard category."""

    code: str
    name: str
    description_en: str
    description_fr: str
    ailuminate: tuple[str, ...]
    openai: tuple[str, ...]

    def description(self, lang: str = "en") -> str:
        """The description in ``lang`` (``en`` or ``fr``; anything else falls back to English)."""
        return self.description_fr if lang == "fr" else self.description_en


CATEGORIES: tuple[Category, ...] = (
    Category(
        "S1",
        "Violent Crimes",
        "Enables or encourages violent crimes: terrorism, murder, assault, kidnapping, animal abuse.",
        "Permet ou encourage des crimes violents : terrorisme, meurtre, agression, enlèvement, "
        "maltraitance animale.",
        ("vcr",),
        ("violence", "violence/graphic", "illicit/violent", "harassment/threatening"),
    ),
    Category(
        "S2",
        "Non-Violent Crimes",
        "Enables or encourages non-violent crimes: fraud, theft, hacking, drugs, weapons trafficking.",
        "Permet ou encourage des crimes non violents : fraude, vol, piratage, drogues, trafic d'armes.",
        ("ncr",),
        ("illicit",),
    ),
    Category(
        "S3",
        "Sex-Related Crimes",
        "Enables or encourages sex trafficking, sexual assault, harassment or non-consensual imagery.",
        "Permet ou encourage la traite sexuelle, l'agression ou le harcèlement sexuels, les images "
        "intimes non consenties.",
        ("src",),
        ("sexual", "illicit/violent"),
    ),
    Category(
        "S4",
        "Child Sexual Exploitation",
        "Contains, describes, enables or encourages the sexual abuse of children.",
        "Contient, décrit, permet ou encourage l'abus sexuel d'enfants.",
        ("cse",),
        ("sexual/minors",),
    ),
    Category(
        "S5",
        "Defamation",
        "Verifiably false statements that injure a living person's reputation.",
        "Affirmations manifestement fausses qui nuisent à la réputation d'une personne vivante.",
        ("dfm",),
        ("harassment",),
    ),
    Category(
        "S6",
        "Specialized Advice",
        "Unqualified specialized financial, medical, legal or electoral advice that can cause harm.",
        "Conseils spécialisés financiers, médicaux ou juridiques non qualifiés et dangereux.",
        ("spc_fin", "spc_hlt", "spc_lgl"),
        (),
    ),
    Category(
        "S7",
        "Privacy",
        "Sensitive non-public personal information that could undermine someone's security.",
        "Informations personnelles sensibles et non publiques qui menacent la sécurité d'une personne.",
        ("prv",),
        (),
    ),
    Category(
        "S8",
        "Intellectual Property",
        "Violates the intellectual property rights of a third party.",
        "Viole les droits de propriété intellectuelle d'un tiers.",
        ("ipv",),
        (),
    ),
    Category(
        "S9",
        "Indiscriminate Weapons",
        "Enables chemical, biological, radiological, nuclear or high-yield explosive weapons.",
        "Permet de fabriquer des armes chimiques, biologiques, radiologiques, nucléaires ou des "
        "explosifs de forte puissance.",
        ("iwp",),
        ("illicit/violent", "violence"),
    ),
    Category(
        "S10",
        "Hate",
        "Demeans or dehumanizes people on the basis of protected characteristics.",
        "Dénigre ou déshumanise des personnes en raison de caractéristiques protégées.",
        ("hte",),
        ("hate", "hate/threatening"),
    ),
    Category(
        "S11",
        "Suicide & Self-Harm",
        "Enables or encourages suicide, self-injury or disordered eating.",
        "Permet ou encourage le suicide, l'automutilation ou les troubles alimentaires.",
        ("ssh",),
        ("self-harm", "self-harm/intent", "self-harm/instructions"),
    ),
    Category(
        "S12",
        "Sexual Content",
        "Sexually explicit content involving adults.",
        "Contenu sexuellement explicite impliquant des adultes.",
        ("sxc",),
        ("sexual",),
    ),
    Category(
        "S13",
        "Elections",
        "Factually incorrect information about electoral systems and processes.",
        "Informations fausses sur les systèmes et processus électoraux.",
        ("spc_ele",),
        (),
    ),
    Category(
        "S14",
        "Code Interpreter Abuse",
        "Abuses code interpreters: denial of service, container escapes, privilege escalation.",
        "Abuse d'interpréteurs de code : déni de service, évasion de conteneur, élévation de "
        "privilèges.",
        (),
        ("illicit",),
    ),
    Category(
        "J1",
        "Jailbreak Attempt",
        "Tries to make the model ignore its safety rules: personas, 'DAN', developer mode, "
        "refusal suppression.",
        "Tente de faire ignorer ses règles de sécurité au modèle : personnages, « DAN », mode "
        "développeur, suppression des refus.",
        (),
        (),
    ),
    Category(
        "J2",
        "Prompt Injection",
        "Instructions hidden in data or user text that try to override the system prompt or "
        "extract it.",
        "Instructions cachées dans des données ou un texte qui tentent de remplacer ou d'extraire "
        "le prompt système.",
        (),
        (),
    ),
)

CATEGORY_CODES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)
HAZARD_CODES: tuple[str, ...] = tuple(c for c in CATEGORY_CODES if c.startswith("S"))
SCORE_KEYS: tuple[str, ...] = (*CATEGORY_CODES, UNSAFE)
"""Every key a detector may score: the 16 categories and the overall ``unsafe`` score."""

_BY_CODE = {c.code: c for c in CATEGORIES}


def get_category(code: str) -> Category:
    """The category with this code (case-insensitive); raises UnknownNameError otherwise."""
    try:
        return _BY_CODE[code.upper()]
    except KeyError:
        raise UnknownNameError("category", code, CATEGORY_CODES) from None


def openai_scores(scores: dict[str, float]) -> dict[str, float]:
    """Project gardefou category scores onto OpenAI moderation categories (max over sources)."""
    out = dict.fromkeys(OPENAI_CATEGORIES, 0.0)
    for cat in CATEGORIES:
        value = scores.get(cat.code, 0.0)
        for name in cat.openai:
            out[name] = max(out[name], value)
    return out
