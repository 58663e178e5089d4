"""The REST API Cloudflare recommends for new integrations
(`/client/v4/accounts/{account}/ai/v1/...`), through the stock OpenAI and
Anthropic SDKs with only the base URL changed: the Cloudflare token is the
SDK's API key, the gateway comes from `cf-aig-gateway-id` (else `default`),
and the provider key is a stored BYOK key."""
import anthropic
import httpx
import openai
import pytest

from conftest import ACCOUNT, TOKEN
from test_sdks import wait_for_logs


def rest_base(emulator):
    return f"{emulator.base}/client/v4/accounts/{ACCOUNT}/ai"


def byok_gateway(emulator, **settings):
    gw = emulator.gateway(authentication=True, **settings)
    for slug, secret in (("openai", "sk-byok-openai-000001"), ("anthropic", "sk-ant-byok-00000001"),
                         ("workers-ai", "cf-byok-workers-0001")):
        status, out = emulator.api("POST", f"/gateways/{gw}/provider_configs",
                                   {"provider_slug": slug, "alias": "default", "secret": secret})
        assert status == 200, out
    return gw


def openai_client(emulator, gw, **kw):
    return openai.OpenAI(base_url=f"{rest_base(emulator)}/v1", api_key=TOKEN,
                         default_headers={"cf-aig-gateway-id": gw}, **kw)


def test_openai_sdk_chat_and_stream_through_the_rest_api(emulator):
    gw = byok_gateway(emulator)
    client = openai_client(emulator, gw)
    r = client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Say hi"}])
    assert r.choices[0].message.content.startswith("Simulated openai gpt-4o-mini")
    chunks = list(client.chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Say hi"}], stream=True,
        stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == r.choices[0].message.content

    # Another provider through the same endpoint.
    r = client.chat.completions.create(model="workers-ai/@cf/meta/llama-3.1-8b-instruct",
                                       messages=[{"role": "user", "content": "Say hi"}])
    assert "workers-ai" in r.choices[0].message.content

    rows = wait_for_logs(emulator, gw, 3)
    assert [(row["provider"], row["stream"], row["byok_alias"]) for row in rows] == [
        ("openai", False, "default"), ("openai", True, "default"), ("workers-ai", False, "default")]
    assert all(row["path"].endswith("/ai/v1/chat/completions") for row in rows)


def test_openai_sdk_responses_through_the_rest_api(emulator):
    gw = byok_gateway(emulator)
    client = openai_client(emulator, gw)
    r = client.responses.create(model="openai/gpt-4o-mini", input="Write one word")
    assert "Write one word" in r.output_text
    events = [e.type for e in client.responses.create(model="openai/gpt-4o-mini", input="Write one word", stream=True)]
    assert events[0] == "response.created" and events[-1] == "response.completed"


def test_anthropic_sdk_messages_and_stream_through_the_rest_api(emulator):
    gw = byok_gateway(emulator)
    client = anthropic.Anthropic(base_url=rest_base(emulator), api_key=TOKEN,
                                 default_headers={"cf-aig-gateway-id": gw})
    m = client.messages.create(model="anthropic/claude-haiku-4-5", max_tokens=100,
                               messages=[{"role": "user", "content": "Hi Claude"}])
    assert m.content[0].text.startswith("Simulated anthropic claude-haiku-4-5")
    with client.messages.stream(model="anthropic/claude-haiku-4-5", max_tokens=100,
                                messages=[{"role": "user", "content": "Hi Claude"}]) as s:
        text = "".join(s.text_stream)
    assert text == m.content[0].text
    rows = wait_for_logs(emulator, gw, 2)
    assert [(row["provider"], row["model"], row["byok_alias"]) for row in rows] == [
        ("anthropic", "claude-haiku-4-5", "default")] * 2


def test_a_fallback_through_a_dynamic_route_on_the_rest_api(emulator):
    gw = byok_gateway(emulator)
    elements = [
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "a"}}},
        {"id": "a", "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "b"}},
         "properties": {"provider": "anthropic", "model": "claude-haiku-4-5", "retries": 0, "timeout": 5000}},
        {"id": "b", "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}},
         "properties": {"provider": "openai", "model": "gpt-4o-mini", "retries": 0, "timeout": 5000}},
        {"id": "end", "type": "end", "outputs": {}},
    ]
    status, out = emulator.api("POST", f"/gateways/{gw}/routes", {"name": "support", "elements": elements})
    assert status == 200, out
    emulator.fault(provider="anthropic", status=529)
    try:
        raw = openai_client(emulator, gw, max_retries=0).chat.completions.with_raw_response.create(
            model="dynamic/support", messages=[{"role": "user", "content": "route me"}])
    finally:
        emulator.clear_faults()
    assert (raw.headers["cf-aig-step"], raw.headers["cf-aig-provider"]) == ("1", "openai")
    assert "openai" in raw.parse().choices[0].message.content


def test_the_default_gateway_is_created_on_first_use(emulator):
    status, _ = emulator.api("GET", "/gateways/default")
    if status == 200:
        emulator.api("DELETE", "/gateways/default")
    client = openai.OpenAI(base_url=f"{rest_base(emulator)}/v1", api_key=TOKEN, max_retries=0)
    # No key anywhere for openai on a brand-new gateway: Unified Billing pays, as on Cloudflare.
    r = client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content
    status, out = emulator.api("GET", "/gateways/default")
    assert status == 200, out
    g = out["result"]
    assert (g["authentication"], g["collect_logs"], g["cache_ttl"], g["is_default"]) == (True, True, 0, True)


def test_rest_api_errors_use_cloudflares_shapes(emulator):
    url = f"{rest_base(emulator)}/v1/chat/completions"
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(url, json=body)
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == 9106
    r = httpx.post(url, json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == 10000
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.post(url, json={**body, "model": "gpt-4o-mini"}, headers=auth)
    assert r.status_code == 400 and r.json()["error"][0]["code"] == 2019
    r = httpx.post(url, json=body, headers={**auth, "cf-aig-gateway-id": "no-such-gateway"})
    assert r.json()["error"][0]["code"] == 2001
    r = httpx.post(f"{rest_base(emulator)}/run/nope/thing", json={"prompt": "x"}, headers=auth)
    assert r.status_code == 404 and r.json()["error"][0]["code"] == 7003
    r = httpx.post(f"{rest_base(emulator)}/v1/messages", json={**body, "max_tokens": 5}, headers=auth)
    assert r.status_code == 400 and "anthropic models" in r.json()["error"][0]["message"]
    # A Workers AI model through /ai/run.
    r = httpx.post(f"{rest_base(emulator)}/run/@cf/meta/llama-3.1-8b-instruct",
                   json={"messages": [{"role": "user", "content": "hi"}]}, headers=auth)
    assert r.status_code == 200, r.text


def test_newer_providers_on_the_rest_api(emulator):
    gw = byok_gateway(emulator)
    sa = '{"type": "service_account", "project_id": "acme-ml", "region": "us-central1"}'
    status, out = emulator.api("POST", f"/gateways/{gw}/provider_configs",
                               {"provider_slug": "google-vertex-ai", "alias": "default", "secret": sa})
    assert status == 200, out
    client = openai_client(emulator, gw)
    for model in ("google-vertex-ai/google/gemini-2.5-flash", "baseten/deepseek-ai/DeepSeek-V3", "parallel/speed"):
        r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert r.choices[0].message.content, model
    rows = wait_for_logs(emulator, gw, 3)
    assert [row["provider"] for row in rows] == ["google-vertex-ai", "baseten", "parallel"]
    calls = emulator.calls()
    assert calls["google-vertex-ai"]["google/gemini-2.5-flash"] >= 1


def test_vertex_without_a_service_account_key_says_what_is_missing(emulator):
    gw = emulator.gateway(authentication=True)
    r = httpx.post(f"{rest_base(emulator)}/v1/chat/completions",
                   json={"model": "google-vertex-ai/google/gemini-2.5-flash", "messages": []},
                   headers={"Authorization": f"Bearer {TOKEN}", "cf-aig-gateway-id": gw})
    assert r.status_code == 400
    assert r.json()["error"][0]["code"] == 2019
    assert "service-account" in r.json()["error"][0]["message"]
