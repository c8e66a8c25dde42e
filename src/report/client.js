// litmus-report-client: the report page's script, inlined into report.html by src/report/html.ts
// after chart.js and the shared error-bar plugin (`drawErrorBars`, `ERROR_BARS_PLUGIN_ID`).
// Every string from the run is untrusted: the DOM is built with createElement and textContent only.
/* global Chart, drawErrorBars, ERROR_BARS_PLUGIN_ID */
(() => {
  const t0 = performance.now();
  const $ = (id) => document.getElementById(id);
  const PAGE = 100;
  const STATUS = ["wrong", "right", "stale"];

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === "text") node.textContent = v;
        else if (k === "cls") node.className = v;
        else node.setAttribute(k, v);
      }
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function readJson(id) {
    const node = $(id);
    return node ? JSON.parse(node.textContent || "null") : null;
  }

  async function readData() {
    const node = $("litmus-data");
    if (!node) return { probes: [], comparing: false, problems: [] };
    if (node.dataset.encoding !== "gzip-base64") return JSON.parse(node.textContent || "null");
    const bin = atob(node.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  // -------------------------------------------------------------------------------------------
  // Charts

  function drawCharts() {
    const specs = readJson("litmus-charts") || [];
    if (typeof Chart === "undefined") return [];
    const css = getComputedStyle(document.documentElement);
    Chart.defaults.color = css.getPropertyValue("--muted").trim() || "#666";
    Chart.defaults.borderColor = css.getPropertyValue("--grid").trim() || "rgba(0,0,0,.1)";
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    const whiskers = css.getPropertyValue("--fg").trim() || "#000";
    Chart.register({
      id: ERROR_BARS_PLUGIN_ID,
      afterDatasetsDraw: drawErrorBars,
      defaults: { color: whiskers },
    });
    const charts = [];
    for (const spec of specs) {
      const canvas = $(`chart-${spec.id}`);
      if (canvas) charts.push(new Chart(canvas, spec.config));
    }
    window.addEventListener("beforeprint", () => {
      for (const c of charts) c.resize();
    });
    return charts;
  }

  // -------------------------------------------------------------------------------------------
  // Text with marked spans (recorded edits, the extracted answer). Marks hold the text itself, so
  // a container's textContent is exactly the text; whitespace and empty spans are made visible by
  // CSS alone (mark.ws, mark.nl, mark.gap), never by changing the text.

  function markClass(base, piece) {
    if (piece === "") return `${base} gap`;
    if (/^\s+$/.test(piece)) return `${base} ws${piece.includes("\n") ? " nl" : ""}`;
    return base;
  }

  /** `text` with each [start, end, title] span (sorted, non-overlapping) in a <mark class=cls>. */
  function marked(text, spans, cls) {
    const pieces = [];
    let at = 0;
    for (const [start, end, title] of spans) {
      if (start < at || end < start || end > text.length) continue;
      if (start > at) pieces.push(text.slice(at, start));
      const piece = text.slice(start, end);
      const props = { cls: markClass(cls, piece), text: piece };
      if (title) props.title = title;
      pieces.push(el("mark", props));
      at = end;
    }
    if (at < text.length) pieces.push(text.slice(at));
    return textBlocks(pieces, text.length);
  }

  // A long text is split into blocks of about CHUNK characters (after a line break or a space
  // where one is near) that the browser lays out only when they come on screen
  // (`content-visibility: auto`): a 100,000-character question opens at once. Marks stay whole.
  const CHUNK = 4000;

  function textBlocks(pieces, length) {
    const frag = document.createDocumentFragment();
    if (length <= 2 * CHUNK) {
      frag.append(...pieces);
      return frag;
    }
    let current = [];
    let size = 0;
    const flush = () => {
      if (current.length > 0) frag.append(el("span", { cls: "chunk" }, current));
      current = [];
      size = 0;
    };
    for (let piece of pieces) {
      if (typeof piece !== "string") {
        current.push(piece);
        size += piece.textContent.length;
        if (size >= CHUNK) flush();
        continue;
      }
      while (size + piece.length > CHUNK) {
        const room = CHUNK - size;
        const newline = piece.lastIndexOf("\n", room - 1);
        const space = piece.lastIndexOf(" ", room - 1);
        const cut = newline > room / 2 ? newline + 1 : space > room / 2 ? space + 1 : room;
        if (cut > 0) current.push(piece.slice(0, cut));
        flush();
        piece = piece.slice(cut);
      }
      if (piece !== "") {
        current.push(piece);
        size += piece.length;
      }
    }
    flush();
    return frag;
  }

  /** A variant's question, and where each recorded edit sits in the original and in the variant. */
  function editView(original, u) {
    if (u.q !== null) return { text: u.q, before: [], after: [] };
    let text = "";
    let at = 0;
    const before = [];
    const after = [];
    for (const [start, end, replacement] of u.ed) {
      text += original.slice(at, start);
      const was = original.slice(start, end);
      before.push([start, end, `became \u201c${replacement}\u201d`]);
      after.push([text.length, text.length + replacement.length, `was \u201c${was}\u201d`]);
      text += replacement;
      at = end;
    }
    return { text: text + original.slice(at), before, after };
  }

  function questionOf(p, u) {
    return u.p === "original" ? p.q : editView(p.q, u).text;
  }

  function promptText(u, question) {
    return u.pr.map((i) => (i < 0 ? question : data.texts[i])).join("");
  }

  // -------------------------------------------------------------------------------------------
  // Search: an exact problem or variant id, an id prefix ending in `*`, or words of a question.

  const SEARCH_KINDS = [
    { kind: "prefix", test: (text) => text.endsWith("*"), value: (text) => text.slice(0, -1) },
    { kind: "id", test: (text) => idIndex.has(text), value: (text) => text },
    { kind: "text", test: () => true, value: (text) => text.toLowerCase() },
  ];
  const SEARCH_WORDS = { prefix: "id prefix", id: "exact id", text: "question text" };

  function parseSearch(raw) {
    const text = raw.trim();
    if (text === "") return null;
    const rule = SEARCH_KINDS.find((r) => r.test(text));
    return { kind: rule.kind, value: rule.value(text) };
  }

  let idIndex = new Map();
  let haystacks = null;

  function searchMatches(p, i) {
    const s = state.search;
    if (s === null) return true;
    if (s.kind === "id") return idIndex.get(s.value) === i;
    if (s.kind === "prefix") return p.id.startsWith(s.value) || p.u.some((u) => u.id?.startsWith(s.value));
    if (!haystacks)
      haystacks = data.problems.map((q) =>
        [q.q, ...q.u.map((u) => (u.p === "original" ? "" : questionOf(q, u)))].join("\n").toLowerCase(),
      );
    return haystacks[i].includes(s.value);
  }

  // -------------------------------------------------------------------------------------------
  // Sorting: one header button per column; missing values last in either direction.

  const VERDICT_RANK = { memorized: 0, suspect: 1, fragile: 2, robust: 3, unsolved: 4 };

  function compareNatural(a, b) {
    const x = a.split(/(\d+)/);
    const y = b.split(/(\d+)/);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      if (i % 2 === 1) return Number(x[i]) - Number(y[i]) || (x[i] < y[i] ? -1 : 1);
      return x[i] < y[i] ? -1 : 1;
    }
    return x.length - y.length;
  }

  const compareValues = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const SORTS = {
    id: { value: (p) => p.id, compare: compareNatural },
    verdict: { value: (p) => VERDICT_RANK[p.v] ?? 9, compare: compareValues },
    baseline: { value: (p) => (p.bv ? (VERDICT_RANK[p.bv] ?? 9) : null), compare: compareValues },
    oa: { value: (p) => p.oa, compare: compareValues },
    ss: { value: (p) => p.ss, compare: compareValues },
    variants: { value: (p) => variantCount(p), compare: compareValues },
    question: { value: (p) => p.q, compare: compareValues },
  };

  function sortIndices(indices) {
    const spec = SORTS[state.sort.key];
    if (!spec) return indices;
    const sign = state.sort.dir === "descending" ? -1 : 1;
    const keyed = indices.map((i) => [i, spec.value(data.problems[i])]);
    keyed.sort(([i, a], [j, b]) => {
      const missingA = a === null || a === undefined;
      const missingB = b === null || b === undefined;
      if (missingA || missingB) return missingA === missingB ? i - j : missingA ? 1 : -1;
      return sign * spec.compare(a, b) || i - j;
    });
    return keyed.map(([i]) => i);
  }

  function showSort() {
    for (const button of document.querySelectorAll("#drill thead button.sort")) {
      const th = button.closest("th");
      if (button.dataset.sort === state.sort.key) th.setAttribute("aria-sort", state.sort.dir);
      else th.removeAttribute("aria-sort");
    }
  }

  // -------------------------------------------------------------------------------------------
  // Drill-down

  let data = { probes: [], comparing: false, texts: [], rules: [], problems: [] };
  let filtered = [];
  let shown = 0;
  const state = {
    verdict: "",
    probe: "",
    status: "",
    search: null,
    changed: false,
    sort: { key: "", dir: "" },
  };

  function unitsOf(p) {
    return state.probe ? p.u.filter((u) => u.p === "original" || u.p === state.probe) : p.u;
  }

  function variantCount(p) {
    return p.u.filter((u) => u.p !== "original" && (!state.probe || u.p === state.probe)).length;
  }

  function hasStatus(p, status) {
    for (const u of unitsOf(p)) for (const c of u.c) if (c[3] === status) return true;
    return false;
  }

  function matches(p, i) {
    if (state.verdict && p.v !== state.verdict) return false;
    if (state.probe && !p.u.some((u) => u.p === state.probe)) return false;
    if (state.status === "stale" && !hasStatus(p, 2)) return false;
    if (state.status === "wrong" && !hasStatus(p, 0)) return false;
    if (state.changed && (p.bv === null || p.bv === undefined || p.bv === p.v)) return false;
    return searchMatches(p, i);
  }

  function pct(v) {
    return typeof v === "number" ? `${(v * 100).toFixed(0)}%` : "\u2013";
  }

  function ruleName(c) {
    return c[4] >= 0 ? data.rules[c[4]][0] : null;
  }

  /**
   * A text shown in a box of limited height that scrolls: focusable and labelled, so that a
   * keyboard can scroll it too (as html.ts scrollBox does for wide tables). A group, not a region:
   * an open problem holds dozens of them, too many for landmarks.
   */
  function scrollText(cls, label, children) {
    return el("pre", { cls, tabindex: "0", role: "group", "aria-label": label }, children);
  }

  function completionItem(c, unitName) {
    const label = c[0] < 0 ? "greedy" : `sample ${c[0] + 1}`;
    const rule = ruleName(c);
    const found =
      c[2] === null
        ? [el("span", { text: rule ? `no answer (${rule})` : "no answer extracted" })]
        : [
            el("span", { text: "answer " }),
            el("b", { cls: "ans-value", text: c[2] }),
            el("span", { text: rule ? " by " : "" }),
            rule ? el("code", { cls: "rule", text: rule, title: data.rules[c[4]][1] }) : null,
            el("span", { cls: "muted", text: c[5] < 0 ? " (not located in the text)" : "" }),
          ];
    const text = c[1];
    const body = marked(text, c[5] >= 0 ? [[c[5], c[6], `extracted by ${rule}`]] : [], "ans");
    return el("li", { cls: `comp s${c[3]}` }, [
      el("div", { cls: "comp-head" }, [
        el("b", { text: label }),
        el("span", { cls: `badge s-${c[3]}`, text: STATUS[c[3]] }),
        ...found,
      ]),
      scrollText("completion", `${unitName}: ${label} completion`, [body]),
    ]);
  }

  /** A <details> whose content is built the first time it opens (long texts cost nothing until read). */
  function lazyDetails(cls, summary, build) {
    const details = el("details", { cls }, [el("summary", { text: summary })]);
    let filled = false;
    details.addEventListener("toggle", () => {
      if (filled || !details.open) return;
      filled = true;
      details.append(build());
    });
    return details;
  }

  function completionsBlock(u, unitName) {
    const item = (c) => completionItem(c, unitName);
    const greedy = u.c.filter((c) => c[0] < 0);
    const samples = u.c.filter((c) => c[0] >= 0);
    const list = el("ul", { cls: "comps" }, greedy.map(item));
    if (samples.length === 0) return list;
    const counts = [0, 0, 0];
    for (const c of samples) counts[c[3]]++;
    const summary = `${samples.length} samples: ${counts[1]} right, ${counts[0]} wrong${u.ch ? `, ${counts[2]} stale` : ""}`;
    return el("div", null, [
      list,
      lazyDetails("samples", summary, () => el("ul", { cls: "comps" }, samples.map(item))),
    ]);
  }

  /** The exact prompt the model was given (the question within it tinted), collapsed by default. */
  function promptBlock(u, question, unitName) {
    const length = promptText(u, question).length;
    return lazyDetails(
      "prompt",
      `Prompt given to the model (${length.toLocaleString("en-US")} characters)`,
      () =>
        scrollText("prompt-text", `${unitName}: prompt`, [
          // The question is tinted within the prompt, unless the prompt is long enough to be split.
          textBlocks(
            u.pr.map((i) =>
              i >= 0
                ? data.texts[i]
                : length > 2 * CHUNK
                  ? question
                  : el("span", { cls: "pq", text: question }),
            ),
            length,
          ),
        ]),
    );
  }

  function unitBlock(p, u) {
    if (u.p === "original") {
      return el("div", { cls: "unit original" }, [
        el("h3", { text: `original \u00b7 expected answer ${u.e}` }),
        el("div", { cls: "sbs one" }, [
          el("div", null, [
            el("span", { cls: "lbl", text: "question" }),
            el("div", { cls: "qtext" }, [marked(p.q, [], "")]),
          ]),
        ]),
        promptBlock(u, p.q, `${p.id} original`),
        completionsBlock(u, `${p.id} original`),
      ]);
    }
    const view = editView(p.q, u);
    const answer = u.ch
      ? `expected ${u.e} \u00b7 original answer ${p.a} (changed)`
      : `expected ${u.e} (unchanged)`;
    const note =
      u.q !== null ? "the recorded edits do not reproduce this question: shown without highlights" : "";
    return el("div", { cls: "unit variant", "data-probe": u.p, "data-variant": u.id || "" }, [
      el("h3", { text: `${u.p} \u00b7 ${u.k || ""} \u00b7 ${answer}` }),
      el("div", { cls: "sbs" }, [
        el("div", null, [
          el("span", { cls: "lbl", text: "original" }),
          el("div", { cls: "qtext orig" }, [marked(p.q, view.before, "del")]),
        ]),
        el("div", null, [
          el("span", { cls: "lbl", text: `variant ${u.id}` }),
          el("div", { cls: "qtext var" }, [marked(view.text, view.after, "ins")]),
        ]),
      ]),
      note ? el("p", { cls: "muted", text: note }) : null,
      promptBlock(u, view.text, `variant ${u.id}`),
      completionsBlock(u, `variant ${u.id}`),
    ]);
  }

  function detailRow(p, cols) {
    const units = unitsOf(p);
    const td = el("td", { colspan: String(cols) });
    for (const u of units) td.append(unitBlock(p, u));
    const used = new Set();
    for (const u of units) for (const c of u.c) if (c[4] >= 0) used.add(c[4]);
    if (used.size > 0) {
      const rules = [...used].sort((a, b) => a - b).map((i) => `${data.rules[i][0]}: ${data.rules[i][1]}`);
      td.append(el("p", { cls: "muted rules", text: `Extraction rules: ${rules.join("; ")}.` }));
    }
    return el("tr", { cls: "detail", "data-id": p.id }, [td]);
  }

  // -------------------------------------------------------------------------------------------
  // Open problems and the URL: opening a problem pushes #problem=<id>; back/forward, and a page
  // loaded with that hash, open the problem it names (and close the others).

  const HASH_KEY = "#problem=";

  function hashFor(id) {
    return `${HASH_KEY}${encodeURIComponent(id)}`;
  }

  function hashId() {
    if (!location.hash.startsWith(HASH_KEY)) return null;
    try {
      return decodeURIComponent(location.hash.slice(HASH_KEY.length));
    } catch {
      return null;
    }
  }

  function urlWithout() {
    return location.href.split("#")[0];
  }

  function rowOf(id) {
    for (const tr of $("drill-body").children)
      if (tr.classList.contains("problem") && tr.dataset.id === id) return tr;
    return null;
  }

  function setOpen(tr, open) {
    const next = tr.nextElementSibling;
    const isOpen = next?.classList.contains("detail") === true;
    if (open === isOpen) return;
    if (open) tr.after(detailRow(data.problems[Number(tr.dataset.index)], tr.cells.length));
    else next.remove();
    tr.classList.toggle("open", open);
    tr.querySelector("button.open").setAttribute("aria-expanded", String(open));
  }

  function toggleByUser(tr) {
    const opening = !tr.classList.contains("open");
    setOpen(tr, opening);
    if (opening) history.pushState(null, "", hashFor(tr.dataset.id));
    else if (hashId() === tr.dataset.id) history.pushState(null, "", urlWithout());
  }

  function syncFromHash() {
    const named = hashId();
    // A variant's id names its problem.
    const index = named === null ? undefined : idIndex.get(named);
    const id = index === undefined ? named : data.problems[index].id;
    for (const tr of [...$("drill-body").querySelectorAll("tr.problem.open")])
      if (tr.dataset.id !== id) setOpen(tr, false);
    if (id === null) return;
    if (index === undefined) {
      $("f-count").textContent = `No problem ${id} in this report.`;
      return;
    }
    let tr = rowOf(id);
    if (!tr) {
      const at = filtered.indexOf(index);
      if (at >= 0) while (shown <= at) renderMore();
      else showOnly(id);
      tr = rowOf(id);
    }
    if (!tr) return;
    setOpen(tr, true);
    tr.scrollIntoView({ block: "start" });
    tr.querySelector("button.open").focus({ preventScroll: true });
  }

  /** Clears every filter and searches the exact id, so a linked problem hidden by filters is shown. */
  function showOnly(id) {
    for (const [inputId, key, empty] of [
      ["f-verdict", "verdict", ""],
      ["f-probe", "probe", ""],
      ["f-status", "status", ""],
    ]) {
      const input = $(inputId);
      if (input) input.value = empty;
      state[key] = empty;
    }
    const changed = $("f-changed");
    if (changed) changed.checked = false;
    state.changed = false;
    $("f-search").value = id;
    state.search = parseSearch(id);
    applyFilters();
  }

  function problemRow(p, index) {
    const cells = [
      el("td", null, [el("button", { type: "button", cls: "open", "aria-expanded": "false", text: p.id })]),
      el("td", null, [el("span", { cls: `badge v-${p.v}`, text: p.v })]),
    ];
    if (data.comparing)
      cells.push(el("td", null, p.bv ? [el("span", { cls: `badge v-${p.bv}`, text: p.bv })] : ["\u2013"]));
    cells.push(
      el("td", { text: pct(p.oa) }),
      el("td", { text: pct(p.ss) }),
      el("td", { text: String(variantCount(p)) }),
      el("td", {
        cls: "q",
        text: p.q.length > 160 ? `${p.q.slice(0, 160)}\u2026` : p.q,
        title: p.q.length > 1000 ? `${p.q.slice(0, 1000)}\u2026` : p.q,
      }),
    );
    const tr = el("tr", { cls: "problem", "data-id": p.id, "data-index": String(index) }, cells);
    // The whole row opens the problem; the id's button makes it keyboard-usable (its click bubbles here).
    tr.addEventListener("click", () => toggleByUser(tr));
    return tr;
  }

  function renderMore() {
    const body = $("drill-body");
    const frag = document.createDocumentFragment();
    const end = Math.min(filtered.length, shown + PAGE);
    for (; shown < end; shown++) frag.append(problemRow(data.problems[filtered[shown]], filtered[shown]));
    body.append(frag);
    const how = state.search ? ` (search: ${SEARCH_WORDS[state.search.kind]})` : "";
    $("f-count").textContent =
      `${filtered.length.toLocaleString("en-US")} of ${data.problems.length.toLocaleString("en-US")} problems match${how}` +
      (shown < filtered.length ? `; showing ${shown.toLocaleString("en-US")}` : "");
    $("drill-more").hidden = shown >= filtered.length;
  }

  function applyFilters() {
    const indices = [];
    data.problems.forEach((p, i) => {
      if (matches(p, i)) indices.push(i);
    });
    filtered = sortIndices(indices);
    shown = 0;
    // Problems open before stay open when their rows are shown again (sorting, a wider filter).
    const body = $("drill-body");
    const open = new Set([...body.querySelectorAll("tr.problem.open")].map((tr) => tr.dataset.id));
    body.replaceChildren();
    renderMore();
    for (const tr of [...body.querySelectorAll("tr.problem")]) if (open.has(tr.dataset.id)) setOpen(tr, true);
    showSort();
  }

  // -------------------------------------------------------------------------------------------
  // Export: exactly the rows the filters and the sort select (all of them, not only those
  // scrolled into view), as CSV or JSON, downloaded from a Blob (nothing leaves the page).

  function exportColumns() {
    return [
      ["id", (p) => p.id],
      ["verdict", (p) => p.v],
      ...(data.comparing ? [["baseline_verdict", (p) => p.bv ?? null]] : []),
      ["original_accuracy", (p) => p.oa],
      ["stale_share", (p) => p.ss],
      ["variants", (p) => variantCount(p)],
      ["question", (p) => p.q],
    ];
  }

  function exportRecords() {
    const columns = exportColumns();
    return filtered.map((i) =>
      Object.fromEntries(columns.map(([name, value]) => [name, value(data.problems[i])])),
    );
  }

  /** One CSV field: text that a spreadsheet would run as a formula gets a leading `'`; quoted when needed. */
  function csvField(value) {
    if (value === null || value === undefined) return "";
    let text = String(value);
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function toCsv(records) {
    const names = exportColumns().map(([name]) => name);
    const lines = [names.join(",")];
    for (const r of records) lines.push(names.map((n) => csvField(r[n])).join(","));
    return `${lines.join("\r\n")}\r\n`;
  }

  function download(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el("a", { href: url, download: name, hidden: "" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  function setupDrill() {
    idIndex = new Map();
    data.problems.forEach((p, i) => {
      for (const u of p.u) if (u.id !== null) idIndex.set(u.id, i);
    });
    data.problems.forEach((p, i) => {
      idIndex.set(p.id, i);
    });
    const bind = (id, key, ev, read) => {
      const input = $(id);
      if (!input) return;
      let timer = 0;
      input.addEventListener(ev, () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => {
            state[key] = read(input);
            applyFilters();
          },
          ev === "input" ? 120 : 0,
        );
      });
    };
    bind("f-verdict", "verdict", "change", (i) => i.value);
    bind("f-probe", "probe", "change", (i) => i.value);
    bind("f-status", "status", "change", (i) => i.value);
    bind("f-changed", "changed", "change", (i) => i.checked);
    bind("f-search", "search", "input", (i) => parseSearch(i.value));
    for (const button of document.querySelectorAll("#drill thead button.sort")) {
      button.addEventListener("click", () => {
        const key = button.dataset.sort;
        const dir = state.sort.key === key && state.sort.dir === "ascending" ? "descending" : "ascending";
        state.sort = { key, dir };
        applyFilters();
      });
    }
    $("export-csv").addEventListener("click", () =>
      download("litmus-problems.csv", "text/csv;charset=utf-8", toCsv(exportRecords())),
    );
    $("export-json").addEventListener("click", () =>
      download("litmus-problems.json", "application/json", `${JSON.stringify(exportRecords(), null, 2)}\n`),
    );
    $("more-btn").addEventListener("click", renderMore);
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting) && shown < filtered.length) renderMore();
        },
        { rootMargin: "600px" },
      ).observe($("drill-more"));
    }
    applyFilters();
    window.addEventListener("popstate", syncFromHash);
    window.addEventListener("hashchange", syncFromHash);
    syncFromHash();
  }

  async function main() {
    drawCharts();
    data = await readData();
    setupDrill();
    window.litmusReport = {
      scriptMs: performance.now() - t0,
      interactiveMs: performance.now(),
      problems: data.problems.length,
    };
    document.documentElement.dataset.ready = "1";
  }

  main().catch((err) => {
    document.documentElement.dataset.ready = "error";
    const box = $("f-count");
    if (box) box.textContent = `could not load the problems: ${err?.message ? err.message : err}`;
    throw err;
  });
})();
