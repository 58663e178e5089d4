"""Human feedback on logs: PATCH /logs/{id} with feedback, score and
metadata, as Cloudflare's evaluations docs use it, through httpx and the
stock OpenAI SDK's log id header."""
import json

import openai

from conftest import ACCOUNT, TOKEN
from test_sdks import wait_for_logs


def test_feedback_score_and_metadata_are_patched_onto_a_log(emulator):
    gw = emulator.gateway()
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test",
                           default_headers={"cf-aig-metadata": json.dumps({"user": "ann"})})
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "rate me"}])
    log_id = raw.headers["cf-aig-log-id"]
    wait_for_logs(emulator, gw, 1)

    status, out = emulator.api("PATCH", f"/gateways/{gw}/logs/{log_id}",
                               {"feedback": 1, "score": 87.5, "metadata": {"user": "ann", "reviewed": True}})
    assert status == 200, out
    status, out = emulator.api("GET", f"/gateways/{gw}/logs/{log_id}")
    log = out["result"]
    assert (log["feedback"], log["score"]) == (1, 87.5)
    assert isinstance(log["metadata"], str), "Cloudflare's log API types metadata as a string"
    assert json.loads(log["metadata"]) == {"user": "ann", "reviewed": True}
    # The feedback is a list filter key.
    rows = emulator.logs(gw, filters=[{"key": "feedback", "operator": "eq", "value": [1]}])
    assert [r["id"] for r in rows] == [log_id]

    # null clears; a PATCH sets only what it names.
    status, out = emulator.api("PATCH", f"/gateways/{gw}/logs/{log_id}", {"feedback": None})
    assert status == 200 and out["result"]["feedback"] is None and out["result"]["score"] == 87.5


def test_bad_feedback_is_answered_with_cloudflares_envelope(emulator):
    gw = emulator.gateway()
    status, out = emulator.api("PATCH", f"/gateways/{gw}/logs/01NOSUCHLOG", {"feedback": 1})
    assert status == 404 and out["errors"][0]["code"] == 7002
    openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    log_id = wait_for_logs(emulator, gw, 1)[0]["id"]
    status, out = emulator.api("PATCH", f"/gateways/{gw}/logs/{log_id}",
                               {"feedback": 5, "score": 101, "metadata": {"nested": {"a": 1}}})
    assert status == 400
    assert [e["path"] for e in out["errors"]] == [["feedback"], ["score"], ["metadata"]]
    assert all(e["code"] == 7001 for e in out["errors"])
