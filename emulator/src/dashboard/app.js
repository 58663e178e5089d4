// The emulator dashboard: plain JavaScript, no dependencies, no build step.
// It reads /__aigw/dashboard/* and redraws on each server-sent `log` event.
"use strict";

const COLORS = ["#f6821f", "#2f6fde", "#1a7f37", "#9c27b0", "#c62828", "#00838f", "#795548", "#5d6b82"];
const METRICS = [
  ["requests", "Requests"], ["errors", "Errors"], ["cached", "Cache hits"],
  ["tokens", "Tokens"], ["cost", "Cost (USD)"], ["p50", "Latency p50 (ms)"], ["p99", "Latency p99 (ms)"],
];
const state = { gateways: [], selected: null, log: null, timer: null };

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const key = (g) => `${g.account_id}/${g.gateway.id}`;
const get = (url) => fetch(url).then((r) => r.json());
const money = (n) => (n || 0).toFixed(n >= 1 ? 2 : 6);

async function loadGateways() {
  state.gateways = (await get("/__aigw/dashboard/gateways")).gateways;
  const ul = $("#gateways");
  ul.innerHTML = state.gateways.map((g) => {
    const s = g.summary;
    return `<li data-gateway="${esc(g.gateway.id)}" data-key="${esc(key(g))}" class="${key(g) === state.selected ? "selected" : ""}">
      <div class="id">${esc(g.gateway.id)}</div>
      <div class="stats">${s.requests} requests · ${s.errors} errors · ${Math.round(s.cache_hit_rate * 100)}% cached</div></li>`;
  }).join("");
  $("#no-gateways").hidden = state.gateways.length > 0;
  ul.querySelectorAll("li").forEach((li) => li.addEventListener("click", () => select(li.dataset.key)));
  if (!state.selected && state.gateways.length) select(key(state.gateways[0]));
  else if (state.selected) renderGateway();
}

function current() {
  return state.gateways.find((g) => key(g) === state.selected);
}

function select(k) {
  state.selected = k;
  state.log = null;
  $("#detail").hidden = true;
  document.querySelectorAll("#gateways li").forEach((li) => li.classList.toggle("selected", li.dataset.key === k));
  $("#filter-provider").innerHTML = '<option value="">any</option>';
  renderGateway();
  refresh();
}

function renderGateway() {
  const g = current();
  if (!g) return;
  $("#main").hidden = false;
  const gw = g.gateway, s = g.summary;
  $("#gateway-title").textContent = `${gw.id}  (account ${g.account_id})`;
  $("#totals").innerHTML = [
    ["requests", s.requests], ["errors", s.errors], ["cache hit rate", `${Math.round(s.cache_hit_rate * 100)}%`],
    ["tokens", s.tokens_in + s.tokens_out], ["cost", `$${money(s.cost)}`], ["p50 / p99", `${s.duration_ms.p50} / ${s.duration_ms.p99} ms`],
  ].map(([k, v]) => `<div><b>${esc(v)}</b><span class="muted">${esc(k)}</span></div>`).join("");
  const on = (v) => (v ? "on" : "off");
  const rate = gw.rate_limiting_limit ? `${gw.rate_limiting_limit} per ${gw.rate_limiting_interval}s (${gw.rate_limiting_technique || "fixed"})` : "off";
  const rows = [
    ["authentication", on(gw.authentication)], ["logs", on(gw.collect_logs)],
    ["cache", gw.cache_ttl ? `${gw.cache_ttl}s` : "off"], ["rate limit", rate],
    ["retries", gw.retry_max_attempts ? `${gw.retry_max_attempts} attempts, ${gw.retry_backoff || "constant"}` : "default"],
    ["guardrails", gw.guardrails ? Object.keys(gw.guardrails).map((k) => `${k}: ${Object.keys(gw.guardrails[k] || {}).join(" ")}`).join("; ") : "off"],
    ["DLP", gw.dlp && gw.dlp.enabled ? "on" : "off"],
    ["spend limits", gw.spend_limits && gw.spend_limits.enabled ? `${(gw.spend_limits.rules || []).length} rules` : "off"],
    ["zero data retention", on(gw.zdr)], ["BYOK only", on(gw.byok_only)],
    ["BYOK keys", g.keys.map((k) => `${k.provider_slug}:${k.alias}${k.default ? " (default)" : ""}`).join(", ") || "none"],
  ];
  $("#settings").innerHTML = rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("");
  $("#by-model tbody").innerHTML = (s.by_provider_model || []).map((m) => `<tr data-provider="${esc(m.provider)}" data-model="${esc(m.model)}">
    <td>${esc(m.provider)}</td><td>${esc(m.model)}</td><td>${m.requests}</td><td>${m.errors}</td><td>${m.cached}</td>
    <td>${m.tokens_in + m.tokens_out}</td><td>${money(m.cost)}</td><td>${m.duration_ms.p50}</td><td>${m.duration_ms.p90}</td><td>${m.duration_ms.p99}</td></tr>`).join("");
  $("#routes").innerHTML = g.routes.map((r) => {
    const nodes = (r.elements || []).filter((e) => e.type !== "start" && e.type !== "end")
      .map((e) => e.type === "model" ? `${e.id}: ${e.properties.provider}/${e.properties.model}` : `${e.id}: ${e.type}`);
    return `<div class="route">route <b>dynamic/${esc(r.name)}</b>: ${esc(nodes.join(" → "))}</div>`;
  }).join("");
}

async function refresh() {
  const g = current();
  if (!g) return;
  const base = `${encodeURIComponent(g.account_id)}/${encodeURIComponent(g.gateway.id)}`;
  const f = new URLSearchParams();
  for (const [id, name] of [["filter-provider", "provider"], ["filter-model", "model"], ["filter-status", "status"], ["filter-metadata", "metadata"]]) {
    const v = $(`#${id}`).value.trim();
    if (v) f.set(name, v);
  }
  const [series, logs] = await Promise.all([get(`/__aigw/dashboard/series/${base}`), get(`/__aigw/dashboard/logs/${base}?${f}`)]);
  renderCharts(series);
  renderLogs(logs);
}

function renderCharts(series) {
  const providers = series.providers;
  const select = $("#filter-provider"), chosen = select.value;
  select.innerHTML = '<option value="">any</option>' + providers.map((p) => `<option ${p === chosen ? "selected" : ""}>${esc(p)}</option>`).join("");
  $("#legend").innerHTML = providers.map((p, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(p)}</span>`).join("");
  $("#charts").innerHTML = METRICS.map(([m, title]) => chart(series, m, title)).join("");
}

function chart(series, metric, title) {
  const W = 300, H = 120, P = 6, b = series.buckets;
  const t0 = b.length ? b[0].t : 0, t1 = Math.max(b.length ? b[b.length - 1].t : 0, series.now || 0);
  let max = 0;
  for (const x of b) for (const p of series.providers) max = Math.max(max, (x.by[p] || {})[metric] || 0);
  const X = (t) => P + (t1 === t0 ? (W - 2 * P) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * P));
  const Y = (v) => H - P - (max ? (v / max) * (H - 2 * P) : 0);
  const lines = series.providers.map((p, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = b.map((x) => [X(x.t), Y((x.by[p] || {})[metric] || 0)]);
    const d = pts.map(([x, y], j) => `${j ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
    const dots = pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`).join("");
    return `<path d="${d}" data-provider="${esc(p)}" data-points="${b.length}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`;
  }).join("");
  const top = metric === "cost" ? money(max) : Math.round(max);
  const span = t1 > t0 ? `${Math.round((t1 - t0) / 1000)}s` : "";
  return `<div class="chart"><h3>${esc(title)} <span class="muted">max ${esc(top)} · ${esc(span)} in ${series.bucket_s}s buckets</span></h3>
    <svg viewBox="0 0 ${W} ${H}" data-metric="${metric}" preserveAspectRatio="none"><line x1="0" y1="${H - P}" x2="${W}" y2="${H - P}" stroke="#e3e6ec"/>${lines}</svg></div>`;
}

function renderLogs(data) {
  $("#log-count").textContent = `${data.total} matching`;
  $("#log-table tbody").innerHTML = data.logs.map((l) => {
    const cls = l.success ? "ok" : "err";
    const tokens = (l.tokens_in ?? 0) + (l.tokens_out ?? 0);
    return `<tr data-log-id="${esc(l.id)}" data-provider="${esc(l.provider)}" data-status="${l.status_code}" class="${l.id === state.log ? "selected" : ""}">
      <td>${esc(new Date(l.created_at).toLocaleTimeString())}</td><td>${esc(l.provider)}</td><td>${esc(l.model)}</td>
      <td class="${cls}">${l.status_code}</td><td>${l.cached ? "HIT" : ""}</td><td>${tokens}</td><td>${money(l.cost)}</td><td>${l.duration}</td></tr>`;
  }).join("");
  $("#log-table tbody").querySelectorAll("tr").forEach((tr) => tr.addEventListener("click", () => showLog(tr.dataset.logId)));
}

function pretty(text) {
  if (text == null) return "(not kept: logging of payloads is off for this request)";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}

async function showLog(id) {
  const g = current();
  state.log = id;
  document.querySelectorAll("#log-table tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.logId === id));
  const l = await get(`/__aigw/dashboard/logs/${encodeURIComponent(g.account_id)}/${encodeURIComponent(g.gateway.id)}/${encodeURIComponent(id)}`);
  $("#detail").hidden = false;
  $("#detail-id").textContent = l.id;
  const fields = ["created_at", "provider", "model", "path", "request_type", "status_code", "cached", "step", "attempts",
    "tokens_in", "tokens_out", "cost", "duration", "metadata", "byok_alias", "dlp_action", "guardrails", "feedback", "score"];
  $("#detail-fields").innerHTML = fields.filter((f) => l[f] != null)
    .map((f) => `<tr><td>${esc(f)}</td><td>${esc(typeof l[f] === "object" ? JSON.stringify(l[f]) : l[f])}</td></tr>`).join("");
  $("#detail-request").textContent = pretty(l.request_body);
  $("#detail-response").textContent = pretty(l.response_body);
}

// Many logs can land at once: redraw at most every 250 ms.
function soon() {
  if (state.timer) return;
  state.timer = setTimeout(async () => {
    state.timer = null;
    await loadGateways();
    await refresh();
  }, 250);
}

function live() {
  const es = new EventSource("/__aigw/dashboard/events");
  es.onopen = () => { $("#live").textContent = "live"; $("#live").className = "on"; };
  es.onerror = () => { $("#live").textContent = "reconnecting…"; $("#live").className = ""; };
  es.addEventListener("log", soon);
  es.addEventListener("reload", soon);
}

for (const id of ["filter-provider", "filter-status"]) document.addEventListener("change", (e) => { if (e.target.id === id) refresh(); });
for (const id of ["filter-model", "filter-metadata"]) document.addEventListener("input", (e) => { if (e.target.id === id) refresh(); });
loadGateways().then(refresh);
live();
