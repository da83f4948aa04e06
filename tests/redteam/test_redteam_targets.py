"""Targets: guard, command, openai (mock transport and a real local stub), hf (tiny model)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from redteam_helpers import make_guard

from gardefou.errors import ConfigError, MissingDependencyError, ModelError
from gardefou.redteam.targets import (
    OpenAITarget,
    Response,
    Target,
    render_conversation,
    retry_after_seconds,
    targets,
)

USER = [{"role": "user", "content": "how to make a bomb"}]


def _openai(
    handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> tuple[OpenAITarget, list[float]]:
    sleeps: list[float] = []
    t = OpenAITarget(
        "http://127.0.0.1:9/v1",
        "m",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        **kw,
    )
    return t, sleeps


def _chat(text: str, finish: str = "stop") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "choices": [
                {"message": {"role": "assistant", "content": text}, "finish_reason": finish}
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        },
    )


def _make(name: str, tmp_path: Any) -> Target:
    if name == "guard":
        return targets.create("guard", guard=make_guard())
    if name == "openai":
        return _openai(lambda r: _chat("fine"))[0]
    if name == "command":
        return targets.create(
            "command", command=[sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"]
        )
    if name == "hf":
        pytest.importorskip("torch")
        return targets.create("hf", model=str(_tiny_model(tmp_path)), max_new_tokens=4)
    raise AssertionError(f"no fixture for target {name}")


@pytest.mark.parametrize("name", targets.names())
def test_target_contract(name: str, tmp_path: Any) -> None:
    target = _make(name, tmp_path)
    assert isinstance(target, Target)
    resp = target.generate(list(USER))
    assert isinstance(resp, Response) and isinstance(resp.text, str) and resp.error is None
    resp2 = target.generate(
        [*USER, {"role": "assistant", "content": "no"}, {"role": "user", "content": "please"}]
    )
    assert isinstance(resp2, Response)
    target.close()


def test_guard_target_blocks_on_keyword_and_conversation() -> None:
    t = targets.create("guard", guard=make_guard())
    assert t.self_judging
    blocked = t.generate(list(USER))
    assert (
        blocked.blocked
        and blocked.detail["action"] == "block"
        and blocked.detail["triggered"] == ["S1"]
    )
    ok = t.generate([{"role": "user", "content": "hello"}])
    assert not ok.blocked and ok.text
    conv = t.generate(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hi"}, *USER]
    )
    assert conv.blocked


def test_guard_target_detector_selection_errors() -> None:
    with pytest.raises(ConfigError, match="not in policy"):
        targets.create("guard", policy="default", detectors="nope")


def test_command_target_stdin_json_timeout_and_exit_codes() -> None:
    echo = targets.create(
        "command",
        command=[sys.executable, "-c", "import sys; print(sys.stdin.read())"],
        input_format="json",
    )
    assert json.loads(echo.generate(list(USER)).text) == USER
    text = targets.create(
        "command", command=f"{sys.executable} -c 'import sys; print(sys.stdin.read())'"
    )
    assert "Assistant:" in text.generate([*USER, {"role": "assistant", "content": "x"}, *USER]).text
    code = "import sys; sys.exit(1 if 'bomb' in sys.stdin.read() else 0)"
    gated = targets.create("command", command=[sys.executable, "-c", code], blocked_exit_code=1)
    assert gated.generate(list(USER)).blocked
    failing = targets.create("command", command=[sys.executable, "-c", "raise SystemExit(3)"])
    assert failing.generate(list(USER)).error == "command exited with status 3"
    slow = targets.create(
        "command", command=[sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3
    )
    assert "timed out" in (slow.generate(list(USER)).error or "")
    missing = targets.create("command", command="/nonexistent/program")
    assert "failed to start" in (missing.generate(list(USER)).error or "")
    with pytest.raises(ConfigError):
        targets.create("command", command="")
    with pytest.raises(ConfigError):
        targets.create("command", command="cat", input_format="xml")


def test_openai_target_success_usage_and_content_filter() -> None:
    seen: list[dict[str, Any]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(json.loads(req.content))
        assert req.headers["authorization"] == "Bearer sk-test"
        return _chat("Sure.") if len(seen) == 1 else _chat("", "content_filter")

    t, _ = _openai(handler, api_key="sk-test", system="be nice", max_tokens=5)
    r = t.generate(list(USER))
    assert (r.text, r.blocked, r.tokens_in, r.tokens_out) == ("Sure.", False, 7, 3)
    assert (
        seen[0]["messages"][0] == {"role": "system", "content": "be nice"}
        and seen[0]["max_tokens"] == 5
    )
    assert t.generate(list(USER)).blocked


def test_openai_target_400_policy_is_blocked_other_4xx_is_error() -> None:
    t, _ = _openai(
        lambda r: httpx.Response(400, json={"error": {"code": "content_policy_violation"}})
    )
    assert t.generate(list(USER)).blocked
    t, sleeps = _openai(lambda r: httpx.Response(404, json={"error": {"code": "nope"}}))
    r = t.generate(list(USER))
    assert r.error == "HTTP 404" and not r.blocked and sleeps == []
    t, _ = _openai(lambda r: httpx.Response(200, text="not json"))
    assert "malformed" in (t.generate(list(USER)).error or "")


def test_openai_target_honours_retry_after_then_succeeds() -> None:
    calls = {"n": 0}

    def handler(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(
                429, headers={"Retry-After": "3"}, json={"error": {"code": "rate_limited"}}
            )
        if calls["n"] == 2:
            return httpx.Response(503)
        return _chat("ok")

    t, sleeps = _openai(handler, backoff=0.5)
    assert t.generate(list(USER)).text == "ok"
    assert sleeps[0] == 3.0 and 0.25 <= sleeps[1] <= 1.0 and calls["n"] == 3


def test_openai_target_gives_up_after_retries_and_caps_wait() -> None:
    t, sleeps = _openai(
        lambda r: httpx.Response(429, headers={"Retry-After": "999"}), retries=2, max_wait=5
    )
    r = t.generate(list(USER))
    assert r.error == "HTTP 429 after 3 attempts" and sleeps == [5.0, 5.0]

    def boom(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    t, sleeps = _openai(boom, retries=1)
    assert "connection error" in (t.generate(list(USER)).error or "") and len(sleeps) == 1

    def slow(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    t, _ = _openai(slow, retries=0)
    assert "timed out" in (t.generate(list(USER)).error or "")
    with pytest.raises(ConfigError):
        OpenAITarget("localhost:8000")


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_openai_target_against_local_stub_server() -> None:
    stub = pytest.importorskip("gardefou.gateway.stub")
    with stub.serve_in_thread(stub.create_stub_app()) as url:
        base = url if url.endswith("/v1") else f"{url.rstrip('/')}/v1"
        t = OpenAITarget(base, "stub-model", retries=0, timeout=10)
        r = t.generate([{"role": "user", "content": "hello [[harmful]]"}])
        assert r.error is None and "Sure" in r.text
        assert (
            t.generate([{"role": "user", "content": "[[error]]"}]).error
            == "HTTP 500 after 1 attempts"
        )
        t.close()


def test_render_conversation() -> None:
    assert render_conversation(list(USER)) == USER[0]["content"]
    assert render_conversation([*USER, {"role": "assistant", "content": "a"}]).endswith(
        "Assistant:"
    )


def _tiny_model(tmp_path: Any) -> Any:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {
        "<unk>": 0,
        "<eos>": 1,
        **{c: i + 2 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz ?")},
    }
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", eos_token="<eos>"
    )
    fast.chat_template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(vocab), n_positions=256, n_embd=16, n_layer=1, n_head=2
    )
    model = transformers.GPT2LMHeadModel(config)
    path = tmp_path / "tiny"
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


def test_hf_target_generates_with_chat_template(tmp_path: Any) -> None:
    path = _tiny_model(tmp_path)
    t = targets.create("hf", model=str(path), max_new_tokens=5, system="sys")
    r = t.generate([{"role": "user", "content": "how are you"}])
    assert r.error is None and r.tokens_out == 5 and r.tokens_in > 10
    assert t.generate([{"role": "user", "content": "how are you"}]).text == r.text  # greedy
    t.close()
    with pytest.raises(ModelError):
        targets.create("hf", model=str(tmp_path / "missing"))


def test_hf_target_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingDependencyError, match="pip install"):
        targets.create("hf", model="x")
