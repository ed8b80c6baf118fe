// The search page: form (service, span name, tags, TraceQL, time range, durations), a
// duration-over-time scatter plot of the results and the result list.
import * as api from "./api.js";
import { fmtDuration, fmtTime, h, s } from "./dom.js";

const RANGES = [["15m", 900], ["1h", 3600], ["6h", 21600], ["24h", 86400], ["7d", 604800]];
let last = { form: {}, traces: null };

const quote = (v) => JSON.stringify(v);
const ident = (k) => (/^[A-Za-z_][\w.\-/]*$/.test(k) ? `.${k}` : `.${quote(k)}`);

// logfmt `key=value key2="a b"` -> TraceQL conditions, numbers and booleans matched either way
export function tagConditions(text) {
  const out = [];
  const re = /\s*([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const key = m[1];
    const value = m[3] !== undefined ? JSON.parse(`"${m[3]}"`) : m[2];
    if (key === "error" && value === "true") { out.push("status = error"); continue; }
    const ref = ident(key);
    const alts = [`${ref} = ${quote(value)}`];
    if (/^-?\d+(\.\d+)?$/.test(value)) alts.push(`${ref} = ${value}`);
    if (value === "true" || value === "false") alts.push(`${ref} = ${value}`);
    out.push(alts.length > 1 ? `(${alts.join(" || ")})` : alts[0]);
  }
  return out;
}

export function buildQuery(f) {
  if (f.traceql && f.traceql.trim()) return f.traceql.trim();
  const conds = [];
  if (f.service) conds.push(`resource.service.name = ${quote(f.service)}`);
  if (f.name) conds.push(`name = ${quote(f.name)}`);
  conds.push(...tagConditions(f.tags || ""));
  return conds.length ? `{ ${conds.join(" && ")} }` : "{ }";
}

// spans with status error in a search result (Tempo's serviceStats)
const errorCount = (t) => Object.values(t.serviceStats || {}).reduce((n, st) => n + (st.errorCount || 0), 0);

function scatter(traces, onPick) {
  const W = 900, H = 180, L = 56, B = 24;
  const svg = s("svg", { class: "scatter", viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, role: "img", "aria-label": "duration over time" });
  if (!traces.length) return svg;
  const xs = traces.map((t) => Number(BigInt(t.startTimeUnixNano) / 1000000n));
  const ys = traces.map((t) => t.durationMs || 0);
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1, y1 = Math.max(...ys, 1);
  const X = (v) => L + ((v - x0) / Math.max(x1 - x0, 1)) * (W - L - 12);
  const Y = (v) => H - B - (v / y1) * (H - B - 10);
  svg.append(
    s("line", { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: "#c4cad4" }),
    s("line", { x1: L, y1: 6, x2: L, y2: H - B, stroke: "#c4cad4" }),
    s("text", { x: 4, y: 14 }, `${y1}ms`),
    s("text", { x: 4, y: H - B }, "0ms"),
    s("text", { x: L, y: H - 6 }, new Date(x0).toLocaleTimeString()),
    s("text", { x: W - 90, y: H - 6 }, new Date(x1).toLocaleTimeString()),
  );
  traces.forEach((t, i) => {
    const c = s("circle", { cx: X(xs[i]), cy: Y(ys[i]), r: 5, class: errorCount(t) ? "error" : null, "data-trace": t.traceID, onclick: () => onPick(t.traceID) },
      s("title", {}, `${t.rootServiceName}: ${t.rootTraceName} ${ys[i]}ms`));
    svg.append(c);
  });
  return svg;
}

function results(traces, navigate) {
  const open = (id) => navigate(`/ui/trace/${id}`);
  const rows = traces.map((t) =>
    h("tr", {},
      h("td", { class: "mono" }, h("a", { href: `/ui/trace/${t.traceID}`, "data-nav": true, class: "trace-link" }, t.traceID)),
      h("td", {}, t.rootServiceName || ""),
      h("td", {}, t.rootTraceName || ""),
      h("td", {}, fmtTime(t.startTimeUnixNano)),
      h("td", {}, `${t.durationMs || 0}ms`),
      h("td", {}, String((t.spanSets || []).reduce((n, ss) => n + (ss.matched || 0), 0))),
      h("td", { class: errorCount(t) ? "err" : "" }, errorCount(t) ? `${errorCount(t)} error${errorCount(t) === 1 ? "" : "s"}` : ""),
    ));
  return h("div", { class: "panel", id: "results" },
    h("div", {}, `${traces.length} trace${traces.length === 1 ? "" : "s"}`),
    traces.length ? scatter(traces, open) : null,
    h("table", {},
      h("thead", {}, h("tr", {}, ["Trace ID", "Root service", "Root span", "Start", "Duration", "Matched spans", "Errors"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows)));
}

export async function render(view, navigate, setStatus) {
  const f = last.form;
  const svc = h("select", { name: "service", id: "service" }, h("option", { value: "" }, "(any)"));
  const op = h("select", { name: "name", id: "span-name" }, h("option", { value: "" }, "(any)"));
  const range = h("select", { name: "range", id: "range" },
    RANGES.map(([label, secs]) => h("option", { value: secs, selected: String(secs) === (f.range || "3600") }, `Last ${label}`)),
    h("option", { value: "custom", selected: f.range === "custom" }, "Custom…"));
  const from = h("input", { name: "from", id: "from", type: "datetime-local", step: 1, value: f.from || "" });
  const to = h("input", { name: "to", id: "to", type: "datetime-local", step: 1, value: f.to || "" });
  const custom = h("label", { class: "wide", id: "custom-range", hidden: f.range !== "custom" }, "From / to (local time)",
    h("span", {}, from, " – ", to));
  range.addEventListener("change", () => { custom.hidden = range.value !== "custom"; });
  const form = h("form", { class: "search panel", id: "search-form" },
    h("label", {}, "Service", svc),
    h("label", {}, "Span name", op),
    h("label", {}, "Time range", range),
    h("label", {}, "Limit", h("input", { name: "limit", type: "number", min: 1, value: f.limit || 20 })),
    h("label", {}, "Tags (logfmt)", h("input", { name: "tags", id: "tags", placeholder: "http.status_code=500 error=true", value: f.tags || "" })),
    h("label", {}, "Min duration", h("input", { name: "minDuration", placeholder: "100ms", value: f.minDuration || "" })),
    h("label", {}, "Max duration", h("input", { name: "maxDuration", placeholder: "5s", value: f.maxDuration || "" })),
    h("label", {}, "\u00a0", h("button", { type: "submit", id: "search-button" }, "Search")),
    custom,
    h("label", { class: "wide" }, "TraceQL (overrides the fields above)",
      h("textarea", { name: "traceql", id: "traceql", rows: 2, placeholder: '{ resource.service.name = "checkout" && duration > 500ms }' }, f.traceql || "")),
  );
  const out = h("div", { id: "search-results" });
  view.replaceChildren(form, out);

  const loadOps = async () => {
    op.replaceChildren(h("option", { value: "" }, "(any)"));
    if (!svc.value) return;
    for (const name of await api.operations(svc.value)) {
      op.append(h("option", { value: name, selected: name === f.name }, name));
    }
  };
  svc.addEventListener("change", () => loadOps().catch((e) => setStatus(e.message)));
  try {
    for (const name of await api.services()) svc.append(h("option", { value: name, selected: name === f.service }, name));
    await loadOps();
  } catch (e) {
    setStatus(`services: ${e.message}`);
  }

  const run = async () => {
    const data = Object.fromEntries(new FormData(form).entries());
    last.form = data;
    const now = Math.floor(Date.now() / 1000);
    let start = now - Number(data.range), end = now + 60;
    if (data.range === "custom") {
      start = Math.floor(Date.parse(data.from) / 1000);
      end = Math.ceil(Date.parse(data.to) / 1000);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
        setStatus("Custom time range: give a start before the end");
        return;
      }
    }
    setStatus("");
    out.replaceChildren(h("div", { class: "panel" }, "Searching…"));
    try {
      const body = await api.search({
        q: buildQuery(data), start, end, limit: data.limit,
        minDuration: data.minDuration, maxDuration: data.maxDuration,
      });
      last.traces = body.traces || [];
      out.replaceChildren(results(last.traces, navigate));
    } catch (e) {
      out.replaceChildren();
      setStatus(e.message);
    }
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  if (last.traces) out.replaceChildren(results(last.traces, navigate));
}
