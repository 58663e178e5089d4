"""The stock OpenAI and Anthropic SDKs against `aigw emulator --simulate`,
changing nothing but the base URL."""
import json
import time

import anthropic
import httpx
import openai
import pytest

from conftest import ACCOUNT


def wait_for_logs(emulator, gateway, n):
    """Logs are written off the request path; give the writer a moment."""
    for _ in range(100):
        rows = emulator.logs(gateway)
        if len(rows) >= n:
            return rows
        time.sleep(0.02)
    return emulator.logs(gateway)


def test_openai_completion_and_stream(emulator):
    gw = emulator.gateway()
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test")
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    assert r.choices[0].message.content.startswith("Simulated openai gpt-4o-mini")
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0

    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Say hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == r.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == r.usage.completion_tokens

    rows = wait_for_logs(emulator, gw, 2)
    assert [row["stream"] for row in rows] == [False, True]
    assert rows[1]["tokens_out"] == r.usage.completion_tokens


def test_openai_responses_api(emulator):
    gw = emulator.gateway()
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test")
    r = client.responses.create(model="gpt-4o-mini", input="Write one word")
    assert "Write one word" in r.output_text
    events = [e.type for e in client.responses.create(model="gpt-4o-mini", input="Write one word", stream=True)]
    assert events[0] == "response.created" and events[-1] == "response.completed"


def test_anthropic_message_and_stream(emulator):
    gw = emulator.gateway()
    client = anthropic.Anthropic(base_url=emulator.url(gw, "anthropic"), api_key="sk-ant-test")
    m = client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "Hi Claude"}]
    )
    assert m.content[0].text.endswith("Hi Claude")
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "Hi Claude"}]
    ) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == m.content[0].text
    assert final.usage.output_tokens == m.usage.output_tokens
    rows = wait_for_logs(emulator, gw, 2)
    assert rows[1]["stream"] and rows[1]["tokens_in"] == m.usage.input_tokens
    assert rows[1]["tokens_out"] == m.usage.output_tokens


def test_repeated_request_is_a_cache_hit_without_an_upstream_call(emulator):
    gw = emulator.gateway(cache_ttl=3600)
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test")
    ask = dict(model="gpt-4o", messages=[{"role": "user", "content": f"cache me {gw}"}])
    before = emulator.calls().get("openai", {}).get("gpt-4o", 0)
    first = client.chat.completions.with_raw_response.create(**ask)
    second = client.chat.completions.with_raw_response.create(**ask)
    assert first.headers["cf-aig-cache-status"] == "MISS"
    assert second.headers["cf-aig-cache-status"] == "HIT"
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert emulator.calls()["openai"]["gpt-4o"] == before + 1, "the second call never reached the upstream"
    # cf-aig-skip-cache goes upstream again.
    third = client.chat.completions.with_raw_response.create(**ask, extra_headers={"cf-aig-skip-cache": "true"})
    assert "cf-aig-cache-status" not in third.headers
    assert emulator.calls()["openai"]["gpt-4o"] == before + 2


def test_rate_limited_gateway_raises_rate_limit_error(emulator):
    gw = emulator.gateway(rate_limiting_limit=2, rate_limiting_interval=60, rate_limiting_technique="fixed")
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test", max_retries=0)
    ask = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    client.chat.completions.create(**ask)
    client.chat.completions.create(**ask)
    with pytest.raises(openai.RateLimitError) as e:
        client.chat.completions.create(**ask)
    assert e.value.status_code == 429
    assert e.value.response.json()["error"][0]["code"] == 2003


def test_authenticated_gateway(emulator):
    gw = emulator.gateway(authentication=True)
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test", max_retries=0)
    ask = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(**ask)
    ok = client.chat.completions.create(**ask, extra_headers={"cf-aig-authorization": "Bearer py-token"})
    assert ok.choices[0].message.content


def test_fallback_universal_and_dynamic_route_answer_from_step_1(emulator):
    gw = emulator.gateway()
    emulator.fault(provider="openai", status=503)

    # The universal endpoint: openai fails, anthropic answers.
    steps = [
        {"provider": "openai", "endpoint": "chat/completions", "headers": {"authorization": "Bearer sk-test"},
         "query": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "universal"}]}},
        {"provider": "anthropic", "endpoint": "v1/messages", "headers": {"x-api-key": "sk-ant-test"},
         "query": {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "universal"}]}},
    ]
    r = httpx.post(emulator.url(gw), json=steps, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["cf-aig-step"] == "1"
    assert r.json()["type"] == "message"

    # A dynamic route (what aigw_fallback creates): model "dynamic/chat".
    elements = [
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "s1"}}},
        {"id": "s1", "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "s2"}},
         "properties": {"provider": "openai", "model": "gpt-4o-mini", "retries": 1, "timeout": 5000}},
        {"id": "s2", "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}},
         "properties": {"provider": "workers-ai", "model": "@cf/meta/llama-3.1-8b-instruct", "retries": 0, "timeout": 5000}},
        {"id": "end", "type": "end", "outputs": {}},
    ]
    status, out = emulator.api("POST", f"/gateways/{gw}/routes", {"name": "chat", "elements": elements})
    assert status == 200, out
    client = openai.OpenAI(base_url=emulator.url(gw, "compat"), api_key="sk-test", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="dynamic/chat", messages=[{"role": "user", "content": "route me"}]
    )
    assert raw.headers["cf-aig-step"] == "1"
    assert raw.headers["cf-aig-provider"] == "workers-ai"
    assert raw.headers["cf-aig-model"] == "@cf/meta/llama-3.1-8b-instruct"
    assert "workers-ai" in raw.parse().choices[0].message.content
    # openai was tried twice (1 retry) for the route, once for the universal request.
    assert emulator.calls()["openai"]["gpt-4o-mini"] >= 3

    rows = wait_for_logs(emulator, gw, 2)
    assert [(row["request_type"], row["step"], row["status_code"]) for row in rows] == [
        ("universal", 1, 200),
        ("compat", 1, 200),
    ]
    assert rows[1]["attempts"] == 3


def test_logs_api_lists_every_request(emulator):
    gw = emulator.gateway(cache_ttl=3600, rate_limiting_limit=3, rate_limiting_interval=60)
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test", max_retries=0)
    ask = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "log me"}])
    first = client.chat.completions.create(**ask, extra_headers={"cf-aig-metadata": '{"team": "support", "n": 1}'})
    client.chat.completions.create(**ask)  # cache hit
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "other"}])
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(**ask)
    rows = wait_for_logs(emulator, gw, 4)
    assert [(r["cached"], r["status_code"], r["step"]) for r in rows] == [
        (False, 200, 0),
        (True, 200, 0),
        (False, 200, 0),
        (False, 429, 0),
    ]
    assert rows[0]["tokens_in"] == first.usage.prompt_tokens
    assert rows[0]["tokens_out"] == first.usage.completion_tokens
    assert rows[0]["cost"] > 0 and rows[1]["cost"] == 0
    # Cloudflare's log API types metadata as a JSON string.
    assert json.loads(rows[0]["metadata"]) == {"team": "support", "n": 1}
    assert all(r["provider"] == "openai" for r in rows)
    # Filters, as Cloudflare's API takes them.
    hits = emulator.logs(gw, filters=[{"key": "cached", "operator": "eq", "value": [True]}])
    assert [r["id"] for r in hits] == [rows[1]["id"]]
    team = emulator.logs(gw, filters=[{"key": "metadata.value", "operator": "eq", "value": ["support"]}])
    assert len(team) == 1
    body = emulator.http.get(
        f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways/{gw}/logs/{rows[0]['id']}/response",
        headers={"Authorization": "Bearer py-token"},
    ).json()["result"]
    assert body["choices"][0]["message"]["content"] == first.choices[0].message.content
