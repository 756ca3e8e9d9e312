// The simulator console: state, live notifications and a form per hook.
// Plain browser JavaScript, no build step, nothing loaded from elsewhere.
//
// The control token comes from the address's fragment (#token=..., never sent to the
// server) or from the login form, and stays in this tab's sessionStorage. Every request
// carries it in the Authorization header; the notification feed is read with fetch()
// streaming rather than EventSource, which cannot send headers and would need the token
// in the URL, where access logs and the browser history keep it.
"use strict";

const TOKEN_KEY = "gws-simulator-token";
const FEED_LIMIT = 300; // notifications kept on the page
const STATE_PERIOD_MS = 2000;

const $ = (id) => document.getElementById(id);
let token = null;
let hooks = [];
let state = { agents: [], workbins: [] };
let feedTotal = 0;
let feedCursor = 0;
let feedAbort = null;
let refreshTimer = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// -- token --------------------------------------------------------------------------------

function takeTokenFromAddress() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // Out of the address bar, so it is not bookmarked, shared or kept in history.
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function showLogin(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (feedAbort) feedAbort.abort();
  $("main").hidden = true;
  $("forget").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  setStatus("locked", "bad");
  $("token-input").focus();
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = "status " + (kind || "");
}

class Unauthorized extends Error {}

async function api(path, options) {
  const init = Object.assign({ cache: "no-store" }, options || {});
  init.headers = Object.assign({ Authorization: "Bearer " + token }, init.headers || {});
  const response = await fetch(path, init);
  if (response.status === 401) throw new Unauthorized("the control token was refused");
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = { error: "HTTP " + response.status };
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : "HTTP " + response.status);
  return body;
}

// -- state --------------------------------------------------------------------------------

function stateClass(value) {
  const v = String(value || "").toLowerCase();
  if (v === "ready" || v === "accepted" || v === "established" || v === "talking") return "ok";
  if (v === "invited" || v === "ringing" || v === "dialing") return "warn";
  if (v === "notready" || v === "logout" || v === "released") return "muted";
  return "";
}

function pill(text, extra) {
  return el("span", "pill " + (extra || stateClass(text)), text);
}

function renderAgent(agent) {
  const card = el("article", "card agent");
  card.dataset.agent = agent.username;
  const head = el("div", "card-head");
  head.append(el("strong", "", agent.username), el("span", "dim", agent.name + " · " + agent.place));
  const sessions = agent.bayeux_sessions;
  head.append(pill(sessions + (sessions === 1 ? " listener" : " listeners"), sessions ? "ok" : "muted"));
  card.append(head);

  const channels = el("div", "row");
  for (const channel of agent.channels) {
    const item = el("span", "channel");
    item.append(el("span", "dim", channel.name), pill(channel.state));
    if (channel.dnd) item.append(pill("DND", "bad"));
    channels.append(item);
  }
  card.append(channels);

  const device = agent.device;
  let deviceText = "device " + device.phone_number + (device.dnd ? " · DND" : "");
  if (device.forward_to) deviceText += " · forward to " + device.forward_to;
  card.append(el("div", "dim small", deviceText));

  const list = el("ul", "items interactions");
  for (const call of agent.calls) {
    const li = el("li", "call");
    li.dataset.id = call.id;
    li.append(pill(call.state), el("span", "", "call from " + (call.ani || "?")), el("code", "dim", call.id));
    list.append(li);
  }
  for (const interaction of agent.interactions) {
    list.append(renderInteraction(interaction));
  }
  if (!list.children.length) list.append(el("li", "dim", "no calls or interactions"));
  card.append(list);
  return card;
}

function renderInteraction(interaction) {
  const li = el("li", "interaction");
  li.dataset.id = interaction.id;
  li.dataset.media = interaction.media;
  let label = interaction.media;
  if (interaction.subject) label += ": " + interaction.subject;
  else if (interaction.messages) label += " (" + interaction.messages + " messages)";
  li.append(pill(interaction.state), el("span", "", label), el("code", "dim", interaction.id));
  return li;
}

function renderWorkbin(workbin) {
  const card = el("article", "card workbin");
  card.dataset.workbin = workbin.id;
  const head = el("div", "card-head");
  head.append(el("strong", "", workbin.name), el("span", "dim", workbin.kind));
  const n = workbin.items.length;
  head.append(pill(n + (n === 1 ? " item" : " items"), n ? "warn" : "muted"));
  card.append(head);
  if (workbin.items.length) {
    const list = el("ul", "items");
    for (const item of workbin.items) {
      const li = renderInteraction(item);
      if (item.owner) li.append(el("span", "dim", "(" + item.owner + ")"));
      list.append(li);
    }
    card.append(list);
  }
  return card;
}

function renderState() {
  $("agents").replaceChildren(...state.agents.map(renderAgent));
  // Empty workbins take one compact line each, so the full ones stand out.
  const full = state.workbins.filter((w) => w.items.length);
  const empty = state.workbins.filter((w) => !w.items.length);
  const nodes = full.map(renderWorkbin);
  if (empty.length) nodes.push(el("p", "dim small", "empty: " + empty.map((w) => w.name).join(", ")));
  $("workbins").replaceChildren(...nodes);
  const interactions = state.agents.reduce((n, a) => n + a.interactions.length, 0);
  const calls = state.agents.reduce((n, a) => n + a.calls.length, 0);
  $("summary").textContent =
    state.agents.length + " agents · " + interactions + " interactions · " + calls + " calls";
  refreshChoices();
}

async function refreshState() {
  try {
    state = await api("/control/state");
    renderState();
  } catch (error) {
    if (error instanceof Unauthorized) showLogin(error.message);
  }
}

function refreshSoon() {
  if (refreshTimer === null) {
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refreshState();
    }, 100);
  }
}

// -- feed ---------------------------------------------------------------------------------

function describe(record) {
  const data = record.data || {};
  const parts = [];
  if (data.messageType) parts.push(data.messageType);
  if (data.notificationType) parts.push(data.notificationType);
  const inner = data.interaction || data.call || data.device || data;
  if (inner.mediatype || inner.media) parts.push(inner.mediatype || inner.media);
  if (inner.id) parts.push(inner.id);
  if (inner.state) parts.push(inner.state);
  if (!parts.length) parts.push(record.raw ? "raw Bayeux message" : "data");
  return parts.join(" · ");
}

function addNotification(record) {
  feedTotal += 1;
  $("feed-count").textContent = String(feedTotal);
  const li = el("li", "notification" + (record.sessions ? "" : " unheard"));
  li.dataset.seq = record.seq;
  const head = el("div", "row");
  head.append(
    el("time", "dim", record.time.slice(11, 23)),
    el("strong", "", record.username),
    el("code", "", record.channel || "(no channel)"),
    pill(record.sessions + (record.sessions === 1 ? " session" : " sessions"), record.sessions ? "ok" : "muted"),
  );
  const details = el("details");
  details.append(el("summary", "", describe(record)), el("pre", "", JSON.stringify(record.data, null, 2)));
  li.append(head, details);
  const feed = $("feed");
  feed.prepend(li);
  while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
}

function handleEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join("\n"));
  if (event === "notification") {
    feedCursor = Math.max(feedCursor, payload.seq);
    addNotification(payload);
    refreshSoon();
  } else if (event === "dropped") {
    const note = $("feed-note");
    note.hidden = false;
    note.textContent = payload.dropped + " notifications were not shown: this page fell behind.";
  }
}

async function readFeed() {
  let delay = 500;
  for (;;) {
    if (!token) return;
    feedAbort = new AbortController();
    try {
      const headers = { Authorization: "Bearer " + token, Accept: "text/event-stream" };
      if (feedCursor) headers["Last-Event-ID"] = String(feedCursor);
      const response = await fetch("/control/feed", { headers, signal: feedAbort.signal, cache: "no-store" });
      if (response.status === 401) return showLogin("the control token was refused");
      if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
      setStatus("live", "ok");
      delay = 500;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handleEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (error.name === "AbortError") return;
    }
    setStatus("reconnecting", "bad");
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

// -- hooks --------------------------------------------------------------------------------

function label(name) {
  return name.replace(/-/g, " ");
}

function refreshChoices() {
  for (const select of document.querySelectorAll("select[data-kind]")) {
    const kind = select.dataset.kind;
    const previous = select.value;
    const options = [];
    if (!select.required) options.push(["", "(all)"]);
    if (kind === "agent") for (const a of state.agents) options.push([a.username, a.username]);
    if (kind === "workbin") for (const w of state.workbins) options.push([w.id, w.name]);
    const current = Array.from(select.options).map((o) => o.value).join("\n");
    if (current === options.map((o) => o[0]).join("\n")) continue;
    select.replaceChildren(...options.map(([value, text]) => {
      const option = el("option", "", text);
      option.value = value;
      return option;
    }));
    if (options.some((o) => o[0] === previous)) select.value = previous;
  }
}

function field(param) {
  const wrap = el("label", "field");
  wrap.append(el("span", "dim", param.name.replace(/_/g, " ")));
  let input;
  if (param.kind === "agent" || param.kind === "workbin") {
    input = el("select");
    input.dataset.kind = param.kind;
  } else if (param.kind === "text" || param.kind === "json" || param.kind === "object") {
    input = el("textarea");
    input.rows = param.kind === "text" ? 2 : 3;
  } else {
    input = el("input");
    input.type = param.kind === "int" ? "number" : "text";
  }
  input.name = param.name;
  input.required = Boolean(param.required);
  input.title = param.help;
  if (!param.required && param.default !== null && param.default !== undefined) {
    const shown = typeof param.default === "string" ? param.default : JSON.stringify(param.default);
    if (input.tagName === "SELECT") input.dataset.default = shown;
    else input.placeholder = shown;
  }
  input.dataset.paramKind = param.kind;
  wrap.append(input);
  return wrap;
}

function collect(form, hook) {
  const body = {};
  for (const param of hook.params) {
    const input = form.elements.namedItem(param.name);
    const text = input.value;
    if (text === "") continue;
    if (param.kind === "int") body[param.name] = Number(text);
    else if (param.kind === "json" || param.kind === "object") {
      try {
        body[param.name] = JSON.parse(text);
      } catch (_) {
        throw new Error(param.name + " is not valid JSON");
      }
    } else body[param.name] = text;
  }
  return body;
}

function renderHook(hook) {
  const form = el("form", "card hook");
  form.dataset.hook = hook.name;
  const head = el("div", "card-head");
  const button = el("button", "", label(hook.name));
  button.type = "submit";
  button.dataset.hook = hook.name;
  head.append(button, el("span", "dim small", hook.summary));
  form.append(head);
  const fields = el("div", "fields");
  for (const param of hook.params) fields.append(field(param));
  form.append(fields);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = $("result");
    try {
      const body = collect(form, hook);
      const answer = await api("/control/hooks/" + hook.name, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      result.className = "result ok";
      result.textContent = label(hook.name) + ": " + (JSON.stringify(answer) === "{}" ? "done" : JSON.stringify(answer));
      refreshSoon();
    } catch (error) {
      if (error instanceof Unauthorized) return showLogin(error.message);
      result.className = "result bad";
      result.textContent = label(hook.name) + " failed: " + error.message;
    }
  });
  return form;
}

// -- start --------------------------------------------------------------------------------

async function open() {
  $("login").hidden = true;
  try {
    hooks = (await api("/control/hooks")).hooks;
    state = await api("/control/state");
  } catch (error) {
    if (error instanceof Unauthorized) return showLogin(error.message);
    setStatus("unreachable", "bad");
    $("login-error").textContent = error.message;
    return;
  }
  $("hooks").replaceChildren(...hooks.map(renderHook));
  $("main").hidden = false;
  $("forget").hidden = false;
  renderState();
  readFeed();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token-input").value.trim();
    $("token-input").value = "";
    sessionStorage.setItem(TOKEN_KEY, token);
    open();
  });
  $("forget").addEventListener("click", () => showLogin("token forgotten"));
  $("clear-feed").addEventListener("click", () => {
    $("feed").replaceChildren();
    feedTotal = 0;
    $("feed-count").textContent = "0";
  });
  setInterval(() => {
    if (token && !$("main").hidden) refreshState();
  }, STATE_PERIOD_MS);
  token = takeTokenFromAddress();
  if (token) open();
  else showLogin("");
});
