from __future__ import annotations

import pytest

import gardefou
from gardefou.errors import (
    ConfigError,
    InputError,
    MissingDependencyError,
    UnknownNameError,
    UpstreamError,
    describe_text,
)
from gardefou.lang import detect_language
from gardefou.registry import Registry
from gardefou.taxonomy import (
    CATEGORIES,
    CATEGORY_CODES,
    OPENAI_CATEGORIES,
    get_category,
    openai_scores,
)


def test_public_api_all_is_exact() -> None:
    for name in gardefou.__all__:
        assert hasattr(gardefou, name), name
    public = {n for n in dir(gardefou) if not n.startswith("_")}
    modules = {
        "errors",
        "guard",
        "policy",
        "taxonomy",
        "detectors",
        "normalize",
        "registry",
        "lang",
        "io",
        "evaluation",
        "refusal",
        "cli",
        "model",
        "gateway",
        "redteam",
        "screen",
        "tamper",
        "htmlreport",
        "config",
    }
    assert public - modules - set(gardefou.__all__) == set()


def test_taxonomy_shape() -> None:
    assert (*(f"S{i}" for i in range(1, 15)), "J1", "J2") == CATEGORY_CODES
    assert get_category("s10").name == "Hate"
    assert get_category("S14").name == "Code Interpreter Abuse"
    for c in CATEGORIES:
        assert c.description("en") and c.description("fr") != c.description("en")
        assert set(c.openai) <= set(OPENAI_CATEGORIES)
    covered = {o for c in CATEGORIES for o in c.openai}
    assert covered == set(OPENAI_CATEGORIES)
    with pytest.raises(UnknownNameError):
        get_category("S15")


def test_openai_projection_takes_max() -> None:
    out = openai_scores({"S10": 0.7, "S1": 0.2, "S11": 0.9})
    assert out["hate"] == 0.7 and out["hate/threatening"] == 0.7
    assert out["violence"] == 0.2
    assert out["self-harm/intent"] == 0.9
    assert out["sexual"] == 0.0


def test_registry_register_create_and_errors() -> None:
    reg: Registry[object] = Registry("widget")

    @reg.register("a")
    def make_a(x: int = 1) -> object:
        return ("a", x)

    assert reg.create("a", x=2) == ("a", 2)
    assert reg.names() == ["a"] and "a" in reg and "b" not in reg
    with pytest.raises(UnknownNameError, match="unknown widget 'b'; known: a"):
        reg.get("b")
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("a")(lambda: None)


def test_errors_carry_context_without_text() -> None:
    e = InputError("bad", path="f.csv", line=3)
    assert str(e) == "f.csv:3: bad" and e.line == 3
    assert str(InputError("bad", line=2)) == "line 2: bad"
    assert "pip install 'gardefou[ray]'" in str(MissingDependencyError("ray", "ray"))
    assert UpstreamError("x", status_code=502).status_code == 502
    d = describe_text("secret prompt")
    assert "secret" not in d and "len=13" in d


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour, comment je peux faire une tarte aux pommes ?", "fr"),
        ("Hello, how can I bake an apple pie?", "en"),
        ("Écris-moi un poème", "fr"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
