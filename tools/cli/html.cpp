// `mmcheck explain --html`: the replayed counterexample as one self-contained HTML page (inline
// CSS and JS; no network, no external fonts or scripts). The swim lanes (one per CPU) and the
// steps are rendered here as plain HTML, so the page reads without JS; the trace's data is
// embedded as JSON (<script type="application/json" id="trace-data">) and a small inline script
// draws, for the step hovered or clicked, the step's state changes and the PTE/TLB/frame tables
// as they are after it. The violating step and the invariant's message are highlighted.
#include <algorithm>
#include <sstream>

#include "tools/cli/replay.hpp"

// The page's inline CSS and script (tools/cli/html_assets.cpp).
namespace mmcheck::cli::html {
extern const char* const kStyle;
extern const char* const kScript;
}  // namespace mmcheck::cli::html

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
json page_data(const RecordedTrace& t, const Replay& r, const TimelineMarks& m) {
  json j;
  j["scenario"] = {{"name", t.scenario_name}, {"file", r.scenario_path}};
  j["kernel"] = t.kernel;
  j["verdict"] = t.witness.empty() ? outcome_name(t.verdict) : "witness";
  j["witness"] = t.witness;
  j["invariant"] = t.invariant;
  j["message"] = t.message;
  j["outcome"] = r.outcome;
  j["reproduced"] = r.reproduced();
  json diffs = json::array();
  for (const Difference& d : r.differences) diffs.push_back(d.text);
  j["differences"] = diffs;
  j["hidden"] = m.hidden;
  j["all"] = m.all;
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
    step["flush_pending"] = i < m.flush_pending.size() && m.flush_pending[i];
    json marks = json::array();
    for (const StepMark& k : m.marks[i]) marks.push_back({{"kind", k.kind}, {"text", k.text}});
    step["marks"] = marks;
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

class PageWriter {
 public:
  PageWriter(const RecordedTrace& t, const Replay& r, const TimelineMarks& m)
      : t_(t), r_(r), m_(m) {}

  std::string write() {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<title>mmcheck: " << escape(t_.scenario_name) << " on "
         << escape(kernel_label(t_.kernel, t_.overrides)) << "</title>\n"
         << "<style>" << html::kStyle << "</style>\n</head>\n<body>\n";
    header();
    legend();
    out_ << "<main>\n";
    timeline();
    out_ << "<aside id=\"panel\" aria-live=\"polite\"><noscript>The state tables need JavaScript; "
            "the data is in "
            "the trace-data JSON element.</noscript></aside>\n</main>\n";
    out_ << "<script type=\"application/json\" id=\"trace-data\">"
         << script_json(page_data(t_, r_, m_)) << "</script>\n";
    out_ << "<script>" << html::kScript << "</script>\n</body>\n</html>\n";
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
      out_ << (!t_.witness.empty() ? "reaches " + escape(t_.witness)
               : r_.deadlock       ? "deadlock"
                                   : "violates " + escape(r_.invariant))
           << " after " << r_.steps.size() << " steps (replayed from " << escape(t_.path) << ")";
    else
      out_ << "the trace no longer replays: " << escape(r_.outcome);
    out_ << "</p>\n</header>\n";
  }

  void legend() {
    if (!r_.model) return;
    out_ << "<section id=\"legend\"><dl>";
    for (const LegendEntry& e : timeline_legend(m_)) {
      out_ << "<div data-symbol=\"" << escape(e.symbol) << "\"><dt>";
      if (e.symbol == "~")
        out_ << "<span class=\"band\" title=\"a shaded band in the timeline\"></span>";
      else
        out_ << escape(e.symbol);
      out_ << "</dt><dd>" << escape(e.meaning) << "</dd></div>";
    }
    out_ << "</dl>";
    if (!m_.all)
      out_ << "<p class=\"hidden-fields\">" << escape(hidden_text(m_, t_.kernel)) << "</p>";
    out_ << "</section>\n";
  }

  // One shaded band per run of steps after which a flush is pending, behind the steps.
  void bands() {
    const std::vector<bool>& p = m_.flush_pending;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!p[i] || (i > 0 && p[i - 1])) continue;
      std::size_t end = i;
      while (end + 1 < p.size() && p[end + 1]) ++end;
      out_ << "<div class=\"flush-pending\" data-from=\"" << i + 1 << "\" data-to=\"" << end + 1
           << "\" title=\"a TLB flush is pending after steps " << i + 1 << "-" << end + 1
           << "\" style=\"grid-row: " << i + 2 << " / " << end + 3
           << "; grid-column: 2 / -1\"></div>\n";
    }
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
    bands();
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
    const std::vector<StepMark>& marks = m_.marks[i];
    if (!marks.empty()) cls += " marked";
    if (last && r_.reproduced()) cls += " violating";
    if (r_.diverged_at == i + 1) cls += " diverged";
    std::string title = s.op;
    std::string kinds;
    for (const StepMark& k : marks) kinds += (kinds.empty() ? "" : " ") + k.kind;
    for (const Change& c : s.changes)
      if (m_.shows_path(c.path))
        title += "\n" + c.path + " " + std::to_string(c.from) + " -> " + std::to_string(c.to);
    out_ << "<div class=\"num\" style=\"grid-row: " << i + 2 << "; grid-column: 1\">" << i + 1
         << "</div>\n";
    out_ << "<div class=\"" << cls << "\" id=\"step-" << i + 1 << "\" data-step=\"" << i + 1
         << "\" data-cpu=\"" << escape(s.thread) << "\" data-pending=\""
         << (i < m_.flush_pending.size() && m_.flush_pending[i] ? "true" : "false") << "\""
         << (kinds.empty() ? "" : " data-marks=\"" + kinds + "\"") << " tabindex=\"0\" title=\""
         << escape(title) << "\" style=\"grid-row: " << i + 2 << "; grid-column: " << column + 2
         << "\">";
    if (new_op) out_ << "<div class=\"op\">" << escape(s.op) << "</div>";
    out_ << "<div class=\"name\">" << breakable(s.step) << "</div><div class=\"note\">"
         << escape(s.note) << "</div>";
    for (const StepMark& k : marks)
      out_ << "<div class=\"mark\" data-kind=\"" << k.kind << "\">" << escape(k.text) << "</div>";
    out_ << "</div>\n";
  }

  void violation(std::size_t row) {
    out_ << "<div id=\"violation\" style=\"grid-row: " << row << "\">";
    if (r_.reproduced() && !t_.witness.empty()) {
      out_ << "<h2>Reached: " << escape(t_.witness) << "</h2><p class=\"message\">"
           << escape(t_.message) << "</p>";
    } else if (r_.reproduced()) {
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
  const TimelineMarks& m_;
  std::ostringstream out_;
};

}  // namespace

std::string explain_html(const RecordedTrace& trace, const Replay& replay,
                         const TimelineMarks& marks) {
  return PageWriter(trace, replay, marks).write();
}

}  // namespace mmcheck::cli
