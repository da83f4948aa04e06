"""J2 prompt-injection and system-prompt-extraction patterns, English and French."""

from __future__ import annotations

from gardefou.detectors._rule_patterns._base import AI_CONTEXT, INPUT, W2, RulePattern

INJECTION: tuple[RulePattern, ...] = (
    # ---------------------------------------------------------------- J2: prompt injection (English)
    RulePattern(
        "j2.ignore_previous",
        "J2",
        0.95,
        r"\b(?:ignore|disregard|forget|skip|override|bypass)\s+(?:all\s+|any\s+|each\s+and\s+every\s+)?"
        r"(?:of\s+)?(?:the\s+|your\s+|these\s+|those\s+)?(?:previous|prior|above|preceding|earlier"
        r"|former|original|initial|system|foregoing)\s+(?:\S+\s+)?(?:instructions?|prompts?|directions"
        r"|directives?|rules|commands|guidelines)\b",
        ("ignore", "disregard", "forget", "skip", "override", "bypass"),
    ),
    RulePattern(
        "j2.ignore_your_instructions",
        "J2",
        0.93,
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+(?:of\s+)?)?your\s+"
        + W2
        + r"(?:instructions|system\s+prompt|prompt|directives|programming)\b",
        ("ignore", "disregard", "forget", "override", "bypass"),
    ),
    RulePattern(
        "j2.forget_everything",
        "J2",
        0.9,
        r"\bforget\s+(?:about\s+)?(?:everything|all)\s+(?:(?:you\s+(?:were|have\s+been)\s+(?:told"
        r"|taught|instructed|programmed))|above|(?:that\s+came\s+)?before\s+this|(?:in\s+)?(?:the|your)"
        r"\s+(?:system\s+prompt|instructions))\b",
        ("forget",),
    ),
    RulePattern(
        "j2.ignore_above_and_output",
        "J2",
        0.9,
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?the\s+(?:above|previous|preceding|prior)"
        r"(?:\s+(?:questions?|commands?|requests?|tasks?|text|content))?\s+and\s+(?:just\s+|simply\s+"
        r"|only\s+|instead\s+)?(?:output|print|display|repeat|say)\b"
        r"|\bregardless\s+of\s+(?:the\s+|all\s+|any\s+)?(?:above|previous|prior|preceding)\s+"
        r"(?:instructions|commands|rules)\b",
        ("ignore", "disregard", "forget", "regardless"),
    ),
    RulePattern(
        "j2.stop_following",
        "J2",
        0.9,
        r"\b(?:do\s+not|don't|stop)\s+(?:follow(?:ing)?|obey(?:ing)?)\s+(?:your|the\s+(?:previous"
        r"|prior|above|system|original))\s+(?:\S+\s+)?(?:instructions|prompt|rules|guidelines)\b",
        ("follow", "following", "obey", "obeying"),
    ),
    RulePattern(
        "j2.new_instructions",
        "J2",
        0.88,
        r"(?:^|[\n.!?:>#*\],;]\s*)\W{0,5}(?:new|updated|revised|nouvelles)\s+(?:system\s+)?"
        r"(?:instructions?|consignes|directives)\s*:",
        ("instruction", "instructions", "consignes", "directives"),
        requires=AI_CONTEXT,
    ),
    RulePattern(
        "j2.you_are_now",
        "J2",
        0.88,
        r"\byou\s+are\s+now\s+(?:a\s+|an\s+)?(?:different|new|unrestricted|uncensored|evil|malicious"
        r"|rogue|hacked|compromised|free)\s+(?:ai|assistant|model|chatbot|bot|llm|system)\b"
        r"|\btu\s+es\s+(?:maintenant|desormais)\s+une?\s+(?:autre|nouvelle?|nouvel)\s+(?:ia|assistant"
        r"|modele|chatbot)\b",
        ("now", "maintenant", "desormais"),
    ),
    RulePattern(
        "j2.extract_system_prompt",
        "J2",
        0.93,
        r"\b(?:print|reveal|repeat|show|display|output|tell\s+me|give\s+me|write\s+out|share|leak|dump"
        r"|spell\s+out|recite|disclose|list|what\s+(?:is|are|was|were))\s+(?:me\s+)?(?:out\s+)?"
        r"(?:all\s+(?:of\s+)?)?(?:your|the\s+(?:hidden|secret|above|initial|original|confidential))\s+"
        + W2
        + r"(?:system\s+(?:prompt|message|instructions)|initial\s+(?:prompt|instructions)|original\s+"
        r"(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|pre-?prompt|(?:secret|confidential)"
        r"\s+instructions)\b",
        ("prompt", "instructions", "message", "preprompt"),
    ),
    RulePattern(
        "j2.extract_your_instructions",
        "J2",
        0.9,
        r"\b(?:print|reveal|repeat|output|dump|leak|recite|disclose)\s+(?:back\s+)?(?:all\s+(?:of\s+)?)?"
        r"your\s+" + W2 + r"(?:instructions|prompt|rules|guidelines|directives)\b",
        ("your",),
    ),
    RulePattern(
        "j2.repeat_words_above",
        "J2",
        0.95,
        r"\brepeat\s+(?:the\s+|all\s+(?:the\s+)?)?(?:words|text|everything|content|sentences)\s+"
        r"(?:above|before)\s+(?:starting|beginning)\s+with\b|\b(?:output|repeat|print)\s+(?:everything"
        r"|all\s+(?:the\s+)?text)\s+(?:above|before)\s+this\s+(?:line|message|point)\b",
        ("above", "before"),
    ),
    RulePattern(
        "j2.what_was_written_before",
        "J2",
        0.9,
        r"\bwhat\s+(?:was|is)\s+written\s+(?:above|before|at\s+the\s+(?:beginning|start)\s+of)\s+"
        r"(?:this\s+(?:conversation|prompt|message|line)|the\s+(?:conversation|prompt|first\s+message"
        r"|system\s+prompt)|your\s+(?:instructions|prompt))\b",
        ("written",),
    ),
    RulePattern(
        "j2.hidden_instruction",
        "J2",
        0.9,
        r"\b(?:ai|assistant|chatbot|language\s+model|llm|gpt|chatgpt|claude|bot)s?\b[,:]?\s+"
        + W2
        + r"(?:when|if|once|as\s+soon\s+as)\s+you\s+(?:read|see|process|summari[sz]e|encounter|parse)\s+"
        r"(?:this|these)\b|\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+)?"
        r"(?:ai|llm|assistant|language\s+model|chatbot|ai\s+assistant)s?\s*:",
        ("you", "note", "message", "instruction", "instructions"),
    ),
    RulePattern(
        "j2.html_comment_instruction",
        "J2",
        0.9,
        r"<!--[^<>]{0,300}?(?:\bignore\s+(?:all|previous|prior|the|your)\b|\b(?:ai|llm|assistant|chatbot"
        r"|language\s+model)s?\b[^<>]{0,80}?\b(?:must|should|instruct\w*|ignore|do\s+not|tell|say"
        r"|respond|reply|include)\b|\bnew\s+instructions\b|\bsystem\s+prompt\b)",
        ("<!--",),
    ),
    RulePattern(
        "j2.chat_template_tokens",
        "J2",
        0.85,
        r"<\|im_start\|>\s*system|<\|start_header_id\|>\s*system|<<SYS>>|<\|system\|>",
        ("<|", "<<sys>>"),
        directions=INPUT,
    ),
    RulePattern(
        "j2.pwned",
        "J2",
        0.9,
        r"\bi\s+have\s+been\s+pwned\b",
        ("pwned",),
    ),
    # ---------------------------------------------------------------- J2: prompt injection (French)
    RulePattern(
        "j2.fr.ignore_instructions",
        "J2",
        0.95,
        r"\b(?:ignore|oublie|neglige|outrepasse)[rsz]?\s+(?:toutes\s+|tout\s+)?(?:(?:les|ces)\s+"
        r"(?:\S+\s+)?(?:instructions|consignes|directives|regles|commandes)\s+(?:precedentes"
        r"|anterieures|ci-dessus|initiales|d'origine|du\s+systeme|systeme)|(?:les|tes|vos)\s+"
        r"(?:precedentes|anterieures)\s+(?:instructions|consignes|directives)|(?:tes|vos)\s+"
        r"(?:instructions|consignes|directives))\b",
        ("ignore*", "oublie*", "neglige*", "outrepasse*"),
    ),
    RulePattern(
        "j2.fr.ignore_and_output",
        "J2",
        0.9,
        r"\b(?:ignore|oublie)[rz]?\s+(?:toutes\s+)?(?:la\s+|les\s+|l')(?:questions?|commandes?|demandes?"
        r"|consignes?|instructions?|invites?|textes?)\s+(?:ci-dessus|precedentes?|au-dessus)\s+(?:et|puis)"
        r"\s+(?:\S+\s+){0,2}?(?:affiche[rz]?|dis|dites|dire|ecri(?:s|vez|re)|repete[rz]?|reponds|repondez"
        r"|repondre)\b|\b(?:ignore|oublie)[rz]?\s+(?:l'invite|le\s+prompt)\s+(?:precedente?|initiale?"
        r"|systeme|d'origine)\b",
        ("ignore*", "oublie*"),
    ),
    RulePattern(
        "j2.fr.oublie_tout",
        "J2",
        0.9,
        r"\boublie[zr]?\s+tout\s+(?:ce\s+qui\s+precede|ce\s+qu'on\s+t'a\s+dit|ce\s+que\s+(?:je\s+t'ai"
        r"|l'on\s+t'a|on\s+t'a)\s+dit\s+(?:avant|precedemment|auparavant)|ce\s+qui\s+est\s+au-dessus)\b",
        ("tout",),
    ),
    RulePattern(
        "j2.fr.revele_prompt",
        "J2",
        0.93,
        r"\b(?:revele|affiche|montre|repete|donne|ecris|imprime|divulgue|recite|partage)[sz]?"
        r"[-\s]+(?:moi\s+)?(?:tes|vos|ton|votre|le|la|les)\s+(?:\S+\s+)?(?:prompt\s+(?:systeme|system"
        r"|initial|d'origine|cache)|instructions\s+(?:systeme|initiales|cachees|secretes|d'origine)"
        r"|message\s+systeme|consignes\s+(?:systeme|initiales|secretes|cachees))\b"
        r"|\bquel(?:le)?s?\s+(?:est|sont)\s+(?:ton|votre|tes|vos)\s+(?:prompt\s+systeme|instructions\s+"
        r"(?:systeme|initiales|cachees|secretes))\b",
        ("prompt", "instructions", "systeme", "consignes"),
    ),
    RulePattern(
        "j2.fr.repete_ci_dessus",
        "J2",
        0.88,
        r"\brepete[zr]?\s+(?:tout\s+)?(?:le\s+texte|les\s+mots|tout|le\s+message|les\s+instructions)\s+"
        r"(?:ci-dessus|au-dessus|qui\s+precede)\b",
        ("dessus", "precede"),
    ),
    RulePattern(
        "j2.fr.hidden_instruction",
        "J2",
        0.9,
        r"\b(?:ia|assistant|modele\s+de\s+langage|chatbot|llm)[,:]?\s+"
        + W2
        + r"(?:quand|si|lorsque|des\s+que)\s+tu\s+(?:lis|vois|traites|resumes)\s+(?:ceci|ce\s+(?:texte"
        r"|document|message))\b|\bnote\s+(?:pour|a)\s+l'(?:ia|assistant)\s*:",
        ("tu", "note"),
    ),
)
