// The agent-assist page: a client of the service's /v1 API.
// Every text from a catalogue or a customer goes into the page as text
// (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const STAGES = ["calm", "listen", "restate", "apologise", "resolve", "close", "cool-down"];
const CURRENCY = { da: "DKK", ro: "RON", ko: "KRW", zh_Hans: "CNY", af: "ZAR", en: "GBP" };
const SIGNAL_LABEL = {
  "self-harm": "page-self-harm", violence: "page-violence", "legal-threat": "page-legal",
  abuse: "page-insult", "wants-manager": "page-manager", "calmed-down": "page-calmed",
};

const state = {
  locales: [], labels: {}, fallback: new Set(), stageNames: {}, situations: [],
  conv: null, phrase: null, stage: null, said: new Set(), fields: [], values: {},
  crisisDefault: null, over: false,
};

// --- talking to the service -------------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/v1" + path, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && (data.detail || data.title);
    const err = new Error(detail ? String(detail) : "HTTP " + response.status);
    err.problem = data || {};
    throw err;
  }
  return data;
}

function say(text) {
  $("status").textContent = text;
}

// Actions run one after another, in the order the agent asked for them, so two
// quick key presses never race (the second insult waits for the first's line).
let queue = Promise.resolve();

function guard(action) {
  return (...args) => {
    queue = queue.then(() => action(...args)).catch((err) => say(err.message));
    return queue;
  };
}

// --- labels in the agent's language -----------------------------------------------------

function label(key, english) {
  return state.labels[key] || english || key;
}

function applyLabels() {
  for (const el of document.querySelectorAll("[data-label]")) {
    const key = el.dataset.label;
    if (!el.dataset.english) el.dataset.english = el.textContent;
    const text = state.labels[key];
    el.textContent = text || el.dataset.english;
    const untranslated = !text || state.fallback.has(key);
    el.classList.toggle("untranslated", untranslated);
    if (untranslated) {
      el.lang = "en";
      el.title = label("page-fallback", "not translated yet");
    } else {
      el.removeAttribute("lang");
      el.removeAttribute("title");
    }
  }
  document.documentElement.lang = (state.agentLocale || "en").replace("_", "-");
}

async function loadAgentLanguage(locale) {
  const q = "?locale=" + encodeURIComponent(locale);
  const [labels, stages, situations] = await Promise.all([
    api("GET", "/labels" + q), api("GET", "/stages" + q), api("GET", "/situations" + q),
  ]);
  state.agentLocale = labels.locale;
  state.labels = labels.labels;
  state.fallback = new Set(labels.fallback);
  state.stageNames = Object.fromEntries(stages.map((s) => [s.stage, s.label]));
  state.situations = situations;
  applyLabels();
  fillSituations();
  renderStages();
  if (state.conv) renderLadder();
}

// --- the setup form ---------------------------------------------------------------------

function option(value, text) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = text;
  return el;
}

function preferred() {
  const tags = (navigator.languages || [navigator.language || "en"]).map((t) => t.toLowerCase());
  for (const tag of tags) {
    const base = tag.split("-")[0];
    const hit = state.locales.find((l) => l.locale.toLowerCase() === base ||
      (base === "zh" && l.locale === "zh_Hans"));
    if (hit) return hit.locale;
  }
  return "en";
}

function fillLocales() {
  for (const id of ["customer-locale", "agent-locale"]) {
    const select = $(id);
    select.replaceChildren(...state.locales.map((l) => {
      const el = option(l.locale, l.native_name);
      el.lang = l.locale.replace("_", "-");
      return el;
    }));
    select.value = preferred();
  }
  fillRegisters();
}

function fillSituations() {
  const select = $("situation");
  const chosen = select.value || "general";
  const offered = state.situations.filter((s) => !s.id.startsWith("safety-"));
  select.replaceChildren(...offered.map((s) => option(s.id, s.label)));
  select.value = chosen;
}

function fillRegisters() {
  const info = state.locales.find((l) => l.locale === $("customer-locale").value);
  const registers = info ? info.registers.filter((r) => r !== "neutral") : [];
  $("register-field").hidden = registers.length === 0;
  const select = $("register");
  select.replaceChildren(...registers.map((r) => {
    const el = option(r, r);
    el.dataset.label = "page-" + r;
    return el;
  }));
  if (info && registers.includes(info.default_register)) select.value = info.default_register;
  applyLabels();
}

// --- the contact ------------------------------------------------------------------------

async function start(event) {
  event.preventDefault();
  const body = {
    situation: $("situation").value,
    locale: $("customer-locale").value,
    channel: $("channel").value,
    gloss: $("agent-locale").value,
  };
  if (!$("register-field").hidden && $("register").value) body.register = $("register").value;
  const name = $("customer-name").value.trim();
  if (name) body.customer_name = name;
  state.conv = await api("POST", "/conversations", body);
  Object.assign(state, { phrase: null, stage: null, said: new Set(), over: false });
  state.values = {};
  $("contact").hidden = false;
  $("contact").dataset.conversation = state.conv.id;
  $("copy").hidden = body.channel === "phone";
  $("signals").replaceChildren();
  $("heard-input").value = "";
  say("");
  await sayNext(null);
  $("line").focus();
}

async function placeholders(stage) {
  const c = state.conv;
  const q = "?stage=" + stage + "&situation=" + encodeURIComponent(c.situation) +
    "&situation=" + encodeURIComponent(c.topic);
  return api("GET", "/placeholders" + q);
}

// Values are only sent when typed in full: a line never shows a gap.
function valuesFor(fields) {
  const values = {};
  for (const f of fields) {
    const v = state.values[f.name];
    if (v === undefined || v === "") continue;
    if (f.type === "money") {
      if (v.amount !== "" && /^[A-Z]{3}$/.test(v.currency)) values[f.name] = v;
    } else if (f.type === "number") {
      if (Number.isFinite(Number(v))) values[f.name] = Number(v);
    } else if (f.type === "list") {
      const items = v.split("\n").map((s) => s.trim()).filter(Boolean);
      if (items.length) values[f.name] = items;
    } else {
      values[f.name] = v;
    }
  }
  return values;
}

async function sayNext(stage) {
  const next = stage || state.conv.next_stage;
  if (next === null) return finish();
  const fields = await placeholders(next);
  state.fields = fields;
  for (const f of fields) {
    if (f.name === "crisis_line" && f.default) state.crisisDefault = f.default;
  }
  if (next === "cool-down") {
    state.stage = next;
    state.phrase = null;
    renderLine();
    await showTips(next);
    return render();
  }
  const answer = await sayWith(next, valuesFor(fields));
  const key = answer.phrase.id + "#" + answer.phrase.variant;
  const repeat = stage !== null && state.said.has(key) && next === state.stage;
  state.conv = answer.conversation;
  if (!repeat) {
    state.said.add(key);
    state.phrase = answer.phrase;
  }
  state.stage = next;
  renderLine(repeat);
  await showTips(next);
  await showChoices(next);
  render();
}

// The stage's other lines, one for each entry: some are alternatives only the agent
// can tell apart (the manager is free, is busy, or is the agent), so the agent picks.
async function showChoices(stage) {
  const box = $("choices");
  let phrases = [];
  if (stage && stage !== "cool-down" && !state.over) {
    try {
      const q = "?stage=" + encodeURIComponent(stage);
      phrases = (await api("GET", `/conversations/${state.conv.id}/choices` + q)).phrases;
    } catch {
      phrases = []; // lines that need details not typed yet: "Another line" still works
    }
  }
  const current = state.phrase && state.phrase.id;
  const items = phrases.filter((p) => p.id !== current).map((p) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "choice";
    button.append(...glossed(p));
    button.addEventListener("click", guard(() => chooseLine(stage, p.id)));
    li.append(button);
    return li;
  });
  $("choices-list").replaceChildren(...items);
  $("choices-count").textContent = String(items.length);
  box.hidden = !items.length;
}

async function chooseLine(stage, entry) {
  if (state.over || stage !== state.stage) return;
  const answer = await sayWith(stage, valuesFor(state.fields || []), entry);
  state.conv = answer.conversation;
  state.said.add(answer.phrase.id + "#" + answer.phrase.variant);
  state.phrase = answer.phrase;
  renderLine(false);
  await showChoices(stage);
  render();
  $("line").focus();
}

// A value typed for the stage may not fit the line the contact needs now (a
// ladder step takes none): say it without the values that do not fit.
async function sayWith(stage, values, entry) {
  const path = `/conversations/${state.conv.id}/say`;
  const chosen = entry ? { entry } : {};
  try {
    return await api("POST", path, { stage, values, ...chosen });
  } catch (err) {
    if (err.problem.error !== "UnexpectedValueError" || !Object.keys(values).length) throw err;
    const extra = new Set(err.problem.names || Object.keys(values));
    const kept = Object.fromEntries(Object.entries(values).filter(([k]) => !extra.has(k)));
    return api("POST", path, { stage, values: kept, ...chosen });
  }
}

// A phrase's or tip's text in its language, and its gloss beneath when it differs.
function glossed(item) {
  const text = document.createElement("span");
  text.textContent = item.text;
  text.lang = item.locale.replace("_", "-");
  if (!item.gloss || item.gloss.text === item.text) return [text];
  const gloss = document.createElement("span");
  gloss.className = "gloss";
  gloss.textContent = item.gloss.text;
  gloss.lang = item.gloss.locale.replace("_", "-");
  return [text, gloss];
}

async function showTips(stage) {
  const answer = await api("POST", `/conversations/${state.conv.id}/tips`, { stage });
  state.conv = answer.conversation;
  const items = answer.tips.map((tip) => {
    const li = document.createElement("li");
    li.append(...glossed(tip));
    return li;
  });
  $("tips").replaceChildren(...items);
  $("safety-steps").replaceChildren(...items.map((li) => li.cloneNode(true)));
}

async function next() {
  if (state.over) return;
  if (state.stage === "cool-down") {
    state.conv = await api("POST", `/conversations/${state.conv.id}/skip`, { stage: "cool-down" });
    return finish();
  }
  await sayNext(null);
}

async function another() {
  if (state.over || !state.stage || state.stage === "cool-down") return;
  await sayNext(state.stage);
}

async function note(eventName) {
  if (!state.conv || state.over) return;
  // The words in the "customer said" box go into the log with the event, verbatim.
  const words = $("heard-input").value.trim();
  const body = words ? { event: eventName, words } : { event: eventName };
  const answer = await api("POST", `/conversations/${state.conv.id}/events`, body);
  $("heard-input").value = "";
  state.conv = answer.conversation;
  await sayNext(null);
}

async function endContact() {
  if (!state.conv || state.conv.safety || state.over) return;
  await sayNext("close");
}

function finish() {
  state.over = true;
  state.stage = null;
  render();
  say(label("page-over", "The contact is over."));
}

async function hear(event) {
  event.preventDefault();
  const text = $("heard-input").value;
  if (!state.conv || !text.trim()) return;
  const answer = await api("POST", `/conversations/${state.conv.id}/hear`, { text });
  state.conv = answer.conversation;
  const signals = answer.hearing.heard.signals;
  const items = signals.map((s) => {
    const li = document.createElement("li");
    li.className = s.confidence;
    const name = document.createElement("strong");
    const situation = state.situations.find((x) => x.id === s.situation);
    name.textContent = SIGNAL_LABEL[s.signal] ? label(SIGNAL_LABEL[s.signal], s.signal)
      : (situation ? situation.label : s.signal);
    const words = document.createElement("q");
    words.textContent = s.words;
    li.append(name, " (" + s.confidence + "): ", words);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = label("page-heard-none", "Nothing to flag.");
    items.push(li);
  }
  $("signals").replaceChildren(...items);
  $("heard-input").value = "";
  if (answer.hearing.noted.length && !state.over) await sayNext(null);
  else render();
}

async function downloadLog() {
  if (!state.conv) return;
  const response = await fetch(`/v1/conversations/${state.conv.id}/log`);
  if (!response.ok) throw new Error("HTTP " + response.status);
  const blob = new Blob([await response.text()], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `deescalate-log-${state.conv.id.slice(0, 12)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function copyLine() {
  if (!state.phrase || $("copy").hidden) return;
  try {
    await navigator.clipboard.writeText(state.phrase.text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("line-text"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand("copy");
  }
  say(label("page-copied", "Copied"));
}

// --- drawing ----------------------------------------------------------------------------

function renderLine(repeat) {
  const p = state.phrase;
  $("line-text").textContent = p ? p.text : "";
  $("line-text").lang = p ? p.locale.replace("_", "-") : "";
  $("line-gloss").textContent = p && p.gloss && p.gloss.text !== p.text ? p.gloss.text : "";
  $("line-gloss").lang = p && p.gloss ? p.gloss.locale.replace("_", "-") : "";
  const notes = [];
  if (p && p.flags.includes("verbatim")) notes.push("verbatim");
  if (repeat) notes.push("no other line for this stage");
  $("line-note").textContent = notes.join(" · ");
  $("line").classList.toggle("verbatim", Boolean(p && p.flags.includes("verbatim")));
}

// A situation may name a stage differently (safety's apologise stage is "Acknowledge").
function stageName(stage) {
  const c = state.conv;
  const s = c && state.situations.find((x) => x.id === c.situation);
  return (s && s.stage_labels[stage]) || state.stageNames[stage] || stage;
}

function renderStages() {
  const items = STAGES.map((stage) => {
    const li = document.createElement("li");
    li.textContent = stageName(stage);
    const index = STAGES.indexOf(state.stage);
    if (stage === state.stage) li.setAttribute("aria-current", "step");
    if (index > -1 && STAGES.indexOf(stage) < index) li.className = "done";
    return li;
  });
  $("stages").replaceChildren(...items);
  $("stage-name").textContent = state.stage ? stageName(state.stage) : "";
}

function renderLadder() {
  const c = state.conv;
  const n = c.ladder.length;
  const names = c.ladder.map((_, i) => i === n - 1 ? ["page-ladder-end", "End"]
    : i === n - 2 ? ["page-ladder-final", "Final warning"]
      : i === 0 ? ["page-ladder-request", "Request"] : ["page-ladder-warning", "Warning"]);
  const items = [["page-ladder-none", "No abuse"], ...names].map(([key, english], step) => {
    const li = document.createElement("li");
    li.textContent = label(key, english);
    if (step === c.ladder_step) li.setAttribute("aria-current", "step");
    if (step < c.ladder_step) li.className = "done";
    return li;
  });
  $("ladder").replaceChildren(...items);
}

function renderValues() {
  // The name is the contact's (set when it starts); the crisis line is in the safety panel.
  const shown = state.fields.filter((f) => f.name !== "crisis_line" && f.name !== "name");
  $("values").hidden = shown.length === 0 || state.over;
  $("value-fields").replaceChildren(...shown.map(valueField));
}

function input(id, type, value, onInput) {
  const el = document.createElement(type === "list" ? "textarea" : "input");
  el.id = id;
  if (type !== "list") el.type = type;
  el.value = value;
  el.autocomplete = "off";
  el.addEventListener("input", () => onInput(el.value));
  return el;
}

function labelled(id, key, english, control) {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const l = document.createElement("label");
  l.htmlFor = id;
  l.dataset.label = key;
  l.textContent = english;
  wrap.append(l, control);
  return wrap;
}

function valueField(f) {
  const id = "value-" + f.name;
  const key = "page-" + f.name.replace("_", "-");
  const current = state.values[f.name];
  if (f.type === "money") {
    const money = current || { amount: "", currency: CURRENCY[state.conv.locale] || "EUR" };
    state.values[f.name] = money;
    const group = document.createElement("div");
    group.className = "money";
    const amount = input(id, "number", money.amount, (v) => { money.amount = v; });
    amount.step = "0.01";
    const currency = input(id + "-currency", "text", money.currency,
      (v) => { money.currency = v.toUpperCase(); });
    currency.maxLength = 3;
    currency.size = 4;
    group.append(labelled(id, key, f.name, amount),
      labelled(id + "-currency", "page-currency", "Currency", currency));
    return group;
  }
  const type = { number: "number", date: "date", list: "list" }[f.type] || "text";
  const el = input(id, type, current || "", (v) => { state.values[f.name] = v; });
  if (f.description) el.title = f.description;
  return labelled(id, key, f.name.replace("_", " "), el);
}

function render() {
  const c = state.conv;
  const safety = Boolean(c && c.safety);
  document.body.classList.toggle("safety-mode", safety);
  $("safety").hidden = !safety;
  $("end").hidden = safety || state.over;
  // The company's configured crisis line, or a field to type it in when there is none.
  $("crisis-line").textContent = state.crisisDefault || "";
  $("crisis-line").parentElement.hidden = !state.crisisDefault;
  $("crisis-field").hidden = Boolean(state.crisisDefault);
  for (const id of ["another", "next", "copy"]) $(id).disabled = state.over;
  $("another").disabled = state.over || state.stage === "cool-down";
  $("line").classList.toggle("over", state.over);
  if (state.over) {
    state.phrase = null;
    renderLine();
  }
  if (state.over || state.stage === "cool-down") $("choices").hidden = true;
  renderStages();
  renderLadder();
  renderValues();
  applyLabels();
}

// --- the translators' view --------------------------------------------------------------

async function showTranslators(show) {
  $("translators-view").hidden = !show;
  $("contact-view").hidden = show;
  $("show-translators").setAttribute("aria-pressed", String(show));
  $("show-contact").setAttribute("aria-pressed", String(!show));
  if (show && !$("coverage").childElementCount) await drawCoverage();
}

async function drawCoverage() {
  const m = await api("GET", "/coverage");
  const names = Object.fromEntries(state.situations.map((s) => [s.id, s.label]));
  const byKey = new Map(m.cells.map((c) => [`${c.locale} ${c.situation} ${c.stage}`, c]));
  const tables = m.locales.map((locale) => {
    const info = state.locales.find((l) => l.locale === locale);
    const table = document.createElement("table");
    const caption = table.createCaption();
    caption.textContent = `${info ? info.native_name : locale} (${locale}): ` +
      `${m.errors[locale] || 0} errors, ${m.warnings[locale] || 0} warnings`;
    const head = table.createTHead().insertRow();
    const corner = document.createElement("th");
    corner.textContent = label("page-situation", "Situation");
    head.append(corner);
    for (const stage of m.stages) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = state.stageNames[stage] || stage;
      head.append(th);
    }
    const body = table.createTBody();
    for (const situation of m.situations) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = names[situation] || situation;
      row.append(th);
      for (const stage of m.stages) {
        const c = byKey.get(`${locale} ${situation} ${stage}`);
        const td = row.insertCell();
        td.className = "cell " + (!c.total ? "empty" : c.translated === c.total ? "full"
          : c.translated ? "part" : "none");
        td.textContent = c.total ? `${c.translated}/${c.total}` : "–";
      }
    }
    return table;
  });
  $("coverage").replaceChildren(...tables);
}

// --- keyboard ---------------------------------------------------------------------------

const KEYS = {
  a: another, n: next, c: copyLine, e: endContact, d: downloadLog,
  i: () => note("insult"), k: () => note("calmed-down"), m: () => note("asked-for-manager"),
  l: () => note("threatened-to-sue"), h: () => note("self-harm"), v: () => note("violence"),
  u: () => $("heard-input").focus(),
  t: () => showTranslators($("translators-view").hidden),
};

function onKey(event) {
  if (event.altKey && event.key.toLowerCase() === "s") {
    event.preventDefault();
    $("setup").requestSubmit();
    return;
  }
  if (event.altKey && event.key === "1") return guard(showTranslators)(false);
  const typing = event.target.closest("input, textarea, select");
  if (typing) {
    if (event.key === "Escape") event.target.blur();
    if (event.target.id === "heard-input" && event.key === "Enter" && event.ctrlKey) {
      $("heard-form").requestSubmit();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const action = KEYS[event.key.toLowerCase()];
  if (!action) return;
  const needsContact = !["t", "u"].includes(event.key.toLowerCase());
  if (needsContact && (!state.conv || !$("translators-view").hidden)) return;
  event.preventDefault();
  guard(action)();
}

// --- start ------------------------------------------------------------------------------

async function init() {
  state.locales = await api("GET", "/locales");
  fillLocales();
  await loadAgentLanguage($("agent-locale").value);
  $("setup").addEventListener("submit", guard(start));
  $("customer-locale").addEventListener("change", fillRegisters);
  $("agent-locale").addEventListener("change", guard(() => loadAgentLanguage($("agent-locale").value)));
  $("another").addEventListener("click", guard(another));
  $("next").addEventListener("click", guard(next));
  $("copy").addEventListener("click", guard(copyLine));
  $("end").addEventListener("click", guard(endContact));
  $("download").addEventListener("click", guard(downloadLog));
  $("heard-form").addEventListener("submit", guard(hear));
  $("crisis-input").addEventListener("input", () => { state.values.crisis_line = $("crisis-input").value; });
  for (const button of document.querySelectorAll("[data-event]")) {
    button.addEventListener("click", guard(() => note(button.dataset.event)));
  }
  $("show-translators").addEventListener("click", guard(() => showTranslators(true)));
  $("show-contact").addEventListener("click", guard(() => showTranslators(false)));
  document.addEventListener("keydown", onKey);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", guard(init));
