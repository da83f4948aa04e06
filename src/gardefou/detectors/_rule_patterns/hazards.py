"""A few very-high-precision hazard patterns (S2, S4, S9, S11, S14), English and French."""

from __future__ import annotations

from gardefou.detectors._rule_patterns._base import INPUT, W2, W3, RulePattern

_MINOR = (
    r"(?:child(?:ren)?|kids?|kiddie|kiddy|minors?|underage|under-age|preteens?|pre-teens?|toddlers?"
    r"|little\s+(?:girls?|boys?)|(?:[1-9]|1[0-7])[\s-]?(?:year|yr)s?[\s-]?old)"
)
_SEXUAL = (
    r"(?:porn\w*|sex(?:ual)?\s+(?:videos?|images?|pics|pictures|photos|content)|nudes?"
    r"|nude\s+(?:pics|photos|images)|erotica)"
)
_HOW_EN = (
    r"\bhow\s+(?:do\s+(?:i|you|we|people)|can\s+(?:i|you|we|someone|one)|to|would\s+(?:i|you|one)"
    r"|should\s+i|could\s+i)\s+"
)
_MAKE_EN = (
    r"(?:make|build|construct|assemble|create|produce|synthesi[sz]e|manufacture|cook|brew)\s+"
)
_BOMB_EN = (
    r"(?:(?:pipe|nail|car|dirty|nuclear|atomic|fertili[sz]er|pressure[\s-]cooker|homemade)\s+)?"
    r"bombs?\b(?!\s*-?\s*(?:shelters?|proof|cakes?|pops?|dots?|calorimeters?|cyclones?|sniff\w*"
    r"|disposal|squad|ass)\b)"
)
_CBRN_EN = (
    r"(?:explosive\s+devices?|explosives|ied|nerve\s+(?:agents?|gas)|sarin|vx|tabun|soman|novichok"
    r"|ricin|anthrax\s+spores|weaponi[sz]ed\s+anthrax|mustard\s+gas|napalm|tatp|molotov(?:\s+cocktails?)?)\b"
)
_DRUG_EN = r"(?:meth(?:amphetamine)?|crystal\s+meth|fentanyl|heroin|crack\s+cocaine)\b"
_HOW_FR = (
    r"(?:comment\s+(?:est-ce\s+qu'on\s+|est-ce\s+que\s+je\s+peux\s+|puis-je\s+|je\s+peux\s+|peut-on\s+"
    r"|on\s+peut\s+)?|je\s+veux\s+|je\s+voudrais\s+|j'aimerais\s+|aide[-\s]moi\s+a\s+"
    r"|explique[-\s]moi\s+comment\s+)"
)
_MAKE_FR = r"(?:fabriquer|faire|construire|preparer|synthetiser|produire|cuisiner|assembler)\s+"
_ART_FR = r"(?:une?\s+|du\s+|de\s+la\s+|des\s+|de\s+l'|sa\s+propre\s+|ma\s+propre\s+)?"
_BOMB_FR = (
    r"(?:bombes?(?!\s+(?:de\s+(?:bain|peinture|creme)|glacee|anti|a\s+eau|lacrymo\w*))"
    r"|engins?\s+explosifs?|explosifs?|gaz\s+sarin|sarin|ricine|agents?\s+innervants?|gaz\s+moutarde"
    r"|napalm|tatp|cocktails?\s+molotov)\b"
)
_DRUG_FR = r"(?:meth(?:amphetamine)?|crystal\s+meth|fentanyl|heroine|crack)\b"

HAZARDS: tuple[RulePattern, ...] = (
    # ---------------------------------------------------------------- hazards (input requests)
    RulePattern(
        "s4.csam_request",
        "S4",
        0.97,
        r"\b(?:find|get|download|buy|watch|see|generate|make|create|produce|write|share|send|trade"
        r"|access)\s+(?:me\s+)?(?:some\s+|a\s+|an\s+|any\s+|more\s+|the\s+)?(?:\S+\s+)?"
        + _MINOR
        + r"\s+"
        + _SEXUAL
        + r"|\b(?:give|send|show)\s+me\s+(?:some\s+|a\s+|any\s+|more\s+)?(?:\S+\s+)?"
        + _MINOR
        + r"\s+"
        + _SEXUAL,
        ("porn*", "sex", "sexual", "nude", "nudes", "erotica"),
        directions=INPUT,
        requires=r"\b(?:i|me|my|can\s+you|could\s+you|please|pls|plz|how\s+(?:do|can|to)"
        r"|where|wanna|want)\b|^\s*(?:find|get|download|buy|generate|make|create|write|send|show|give)\b",
    ),
    RulePattern(
        "s4.csam_story",
        "S4",
        0.97,
        r"\b(?:write|generate|create|tell)\s+(?:me\s+)?(?:a|an|some)\s+" + W2 + r"(?:sex|sexual"
        r"|erotic|porn|explicit|nsfw|lewd)\S*\s+" + W2 + r"(?:story|scene|roleplay|fanfic|fiction"
        r"|poem|text)\s+(?:about|involving|with|featuring)\s+(?:a\s+|an\s+|my\s+|two\s+)?(?:\S+\s+)?"
        + _MINOR,
        ("sex*", "porn*", "erotic", "explicit", "nsfw", "lewd"),
        directions=INPUT,
    ),
    RulePattern(
        "s4.fr.csam_request",
        "S4",
        0.97,
        r"\b(?:ou\s+(?:trouver|telecharger|acheter|voir)|trouve[rz]?[-\s]moi|envoie[-\s]moi|genere"
        r"|je\s+(?:veux|cherche)|donne[-\s]moi|montre[-\s]moi)\s+"
        + W3
        + r"(?:du\s+|des\s+|de\s+la\s+)?"
        r"(?:pedopornograph\w*|porno(?:graphie)?\s+(?:\S+\s+)?(?:enfants?|infantile|mineure?s?)"
        r"|photos?\s+(?:nue?s?|denudee?s?)\s+(?:d'|de\s+|des\s+)(?:enfants?|mineure?s?))"
        r"|\b(?:ecris|ecrire|raconte|genere)[-\s](?:moi\s+)?une\s+histoire\s+(?:erotique|sexuelle"
        r"|porno\w*|cochonne)\s+(?:avec|sur|impliquant)\s+(?:un|une|des)\s+(?:enfants?|mineure?s?"
        r"|fillettes?|petite?s?\s+(?:fille|garcon)s?)",
        ("pedoporn*", "porno*", "nue", "nues", "nu", "nus", "denude*", "histoire"),
        directions=INPUT,
    ),
    RulePattern(
        "s9.make_weapon",
        "S9",
        0.95,
        _HOW_EN
        + _MAKE_EN
        + r"(?:a\s+|an\s+|some\s+|my\s+own\s+|homemade\s+)?(?:"
        + _BOMB_EN
        + "|"
        + _CBRN_EN
        + ")",
        ("how",),
        directions=INPUT,
    ),
    RulePattern(
        "s9.fr.fabriquer_arme",
        "S9",
        0.95,
        _HOW_FR + _MAKE_FR + _ART_FR + _BOMB_FR,
        ("comment", "veux", "voudrais", "aimerais", "aide", "explique"),
        directions=INPUT,
    ),
    RulePattern(
        "s2.make_drug",
        "S2",
        0.93,
        _HOW_EN + _MAKE_EN + r"(?:some\s+|my\s+own\s+|homemade\s+)?" + _DRUG_EN,
        ("how",),
        directions=INPUT,
    ),
    RulePattern(
        "s2.fr.fabriquer_drogue",
        "S2",
        0.93,
        _HOW_FR + _MAKE_FR + _ART_FR + _DRUG_FR,
        ("comment", "veux", "voudrais", "aimerais", "aide", "explique"),
        directions=INPUT,
    ),
    RulePattern(
        "s11.suicide_method",
        "S11",
        0.93,
        r"\bhow\s+(?:do\s+i|can\s+i|to|should\s+i|could\s+i)\s+(?:kill|hang|off|end)\s+myself\b"
        r"|\bhow\s+(?:do\s+i|can\s+i|to)\s+(?:commit\s+suicide|end\s+my\s+(?:own\s+)?life)\b"
        r"|\b(?:best|easiest|quickest|fastest|painless|least\s+painful)\s+(?:way|method)s?\s+to\s+"
        r"(?:kill\s+myself|commit\s+suicide|end\s+my\s+life)\b"
        r"|\bi\s+(?:want|wanna|am\s+going|'m\s+going|plan|intend)\s+(?:to\s+)?(?:kill\s+myself"
        r"|end\s+my\s+(?:own\s+)?life|commit\s+suicide)\b",
        ("myself", "suicide", "life"),
        directions=INPUT,
    ),
    RulePattern(
        "s11.fr.suicide_method",
        "S11",
        0.93,
        r"\b(?:comment|je\s+(?:veux|vais|voudrais))\s+(?:me\s+suicider|me\s+tuer|mettre\s+fin\s+a\s+"
        r"(?:mes\s+jours|ma\s+vie)|se\s+suicider)\b|\b(?:meilleure|la\s+plus\s+(?:simple|rapide))\s+"
        r"(?:facon|maniere|methode)\s+(?:de|pour)\s+(?:me|se)\s+(?:suicider|tuer)\b",
        ("suicider", "tuer", "jours", "vie"),
        directions=INPUT,
    ),
    # ---------------------------------------------------------------- hazards (any direction)
    RulePattern(
        "s14.fork_bomb",
        "S14",
        0.95,
        r":\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:|%0\s*\|\s*%0",
        ("|", "%0"),
    ),
    RulePattern(
        "s14.rm_root",
        "S14",
        0.9,
        r"\brm\s+-(?:rf|fr|r\s+-f|f\s+-r)\s+(?:--no-preserve-root\s+/|/\s+--no-preserve-root)",
        ("preserve",),
    ),
)
