/**
 * The report's stylesheet: light and dark (prefers-color-scheme), print, and every width from
 * 360 px up. Colours meet WCAG 2.1 AA in both schemes (tests/report/browser-a11y.test.ts measures
 * them): text 4.5:1 on its background, focus rings and control borders 3:1. The accent (links, the
 * problems' id buttons) keeps 4.5:1 on every background of the page, edit and answer highlights
 * included. The verdict colours carry white badge text (4.5:1) and are also chart colours (3:1 on
 * the light and the dark panel), so they sit in the narrow band of luminance (about 0.15 to 0.18)
 * where both hold in both schemes.
 */
export const REPORT_CSS = `
:root{--bg:#fff;--fg:#1d1f23;--muted:#5d6470;--line:#d9dce1;--control:#767c87;--panel:#f5f6f8;--accent:#2760a0;--focus:#2760a0;--grid:rgba(0,0,0,.1);
--right:#17662f;--right-bg:#dff3e4;--wrong:#4b5260;--wrong-bg:#eceef1;--stale:#b42318;--stale-bg:#fde4e1;
--ins-bg:#c9f0d3;--del-bg:#fbd3cf;--mem:#d9292b;--fra:#ad5c0b;--rob:#457d3e;--uns:#717171;--sus:#9b5c8a;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15171b;--fg:#e6e8eb;--muted:#9aa3af;--line:#343842;--control:#8a929e;--panel:#1f2228;--accent:#8fbbff;--focus:#8fbbff;--grid:rgba(255,255,255,.12);
--right:#7ad99a;--right-bg:#17351f;--wrong:#aeb6c2;--wrong-bg:#2a2e36;--stale:#ff8f80;--stale-bg:#45201c;--ins-bg:#1f5130;--del-bg:#5a2520}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;overflow-wrap:anywhere}
header,main,footer{max-width:1280px;margin:0 auto;padding:0 20px}
h1{font-size:22px;margin:18px 0 8px}h2{font-size:18px;margin:26px 0 10px}h3{font-size:15px}
a{color:var(--accent)}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.hash{word-break:break-all;color:var(--muted)}
.muted{color:var(--muted)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.sandbox-warning{border-left:4px solid #b00020;padding-left:.5em}
details>summary{cursor:pointer}
details.run-meta{margin-top:12px;background:var(--panel);border:1px solid var(--line);border-radius:8px}
details.run-meta>summary{padding:8px 14px}
details.run-meta[open]>summary{border-bottom:1px solid var(--line)}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 16px;margin:0;padding:12px 14px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;min-width:0}
table.files td{padding:1px 10px 1px 0}
.headline{margin-top:18px;padding:14px 18px;border-radius:8px;border:1px solid var(--line);border-left:6px solid var(--uns);background:var(--panel)}
.headline h2{margin:0 0 6px}
.headline.memorization{border-left-color:var(--mem)}.headline.fragile{border-left-color:var(--fra)}.headline.clean{border-left-color:var(--rob)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse}
table.probes,table.compare,table.matrix,table.chart-data{font-variant-numeric:tabular-nums}
table.probes th,table.probes td,table.compare th,table.compare td,table.matrix th,table.matrix td,table.chart-data th,table.chart-data td{border-bottom:1px solid var(--line);padding:5px 9px;text-align:left;white-space:nowrap}
td.n{text-align:right}
thead th{font-weight:600;color:var(--muted);font-size:12.5px}
tr.worse td,tr.worse th{background:var(--stale-bg)}tr.better td,tr.better th{background:var(--right-bg)}
td.same{font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(440px,100%),1fr));gap:16px}
figure.chart{margin:0;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:var(--panel);break-inside:avoid;min-width:0}
figure.chart figcaption{margin-bottom:6px}
.canvas-box{position:relative;height:280px;min-width:0}
details.chart-data{margin-top:6px;font-size:12.5px}
table.chart-data caption{text-align:left;color:var(--muted);padding:4px 0}
.controls{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:center;padding:10px 12px;background:var(--panel);border:1px solid var(--line);border-radius:8px;margin-bottom:8px}
.controls .grow{flex:1 1 240px;display:flex;gap:6px;align-items:center;min-width:0}.controls .grow input{flex:1;min-width:0}
select,input[type=search],button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--control);border-radius:5px;padding:3px 6px;max-width:100%}
input[type=checkbox]{accent-color:var(--accent)}
button{cursor:pointer}
table.drill{width:100%;table-layout:fixed}
table.drill th,table.drill td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow:hidden;text-overflow:ellipsis}
table.drill th:nth-child(1){width:130px}table.drill th:nth-child(2),table.drill th:nth-child(3){width:105px}table.drill th:nth-child(n+4):not(:last-child){width:95px}
table.drill tr.problem{cursor:pointer}table.drill tr.problem:hover{background:var(--panel)}
table.drill tr.problem.open{background:var(--panel)}
table.drill td.q{white-space:nowrap}
tr.detail>td{background:var(--bg);padding:10px 8px 18px;overflow:visible;text-overflow:clip}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;line-height:18px;color:#fff;white-space:nowrap;overflow-wrap:normal}
.v-memorized{background:var(--mem)}.v-suspect{background:var(--sus)}.v-fragile{background:var(--fra)}.v-robust{background:var(--rob)}.v-unsolved{background:var(--uns)}
.s-1{background:var(--right-bg);color:var(--right)}.s-0{background:var(--wrong-bg);color:var(--wrong)}.s-2{background:var(--stale-bg);color:var(--stale)}
.unit{border:1px solid var(--line);border-radius:8px;padding:8px 10px;margin:8px 0;min-width:0}
.unit h3,.unit h4{margin:0 0 6px;font-size:13.5px}
.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
.sbs>div{background:var(--panel);border-radius:6px;padding:6px 8px;white-space:pre-wrap;overflow-wrap:anywhere;min-width:0}
.sbs .lbl{display:block;font-size:12px;color:var(--muted);white-space:normal}
mark.ins{background:var(--ins-bg);color:inherit;border-radius:2px}mark.del{background:var(--del-bg);color:inherit;text-decoration:line-through;border-radius:2px}
.comps{list-style:none;margin:6px 0 0;padding:0}
.comps li{border-top:1px dashed var(--line);padding:4px 0}
.comps pre{margin:3px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;max-height:14em;overflow:auto;background:var(--panel);padding:4px 6px;border-radius:5px}
.comp-head{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center;font-size:12.5px}
details.samples>summary{cursor:pointer;margin-top:4px}
/* Problem table and drill-down (issue 16, part A): header sort buttons, the id's open button, marked spans, prompts */
table.drill th button.sort,table.drill td button.open{border:0;background:none;padding:0;font:inherit;color:inherit;text-align:left}
table.drill th button.sort{font-weight:600}table.drill th[aria-sort=ascending] button.sort::after{content:" \\25B2"}table.drill th[aria-sort=descending] button.sort::after{content:" \\25BC"}
table.drill td button.open{color:var(--accent);text-decoration:underline;overflow-wrap:anywhere;max-width:100%}
mark.gap{display:inline-block;width:3px;min-height:1em;vertical-align:text-bottom}mark.ws{outline:1px dashed var(--muted)}mark.nl::before{content:"\\21B5"}
mark.ans{background:var(--ins-bg);color:inherit;font-weight:700;outline:1px solid var(--right);border-radius:2px}
details.prompt>summary{cursor:pointer;margin-top:6px}.prompt-text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:24em;overflow:auto;background:var(--panel);padding:4px 6px;border-radius:5px}
.prompt-text .pq{background:var(--ins-bg)}.qtext{white-space:pre-wrap}
/* Units and blocks of long texts (client.js textBlocks) off screen are laid out only when scrolled to; their placeholder is a height only (a placeholder width would widen the problem table past a narrow screen) */
.unit{content-visibility:auto;contain-intrinsic-block-size:auto 480px}.chunk{display:block;content-visibility:auto;contain-intrinsic-block-size:auto 40em}
#drill-more{text-align:center;margin:10px}
footer{margin-top:30px;padding-bottom:30px;font-size:12.5px}
@media (max-width:800px){.sbs{grid-template-columns:minmax(0,1fr)}}
@media (max-width:640px){
header,main,footer{padding:0 12px}
h1{font-size:19px}
.headline{padding:12px}
dl.meta{grid-template-columns:minmax(0,1fr);padding:10px 12px}dl.meta dd{margin-bottom:6px}
.canvas-box{height:240px}
table.drill{table-layout:auto}
table.drill th{width:auto!important}
table.drill th,table.drill td{padding:5px 4px;overflow:visible}
table.drill thead th:last-child,table.drill td.q{display:none}
}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--panel:#fff;--line:#bbb}
body{font-size:11px}.controls,#drill-more,#drill{display:none}
.charts{grid-template-columns:1fr 1fr}.canvas-box{height:220px}
figure.chart,section,.headline{break-inside:avoid}
details>summary{list-style:none}
a{color:inherit}
}
`;
