"""Bad input and faults: 400/413/422 naming the field, never a 500; guard failures fail closed."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import chat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gardefou.gateway import create_app, parse_config
from gardefou.guard import Guard


@pytest.fixture
def client(make_app: Any) -> Any:
    with TestClient(make_app(limits={"max_body_bytes": 2048})) as c:
        yield c


def test_invalid_json_and_utf8_are_400(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    r = client.post("/v1/chat/completions", content=b'{"model": ', headers=headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = client.post("/v1/chat/completions", content=b'{"model": "\xc3\x28"}', headers=headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_utf8"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "stub-model"}, "messages"),
        ({"model": "stub-model", "messages": []}, "messages"),
        ({"model": "stub-model", "messages": [{"content": "x"}]}, "messages.0.role"),
        ({"model": "stub-model", "messages": "hi"}, "messages"),
        ({"model": 5, "messages": [{"role": "user", "content": "x"}]}, "model"),
        (
            {"model": "stub-model", "messages": [{"role": "user", "content": 3}]},
            "messages.0.content",
        ),
    ],
)
def test_wrong_fields_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["param"].startswith(field) and f"'{err['param']}'" in err["message"]


def test_moderation_input_validation(client: TestClient) -> None:
    assert client.post("/v1/moderations", json={}).json()["error"]["param"] == "input"
    r = client.post("/v1/moderations", json={"input": []})
    assert r.status_code == 422
    assert client.post("/v1/moderations", json={"input": ["x"] * 300}).status_code == 422
    assert client.post("/v1/completions", json={"model": "m"}).json()["error"]["param"] == "prompt"


def test_non_finite_numbers_are_400(client: TestClient) -> None:
    raw = b'{"model": "stub-model", "messages": [{"role": "user", "content": "x"}], "t": Infinity}'
    r = client.post(
        "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


def test_body_over_limit_is_413_by_header_and_by_count(client: TestClient) -> None:
    big = chat("x" * 5000)
    r = client.post("/v1/chat/completions", json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

    def chunks() -> Any:  # no Content-Length: the bytes are counted as they arrive
        for _ in range(10):
            yield b" " * 500

    r = client.post(
        "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    r = client.post("/v1/chat/completions", content=b"{}", headers={"content-length": "abc"})
    assert r.status_code == 400


def test_unexpected_errors_become_502_without_user_text(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("secret user text")

    app.state.gateway.limiter.acquire = boom
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.post("/v1/chat/completions", json=chat("my secret prompt"))
    assert r.status_code == 502 and r.json()["error"]["type"] == "gateway_error"
    assert "ZeroDivisionError" in caplog.text
    assert "secret" not in caplog.text


def test_guard_failure_fails_closed_unless_tier_fails_open(make_app: Any) -> None:
    tiers = {
        "default": {"policy": "strict-fake"},
        "lab": {"policy": "strict-fake", "fail_open": True},
    }
    closed = make_app(tiers=tiers)
    with TestClient(closed) as c:
        r = c.post("/v1/chat/completions", json=chat("GUARDCRASH"))
        assert r.json()["choices"][0]["finish_reason"] == "content_filter"
        assert "gardefou_errors_total" in c.get("/metrics").text
    opened = make_app(tiers=tiers, auth={"enabled": False, "open_tier": "lab"})
    with TestClient(opened) as c:
        assert (
            c.post("/v1/chat/completions", json=chat("GUARDCRASH")).json()["choices"][0][
                "finish_reason"
            ]
            == "stop"
        )
        assert (
            c.post("/v1/chat/completions", json=chat("bomb")).json()["choices"][0]["finish_reason"]
            == "content_filter"
        )  # failing open never unblocks a real detection


def test_guard_timeout_and_guard_exception(make_app: Any, gateway_config: Any) -> None:
    with TestClient(make_app(guard={"timeout_s": 0.2})) as c:
        r = c.post("/v1/chat/completions", json=chat("GUARDSLOW"))
        assert r.json()["choices"][0]["finish_reason"] == "content_filter"
        mod = c.post("/v1/moderations", json={"input": ["GUARDSLOW"]}).json()
        assert (
            mod["results"][0]["flagged"] and "timed out" in mod["results"][0]["gardefou"]["error"]
        )

    class Exploding(Guard):
        def check_conversation(self, messages: Any, direction: str = "input") -> Any:
            raise MemoryError

        def check_many(self, texts: Any, direction: str = "input") -> Any:
            raise MemoryError

    def factory(policy: str) -> Guard:
        from gateway_helpers import keyword_guard

        g = keyword_guard(policy)
        return Exploding(g.policy, g.detectors)

    with TestClient(create_app(gateway_config(), guard_factory=factory)) as c:
        r = c.post("/v1/chat/completions", json=chat("hello"))
        assert r.json()["choices"][0]["finish_reason"] == "content_filter"
        assert c.post("/v1/moderations", json={"input": "x"}).json()["results"][0]["flagged"]


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)
_bodies = st.one_of(
    _json,
    st.fixed_dictionaries(
        {"model": st.one_of(st.just("stub-model"), _json)},
        optional={
            "messages": st.one_of(
                _json,
                st.lists(
                    st.fixed_dictionaries(
                        {"role": st.sampled_from(["user", "assistant", "system"])},
                        optional={"content": _json},
                    ),
                    max_size=3,
                ),
            ),
            "prompt": _json,
            "input": _json,
            "stream": _json,
        },
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/v1/chat/completions", "/v1/completions", "/v1/moderations"]),
    body=_bodies,
    raw=st.one_of(st.none(), st.binary(max_size=64)),
)
def test_fuzzed_requests_never_get_a_500(
    fuzz_client: TestClient, path: str, body: Any, raw: Any
) -> None:
    if raw is None:
        r = fuzz_client.post(path, json=body)
    else:
        r = fuzz_client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500 or r.status_code in (502, 503, 504), (r.status_code, r.text)
    assert "error" in r.json() if r.status_code >= 400 else True


@pytest.fixture(scope="module")
def fuzz_client(stub_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from gateway_helpers import keyword_guard

    tmp = tmp_path_factory.mktemp("fuzz")
    cfg = parse_config(
        {
            "upstream": {"base_url": stub_url, "timeout_s": 1.0},
            "auth": {"enabled": False},
            "database": {"url": f"sqlite:///{tmp / 'f.db'}"},
            "audit": {"spool_path": str(tmp / "s.jsonl")},
        }
    )
    with TestClient(create_app(cfg, guard_factory=keyword_guard)) as c:
        yield c


@pytest.mark.slow
def test_openapi_schema_fuzzing_with_schemathesis(fuzz_client: TestClient) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)
    ops = [op.ok() for op in schema.get_all_operations() if op.ok().method.upper() == "POST"]
    assert len(ops) == 3
    for op in ops:
        _fuzz_operation(op)


def _fuzz_operation(op: Any) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call()
        assert response.status_code != 500, (op.path, response.status_code)

    run()
