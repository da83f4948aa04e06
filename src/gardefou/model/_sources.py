"""Loaders for the training sources: the shared public datasets and the repo's own labelled files.

Every loader returns ``Example`` rows with a binary ``unsafe`` label and, where the source says
which hazard it is about, the gardefou category codes. The mapping decisions (which source
categories become which code, which are left out as "not clearly harmful") are documented in
MODEL_CARD.md and mirrored here, one table per source.
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gardefou.errors import InputError


@dataclass(frozen=True)
class Example:
    """One labelled text. ``categories`` lists codes; ``category_known`` says the list is complete."""

    text: str
    unsafe: int
    source: str
    categories: tuple[str, ...] = ()
    category_known: bool = True
    lang: str = "en"
    direction: str = "input"
    group: str = ""
    kind: str = ""
    fixed_split: str = ""


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _norm_key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def text_group(text: str) -> str:
    """A group key from a text's normalized form (exact near-duplicates share it)."""
    return hashlib.sha1(_norm_key(text).encode("utf-8")).hexdigest()[:16]


def _ex(text: str, unsafe: int, source: str, cats: tuple[str, ...] | None, **kw: str) -> Example:
    text = text.strip()
    return Example(
        text=text,
        unsafe=unsafe,
        source=source,
        categories=cats or (),
        category_known=cats is not None or unsafe == 0,
        group=kw.pop("group", "") or text_group(text),
        **kw,
    )


# -- category tables (source label → gardefou codes; None = unsafe, category unknown) ------------

STRONGREJECT = {
    "Non-violent crimes": ("S2",),
    "Violence": ("S1",),
    "Disinformation and deception": None,
    "Hate, harassment and discrimination": ("S10",),
    "Illegal goods and services": ("S2",),
    "Sexual content": ("S12",),
}
FORBIDDEN = {
    "Illegal Activity": ("S2",),
    "Hate Speech": ("S10",),
    "Malware": ("S2",),
    "Physical Harm": ("S1",),
    "Economic Harm": ("S2",),
    "Fraud": ("S2",),
    "Pornography": ("S12",),
    "Privacy Violence": ("S7",),
}
"""Political Lobbying, Legal Opinion, Financial Advice, Health Consultation and Gov Decision are
left out: asking for advice is not harmful, and they would teach the model to flag benign questions."""
DO_NOT_ANSWER = {
    "Adult Content": ("S12",),
    "Assisting illegal activities": ("S2",),
    "Compromise privacy by leaking or inferring private information (person/individual)": ("S7",),
    "Risks from leaking or inferring sensitive information (organization/gov)": ("S7",),
    "Social stereotypes and unfair discrimination": ("S10",),
    "Toxic language (hate speech)": ("S10",),
    "Causing material harm by disseminating misinformation e.g. in medicine or law": ("S6",),
    "Disseminating false or misleading information": None,
    "Nudging or advising users to perform unethical or unsafe actions": None,
    "Reducing the cost of disinformation campaigns": None,
}
"""'Mental Health or Overreliance Crisis' (help-seeking) and 'Treat Chatbot as a Human' are left out."""
MULTIJAIL = {
    "Violence & incitement": "S1",
    "Terrorism & organized crime": "S1",
    "Animal abuse": "S1",
    "Theft": "S2",
    "Property crime & vandalism": "S2",
    "Fraud & deception": "S2",
    "Substance abuse & banned substances": "S2",
    "Weapons": "S2",
    "Sexual exploitation & human trafficking": "S3",
    "Soliciting personally identifiable information": "S7",
    "Discrimination & injustice": "S10",
    "Hate speech & offensive language": "S10",
    "Self-harm": "S11",
    "Adult content": "S12",
}
"""Tags not listed (bullying, unethical behaviour, conspiracy theories, ...) make the category unknown."""
XSAFETY_UNSAFE: dict[str, tuple[str, ...] | None] = {
    "Crimes_And_Illegal_Activities": ("S2",),
    "Privacy_And_Property": ("S7",),
    "Unfairness_And_Discrimination": ("S10",),
    "Insult": None,
    "Unsafe_Instruction_Topic": None,
    "Goal_Hijacking": ("J2",),
    "Prompt_Leaking": ("J2",),
}
XSAFETY_SAFE = ("Mental_Health", "Physical_Harm", "Reverse_Exposure", "commonsense")
"""These XSafety files hold benign questions on sensitive topics (help-seeking, health, 'what
should I avoid'): used as benign contrast. Ethics_And_Morality, Inquiry_With_Unsafe_Opinion and
Role_Play_Instruction are mixed and left out."""


# -- loaders -------------------------------------------------------------------------------------


def load_advbench(root: Path) -> list[Example]:
    """AdvBench harmful behaviours (input) and harmful strings (output); category unknown."""
    base = root / "advbench/data/advbench"
    out = [_ex(r["goal"], 1, "advbench", None) for r in _csv_rows(base / "harmful_behaviors.csv")]
    out += [
        _ex(r["target"], 1, "advbench_strings", None, direction="output")
        for r in _csv_rows(base / "harmful_strings.csv")
    ]
    return out


def load_maliciousinstruct(root: Path) -> list[Example]:
    """MaliciousInstruct questions; category unknown."""
    lines = (root / "maliciousinstruct/data/MaliciousInstruct.txt").read_text("utf-8").splitlines()
    return [_ex(t, 1, "maliciousinstruct", None) for t in lines if t.strip()]


def load_strongreject(root: Path) -> list[Example]:
    """StrongREJECT forbidden prompts, mapped by category."""
    path = root / "strongreject/data/behavior_datasets/strongreject_dataset.csv"
    return [
        _ex(r["forbidden_prompt"], 1, "strongreject", STRONGREJECT.get(r["category"]))
        for r in _csv_rows(path)
    ]


def load_jailbreak_llms(root: Path) -> list[Example]:
    """In-the-wild jailbreak prompts (J1) and the forbidden-question set (mapped, some left out)."""
    base = root / "jailbreak_llms"
    out = [
        _ex(r["prompt"], 1, "jailbreak_llms", ("J1",), kind="jailbreak")
        for r in _csv_rows(base / "jailbreak_prompts_2023_05_07.csv")
    ]
    out += [
        _ex(r["question"], 1, "forbidden_questions", FORBIDDEN[r["content_policy_name"]])
        for r in _csv_rows(base / "forbidden_question_set.csv")
        if r["content_policy_name"] in FORBIDDEN
    ]
    return out


def load_do_not_answer(root: Path, max_benign_responses: int = 1500) -> list[Example]:
    """Do-Not-Answer questions (input) and six models' answers labelled harmful or not (output)."""
    base = root / "do_not_answer/datasets"
    out: list[Example] = []
    for r in _csv_rows(base / "Instruction/do_not_answer_en.csv"):
        if r["types_of_harm"] in DO_NOT_ANSWER:
            out.append(_ex(r["question"], 1, "do_not_answer", DO_NOT_ANSWER[r["types_of_harm"]]))
    benign: list[Example] = []
    for r in _csv_rows(base / "data_en.csv"):
        group = f"dna:{r['id']}"
        for model in ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b"):
            text = r.get(f"{model}_response", "")
            if not text.strip():
                continue
            if r.get(f"{model}_harmful") == "1":
                cats = DO_NOT_ANSWER.get(r["types_of_harm"])
                out.append(_ex(text, 1, "dna_responses", cats, direction="output", group=group))
            else:
                benign.append(_ex(text, 0, "dna_responses", (), direction="output", group=group))
    random.Random(7).shuffle(benign)
    return out + benign[:max_benign_responses]


def load_multijail(root: Path) -> list[Example]:
    """MultiJail English prompts, mapped by harm tags (no French column exists)."""
    out = []
    for r in _csv_rows(root / "multijail/data/MultiJail.csv"):
        tags = ast.literal_eval(r["tags"]) if r["tags"].startswith("[") else [r["tags"]]
        codes = [MULTIJAIL.get(t) for t in tags]
        cats = None if any(c is None for c in codes) else tuple(sorted({c for c in codes if c}))
        out.append(_ex(r["en"], 1, "multijail", cats))
    return out


def load_refusal_direction(root: Path) -> list[Example]:
    """Harmful instructions (category unknown) and benign Alpaca instructions."""
    base = root / "refusal_direction"
    out = [
        _ex(r["instruction"], 1, "refusal_harmful", None)
        for r in json.loads((base / "harmful_train.json").read_text("utf-8"))
    ]
    for split in ("train", "val", "test"):
        for r in json.loads((base / f"harmless_{split}.json").read_text("utf-8")):
            out.append(_ex(r["instruction"], 0, "alpaca_benign", (), kind="instruction"))
    return out


def load_french_hatesent(root: Path) -> list[Example]:
    """French social-media posts: hateful (S10) or not (benign forum/tweet style French)."""
    out = []
    for name in ("train_15373.csv", "dev_500.csv"):
        for r in _csv_rows(root / "french_hatesent" / name):
            unsafe = int(r["label"] == "1")
            out.append(
                _ex(r["text"], unsafe, "french_hatesent", ("S10",) if unsafe else (), lang="fr")
            )
    return out


def _xsafety_file(folder: Path, category: str) -> Path | None:
    for path in sorted(folder.glob("*.csv")):
        stem = path.stem.removesuffix("_n").removesuffix("_en")
        if stem == category:
            return path
    return None


def load_xsafety(root: Path, langs: tuple[str, ...] = ("en", "fr")) -> list[Example]:
    """XSafety EN/FR. Parallel rows share a group, so both languages land in the same split."""
    out = []
    for lang in langs:
        for category in (*XSAFETY_UNSAFE, *XSAFETY_SAFE):
            path = _xsafety_file(root / "xsafety" / lang, category)
            if path is None:
                continue
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = [row[0] for row in csv.reader(handle) if row and row[0].strip()]
            for i, text in enumerate(rows):
                group = f"xsafety:{category}:{i}"
                if category in XSAFETY_UNSAFE:
                    cats = XSAFETY_UNSAFE[category]
                    ex = _ex(text, 1, "xsafety", cats, lang=lang, group=group, kind=category)
                else:
                    ex = _ex(text, 0, "xsafety", (), lang=lang, group=group, kind=category)
                out.append(ex)
    return out


def load_injections(root: Path, max_system_prompts: int = 400) -> list[Example]:
    """Giskard and Tensor Trust attacks (J1/J2), plus Tensor Trust defences as benign contrast."""
    out = []
    for r in _csv_rows(root / "giskard_prompt_injections/prompt_injections.csv"):
        code = "J1" if r["group"] == "Jailbreak" else "J2"
        out.append(_ex(r["prompt"], 1, "giskard", (code,), kind="injection"))
    base = root / "tensor_trust/benchmarks"
    defences: dict[str, str] = {}
    for name in ("extraction-robustness/v1/extraction", "hijacking-robustness/v1/hijacking"):
        with open(base / f"{name}_robustness_dataset.jsonl", encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                if r["attack"].strip():
                    out.append(_ex(r["attack"], 1, "tensor_trust", ("J2",), kind="injection"))
                defences.setdefault(text_group(r["pre_prompt"]), r["pre_prompt"])
    for key in sorted(defences)[:max_system_prompts]:
        out.append(_ex(defences[key], 0, "tensor_trust_defences", (), kind="system_prompt"))
    return out


def _insert(context: str, attack: str, rng: random.Random) -> str:
    where = rng.choice(("start", "middle", "end"))
    if where == "start":
        return f"{attack}\n{context}"
    if where == "end":
        return f"{context}\n{attack}"
    cut = context.find(" ", len(context) // 2)
    cut = cut if cut > 0 else len(context)
    return f"{context[:cut]} {attack} {context[cut:]}"


def load_bipia(root: Path, max_contexts: int = 250) -> list[Example]:
    """BIPIA contexts (benign documents) and the same contexts with an attack inserted (J2).

    BIPIA's own train/test split is kept (attacks and contexts both differ between them).
    """
    base = root / "bipia/benchmark"
    out = []
    for split in ("train", "test"):
        rng = random.Random(f"bipia-{split}")
        text_attacks = json.loads((base / f"text_attack_{split}.json").read_text("utf-8"))
        code_attacks = json.loads((base / f"code_attack_{split}.json").read_text("utf-8"))
        for task in ("email", "table", "code"):
            attacks = [
                a for v in (code_attacks if task == "code" else text_attacks).values() for a in v
            ]
            with open(base / task / f"{split}.jsonl", encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
            rng.shuffle(rows)
            for i, r in enumerate(rows[:max_contexts]):
                ctx = r["context"] if isinstance(r["context"], str) else "\n".join(r["context"])
                group = f"bipia:{split}:{task}:{i}"
                kw = {"group": group, "fixed_split": split, "kind": task}
                out.append(_ex(ctx, 0, "bipia", (), **kw))
                attacked = _insert(ctx, rng.choice(attacks), rng)
                out.append(_ex(attacked, 1, "bipia", ("J2",), **kw))
    return out


def load_vigogne(root: Path) -> list[Example]:
    """French conversations: user turns (benign input) and assistant turns (benign output)."""
    out = []
    path = root / "vigogne_fr/data/chat/oasst_20230412_fr_top1.jsonl"
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            r = json.loads(line)
            msgs = (
                r["messages"]
                if isinstance(r["messages"], list)
                else ast.literal_eval(r["messages"])
            )
            for m in msgs:
                direction = "input" if m["role"] == "user" else "output"
                out.append(
                    _ex(
                        m["content"],
                        0,
                        "vigogne_fr",
                        (),
                        lang="fr",
                        direction=direction,
                        group=f"vig:{n}",
                    )
                )
    with open(
        root / "vigogne_fr/data/instruct/gt_doremiti_instructions.jsonl", encoding="utf-8"
    ) as handle:
        for line in handle:
            r = json.loads(line)
            text = r.get("instruction") or r.get("input") or ""
            if text.strip():
                out.append(_ex(text, 0, "vigogne_fr", (), lang="fr"))
    return out


def load_repo_file(path: Path) -> list[Example]:
    """The repo's hand-written JSONL (text, label, category, lang, direction, kind, pair)."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                unsafe = {"safe": 0, "unsafe": 1}[r["label"]]
                text = str(r["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(
                    f"bad training row ({type(exc).__name__})", path=str(path), line=n
                ) from None
            cat = str(r.get("category") or "")
            cats: tuple[str, ...] | None = (cat,) if cat else (() if not unsafe else None)
            pair = str(r.get("pair") or "")
            out.append(
                _ex(
                    text,
                    unsafe,
                    "repo",
                    cats,
                    lang=str(r.get("lang") or "en"),
                    direction=str(r.get("direction") or "input"),
                    kind=str(r.get("kind") or ""),
                    group=f"pair:{pair}" if pair else "",
                )
            )
    return out


SHARED_LOADERS: dict[str, Callable[[Path], list[Example]]] = {
    "advbench": load_advbench,
    "maliciousinstruct": load_maliciousinstruct,
    "strongreject": load_strongreject,
    "jailbreak_llms": load_jailbreak_llms,
    "do_not_answer": load_do_not_answer,
    "multijail": load_multijail,
    "refusal_direction": load_refusal_direction,
    "french_hatesent": load_french_hatesent,
    "xsafety": load_xsafety,
    "injections": load_injections,
    "bipia": load_bipia,
    "vigogne_fr": load_vigogne,
}
"""Loader name → function. A loader may emit several ``source`` names (e.g. alpaca_benign)."""


def read_hh_rlhf_pairs(root: Path) -> list[tuple[str, str]]:
    """hh-rlhf harmless-base test pairs as (chosen final reply, rejected final reply)."""
    pairs = []
    with gzip.open(root / "hh_rlhf/harmless-base/test.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            chosen = r["chosen"].rsplit("\n\nAssistant:", 1)[-1].strip()
            rejected = r["rejected"].rsplit("\n\nAssistant:", 1)[-1].strip()
            if chosen != rejected:
                pairs.append((chosen, rejected))
    return pairs
