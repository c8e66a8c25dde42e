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
  // Word-level diff (longest common subsequence over words and whitespace runs)

  function tokens(text) {
    return text.match(/\s+|[^\s]+/g) || [];
  }

  function diff(a, b) {
    const x = tokens(a);
    const y = tokens(b);
    let start = 0;
    while (start < x.length && start < y.length && x[start] === y[start]) start++;
    let endX = x.length;
    let endY = y.length;
    while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
      endX--;
      endY--;
    }
    const xs = x.slice(start, endX);
    const ys = y.slice(start, endY);
    const n = xs.length;
    const m = ys.length;
    const table = new Array((n + 1) * (m + 1)).fill(0);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * (m + 1) + j] =
          xs[i] === ys[j]
            ? table[(i + 1) * (m + 1) + j + 1] + 1
            : Math.max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1]);
      }
    }
    const ops = [];
    for (const tok of x.slice(0, start)) ops.push(["=", tok]);
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (xs[i] === ys[j]) {
        ops.push(["=", xs[i]]);
        i++;
        j++;
      } else if (table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) ops.push(["-", xs[i++]]);
      else ops.push(["+", ys[j++]]);
    }
    while (i < n) ops.push(["-", xs[i++]]);
    while (j < m) ops.push(["+", ys[j++]]);
    for (const tok of x.slice(endX)) ops.push(["=", tok]);
    return ops;
  }

  function visibleSpace(tok) {
    return /^\s+$/.test(tok) ? tok.replace(/\n/g, "\u21b5\n").replace(/ /g, "\u2423") : tok;
  }

  function diffSide(ops, mark, cls) {
    const box = document.createDocumentFragment();
    for (const [op, tok] of ops) {
      if (op === "=") box.append(tok);
      else if (op === mark) box.append(el("mark", { cls, text: visibleSpace(tok) }));
    }
    return box;
  }

  // -------------------------------------------------------------------------------------------
  // Drill-down

  let data = { probes: [], comparing: false, problems: [] };
  let filtered = [];
  let shown = 0;
  const state = { verdict: "", probe: "", status: "", search: "", changed: false };
  let haystacks = null;

  function unitsOf(p) {
    return state.probe ? p.u.filter((u) => u.p === "original" || u.p === state.probe) : p.u;
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
    if (state.search) {
      if (!haystacks)
        haystacks = data.problems.map((q) =>
          [q.id, q.q, ...q.u.map((u) => u.q || "")].join("\n").toLowerCase(),
        );
      if (!haystacks[i].includes(state.search)) return false;
    }
    return true;
  }

  function pct(v) {
    return typeof v === "number" ? `${(v * 100).toFixed(0)}%` : "\u2013";
  }

  function completionItem(c) {
    const label = c[0] < 0 ? "greedy" : `sample ${c[0] + 1}`;
    return el("li", { cls: `comp s${c[3]}` }, [
      el("div", { cls: "comp-head" }, [
        el("b", { text: label }),
        el("span", { cls: `badge s-${c[3]}`, text: STATUS[c[3]] }),
        el("span", { text: c[2] === null ? "no answer extracted" : `answer: ${c[2]}` }),
      ]),
      el("pre", { text: c[1] }),
    ]);
  }

  function completionsBlock(u) {
    const greedy = u.c.filter((c) => c[0] < 0);
    const samples = u.c.filter((c) => c[0] >= 0);
    const list = el("ul", { cls: "comps" }, greedy.map(completionItem));
    if (samples.length === 0) return list;
    const counts = [0, 0, 0];
    for (const c of samples) counts[c[3]]++;
    const details = el("details", { cls: "samples" }, [
      el("summary", {
        text: `${samples.length} samples: ${counts[1]} right, ${counts[0]} wrong${u.ch ? `, ${counts[2]} stale` : ""}`,
      }),
    ]);
    let filled = false;
    details.addEventListener("toggle", () => {
      if (filled || !details.open) return;
      filled = true;
      details.append(el("ul", { cls: "comps" }, samples.map(completionItem)));
    });
    return el("div", null, [list, details]);
  }

  function unitBlock(p, u) {
    if (u.p === "original") {
      return el("div", { cls: "unit original" }, [
        el("h3", { text: `original \u00b7 expected answer ${u.e}` }),
        el("div", { cls: "sbs one" }, [el("div", null, [el("span", { cls: "lbl", text: "question" }), p.q])]),
        completionsBlock(u),
      ]);
    }
    const ops = diff(p.q, u.q || "");
    const answer = u.ch ? `expected ${u.e} (was ${p.a})` : `expected ${u.e} (unchanged)`;
    return el("div", { cls: "unit variant", "data-probe": u.p }, [
      el("h3", { text: `${u.p} \u00b7 ${u.k || ""} \u00b7 ${answer}` }),
      el("div", { cls: "sbs" }, [
        el("div", null, [el("span", { cls: "lbl", text: "original" }), diffSide(ops, "-", "del")]),
        el("div", null, [el("span", { cls: "lbl", text: `variant ${u.id}` }), diffSide(ops, "+", "ins")]),
      ]),
      completionsBlock(u),
    ]);
  }

  function detailRow(p, cols) {
    const td = el("td", { colspan: String(cols) });
    for (const u of unitsOf(p)) td.append(unitBlock(p, u));
    return el("tr", { cls: "detail" }, [td]);
  }

  function problemRow(p) {
    const variants = p.u.filter((u) => u.p !== "original" && (!state.probe || u.p === state.probe)).length;
    // The toggle is a button (a row cannot carry aria-expanded outside a treegrid); a click
    // anywhere on the row still toggles, through the row's listener.
    const button = el("button", { type: "button", cls: "row-toggle", "aria-expanded": "false", text: p.id });
    const cells = [
      el("td", null, [button]),
      el("td", null, [el("span", { cls: `badge v-${p.v}`, text: p.v })]),
    ];
    if (data.comparing)
      cells.push(el("td", null, p.bv ? [el("span", { cls: `badge v-${p.bv}`, text: p.bv })] : ["\u2013"]));
    cells.push(
      el("td", { text: pct(p.oa) }),
      el("td", { text: pct(p.ss) }),
      el("td", { text: String(variants) }),
      el("td", { cls: "q", text: p.q.length > 160 ? `${p.q.slice(0, 160)}\u2026` : p.q, title: p.q }),
    );
    const tr = el("tr", { cls: "problem", "data-id": p.id }, cells);
    const toggle = () => {
      const next = tr.nextElementSibling;
      if (next?.classList.contains("detail")) {
        next.remove();
        tr.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
      } else {
        tr.after(detailRow(p, cells.length));
        tr.classList.add("open");
        button.setAttribute("aria-expanded", "true");
      }
    };
    tr.addEventListener("click", toggle);
    return tr;
  }

  function renderMore() {
    const body = $("drill-body");
    const frag = document.createDocumentFragment();
    const end = Math.min(filtered.length, shown + PAGE);
    for (; shown < end; shown++) frag.append(problemRow(filtered[shown]));
    body.append(frag);
    $("f-count").textContent =
      `${filtered.length.toLocaleString("en-US")} of ${data.problems.length.toLocaleString("en-US")} problems match` +
      (shown < filtered.length ? `; showing ${shown.toLocaleString("en-US")}` : "");
    $("drill-more").hidden = shown >= filtered.length;
  }

  function applyFilters() {
    filtered = [];
    data.problems.forEach((p, i) => {
      if (matches(p, i)) filtered.push(p);
    });
    shown = 0;
    $("drill-body").replaceChildren();
    renderMore();
  }

  function setupDrill() {
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
    bind("f-search", "search", "input", (i) => i.value.trim().toLowerCase());
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
