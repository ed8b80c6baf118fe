// The service graph: calls between services (the Jaeger dependencies API) drawn as a circle of
// services with arrows labelled by call counts.
import * as api from "./api.js";
import { h, s } from "./dom.js";

const LOOKBACKS = [["1h", 3600000], ["6h", 21600000], ["24h", 86400000], ["7d", 604800000]];

function draw(links) {
  const names = [...new Set(links.flatMap((l) => [l.parent, l.child]))].sort();
  const W = 720, H = 520, R = Math.min(W, H) / 2 - 70, cx = W / 2, cy = H / 2;
  const pos = new Map(names.map((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(names.length, 1) - Math.PI / 2;
    return [n, [cx + R * Math.cos(a), cy + R * Math.sin(a)]];
  }));
  const svg = s("svg", { class: "graph", id: "service-graph", viewBox: `0 0 ${W} ${H}`, width: "100%", height: H },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 26, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
      s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8a94a6" }))));
  for (const l of links) {
    const [x1, y1] = pos.get(l.parent), [x2, y2] = pos.get(l.child);
    svg.append(s("line", { x1, y1, x2, y2, "marker-end": "url(#arrow)", "data-edge": `${l.parent}->${l.child}` }),
      s("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, "text-anchor": "middle" }, String(l.callCount)));
  }
  for (const n of names) {
    const [x, y] = pos.get(n);
    svg.append(s("circle", { cx: x, cy: y, r: 18, "data-service": n }), s("text", { class: "node", x, y: y + 34, "text-anchor": "middle" }, n));
  }
  return svg;
}

export async function render(view, navigate, setStatus) {
  const pick = h("select", { id: "lookback" }, LOOKBACKS.map(([label, ms]) => h("option", { value: ms, selected: ms === 86400000 }, `Last ${label}`)));
  const out = h("div", { class: "panel" });
  view.replaceChildren(h("div", { class: "panel" }, h("label", {}, "Calls in the ", pick)), out);
  const load = async () => {
    try {
      const links = await api.dependencies(pick.value);
      out.replaceChildren(links.length ? draw(links) : h("div", { id: "no-deps" }, "No calls between services in this window."),
        h("table", {}, h("tbody", {}, links.map((l) => h("tr", {}, h("td", {}, `${l.parent} → ${l.child}`), h("td", {}, `${l.callCount} calls`))))));
    } catch (e) {
      setStatus(e.message);
    }
  };
  pick.addEventListener("change", load);
  await load();
}
