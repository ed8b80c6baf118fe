// The trace page: a waterfall of spans (collapsible by subtree, errors marked) and the details of
// the selected span: attributes, events, links (to other traces), resource and scope.
import * as api from "./api.js";
import { fmtDuration, fmtTime, h } from "./dom.js";

export function b64hex(b64) {
  if (!b64) return "";
  const raw = atob(b64);
  let out = "";
  for (let i = 0; i < raw.length; i++) out += raw.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

export function anyValue(v) {
  if (!v) return "";
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return String(v.intValue);
  if ("doubleValue" in v) return String(v.doubleValue);
  if ("boolValue" in v) return String(v.boolValue);
  if ("bytesValue" in v) return b64hex(v.bytesValue);
  if ("arrayValue" in v) return `[${(v.arrayValue.values || []).map(anyValue).join(", ")}]`;
  if ("kvlistValue" in v) return `{${(v.kvlistValue.values || []).map((kv) => `${kv.key}: ${anyValue(kv.value)}`).join(", ")}}`;
  return "";
}

// OTLP JSON (Tempo v2 answer) -> flat spans with service, depth order and children
export function flatten(doc) {
  const spans = [];
  for (const rs of (doc.trace && doc.trace.resourceSpans) || []) {
    const resource = (rs.resource && rs.resource.attributes) || [];
    const svc = resource.find((a) => a.key === "service.name");
    for (const ss of rs.scopeSpans || []) {
      for (const sp of ss.spans || []) {
        spans.push({
          id: b64hex(sp.spanId), parent: b64hex(sp.parentSpanId), name: sp.name || "",
          service: svc ? anyValue(svc.value) : "unknown",
          start: BigInt(sp.startTimeUnixNano || "0"), end: BigInt(sp.endTimeUnixNano || "0"),
          kind: (sp.kind || "SPAN_KIND_UNSPECIFIED").replace("SPAN_KIND_", "").toLowerCase(),
          error: sp.status && sp.status.code === "STATUS_CODE_ERROR", status: sp.status || {},
          attributes: sp.attributes || [], events: sp.events || [], links: sp.links || [],
          resource, scope: ss.scope || {}, children: [],
        });
      }
    }
  }
  const byId = new Map(spans.map((sp) => [sp.id, sp]));
  const roots = [];
  for (const sp of spans) {
    const p = sp.parent && byId.get(sp.parent);
    if (p && p !== sp) p.children.push(sp); else roots.push(sp);
  }
  const cmp = (a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
  const ordered = [];
  const walk = (sp, depth) => {
    sp.depth = depth;
    ordered.push(sp);
    sp.children.sort(cmp).forEach((c) => walk(c, depth + 1));
  };
  roots.sort(cmp).forEach((r) => walk(r, 0));
  return ordered;
}

const kvTable = (kvs) => h("table", {}, h("tbody", {}, kvs.map((kv) => h("tr", {}, h("td", {}, kv.key), h("td", { class: "mono" }, anyValue(kv.value))))));

function details(sp, t0) {
  return h("div", { class: "panel details", id: "span-details" },
    h("h3", {}, `${sp.service}: ${sp.name}`),
    h("div", {}, `span ${sp.id} · ${sp.kind} · ${fmtDuration(sp.end - sp.start)} · starts +${fmtDuration(sp.start - t0)}`),
    sp.error ? h("div", { class: "err" }, `error${sp.status.message ? `: ${sp.status.message}` : ""}`) : null,
    h("h4", {}, "Attributes"), kvTable(sp.attributes),
    h("h4", {}, `Events (${sp.events.length})`),
    h("table", {}, h("tbody", {}, sp.events.map((ev) => h("tr", {},
      h("td", {}, `+${fmtDuration(BigInt(ev.timeUnixNano || "0") - sp.start)} ${ev.name || ""}`),
      h("td", { class: "mono" }, (ev.attributes || []).map((a) => `${a.key}=${anyValue(a.value)}`).join(" ")))))),
    h("h4", {}, `Links (${sp.links.length})`),
    h("table", {}, h("tbody", {}, sp.links.map((ln) => {
      const tid = b64hex(ln.traceId);
      return h("tr", {},
        h("td", {}, h("a", { href: `/ui/trace/${tid}`, "data-nav": true, class: "span-link" }, `${tid} / ${b64hex(ln.spanId)}`)),
        h("td", { class: "mono" }, (ln.attributes || []).map((a) => `${a.key}=${anyValue(a.value)}`).join(" ")));
    }))),
    h("h4", {}, "Resource"), kvTable(sp.resource),
    h("h4", {}, "Scope"), h("div", { class: "mono" }, `${sp.scope.name || ""} ${sp.scope.version || ""}`),
  );
}

export async function render(view, navigate, setStatus, traceId) {
  view.replaceChildren(h("div", { class: "panel" }, `Loading trace ${traceId}…`));
  let doc;
  try {
    doc = await api.trace(traceId);
  } catch (e) {
    view.replaceChildren(h("div", { class: "panel", id: "trace-missing" }, `Trace ${traceId}: ${e.status === 404 ? "not found" : e.message}`));
    return;
  }
  const spans = flatten(doc);
  const t0 = spans.reduce((m, sp) => (sp.start < m ? sp.start : m), spans[0].start);
  const t1 = spans.reduce((m, sp) => (sp.end > m ? sp.end : m), spans[0].end);
  const total = Number(t1 - t0) || 1;
  const collapsed = new Set();
  const services = new Set(spans.map((sp) => sp.service));
  const errors = spans.filter((sp) => sp.error).length;
  const fall = h("div", { class: "panel waterfall", id: "waterfall" });
  const side = h("div", { id: "details-slot" });
  let selected = null;

  const draw = () => {
    const hidden = new Set();
    const rows = [];
    for (const sp of spans) {
      if (hidden.has(sp.parent) || (sp.parent && collapsed.has(sp.parent))) { hidden.add(sp.id); continue; }
      const left = (Number(sp.start - t0) / total) * 100;
      const width = Math.max((Number(sp.end - sp.start) / total) * 100, 0.2);
      const toggle = sp.children.length
        ? h("span", { class: "toggle", "data-toggle": sp.id, onclick: (ev) => { ev.stopPropagation(); collapsed.has(sp.id) ? collapsed.delete(sp.id) : collapsed.add(sp.id); draw(); } }, collapsed.has(sp.id) ? "▸" : "▾")
        : h("span", { class: "toggle" }, "");
      rows.push(h("div", {
        class: `row${sp.error ? " error" : ""}${selected === sp ? " selected" : ""}`, "data-span": sp.id,
        onclick: () => { selected = sp; side.replaceChildren(details(sp, t0)); draw(); },
      },
        h("div", { class: "label", style: `padding-left:${4 + sp.depth * 14}px`, title: `${sp.service}: ${sp.name}` },
          toggle, h("span", { class: "svc" }, sp.service), h("span", { class: "name" }, sp.name)),
        h("div", { class: "track" },
          h("div", { class: "bar", style: `left:${left}%;width:${width}%` }),
          h("span", { class: "dur", style: `left:${Math.min(left + width, 92)}%` }, ` ${fmtDuration(sp.end - sp.start)}`))));
    }
    fall.replaceChildren(...rows);
  };
  draw();
  view.replaceChildren(
    h("div", { class: "panel", id: "trace-header" },
      h("h2", { class: "mono" }, traceId),
      h("div", {}, `${spans[0].service}: ${spans[0].name} · ${fmtTime(t0.toString())} · ${fmtDuration(t1 - t0)} · ${spans.length} spans · ${services.size} services`,
        errors ? h("span", { class: "err" }, ` · ${errors} error${errors === 1 ? "" : "s"}`) : null)),
    fall, side);
}
