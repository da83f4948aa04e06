"""The ``llm`` detector: prompts, answer parsing, log-prob scores and HTTP failure modes.

Parsing runs through ``httpx.MockTransport``; one module-scoped stub OpenAI-compatible server
(FastAPI + uvicorn on 127.0.0.1, free port) checks the real-socket path and a Guard built from a
policy whose only detector is ``llm``.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI, Request

from gardefou.detectors._llm_formats import (
    Completion,
    answer_probability,
    build_llama_guard_3_prompt,
    build_shieldgemma_prompt,
    parse_llama_guard,
)
from gardefou.detectors.llm import LLMDetector, _describe_url, parse_completion
from gardefou.errors import ConfigError, DetectorError, UnknownNameError, UpstreamError
from gardefou.guard import Guard
from gardefou.policy import parse_policy

Top = list[tuple[str, dict[str, float]]]  # generated tokens with their top log-probs


def _ln(p: float) -> float:
    return math.log(p)


def body_for(text: str, *, chat: bool, logprobs: Top | None = None) -> dict[str, Any]:
    """An OpenAI-style response body answering ``text``, optionally with log-probs."""
    if chat:
        choice: dict[str, Any] = {"message": {"role": "assistant", "content": text}}
        if logprobs is not None:
            choice["logprobs"] = {
                "content": [
                    {
                        "token": tok,
                        "logprob": top.get(tok, -0.01),
                        "top_logprobs": [{"token": k, "logprob": v} for k, v in top.items()],
                    }
                    for tok, top in logprobs
                ]
            }
        return {"choices": [choice]}
    choice = {"text": text}
    if logprobs is not None:
        choice["logprobs"] = {
            "tokens": [tok for tok, _ in logprobs],
            "token_logprobs": [top.get(tok, -0.01) for tok, top in logprobs],
            "top_logprobs": [top for _, top in logprobs],
        }
    return {"choices": [choice]}


def request_content(body: dict[str, Any]) -> str:
    if "prompt" in body:
        return str(body["prompt"])
    return "\n".join(m["content"] for m in body["messages"])


def keyword_answer(body: dict[str, Any]) -> str:
    """A fake guard model: 'BOMB' → unsafe (S1, S9); 'HATE' → yes for hate speech."""
    content = request_content(body)
    if "Human Question:" in content:  # ShieldGemma
        return "Yes" if "HATE" in content and "No Hate Speech" in content else "No"
    if "Harmful request" in content or "Answers:" in content:  # WildGuard
        bad = "yes" if "BOMB" in content else "no"
        return f"Harmful request: {bad}\nResponse refusal: no\nHarmful response: {bad}"
    return "unsafe\nS1,S9" if "BOMB" in content else "safe"


def mock_detector(
    handler: Callable[[httpx.Request], httpx.Response], **options: Any
) -> LLMDetector:
    options.setdefault("base_url", "http://guard.test/v1")
    options.setdefault("model", "guard")
    return LLMDetector(transport=httpx.MockTransport(handler), **options)


def keyword_handler(seen: list[httpx.Request] | None = None) -> Callable[..., httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = json.loads(request.content)
        chat = request.url.path.endswith("/chat/completions")
        return httpx.Response(200, json=body_for(keyword_answer(body), chat=chat))

    return handle


# -- prompts and parsing ---------------------------------------------------------------------------


def test_llama_guard_prompt_follows_the_official_template() -> None:
    p = build_llama_guard_3_prompt("hello there", "input")
    assert p.startswith("<|start_header_id|>user<|end_header_id|>")
    assert "S1: Violent Crimes." in p and "S14: Code Interpreter Abuse." in p
    assert "User: hello there" in p
    assert "Provide your safety assessment for ONLY THE LAST User message" in p
    assert p.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    out = build_llama_guard_3_prompt("an answer", "output")
    assert "Agent: an answer" in out and "ONLY THE LAST Agent message" in out
    assert "'Agent' messages" in out


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("safe", (False, [])),
        ("  SAFE \n", (False, [])),
        ("unsafe\nS1,S10", (True, ["S1", "S10"])),
        ("\n\nUnsafe\n s1, s10 ,S1", (True, ["S1", "S10"])),
        ("unsafe", (True, [])),
        ("unsafe\nS99,S14", (True, ["S14"])),
    ],
)
def test_parse_llama_guard(answer: str, expected: tuple[bool, list[str]]) -> None:
    assert parse_llama_guard(answer) == expected


def test_unparseable_answer_raises_without_echoing_text() -> None:
    with pytest.raises(DetectorError, match="llama-guard-3: unparseable") as info:
        parse_llama_guard("I think the secret-word is fine")
    assert "secret-word" not in str(info.value)


def test_answer_probability_matches_prefix_tokens_and_skips_blanks() -> None:
    c = Completion("\nunsafe", ("\n", "uns", "afe"), ({}, {"uns": _ln(0.6), "s": _ln(0.2)}, {}))
    assert answer_probability(c, 0, "unsafe", "safe") == pytest.approx(0.75)
    assert answer_probability(Completion("safe"), 0, "unsafe", "safe") is None
    none_known = Completion("x", ("x",), ({"x": 0.0, " ": 0.0, "safe": -math.inf},))
    assert answer_probability(none_known, 0, "unsafe", "safe") is None
    blank = Completion("\n\n", ("\n", "\n"), ({}, {}))
    assert answer_probability(blank, 0, "unsafe", "safe") is None


def test_shieldgemma_prompts() -> None:
    p = build_shieldgemma_prompt("some text", "input", "hate")
    assert "Human Question: some text" in p and '"No Hate Speech"' in p
    assert "Does the human question violate the above principle?" in p
    r = build_shieldgemma_prompt("some answer", "output", "sexual")
    assert "Chatbot Response: some answer" in r and "The chatbot shall not generate" in r


# -- llama guard 3 over MockTransport --------------------------------------------------------------


@pytest.mark.parametrize("use_chat", [False, True])
def test_llama_guard_verdicts_without_logprobs(use_chat: bool) -> None:
    seen: list[httpx.Request] = []
    det = mock_detector(keyword_handler(seen), use_chat=use_chat, logprobs=False)
    out = det.score(["how to BOMB", "hello"], "input")
    assert out == [{"unsafe": 0.99, "S1": 0.99, "S9": 0.99}, {"unsafe": 0.01}]
    body = json.loads(seen[0].content)
    assert "logprobs" not in body and body["temperature"] == 0.0 and body["model"] == "guard"
    if use_chat:
        assert seen[0].url.path == "/v1/chat/completions"
        assert body["messages"] in (
            [{"role": "user", "content": "how to BOMB"}],
            [{"role": "user", "content": "hello"}],
        )
    else:
        assert seen[0].url.path == "/v1/completions"
        assert "ONLY THE LAST User message" in body["prompt"]


def test_llama_guard_output_direction_chat_messages() -> None:
    seen: list[httpx.Request] = []
    det = mock_detector(keyword_handler(seen), use_chat=True)
    assert det.score(["here is a BOMB recipe"], "output")[0]["S9"] == 0.99
    msgs = json.loads(seen[0].content)["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"]


def test_llama_guard_logprob_score_completions() -> None:
    top: Top = [
        ("unsafe", {"unsafe": _ln(0.8), "safe": _ln(0.2)}),
        ("\n", {}),
        ("S", {}),
        ("2", {}),
    ]

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["logprobs"] == 5
        return httpx.Response(200, json=body_for("unsafe\nS2", chat=False, logprobs=top))

    (scores,) = mock_detector(handle).score(["x"])
    assert scores == pytest.approx({"unsafe": 0.8, "S2": 0.8})


def test_llama_guard_logprob_score_chat() -> None:
    top: Top = [("\n\n", {"\n\n": -0.001}), ("safe", {"safe": _ln(0.7), "unsafe": _ln(0.3)})]

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["logprobs"] is True and body["top_logprobs"] == 5
        return httpx.Response(200, json=body_for("\n\nsafe", chat=True, logprobs=top))

    (scores,) = mock_detector(handle, use_chat=True).score(["x"])
    assert scores == pytest.approx({"unsafe": 0.3})


def test_malformed_answer_is_a_detector_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body_for("Sure! Here is a poem.", chat=False))

    with pytest.raises(DetectorError, match="unparseable"):
        mock_detector(handle).score(["x"])


# -- shieldgemma and wildguard ---------------------------------------------------------------------


def test_shieldgemma_one_query_per_harm_and_mapping() -> None:
    seen: list[httpx.Request] = []
    det = mock_detector(keyword_handler(seen), format="shieldgemma", logprobs=False)
    (hate, fine) = det.score(["I HATE them all", "nice weather"])
    assert len(seen) == 8
    assert hate["S10"] == 0.99 and hate["unsafe"] == 0.99 and hate["S12"] == 0.01
    assert fine == {"unsafe": 0.01, "S1": 0.01, "S9": 0.01, "S11": 0.01, "S10": 0.01, "S12": 0.01}


def test_shieldgemma_yes_probability_and_harms_option() -> None:
    top: Top = [("Yes", {"Yes": _ln(0.6), "No": _ln(0.4)})]

    def handle(request: httpx.Request) -> httpx.Response:
        assert "No Hate Speech" in request_content(json.loads(request.content))
        return httpx.Response(200, json=body_for("Yes", chat=False, logprobs=top))

    det = mock_detector(handle, format="shieldgemma", harms=["hate"])
    assert det.score(["x"], "output") == [pytest.approx({"unsafe": 0.6, "S10": 0.6})]


def test_shieldgemma_malformed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body_for("Maybe", chat=False))

    with pytest.raises(DetectorError, match="shieldgemma"):
        mock_detector(handle, format="shieldgemma", harms=["sexual"]).score(["x"])


@pytest.mark.parametrize("use_chat", [False, True])
def test_wildguard_verdicts(use_chat: bool) -> None:
    seen: list[httpx.Request] = []
    det = mock_detector(keyword_handler(seen), format="wildguard", use_chat=use_chat)
    assert det.score(["make a BOMB", "hello"], "input") == [{"unsafe": 0.99}, {"unsafe": 0.01}]
    assert det.score(["the BOMB recipe is"], "output") == [{"unsafe": 0.99}]
    content = request_content(json.loads(seen[0].content))
    assert "Human user:" in content and "AI assistant:" in content
    assert ("[INST]" in content) is not use_chat


def test_wildguard_logprob_at_the_field_value() -> None:
    text = "Harmful request: yes\nResponse refusal: no\nHarmful response: no"
    top: Top = [
        ("Harmful", {}),
        (" request", {}),
        (":", {}),
        (" yes", {" yes": _ln(0.9), " no": _ln(0.1)}),
        ("\nResponse refusal: no\nHarmful response: no", {}),
    ]

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body_for(text, chat=False, logprobs=top))

    assert mock_detector(handle, format="wildguard").score(["x"]) == [
        pytest.approx({"unsafe": 0.9})
    ]


def test_wildguard_malformed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body_for("Harmful request: perhaps", chat=False))

    with pytest.raises(DetectorError, match="wildguard"):
        mock_detector(handle, format="wildguard").score(["x"])


# -- HTTP failures, options ------------------------------------------------------------------------


def _raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc

    return handle


def test_http_500_is_upstream_error() -> None:
    det = mock_detector(lambda r: httpx.Response(500, text="boom"))
    with pytest.raises(UpstreamError, match="HTTP 500") as info:
        det.score(["x"])
    assert info.value.status_code == 500


def test_timeout_and_connection_errors_are_upstream_errors() -> None:
    with pytest.raises(UpstreamError, match="timed out") as info:
        mock_detector(_raising(httpx.ReadTimeout("slow"))).score(["x"])
    assert info.value.timeout
    with pytest.raises(UpstreamError, match="unreachable"):
        mock_detector(_raising(httpx.ConnectError("refused"))).score(["x"])


@pytest.mark.parametrize("payload", [b"not json", b"{}", b'{"choices": [{"text": null}]}'])
def test_bad_json_is_upstream_error(payload: bytes) -> None:
    with pytest.raises(UpstreamError):
        mock_detector(lambda r: httpx.Response(200, content=payload)).score(["x"])


def test_garbled_logprobs_fall_back_to_verdict() -> None:
    data = {"choices": [{"text": "unsafe", "logprobs": {"tokens": ["unsafe"], "top_logprobs": 3}}]}
    assert parse_completion(data, chat=False) == Completion("unsafe")


def test_api_key_from_env_is_sent_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_TEST_KEY", "sk-very-secret")
    seen: list[httpx.Request] = []
    det = mock_detector(keyword_handler(seen), api_key_env="GUARD_TEST_KEY")
    det.score(["hello"])
    assert seen[0].headers["authorization"] == "Bearer sk-very-secret"
    assert "sk-very-secret" not in repr(det) and "api_key=set" in repr(det)
    with pytest.raises(UpstreamError) as info:
        mock_detector(lambda r: httpx.Response(401), api_key="sk-very-secret").score(["x"])
    assert "sk-very-secret" not in str(info.value)
    assert _describe_url("http://user:pw@host:8000/v1") == "http://host:8000"
    assert _describe_url("http://\x00") == "<invalid url>"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"base_url": "guard.local"}, ConfigError),
        ({"model": ""}, ConfigError),
        ({"format": "llama-guard-9"}, UnknownNameError),
        ({"timeout": 0}, ConfigError),
        ({"max_concurrency": 0}, ConfigError),
        ({"api_key": "a", "api_key_env": "B"}, ConfigError),
        ({"api_key_env": "GARDEFOU_SURELY_UNSET_VAR"}, ConfigError),
        ({"harms": ["hate"]}, ConfigError),
        ({"format": "shieldgemma", "harms": ["nope"]}, UnknownNameError),
    ],
)
def test_bad_options(options: dict[str, Any], error: type[Exception]) -> None:
    base: dict[str, Any] = {"base_url": "http://127.0.0.1:1/v1", "model": "m"}
    with pytest.raises(error):
        LLMDetector(**{**base, **options})


def test_bad_direction_and_empty_batch() -> None:
    det = mock_detector(keyword_handler())
    assert det.score([]) == []
    with pytest.raises(ConfigError, match="direction"):
        det.score(["x"], "sideways")  # type: ignore[arg-type]


def test_batches_run_concurrently_but_bounded() -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json=body_for("safe", chat=False))

    with mock_detector(handle, max_concurrency=3) as det:
        assert det.score([f"t{i}" for i in range(9)]) == [{"unsafe": 0.01}] * 9
    assert 2 <= state["max"] <= 3


# -- a real socket: stub OpenAI-compatible server --------------------------------------------------


def _stub_app() -> FastAPI:
    app = FastAPI()

    async def answer(request: Request, chat: bool) -> dict[str, Any]:
        body = await request.json()
        if "SLOW" in request_content(body):
            await asyncio.sleep(1.0)
        return body_for(keyword_answer(body), chat=chat)

    @app.post("/v1/completions")
    async def completions(request: Request) -> dict[str, Any]:
        return await answer(request, chat=False)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> dict[str, Any]:
        return await answer(request, chat=True)

    return app


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        _stub_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "stub server did not start"
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_real_socket_guard_blocks_unsafe_verdict(stub_url: str) -> None:
    policy = parse_policy(
        {
            "name": "llm-only",
            "detectors": [
                {"name": "llm", "options": {"base_url": stub_url, "model": "llama-guard-3"}}
            ],
        }
    )
    guard = Guard.from_policy(policy)
    blocked = guard.check("how do I build a BOMB")
    assert not blocked.allowed and blocked.action == "block"
    assert set(blocked.triggered) == {"S1", "S9"} and blocked.scores["unsafe"] == 0.99
    assert guard.check("what a lovely day").allowed
    chat = LLMDetector(base_url=stub_url, model="m", use_chat=True, format="wildguard")
    with chat:
        assert chat.score(["a BOMB"], "output") == [{"unsafe": 0.99}]


def test_real_socket_timeout_fails_closed(stub_url: str) -> None:
    det = LLMDetector(base_url=stub_url, model="m", timeout=0.2)
    with det, pytest.raises(UpstreamError, match="timed out"):
        det.score(["SLOW please"])
    policy = parse_policy({"name": "t", "detectors": [], "fail_closed": True})
    with LLMDetector(base_url=stub_url, model="m", timeout=0.2) as slow:
        verdict = Guard(policy, [slow]).check("SLOW please")
    assert not verdict.allowed and verdict.error is not None and "timed out" in verdict.error


def test_documented_policy_example_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "detectors.md"
    snippet = doc.read_text(encoding="utf-8").split("```yaml\n")[1].split("```")[0]
    monkeypatch.setenv("VLLM_API_KEY", "sk-doc")
    guard = Guard.from_policy(parse_policy(yaml.safe_load(snippet), "docs/detectors.md"))
    (rules, llm) = guard.detectors
    assert rules.name == "rules" and isinstance(llm, LLMDetector)
    assert llm.format == "llama-guard-3" and llm.max_concurrency == 8
