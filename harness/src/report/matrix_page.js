// Filters and the cell panel of matrix.html. All state is in the URL fragment, so a link
// reproduces the view: #service=sqs&tier=core&verdict=fail&target=moto&differs=1&q=fifo&open=<spec>&on=<target>&vs=<target>
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const specs = new Map(data.specs.map(s => [s.id, s]));
const targets = data.targets.map(t => t.name);
const form = document.getElementById("filters");
const panel = document.getElementById("panel");
const rows = [...document.querySelectorAll("#matrix tbody tr")];
const KEYS = ["service", "tier", "verdict", "target", "differs", "q", "open", "on", "vs"];
const UNEXPECTED = ["fail", "new-divergence", "error", "unexpected-pass", "recorded-contradicts"];
const DIVERGING = ["fail", "new-divergence", "error", "expected-divergence"];
const REASON_HEADING = {
  "expected-divergence": "Why it diverges",
  "unexpected-pass": "Listed as a divergence, yet it passed: the entry below is out of date",
};

// Fragments are not form data: '+' (as in kinesalite+dynalite) stays a '+'.
function readState() {
  const state = {};
  for (const part of location.hash.slice(1).split("&")) {
    const at = part.indexOf("=");
    if (at > 0) state[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1));
  }
  return state;
}

function writeState(state) {
  const parts = KEYS.filter(k => state[k]).map(k => k + "=" + encodeURIComponent(state[k]).replace(/%2F/g, "/"));
  history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  render(state);
}

function cellMatches(cell, verdict) {
  if (!cell) return false;
  if (verdict === "unexpected") return UNEXPECTED.includes(cell.dataset.verdict);
  if (verdict === "findings") return cell.dataset.findings !== "0";
  return cell.dataset.verdict === verdict;
}

function filter(state) {
  const q = (state.q || "").toLowerCase();
  let shown = 0;
  for (const row of rows) {
    const cells = [...row.querySelectorAll("td.cell")];
    const scope = state.target ? cells.filter(c => c.dataset.target === state.target) : cells;
    const visible = (!state.service || row.dataset.service === state.service)
      && (!state.tier || row.dataset.tier === state.tier)
      && (!state.differs || row.dataset.differs === "1")
      && (!q || row.dataset.id.toLowerCase().includes(q))
      && (!state.verdict || scope.some(c => cellMatches(c, state.verdict)))
      && (!state.target || scope.some(c => c.dataset.verdict !== "absent"));
    row.hidden = !visible;
    shown += visible;
  }
  document.getElementById("count").textContent = `${shown} of ${rows.length} specs`;
  for (const th of document.querySelectorAll("#matrix th[data-target]")) th.classList.toggle("focus", th.dataset.target === state.target);
}

function el(tag, props, ...children) {
  const node = Object.assign(document.createElement(tag), props || {});
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function shown(value) {
  return value === undefined || value === null
    ? el("span", { className: "absent-value", textContent: "(absent)" })
    : JSON.stringify(value);
}

function differences(id, left, right) {
  const pairs = data.diffs[id] || {};
  if (pairs[left + "\n" + right]) return pairs[left + "\n" + right];
  return (pairs[right + "\n" + left] || null) && pairs[right + "\n" + left].map(d => ({ path: d.path, left: d.right, right: d.left }));
}

function openPanel(state) {
  const spec = specs.get(state.open);
  const on = state.on;
  for (const c of document.querySelectorAll("td.cell.open")) c.classList.remove("open");
  if (!spec || !targets.includes(on)) { panel.hidden = true; return; }
  const row = rows.find(r => r.dataset.id === spec.id);
  row?.querySelector(`td.cell[data-target="${CSS.escape(on)}"]`)?.classList.add("open");
  const cell = spec.cells[on] || { verdict: "absent" };
  const snapshot = (data.snapshots[on] || {})[spec.id];
  const close = el("button", { className: "close", title: "close (Esc)", textContent: "×", onclick: () => writeState({ ...state, open: "", on: "", vs: "" }) });
  const parts = [close, el("h3", { textContent: spec.id }), el("div", { textContent: spec.title }),
    el("p", {}, el("a", { href: spec.source, textContent: "AWS documentation" }),
      spec.file ? " · " : null, spec.file ? el("a", { href: `../${spec.file}`, textContent: "the spec (YAML)" }) : null,
      ` · ${spec.service} · ${spec.tier}`),
    el("p", {}, `${on}: `, el("span", { className: `verdict ${cell.verdict}`, textContent: cell.verdict }))];
  if (cell.reason) {
    const expectations = el("a", { href: `expectations/${on}.yaml`, textContent: `expectations/${on}.yaml` });
    const heading = REASON_HEADING[cell.verdict] || "Known divergence";
    parts.push(el("section", { id: "reason" }, el("h4", { textContent: heading }), el("p", { textContent: cell.reason }),
      el("p", {}, "recorded in ", expectations, cell.link ? " · " : null, cell.link ? el("a", { href: cell.link, textContent: "source" }) : null)));
  } else if (cell.link) {
    parts.push(el("p", {}, el("a", { href: cell.link, textContent: on === data.reference ? "the recording" : "link" })));
  }
  if (cell.message) parts.push(el("section", {}, el("h4", { textContent: "Message" }), el("pre", { textContent: cell.message })));
  if (cell.model_findings?.length) {
    parts.push(el("section", { id: "findings" }, el("h4", { textContent: `Model findings (${cell.model_findings.length})` }),
      el("ul", {}, ...cell.model_findings.map(f => el("li", { textContent: f })))));
  }
  const diverging = divergingStep(spec, on, cell, snapshot, state.vs);
  if (diverging) parts.push(diverging);
  const others = targets.filter(t => t !== on && (data.snapshots[t] || {})[spec.id]);
  if (snapshot && others.length) {
    const vs = others.includes(state.vs) ? state.vs : (others.includes(data.reference) && on !== data.reference ? data.reference : others[0]);
    const select = el("select", { onchange: e => writeState({ ...state, vs: e.target.value }) },
      ...others.map(t => el("option", { value: t, textContent: t, selected: t === vs })));
    const found = differences(spec.id, on, vs) || [];
    const table = found.length
      ? el("table", {}, el("thead", {}, el("tr", {}, el("th", { textContent: "field" }), el("th", { textContent: on }), el("th", { textContent: vs }))),
        el("tbody", {}, ...found.map(d => el("tr", {}, el("td", { textContent: d.path }), el("td", {}, shown(d.left)), el("td", {}, shown(d.right))))))
      : el("p", { textContent: DIVERGING.includes(cell.verdict)
        ? "The snapshots agree field by field: the divergence is in what the spec checks (the message and reason above say which)."
        : "No field differs." });
    parts.push(el("section", { id: "diff" }, el("h4", {}, `Diff against `, select, ` (${found.length} field${found.length === 1 ? "" : "s"})`), table));
  }
  parts.push(el("section", { id: "snapshot" }, el("h4", { textContent: "Snapshot" }),
    snapshot ? el("pre", { textContent: JSON.stringify(snapshot, null, 2) }) : el("p", { textContent: `No snapshot of this spec on ${on}.` })));
  panel.replaceChildren(...parts);
  panel.hidden = false;
}

// A failing spec stops at the step that diverged: the last exchange of its snapshot. Shown beside
// what AWS was recorded answering at that step, else the compared target's answer there.
function divergingStep(spec, on, cell, snapshot, vs) {
  if (!DIVERGING.includes(cell.verdict) || !snapshot?.exchanges?.length) return null;
  const step = snapshot.exchanges[snapshot.exchanges.length - 1];
  const answerOf = t => ((data.snapshots[t] || {})[spec.id]?.exchanges || []).find(x => x.step === step.step);
  const recorded = on !== data.reference ? answerOf(data.reference) : null;
  const other = recorded ? data.reference : [vs, ...targets].find(t => t && t !== on && answerOf(t));
  const column = (title, exchange) => el("div", {}, el("h5", { textContent: title }),
    el("pre", { textContent: exchange ? JSON.stringify(exchange.response, null, 2) : "(no answer kept for this step)" }));
  return el("section", { id: "diverging" }, el("h4", { textContent: `Diverging step: ${step.step}` }),
    el("div", { className: "side-by-side" }, column(`${on} answered`, step),
      column(recorded ? "AWS answered (recorded)" : other ? `${other} answered` : "AWS: no recording of this step", other ? answerOf(other) : null)));
}

function render(state) {
  for (const field of form.elements) {
    if (field.type === "checkbox") field.checked = !!state[field.name];
    else if (field.name) field.value = state[field.name] || "";
  }
  filter(state);
  openPanel(state);
}

form.addEventListener("input", () => {
  const state = readState();
  for (const field of form.elements) if (field.name) state[field.name] = field.type === "checkbox" ? (field.checked ? "1" : "") : field.value;
  writeState(state);
});
document.getElementById("matrix").addEventListener("click", e => {
  const cell = e.target.closest("td.cell");
  if (cell) writeState({ ...readState(), open: cell.closest("tr").dataset.id, on: cell.dataset.target });
});
document.addEventListener("keydown", e => { if (e.key === "Escape") writeState({ ...readState(), open: "", on: "", vs: "" }); });
window.addEventListener("hashchange", () => render(readState()));
render(readState());
