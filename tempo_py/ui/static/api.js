// Calls to the query port: Tempo's API (search, trace by ID) and the Jaeger API (services, graph).
const TENANT_KEY = "tempo_py.tenant";
const TOKEN_KEY = "tempo_py.token";

export function tenant() {
  return localStorage.getItem(TENANT_KEY) || "";
}

export function setTenant(value) {
  if (value) localStorage.setItem(TENANT_KEY, value);
  else localStorage.removeItem(TENANT_KEY);
}

// With server.auth.tokens set the API wants a bearer token; kept for this browser tab only.
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function getJSON(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = {};
  if (tenant()) headers["X-Scope-OrgID"] = tenant();
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const resp = await fetch(url, { headers });
  const text = await resp.text();
  if (!resp.ok) {
    let message = text.trim();
    try {
      const doc = JSON.parse(text);
      message = (doc.errors && doc.errors[0] && doc.errors[0].msg) || message;
    } catch (_) { /* plain-text error */ }
    const err = new Error(`${resp.status}: ${message}`);
    err.status = resp.status;
    throw err;
  }
  return JSON.parse(text);
}

export const services = async () => (await getJSON("/jaeger/api/services")).data || [];
export const operations = async (svc) =>
  (await getJSON(`/jaeger/api/services/${encodeURIComponent(svc)}/operations`)).data || [];
export const search = (params) => getJSON("/api/search", params);
export const trace = (id) => getJSON(`/api/v2/traces/${encodeURIComponent(id)}`);
export const dependencies = async (lookbackMs) =>
  (await getJSON("/jaeger/api/dependencies", { endTs: Date.now(), lookback: lookbackMs })).data || [];
