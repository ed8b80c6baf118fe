// A tiny element builder: text is always set as text, never parsed as HTML.
const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

export function fmtDuration(ns) {
  const n = Number(ns);
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}s`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}ms`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}µs`;
  return `${n}ns`;
}

export const fmtTime = (ns) => new Date(Number(BigInt(ns) / 1000000n)).toLocaleString();
