// The HTML timeline's inline stylesheet and script (tools/cli/html.cpp writes the page). The
// script draws, for the step hovered or clicked, its changes and the PTE, TLB, frame, reference
// and lock tables as they are after it; it hides the fields the kernel does not have and the
// ghost bookkeeping unless the page was written with --all.
namespace mmcheck::cli::html {

extern const char* const kStyle;
extern const char* const kScript;

const char* const kStyle = R"css(
:root { --ink: #1d232b; --muted: #5b6673; --line: #d5dbe3; --sel: #1f6feb; --bad: #cf222e;
        --bad-bg: #fff1f0; --chg: #fff0a8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 12.5px/1.3 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { padding: 10px 20px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header h1 { margin: 0; font-size: 18px; }
header h1 .kernel { font-weight: 400; color: var(--muted); }
header p { margin: 3px 0 0; color: var(--muted); }
header .verdict { color: var(--bad); font-weight: 600; }
header .verdict.ok { color: #1a7f37; }
main { display: flex; gap: 14px; padding: 10px 16px; align-items: flex-start; }
.timeline { flex: 1 1 62%; display: grid; column-gap: 6px; row-gap: 4px; min-width: 0; }
.corner, .num { color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; padding: 5px 4px 0 0; }
.lane { border-radius: 8px; background: #eef3fa; z-index: 0; }
.lane-name { font-weight: 700; padding: 5px 10px; height: 28px; }
.lane-name small { font-weight: 400; color: var(--muted); }
.step { z-index: 1; margin: 0 5px; padding: 3px 7px; background: #fff; border: 1px solid var(--line);
        border-left: 4px solid #8aa4c8; border-radius: 5px; cursor: pointer; min-width: 0; }
.step:hover { border-color: var(--sel); }
.step.selected { outline: 2px solid var(--sel); outline-offset: 0; }
.step .op { font-size: 11px; color: #0b6e79; font-family: ui-monospace, monospace; }
.step .name { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 700; font-size: 12px; overflow-wrap: anywhere; }
.step .note { color: #39424d; overflow-wrap: anywhere; }
.step.violating, .step.diverged { border-color: var(--bad); border-left-color: var(--bad); background: var(--bad-bg); }
#violation { grid-column: 1 / -1; margin-top: 6px; padding: 8px 12px; border: 2px solid var(--bad);
             border-radius: 6px; background: var(--bad-bg); }
#violation h2 { margin: 0 0 2px; font-size: 14px; color: var(--bad); }
#violation p { margin: 2px 0; }
#panel { flex: 0 0 36%; position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow: auto;
         border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: #fff; }
#panel h2 { margin: 2px 0 4px; font-size: 15px; }
#panel h3 { margin: 10px 0 2px; font-size: 13px; }
#panel .note { color: var(--muted); margin: 0 0 4px; }
#panel nav button { font: inherit; margin-right: 4px; }
#panel .verdict { margin: 6px 0; padding: 6px 10px; border: 2px solid var(--bad); border-radius: 6px;
                  background: var(--bad-bg); }
#panel .verdict b { color: var(--bad); }
table { border-collapse: collapse; font: 12px ui-monospace, "DejaVu Sans Mono", monospace; margin: 2px 0 4px; }
th, td { border: 1px solid #e1e5ea; padding: 1px 6px; text-align: center; }
th { background: #f6f8fa; font-weight: 600; }
td.key, th.key { text-align: left; }
td.changed { background: var(--chg); font-weight: 700; }
td.off { color: #a0a8b2; }
.legend { color: var(--muted); font-size: 11px; }
.flush-pending { z-index: 0; margin: -2px 0; border-radius: 4px; pointer-events: none;
                 background: repeating-linear-gradient(135deg, rgba(214, 137, 16, 0.16) 0 8px,
                                                       rgba(214, 137, 16, 0.28) 8px 16px);
                 border-left: 3px solid #d68910; }
.step.marked { border-left-color: #d68910; }
.step .mark { margin-top: 2px; padding: 1px 5px; border-radius: 3px; background: #fdf2dc;
              color: #7a4b00; font-weight: 600; overflow-wrap: anywhere; }
#legend { padding: 4px 20px 6px; border-bottom: 1px solid var(--line); color: var(--muted); }
#legend dl { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0; }
#legend dt { font: 700 12px ui-monospace, monospace; color: var(--ink); }
#legend dd { margin: 0 0 0 4px; }
#legend div { display: flex; }
#legend .band { display: inline-block; width: 18px; height: 11px; vertical-align: middle;
                background: rgba(214, 137, 16, 0.28); border-left: 3px solid #d68910; }
)css";

const char* const kScript = R"js(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("trace-data").textContent);
  var panel = document.getElementById("panel");
  var steps = data.steps || [];
  var pinned = steps.length;
  var hidden = data.hidden || [];
  function shows(field) { return hidden.indexOf(field) < 0; }
  function showsPath(path) {
    if (data.all) return true;
    if (path.indexOf(".ghost.") >= 0) return false;
    if (!shows("excl") && /\.anon_exclusive$/.test(path)) return false;
    if (!shows("UW") && /\.uffd_wp$/.test(path)) return false;
    return true;
  }

  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function stateAt(n) { return n === 0 ? data.initial : steps[n - 1].state; }
  function changedAt(n) {
    var set = {};
    if (n > 0) steps[n - 1].changes.forEach(function (c) { set[c.path] = c; });
    return set;
  }
  // A table: head is a list of column names; rows are lists of {text, keys}.
  function table(cls, head, rows, changed) {
    var t = node("table", "state-table " + cls), tr = node("tr");
    head.forEach(function (h, i) { tr.appendChild(node("th", i === 0 ? "key" : "", h)); });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var r = node("tr");
      row.forEach(function (cell, i) {
        var td = node("td", i === 0 ? "key" : "", cell.text);
        if ((cell.keys || []).some(function (k) { return k in changed; })) td.classList.add("changed");
        if (cell.off) td.classList.add("off");
        if (cell.keys && cell.keys.length) td.title = cell.keys.join(", ");
        r.appendChild(td);
      });
      t.appendChild(r);
    });
    return t;
  }
  function v(s, key) { return key in s ? s[key] : undefined; }
  function cell(s, key, fmt) {
    var x = v(s, key);
    return { text: x === undefined ? "" : (fmt ? fmt(x) : String(x)), keys: [key] };
  }
  function frameText(x) { return x < 0 ? "-" : "frame " + x; }

  function pageTables(s, changed, page) {
    var box = node("div", "page");
    box.appendChild(node("h3", "", "Page " + page));
    var rows = [];
    data.processes.forEach(function (p) {
      var k = p + ".pte." + page + ".";
      if (v(s, k + "present") === undefined) return;
      var mapped = v(s, p + ".vma." + page + ".mapped");
      var row = [{ text: p, keys: [] }, cell(s, k + "present"), cell(s, k + "pfn", frameText),
                 cell(s, k + "write"), cell(s, k + "dirty"), cell(s, k + "soft_dirty")];
      if (shows("UW")) row.push(cell(s, k + "uffd_wp"));
      row.push(cell(s, k + "protnone"),
               { text: mapped ? (v(s, p + ".vma." + page + ".write") ? "rw" : "r") + (v(s, p + ".vma." + page + ".uffd_wp") && shows("UW") ? " uffd-wp" : "") : "unmapped",
                 keys: [p + ".vma." + page + ".mapped", p + ".vma." + page + ".write", p + ".vma." + page + ".uffd_wp"] });
      rows.push(row);
    });
    var head = ["PTE", "present", "frame", "W", "D", "SD"];
    if (shows("UW")) head.push("UW");
    box.appendChild(table("pte", head.concat(["protnone", "VMA"]), rows, changed));
    rows = data.cpus.map(function (c) {
      var k = c.name + ".tlb." + page + ".";
      var valid = v(s, k + "valid");
      return [{ text: c.name, keys: [] }, cell(s, k + "valid"), cell(s, k + "pfn", frameText),
              cell(s, k + "writable"), cell(s, k + "dirty")].map(function (x, i) {
        if (i > 1 && !valid) x.off = true;
        return x;
      });
    });
    box.appendChild(table("tlb", ["TLB", "valid", "frame", "W", "D"], rows, changed));
    rows = [];
    data.processes.forEach(function (p) {
      var cells = [{ text: p + " expects", keys: [] }], any = false;
      for (var w = 0; w < data.words; w++) {
        var key = p + ".ghost.last." + page + "." + w, x = v(s, key);
        if (x !== undefined) any = true;
        cells.push({ text: x === undefined || x < 0 ? "-" : String(x), keys: [key] });
      }
      if (any) rows.push(cells);
    });
    if (rows.length && data.all) {
      var head = ["last store"];
      for (var w = 0; w < data.words; w++) head.push("word " + w);
      box.appendChild(table("ghost", head, rows, changed));
    }
    return box;
  }

  function frameTable(s, changed) {
    var head = ["frame", "in use", "ref", "map", "pin"].concat(shows("excl") ? ["excl"] : [], ["dirty"]);
    for (var w = 0; w < data.words; w++) head.push("word " + w);
    var fields = ["refcount", "mapcount", "pincount"].concat(shows("excl") ? ["anon_exclusive"] : [], ["dirty"]);
    var rows = data.frames.map(function (f) {
      var k = "frame." + f + ".", used = v(s, k + "in_use");
      var row = [{ text: String(f), keys: [] }, cell(s, k + "in_use")];
      fields.forEach(function (n) {
        row.push(used ? cell(s, k + n) : { text: "", keys: [k + n], off: true });
      });
      for (var w = 0; w < data.words; w++)
        row.push(used ? cell(s, k + "content." + w) : { text: "", keys: [k + "content." + w], off: true });
      return row;
    });
    return table("frames", head, rows, changed);
  }

  // Pins, gets and extra references: "handle.<name>.active" / ".pfn".
  function handleTable(s, changed) {
    var names = [];
    Object.keys(s).forEach(function (k) {
      var m = /^handle\.(.+)\.active$/.exec(k);
      if (m) names.push(m[1]);
    });
    if (!names.length) return null;
    return table("handles", ["reference", "held", "frame"], names.map(function (n) {
      var k = "handle." + n + ".";
      return [{ text: n, keys: [] }, cell(s, k + "active"), cell(s, k + "pfn", frameText)];
    }), changed);
  }

  function mmTable(s, changed) {
    var rows = [];
    data.processes.forEach(function (p) {
      if (v(s, p + ".mmap_lock.readers") === undefined) return;
      rows.push([{ text: p, keys: [] }, cell(s, p + ".mmap_lock.readers"), cell(s, p + ".mmap_lock.writer"),
                 cell(s, p + ".tlb_flush_pending"), cell(s, p + ".has_pinned")]);
    });
    return table("mm", ["mm", "mmap_lock readers", "writer", "tlb_flush_pending", "has_pinned"], rows, changed);
  }

  function render(n) {
    var s = stateAt(n), changed = changedAt(n);
    panel.textContent = "";
    var nav = node("nav");
    [["initial", 0], ["previous", Math.max(0, pinned - 1)], ["next", Math.min(steps.length, pinned + 1)],
     ["last", steps.length]].forEach(function (b) {
      var button = node("button", "", b[0]);
      button.addEventListener("click", function () { select(b[1]); });
      nav.appendChild(button);
    });
    panel.appendChild(nav);
    if (n === 0) {
      panel.appendChild(node("h2", "", "Initial state (after setup)"));
    } else {
      var st = steps[n - 1];
      if (n === steps.length) {
        var box = node("div", "verdict");
        box.appendChild(node("b", "", data.reproduced ? (data.verdict === "deadlock" ? "Deadlock: " : "Violated: ") + data.invariant
                                                       : "The trace no longer replays (" + data.outcome + ")"));
        box.appendChild(node("div", "", data.reproduced ? data.message : data.differences.join("; ")));
        panel.appendChild(box);
      }
      panel.appendChild(node("h2", "", "After step " + n + ": " + st.thread + " " + st.step));
      panel.appendChild(node("p", "note", st.op + " \u2014 " + st.note));
      (st.marks || []).forEach(function (m) { panel.appendChild(node("p", "mark", m.text)); });
      var shown = st.changes.filter(function (c) { return showsPath(c.path); });
      panel.appendChild(node("h3", "", "State changes (" + shown.length + ")"));
      if (shown.length) {
        panel.appendChild(table("diff", ["path", "from", "to"], shown.map(function (c) {
          return [{ text: c.path, keys: [] }, { text: String(c.from), keys: [] }, { text: String(c.to), keys: [c.path] }];
        }), changed));
      } else {
        panel.appendChild(node("p", "note", "none"));
      }
    }
    data.pages.forEach(function (p) { panel.appendChild(pageTables(s, changed, p)); });
    panel.appendChild(node("h3", "", "Frames"));
    panel.appendChild(frameTable(s, changed));
    var handles = handleTable(s, changed);
    if (handles) {
      panel.appendChild(node("h3", "", "Pins and references"));
      panel.appendChild(handles);
    }
    panel.appendChild(node("h3", "", "Locks and flushes"));
    panel.appendChild(mmTable(s, changed));
    panel.appendChild(node("p", "legend", "Highlighted: changed by this step. Hover a step to look, click to keep it; arrow keys move; #step-N links to a step."));
  }

  function select(n) {
    pinned = n;
    try { history.replaceState(null, "", "#step-" + n); } catch (e) { /* a sandboxed file: page */ }
    document.querySelectorAll(".step.selected").forEach(function (e) { e.classList.remove("selected"); });
    var e = document.querySelector('.step[data-step="' + n + '"]');
    if (e) e.classList.add("selected");
    render(n);
  }

  document.querySelectorAll(".step").forEach(function (e) {
    var n = Number(e.dataset.step);
    e.addEventListener("mouseenter", function () { render(n); });
    e.addEventListener("mouseleave", function () { render(pinned); });
    e.addEventListener("click", function () { select(n); });
    e.addEventListener("focus", function () { select(n); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" || ev.key === "j") select(Math.min(steps.length, pinned + 1));
    else if (ev.key === "ArrowUp" || ev.key === "k") select(Math.max(0, pinned - 1));
    else return;
    ev.preventDefault();
  });
  // "page.html#step-6" opens on step 6.
  var linked = /^#step-(\d+)$/.exec(location.hash);
  if (linked && Number(linked[1]) <= steps.length) pinned = Number(linked[1]);
  if (steps.length && data.cpus) select(pinned);
  document.body.setAttribute("data-rendered", "true");
})();
)js";

}  // namespace mmcheck::cli::html
