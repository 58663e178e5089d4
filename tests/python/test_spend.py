"""Spend limits as the stock SDKs see them: once a budget cannot cover a
request, the SDK raises RateLimitError (HTTP 429) carrying Cloudflare's
runtime body with code 2045 and the rule's name; nothing reaches the
upstream; streamed requests are refused the same way; another partition
keeps its own budget."""
import json

import anthropic
import openai
import pytest

COST = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.25})}


def spend_body(exc, rule):
    assert exc.status_code == 429
    body = exc.response.json()
    assert body["success"] is False and body["name"] == "AiGatewayError", body
    assert body["httpCode"] == 429 and body["error"][0]["code"] == 2045, body
    assert f"rule '{rule}'" in body["error"][0]["message"], body
    return body


def limits(*rules):
    return {"enabled": True, "rules": list(rules)}


def team(name):
    return {"cf-aig-metadata": json.dumps({"team": name}), **COST}


def test_openai_sdk_gets_429_with_2045_once_the_budget_is_spent(emulator):
    gw = emulator.gateway()
    emulator.update(gw, spend_limits=limits({"id": "daily", "limit": 1, "window": 86400, "technique": "fixed",
                                             "metadata": {"team": {"mode": "partition"}}}))
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test", max_retries=0)

    def ask(who, **kw):
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_headers=team(who), **kw
        )

    for _ in range(4):
        assert ask("search").choices[0].message.content
    before = emulator.calls().get("openai", {}).get("gpt-4o-mini", 0)
    with pytest.raises(openai.RateLimitError) as e:
        ask("search")
    spend_body(e.value, "daily")
    with pytest.raises(openai.RateLimitError) as e:
        ask("search", stream=True)
    spend_body(e.value, "daily")
    assert emulator.calls().get("openai", {}).get("gpt-4o-mini", 0) == before, "a refused request never goes upstream"
    assert ask("ads").choices[0].message.content, "another team has its own dollar"


def test_anthropic_sdk_gets_429_with_2045_for_a_model_cap(emulator):
    gw = emulator.gateway()
    emulator.update(gw, spend_limits=limits({"id": "haiku-cap", "limit": 0.5, "window": 3600,
                                             "model": {"mode": "filter", "values": ["claude-haiku-4-5"]}}))
    client = anthropic.Anthropic(base_url=emulator.url(gw, "anthropic"), api_key="sk-ant-test", max_retries=0)

    def ask(**kw):
        return client.messages.create(
            model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "hi"}],
            extra_headers=COST, **kw
        )

    assert ask().content[0].text and ask().content[0].text
    with pytest.raises(anthropic.RateLimitError) as e:
        ask()
    spend_body(e.value, "haiku-cap")
    with pytest.raises(anthropic.RateLimitError) as e:
        with ask(stream=True) as s:
            for _ in s:
                pass
    spend_body(e.value, "haiku-cap")
