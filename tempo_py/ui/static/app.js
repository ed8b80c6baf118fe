// The router: /ui/ (search), /ui/trace/<id> (one trace), /ui/graph (service graph). Links marked
// data-nav change the page without a reload; every path loads this app (deep links).
import * as api from "./api.js";
import * as graph from "./graph.js";
import * as search from "./search.js";
import * as trace from "./trace.js";

const view = document.getElementById("view");
const statusBox = document.getElementById("status");
const setStatus = (text) => { statusBox.textContent = text || ""; };

function navigate(path) {
  history.pushState(null, "", path);
  route();
}

async function route() {
  setStatus("");
  const path = location.pathname.replace(/\/+$/, "");
  const m = path.match(/^\/ui\/trace\/([^/]+)$/);
  document.getElementById("nav-search").classList.toggle("active", !m && !path.endsWith("/graph"));
  document.getElementById("nav-graph").classList.toggle("active", path.endsWith("/graph"));
  try {
    if (m) await trace.render(view, navigate, setStatus, decodeURIComponent(m[1]));
    else if (path === "/ui/graph") await graph.render(view, navigate, setStatus);
    else await search.render(view, navigate, setStatus);
  } catch (e) {
    setStatus(e.message);
  }
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest && ev.target.closest("a[data-nav]");
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", route);

const tenantBox = document.getElementById("tenant");
tenantBox.value = api.tenant();
tenantBox.addEventListener("change", () => { api.setTenant(tenantBox.value.trim()); route(); });
const tokenBox = document.getElementById("token");
tokenBox.value = api.token();
tokenBox.addEventListener("change", () => { api.setToken(tokenBox.value.trim()); route(); });
document.getElementById("goto").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = document.getElementById("goto-id").value.trim();
  if (id) navigate(`/ui/trace/${encodeURIComponent(id)}`);
});
route();
