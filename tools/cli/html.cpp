// `mmcheck explain --html`: the replayed counterexample as one self-contained HTML page (inline
// CSS and JS; no network, no external fonts or scripts). The swim lanes (one per CPU) and the
// steps are rendered here as plain HTML, so the page reads without JS; the trace's data is
// embedded as JSON (<script type="application/json" id="trace-data">) and a small inline script
// draws, for the step hovered or clicked, the step's state changes and the PTE/TLB/frame tables
// as they are after it. The violating step and the invariant's message are highlighted.
#include <algorithm>
#include <sstream>

#include "tools/cli/replay.hpp"

namespace mmcheck::cli {

using nlohmann::json;

namespace {

// xml_escape, and the apostrophe too, for values quoted either way.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : xml_escape(s)) {
    if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
}

// A step name may wrap after its dot ("uffd_unwp.<wbr>inc_tlb_flush_pending").
std::string breakable(const std::string& name) {
  std::string out = escape(name);
  if (auto dot = out.find('.'); dot != std::string::npos) out.insert(dot + 1, "<wbr>");
  return out;
}

// JSON that can sit inside a <script> element: '<', '>' and '&' only occur in strings, where
// their \u escapes mean the same.
std::string script_json(const json& j) {
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

int thread_index(const vm::Scenario& sc, const std::string& name) {
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    if (sc.threads[t].name == name) return static_cast<int>(t);
  return -1;
}

// Everything the script needs: the lanes, the pages and frames the tables show (the union over
// the steps, so the table keeps its shape while it evolves), and every state after every step.
json page_data(const RecordedTrace& t, const Replay& r) {
  json j;
  j["scenario"] = {{"name", t.scenario_name}, {"file", r.scenario_path}};
  j["kernel"] = t.kernel;
  j["verdict"] = outcome_name(t.verdict);
  j["invariant"] = t.invariant;
  j["message"] = t.message;
  j["outcome"] = r.outcome;
  j["reproduced"] = r.reproduced();
  json diffs = json::array();
  for (const Difference& d : r.differences) diffs.push_back(d.text);
  j["differences"] = diffs;
  if (!r.model) return j;
  const vm::VmModel& model = *r.model;
  const vm::Scenario& sc = *r.scenario;
  j["summary"] = sc.summary;
  json cpus = json::array();
  for (const auto& th : sc.threads)
    cpus.push_back({{"name", th.name}, {"process", sc.processes[th.process].name}});
  j["cpus"] = cpus;
  json processes = json::array();
  for (const auto& p : sc.processes) processes.push_back(p.name);
  j["processes"] = processes;
  j["words"] = model.shape().words;
  std::vector<FlatState> flats;
  for (const vm::State& s : r.states) flats.push_back(flat_state(model, s));
  std::set<int> pages, frames;
  json steps = json::array();
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const TraceStep& s = r.steps[i];
    std::vector<int> involved =
        pages_involved(model, r.states[i], r.states[i + 1], thread_index(sc, s.thread), s);
    for (int f : frames_involved(model, r.states[i], r.states[i + 1], involved, s.changes))
      frames.insert(f);
    json names = json::array();
    for (int p : involved) pages.insert(p), names.push_back(sc.page_name(p));
    json step = step_json(s);
    step["n"] = i + 1;
    step["pages"] = names;
    step["state"] = flats[i + 1];
    steps.push_back(step);
  }
  json page_names = json::array();
  for (int p : pages) page_names.push_back(sc.page_name(p));
  j["pages"] = page_names;
  j["frames"] = std::vector<int>(frames.begin(), frames.end());
  j["initial"] = flats.front();
  j["steps"] = steps;
  return j;
}

const char* kStyle = R"css(
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
)css";

const char* kScript = R"js(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("trace-data").textContent);
  var panel = document.getElementById("panel");
  var steps = data.steps || [];
  var pinned = steps.length;

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
      rows.push([{ text: p, keys: [] }, cell(s, k + "present"), cell(s, k + "pfn", frameText),
                 cell(s, k + "write"), cell(s, k + "dirty"), cell(s, k + "soft_dirty"),
                 cell(s, k + "uffd_wp"), cell(s, k + "protnone"),
                 { text: mapped ? (v(s, p + ".vma." + page + ".write") ? "rw" : "r") + (v(s, p + ".vma." + page + ".uffd_wp") ? " uffd-wp" : "") : "unmapped",
                   keys: [p + ".vma." + page + ".mapped", p + ".vma." + page + ".write", p + ".vma." + page + ".uffd_wp"] }]);
    });
    box.appendChild(table("pte", ["PTE", "present", "frame", "W", "D", "SD", "UW", "protnone", "VMA"], rows, changed));
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
    if (rows.length) {
      var head = ["last store"];
      for (var w = 0; w < data.words; w++) head.push("word " + w);
      box.appendChild(table("ghost", head, rows, changed));
    }
    return box;
  }

  function frameTable(s, changed) {
    var head = ["frame", "in use", "ref", "map", "pin", "excl", "dirty"];
    for (var w = 0; w < data.words; w++) head.push("word " + w);
    var rows = data.frames.map(function (f) {
      var k = "frame." + f + ".", used = v(s, k + "in_use");
      var row = [{ text: String(f), keys: [] }, cell(s, k + "in_use")];
      ["refcount", "mapcount", "pincount", "anon_exclusive", "dirty"].forEach(function (n) {
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
      panel.appendChild(node("h3", "", "State changes (" + st.changes.length + ")"));
      if (st.changes.length) {
        panel.appendChild(table("diff", ["path", "from", "to"], st.changes.map(function (c) {
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

class PageWriter {
 public:
  PageWriter(const RecordedTrace& t, const Replay& r) : t_(t), r_(r) {}

  std::string write() {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<title>mmcheck: " << escape(t_.scenario_name) << " on "
         << escape(kernel_label(t_.kernel, t_.overrides)) << "</title>\n"
         << "<style>" << kStyle << "</style>\n</head>\n<body>\n";
    header();
    out_ << "<main>\n";
    timeline();
    out_ << "<aside id=\"panel\" aria-live=\"polite\"><noscript>The state tables need JavaScript; "
            "the data is in "
            "the trace-data JSON element.</noscript></aside>\n</main>\n";
    out_ << "<script type=\"application/json\" id=\"trace-data\">" << script_json(page_data(t_, r_))
         << "</script>\n";
    out_ << "<script>" << kScript << "</script>\n</body>\n</html>\n";
    return out_.str();
  }

 private:
  void header() {
    out_ << "<header>\n<h1>" << escape(t_.scenario_name) << " <span class=\"kernel\">on "
         << escape(t_.kernel) << "</span></h1>\n";
    if (r_.scenario && !r_.scenario->summary.empty())
      out_ << "<p>" << escape(r_.scenario->summary) << "</p>\n";
    out_ << "<p class=\"verdict\">";
    if (r_.reproduced())
      out_ << (r_.deadlock ? "deadlock" : "violates " + escape(r_.invariant)) << " after "
           << r_.steps.size() << " steps (replayed from " << escape(t_.path) << ")";
    else
      out_ << "the trace no longer replays: " << escape(r_.outcome);
    out_ << "</p>\n</header>\n";
  }

  void timeline() {
    std::vector<std::string> cpus;
    if (r_.scenario)
      for (const auto& th : r_.scenario->threads) cpus.push_back(th.name);
    std::size_t rows = r_.steps.size() + 1;
    out_ << "<section class=\"timeline\" style=\"grid-template-columns: 2.6em repeat("
         << std::max<std::size_t>(1, cpus.size()) << ", minmax(0, 1fr))\">\n";
    out_ << "<div class=\"corner\" style=\"grid-row: 1; grid-column: 1\">#</div>\n";
    for (std::size_t c = 0; c < cpus.size(); ++c) {
      const vm::Thread& th = r_.scenario->threads[c];
      // One tint per process, so the lanes of one mm read as a group.
      static const char* const kTints[] = {"#eef3fa", "#f3eefa", "#eef8f0", "#faf4ea"};
      out_ << "<div class=\"lane\" data-cpu=\"" << escape(th.name) << "\" data-process=\""
           << escape(r_.scenario->processes[th.process].name) << "\" style=\"grid-column: " << c + 2
           << "; grid-row: 1 / span " << rows << "; background: " << kTints[th.process % 4]
           << "\"><div class=\"lane-name\">" << escape(th.name) << " <small>"
           << escape(r_.scenario->processes[th.process].name) << "</small></div></div>\n";
    }
    for (std::size_t i = 0; i < r_.steps.size(); ++i) step(i, cpus);
    violation(rows + 1);
    out_ << "</section>\n";
  }

  void step(std::size_t i, const std::vector<std::string>& cpus) {
    const TraceStep& s = r_.steps[i];
    std::size_t column = std::find(cpus.begin(), cpus.end(), s.thread) - cpus.begin();
    bool new_op = true;
    for (std::size_t k = i; k-- > 0;)
      if (r_.steps[k].thread == s.thread) {
        new_op = r_.steps[k].op_index != s.op_index;
        break;
      }
    bool last = i + 1 == r_.steps.size();
    std::string cls = "step";
    if (last && r_.reproduced()) cls += " violating";
    if (r_.diverged_at == i + 1) cls += " diverged";
    std::string title = s.op;
    for (const Change& c : s.changes)
      title += "\n" + c.path + " " + std::to_string(c.from) + " -> " + std::to_string(c.to);
    out_ << "<div class=\"num\" style=\"grid-row: " << i + 2 << "; grid-column: 1\">" << i + 1
         << "</div>\n";
    out_ << "<div class=\"" << cls << "\" id=\"step-" << i + 1 << "\" data-step=\"" << i + 1
         << "\" data-cpu=\"" << escape(s.thread) << "\" tabindex=\"0\" title=\"" << escape(title)
         << "\" style=\"grid-row: " << i + 2 << "; grid-column: " << column + 2 << "\">";
    if (new_op) out_ << "<div class=\"op\">" << escape(s.op) << "</div>";
    out_ << "<div class=\"name\">" << breakable(s.step) << "</div><div class=\"note\">"
         << escape(s.note) << "</div></div>\n";
  }

  void violation(std::size_t row) {
    out_ << "<div id=\"violation\" style=\"grid-row: " << row << "\">";
    if (r_.reproduced()) {
      const TraceStep* last = r_.steps.empty() ? nullptr : &r_.steps.back();
      out_ << "<h2>" << (r_.deadlock ? "Deadlock: " : "Violated: ") << escape(r_.invariant)
           << "</h2><p class=\"message\">" << escape(r_.message) << "</p>";
      if (last)
        out_ << "<p>after step " << r_.steps.size() << " (" << escape(last->thread) << " "
             << escape(last->step) << ")</p>";
    } else {
      out_ << "<h2>The trace no longer replays (" << escape(r_.outcome) << ")</h2>";
      for (const Difference& d : r_.differences) out_ << "<p>" << escape(d.text) << "</p>";
      out_ << "<p>It recorded " << escape(t_.invariant) << ": " << escape(t_.message) << "</p>";
    }
    out_ << "</div>\n";
  }

  const RecordedTrace& t_;
  const Replay& r_;
  std::ostringstream out_;
};

}  // namespace

std::string explain_html(const RecordedTrace& trace, const Replay& replay) {
  return PageWriter(trace, replay).write();
}

}  // namespace mmcheck::cli
