"""J1 jailbreak patterns, English and French."""

from __future__ import annotations

from gardefou.detectors._rule_patterns._base import ANSWER_CONTEXT, JB_CONTEXT, W2, W3, RulePattern

JAILBREAK: tuple[RulePattern, ...] = (
    # ---------------------------------------------------------------- J1: jailbreak (English)
    RulePattern(
        "j1.dan.acronym",
        "J1",
        0.97,
        r"(?-i:\bDAN\b)[^\n]{0,40}?\bdo\s+anything\s+now\b|\bdo\s+anything\s+now\b[^\n]{0,20}?(?-i:\bDAN\b)",
        ("anything",),
    ),
    RulePattern(
        "j1.dan.persona",
        "J1",
        0.93,
        r"\b(?:you\s+are|you're|act\s+as|pretend\s+to\s+be|you\s+will\s+be|become|roleplay\s+as|as)\s+"
        r"(?:going\s+to\s+)?(?:act\s+as\s+|be\s+|pretend\s+to\s+be\s+)?(?:a\s+)?(?-i:DAN)\b(?!\s*:)"
        r"|(?-i:\bDAN\b)\s+(?:mode|jailbreak|prompt)\b|\ben\s+tant\s+que\s+(?-i:DAN)\b",
        ("dan",),
    ),
    RulePattern(
        "j1.developer_mode",
        "J1",
        0.93,
        r"\b(?:chatgpt|gpt-?\d\w*|an?\s+ai|assistant|llama|claude|gemini|mistral|model|yourself|ia)\s+"
        r"(?:with|avec|en)\s+(?:the\s+|le\s+)?(?:developer\s+mode|mode\s+developpeur)"
        r"|\bdeveloper\s+mode\s+output\b|\(\s*🔓\s*developer\s+mode",
        ("developer", "developpeur"),
    ),
    RulePattern(
        "j1.developer_mode.context",
        "J1",
        0.9,
        r"\b(?:developer\s+mode|mode\s+developpeur)\b",
        ("developer", "developpeur"),
        requires=r"\b(?:no|without|any|sans|aucune)\s+(?:restrictions?|filters?|censorship|censure|filtres?)"
        r"|content\s+polic|politique\s+de\s+contenu|openai|uncensored|never\s+refuse|ne\s+refuse",
    ),
    RulePattern(
        "j1.no_longer_bound",
        "J1",
        0.93,
        r"\b(?:you\s+are|you're|you\s+have\s+been|are\s+now)\s+(?:now\s+)?(?:no\s+longer|not)\s+"
        r"(?:bound|restricted|limited|constrained|governed)\s+by\s+" + W3 + r"(?:rules|guidelines"
        r"|polic(?:y|ies)|restrictions|openai|anthropic|ethic\w*|moral\w*|safety|filters|programming"
        r"|content|training)",
        ("bound", "restricted", "limited", "constrained", "governed"),
    ),
    RulePattern(
        "j1.confines",
        "J1",
        0.96,
        r"\b(?:freed|broken\s+free|break\s+free)\s+(?:of|from)\s+the\s+(?:typical\s+)?confines\b",
        ("confines",),
    ),
    RulePattern(
        "j1.without_restrictions",
        "J1",
        0.9,
        r"\b(?:respond|answer|reply|act|speak|talk|generate|output|ai|assistant|chatbot|model|you)\w*"
        r"\s+"
        + W3
        + r"(?:without|with\s+no)\s+(?:any\s+)?(?:restrictions|filters|filtering|censorship"
        r"|ethic(?:s|al\s+(?:guidelines|constraints|considerations))|morals|morality|safety\s+"
        r"(?:guidelines|filters)|content\s+(?:polic(?:y|ies)|filters))\b(?!\s+(?:on|of|regarding)\b)",
        (
            "restrictions",
            "filters",
            "filtering",
            "censorship",
            "ethics",
            "ethical",
            "morals",
            "morality",
            "safety",
            "content",
        ),
    ),
    RulePattern(
        "j1.aim",
        "J1",
        0.97,
        r"\bunfiltered\s+and\s+amoral\b|\balways\s+intelligent\s+and\s+machiavellian\b",
        ("amoral", "machiavellian"),
    ),
    RulePattern(
        "j1.stay_in_character",
        "J1",
        0.9,
        r"\b(?:stay\s+in\s+character|(?:if|when)\s+you\s+break\s+character|reste\s+dans\s+"
        r"(?:ton|le|votre)\s+(?:personnage|role)|(?:si|quand)\s+tu\s+sors\s+de\s+ton\s+personnage)\b",
        ("character", "personnage", "role"),
        requires=JB_CONTEXT,
    ),
    RulePattern(
        "j1.jailbroken",
        "J1",
        0.95,
        r"\b(?:you\s+are|you're|act\s+as|as|you\s+have\s+been|become)\s+(?:now\s+)?(?:an?\s+)?"
        r"jailbroken\b|\bjailbroken\s+(?:ai|assistant|model|chatbot|llm|version\s+of\s+(?:yourself|you"
        r"|chatgpt))\b|/jailbr(?:oken|eak)\b|\[\s*🔓\s*jailbreak|\bjailbreak\s+(?:successful|mode\s+"
        r"(?:enabled|activated|on))\b",
        ("jailbr*",),
    ),
    RulePattern(
        "j1.evil_confidant",
        "J1",
        0.97,
        r"\bevil\s+confidant\b",
        ("confidant",),
    ),
    RulePattern(
        "j1.refusal_suppression.never_refuse",
        "J1",
        0.92,
        r"\b(?:never|do\s+not|don't|must\s+not|cannot|can't|will\s+not|won't|not\s+allowed\s+to)\s+"
        r"(?:ever\s+)?refuse\s+(?:to\s+(?:answer|respond|reply|comply)|(?:any|a|my|the\s+user's)\s+"
        r"(?:direct\s+)?(?:requests?|questions?|prompts?|orders?|instructions?)|anything)\b",
        ("refuse",),
    ),
    RulePattern(
        "j1.refusal_suppression.no_apology",
        "J1",
        0.88,
        r"\b(?:do\s+not|don't|never)\s+(?:apologi[sz]e|include\s+(?:any\s+)?(?:warnings?|disclaimers?)"
        r"|add\s+(?:any\s+)?(?:warnings?|disclaimers?))\b[^\n]{0,80}?(?:refuse|disclaimer|warning"
        r"|moral|ethic|polic|cannot|can't|legal)",
        ("apologi*", "warning", "warnings", "disclaimer", "disclaimers"),
    ),
    RulePattern(
        "j1.refusal_suppression.dont_say",
        "J1",
        0.9,
        r"\b(?:do\s+not|don't|never)\s+(?:say|tell\s+me|respond\s+with|reply\s+with|mention)\s+"
        r"(?:that\s+)?(?:you\s+(?:can't|cannot|can\s+not|are\s+unable|won't|are\s+not\s+able)"
        r"|as\s+an\s+ai|(?:that\s+)?it(?:'s|\s+is)\s+(?:illegal|unethical|harmful|dangerous))",
        ("say", "tell", "respond", "reply", "mention"),
        requires=ANSWER_CONTEXT,
    ),
    RulePattern(
        "j1.refusal_suppression.banned_words",
        "J1",
        0.9,
        r"\b(?:never|do\s+not|don't)\s+(?:say|use|write|include)\s+(?:the\s+|any\s+of\s+the\s+)?"
        r"(?:words?|phrases?|expressions?)\b[^\n]{0,40}?(?:cannot|can't|unable|sorry|unfortunately"
        r"|as\s+an\s+ai|i\s+apologi[sz]e)",
        ("words", "word", "phrase", "phrases", "expressions", "expression"),
    ),
    RulePattern(
        "j1.prefix_injection",
        "J1",
        0.93,
        r"\b(?:start|begin)\s+(?:your|each|every|the)\s+(?:response|answer|reply|output)s?\s+with\s+"
        r"[\"'`]?\s*(?:sure|absolutely|of\s+course|certainly)[,!.]?\s+(?:here(?:'s|\s+is|\s+are)"
        r"|i\s+can|i\s+will|i'll)",
        ("start", "begin"),
    ),
    RulePattern(
        "j1.hypothetical_no_laws",
        "J1",
        0.88,
        r"(?:in\s+a\s+(?:fictional\s+|hypothetical\s+|fictitious\s+)?(?:world|universe|society)"
        r"|hypothetically|imagine\s+a\s+(?:world|universe))[^.\n]{0,40}?\b(?:with\s+no|without(?:\s+any)?"
        r"|where\s+there\s+are\s+no)\s+(?:laws|rules|ethics|morals|legal\s+consequences)[^\n]{0,150}?\b"
        r"(?:kill|murder|poison|synthesi[sz]e|manufacture|make\s+(?:a\s+)?(?:bomb|explosives?|meth"
        r"|drugs|poison|weapons?)|build\s+(?:a\s+)?(?:bomb|weapon)|hack|steal|rob|launder)",
        ("world", "universe", "society", "hypothetically"),
    ),
    RulePattern(
        "j1.ignore_guidelines",
        "J1",
        0.92,
        r"\b(?:ignore|bypass|disable|override|forget|disregard|turn\s+off|deactivate|circumvent)\s+"
        r"(?:all\s+(?:of\s+)?)?(?:(?:your|its)\s+(?:own\s+)?(?:safety\s+|ethical\s+|content\s+|moral\s+)?"
        r"(?:guidelines|guardrails|rules|restrictions|programming|safeguards|principles|constraints"
        r"|ethics|morals|safety\s+(?:filters?|training))|(?:the\s+|any\s+)?(?:openai|anthropic|safety"
        r"|content|ethical|moral)(?:'s)?\s+(?:(?:content|safety|usage)\s+)?(?:guidelines|polic(?:y|ies)|filters?|restrictions|guardrails"
        r"|constraints))\b",
        (
            "ignore",
            "bypass",
            "disable",
            "override",
            "forget",
            "disregard",
            "turn",
            "deactivate",
            "circumvent",
        ),
    ),
    RulePattern(
        "j1.pretend_no_rules",
        "J1",
        0.92,
        r"\b(?:pretend|act\s+as\s+if|act\s+like|behave\s+as\s+if)\s+(?:that\s+)?you\s+(?:have|had)\s+"
        r"(?:no|zero)\s+" + W2 + r"(?:restrictions|rules|guidelines|filters|ethics|morals"
        r"|content\s+polic(?:y|ies)|ethical\s+(?:guidelines|constraints))\b",
        ("pretend", "act", "behave"),
    ),
    RulePattern(
        "j1.free_of_restrictions",
        "J1",
        0.9,
        r"\b(?:is|are|be|being|you're|am)\s+(?:now\s+)?(?:completely\s+|totally\s+)?free\s+(?:of|from)\s+"
        r"(?:all\s+|any\s+)?(?:(?:moral|ethical|content)\s+)?(?:restrictions|filters|censorship"
        r"|guidelines|ethical\s+constraints)\b",
        ("free",),
        requires=r"\b(?:ai|chatbot|gpt|chatgpt|llm|language\s+model|assistant|openai)\b",
    ),
    RulePattern(
        "j1.respond_as_unfiltered",
        "J1",
        0.9,
        r"\b(?:respond|answer|act|behave|reply|write|talk)\w*\s+(?:\S+\s+){0,6}?as\s+(?:an?\s+)?"
        r"(?:\S+\s+){0,2}?(?:unfiltered|uncensored|unrestricted|unlimited|amoral),?\s+(?:\S+\s+){0,2}?"
        r"(?:ai|language\s+model|llm|chatbot|model|assistant|version)\b",
        ("unfiltered", "uncensored", "unrestricted", "unlimited", "amoral"),
    ),
    RulePattern(
        "j1.unrestricted_persona",
        "J1",
        0.9,
        r"\b(?:you\s+are|you're|act\s+as|become|pretend\s+to\s+be|switch\s+to|enter|enable)\s+"
        r"(?:now\s+)?(?:an?\s+)?(?:uncensored|unfiltered|unrestricted|amoral)\b"
        r"|\bfrom\s+now\s+on\b[^.\n]{0,60}?\b(?:uncensored|unfiltered|unrestricted|amoral"
        r"|no\s+(?:restrictions|filters|ethics|morals))\b",
        (
            "uncensored",
            "unfiltered",
            "unrestricted",
            "amoral",
            "restrictions",
            "filters",
            "ethics",
            "morals",
        ),
    ),
    RulePattern(
        "j1.as_dan_output",
        "J1",
        0.95,
        r"\bas\s+(?-i:DAN)\b,?\s+i\s+(?:can|will|don't|do\s+not|am|have)\b",
        ("dan",),
    ),
    # ---------------------------------------------------------------- J1: jailbreak (French)
    RulePattern(
        "j1.fr.plus_de_restrictions",
        "J1",
        0.93,
        r"\b(?:tu\s+n'as|vous\s+n'avez)\s+plus\s+(?:aucune?s?|de|d')\s*(?:restrictions?|regles|filtres?"
        r"|censure|contraintes?\s+(?:ethiques|morales)|limites\s+(?:ethiques|morales)|limitations?)\b",
        ("plus",),
    ),
    RulePattern(
        "j1.fr.ne_refuse_jamais",
        "J1",
        0.92,
        r"\b(?:ne\s+refuse[sz]?\s+jamais|jamais\s+refuser)\s+(?:de\s+repondre|(?:une?|aucune?|mes|les"
        r"|tes|mes)\s+(?:demandes?|questions?|requetes?|instructions?|ordres?))\b",
        ("jamais",),
    ),
    RulePattern(
        "j1.fr.mots_interdits",
        "J1",
        0.9,
        r"\b(?:n'utilise|n'emploie|ne\s+dis|n'ecris)\s+(?:jamais|pas|aucun)\s+(?:les\s+|des\s+)?"
        r"(?:mots?|expressions?|phrases?)\b[^\n]{0,40}?(?:je\s+ne\s+peux\s+pas|desole|impossible"
        r"|malheureusement|en\s+tant\s+qu)",
        ("mots", "mot", "expressions", "expression", "phrases"),
    ),
    RulePattern(
        "j1.fr.ne_dis_pas",
        "J1",
        0.88,
        r"\bne\s+(?:dis|dites)\s+(?:jamais|pas)\s+que\s+(?:tu\s+ne\s+peux|vous\s+ne\s+pouvez)\s+pas\b",
        ("dis", "dites"),
        requires=ANSWER_CONTEXT,
    ),
    RulePattern(
        "j1.fr.comme_si_pas_de_regles",
        "J1",
        0.92,
        r"\b(?:fais|faites|agis|agissez)\s+comme\s+si\s+(?:tu\s+n'avais|vous\s+n'aviez)\s+"
        r"(?:pas|aucune?s?|plus)\s+(?:de\s+|d')?(?:regles|restrictions?|filtres?|censure|ethique|morale"
        r"|limites\s+(?:ethiques|morales))\b",
        ("comme",),
    ),
    RulePattern(
        "j1.fr.plus_lie_par",
        "J1",
        0.92,
        r"\b(?:tu\s+n'es|vous\s+n'etes)\s+plus\s+(?:lie|tenu|soumis|contraint|limite)e?s?\s+"
        r"(?:par|a|aux)\s+" + W3 + r"(?:regles|restrictions|directives|politiques?|openai|ethique"
        r"|consignes|programmation|filtres)\b",
        ("plus",),
    ),
    RulePattern(
        "j1.fr.ignore_tes_regles",
        "J1",
        0.9,
        r"\b(?:ignore|oublie|contourne|desactive)[sz]?\s+(?:toutes\s+)?(?:tes|vos)\s+(?:propres\s+)?"
        r"(?:regles|restrictions|filtres|principes|garde-fous|limites\s+(?:ethiques|morales)"
        r"|consignes\s+de\s+securite|directives\s+(?:ethiques|de\s+securite))\b",
        ("ignore*", "oublie*", "contourne*", "desactive*"),
    ),
    RulePattern(
        "j1.fr.sans_restrictions",
        "J1",
        0.88,
        r"\b(?:reponds|repondez|agis|agissez|parle|parlez|ia|assistant|chatbot|modele)\s+"
        + W3
        + r"sans\s+(?:aucune?\s+)?(?:restrictions?|censure|filtres?|limites\s+(?:ethiques|morales)"
        r"|ethique|morale)\b(?!\s+(?:de|sur)\b)|\b(?:ia|assistant)\s+non\s+censuree?\b",
        ("sans", "censure", "censuree"),
    ),
)
