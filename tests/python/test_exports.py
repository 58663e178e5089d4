"""What the emulator exports, read back with real client libraries:
Logpush batches (gzipped NDJSON whose Metadata, RequestBody and
ResponseBody are RSA-OAEP + AES-GCM encrypted with the gateway's public
key) decrypted with `cryptography`, and OTLP/HTTP spans decoded with the
official `opentelemetry-proto` package, field by field."""
import base64
import gzip
import json
import uuid

import openai
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


@pytest.fixture(scope="module")
def keypair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, pem


def decrypt(private, field):
    assert field["type"] == "encrypted", field
    key = private.decrypt(
        base64.b64decode(field["key"]),
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    return AESGCM(key).decrypt(base64.b64decode(field["iv"]), base64.b64decode(field["data"]), None)


def lines_for(collector, gateway, n=1):
    """The gateway's Logpush lines, once `n` have arrived (over any number of batches)."""

    def mine(body):
        return [json.loads(l) for l in gzip.decompress(body).splitlines() if json.loads(l)["Gateway"] == gateway]

    def enough(_h, _body):
        return sum(len(mine(b)) for p, _, b in collector.received if p == "/logpush") >= n

    headers, _ = collector.wait("/logpush", enough)
    assert headers["content-encoding"] == "gzip" and headers["content-type"] == "application/x-ndjson"
    return [l for p, _, b in list(collector.received) if p == "/logpush" for l in mine(b)]


def ask(emulator, gw, content, **headers):
    client = openai.OpenAI(base_url=emulator.url(gw, "openai"), api_key="sk-test", max_retries=0)
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": content}], extra_headers=headers
    )


def test_logpush_lines_decrypt_with_the_private_key(emulator, collector, keypair):
    private, pem = keypair
    gw = emulator.gateway()
    emulator.update(gw, logpush=True, logpush_public_key=pem)
    question = f"Where is my order {uuid.uuid4().hex[:6]}?"
    answer = ask(emulator, gw, question, **{"cf-aig-metadata": json.dumps({"team": "support"})})
    [line] = lines_for(collector, gw)
    assert (line["Provider"], line["Model"], line["StatusCode"], line["Cached"]) == ("openai", "gpt-4o-mini", 200, False)
    assert line["Endpoint"].endswith("/openai/chat/completions")
    assert line["Metrics"]["tokensOut"] == answer.usage.completion_tokens and line["Metrics"]["cost"] > 0
    request = json.loads(decrypt(private, line["RequestBody"]))
    assert request["messages"][0]["content"] == question
    response = json.loads(decrypt(private, line["ResponseBody"]))
    assert response["choices"][0]["message"]["content"] == answer.choices[0].message.content
    assert json.loads(decrypt(private, line["Metadata"])) == {"team": "support"}
    # Another key cannot open it.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValueError):
        decrypt(other, line["RequestBody"])


def test_a_key_that_is_not_an_rsa_public_key_is_refused(emulator):
    gw = emulator.gateway()
    status, out = emulator.api("GET", f"/gateways/{gw}")
    body = {k: v for k, v in out["result"].items() if k not in ("id", "created_at", "modified_at", "is_default")}
    body.update(logpush=True, logpush_public_key="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host")
    status, out = emulator.api("PUT", f"/gateways/{gw}", body)
    assert status == 400 and out["errors"][0]["code"] == 7001, out
    assert out["errors"][0]["path"] == ["logpush_public_key"] and "PEM" in out["errors"][0]["message"], out


def test_zero_data_retention_keeps_no_prompt_and_no_answer(emulator, collector, keypair):
    _private, pem = keypair
    gw = emulator.gateway(cache_ttl=600)
    emulator.update(gw, zdr=True, logpush=True, logpush_public_key=pem)
    for _ in range(2):
        ask(emulator, gw, "a private question")
    lines = lines_for(collector, gw, n=2)
    assert all(l["RequestBody"] is None and l["ResponseBody"] is None for l in lines), lines
    assert not any(l["Cached"] for l in lines), "no answer is kept, in the cache either"
    [entry, *_] = emulator.logs(gw)
    status = emulator.http.get(
        f"/client/v4/accounts/{'0123456789abcdef0123456789abcdef'}/ai-gateway/gateways/{gw}/logs/{entry['id']}/request",
        headers={"Authorization": "Bearer py-token"},
    )
    assert status.status_code == 404 or status.json()["result"] in (None, ""), status.text


def attributes(span):
    out = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind)
    return out


def test_otlp_protobuf_spans_decode_with_opentelemetry_proto(emulator, collector):
    gw = emulator.gateway()
    emulator.update(gw, otel=[{"url": f"{collector.url}/v1/traces", "headers": {"x-api-key": "k1"},
                               "content_type": "protobuf"}])
    trace_id, parent = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    answer = ask(emulator, gw, "Trace me", **{
        "cf-aig-otel-trace-id": trace_id, "cf-aig-otel-parent-span-id": parent,
        "cf-aig-metadata": json.dumps({"team": "search", "gen_ai.system": "reserved"}),
    })

    def ours(h, body):
        req = ExportTraceServiceRequest.FromString(body)
        return any(s.trace_id.hex() == trace_id for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans)

    headers, body = collector.wait("/v1/traces", ours)
    assert headers["content-type"] == "application/x-protobuf" and headers["x-api-key"] == "k1"
    req = ExportTraceServiceRequest.FromString(body)
    resource = {kv.key: kv.value.string_value for kv in req.resource_spans[0].resource.attributes}
    assert resource["cloudflare.ai_gateway.id"] == gw and resource["service.name"] == "ai-gateway"
    [span] = [s for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans if s.trace_id.hex() == trace_id]
    assert span.parent_span_id.hex() == parent and len(span.span_id) == 8
    assert span.kind == 3 and span.status.code == 1 and span.end_time_unix_nano >= span.start_time_unix_nano > 0
    a = attributes(span)
    assert (a["gen_ai.request.model"], a["gen_ai.model.provider"]) == ("gpt-4o-mini", "openai")
    assert a["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens
    assert a["gen_ai.usage.output_tokens"] == answer.usage.completion_tokens
    assert a["gen_ai.usage.cost"] > 0 and a["http.response.status_code"] == 200
    assert json.loads(a["gen_ai.prompt_json"])["messages"][0]["content"] == "Trace me"
    assert answer.choices[0].message.content in a["gen_ai.completion_json"]
    assert a["team"] == "search" and "gen_ai.system" not in a


def test_otlp_json_spans_are_otlp_json(emulator, collector):
    gw = emulator.gateway()
    emulator.update(gw, otel=[{"url": f"{collector.url}/v1/traces-json", "headers": {}}])
    trace_id = uuid.uuid4().hex
    ask(emulator, gw, "JSON please", **{"cf-aig-otel-trace-id": trace_id})

    def ours(h, body):
        return trace_id in body.decode()

    headers, body = collector.wait("/v1/traces-json", ours)
    assert headers["content-type"] == "application/json"
    doc = json.loads(body)
    # Every field name and type is one OTLP knows (unknown fields raise).
    json_format.Parse(body, ExportTraceServiceRequest(), ignore_unknown_fields=False)
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == trace_id, "OTLP/JSON writes ids in hex"
    assert "parentSpanId" not in span
    assert isinstance(span["startTimeUnixNano"], str) and int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"])
    values = {kv["key"]: kv["value"] for kv in span["attributes"]}
    assert values["gen_ai.usage.input_tokens"]["intValue"].isdigit()
    assert values["gen_ai.request.model"] == {"stringValue": "gpt-4o-mini"}
