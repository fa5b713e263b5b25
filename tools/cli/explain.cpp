// `mmcheck explain`: replays a trace (replay.cpp) and prints it as a timeline, one column per
// CPU, with the state that matters after every step: for the pages the step is about, the PTE
// in every process that maps the page, each CPU's TLB entry for it, and the frames involved
// (refcount, mapcount, pincount, content). What the step changed is highlighted; other changes
// (locks, tlb_flush_pending, the ghost) follow on one line. The violation comes last.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "models/ops/op.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/replay.hpp"
#include "tools/run/output.hpp"

namespace mmcheck::cli {

// --- Views ---------------------------------------------------------------------------------

FlatState flat_state(const vm::VmModel& model, const vm::State& state) {
  FlatState out;
  for (auto& v : model.flatten(state)) out[v.path.text] = v.value;
  return out;
}

namespace {

int value_of(const FlatState& s, const std::string& key, int otherwise = 0) {
  auto it = s.find(key);
  return it == s.end() ? otherwise : it->second;
}

std::string pte_key(const std::string& process, const std::string& page, const char* field) {
  return process + ".pte." + page + "." + field;
}
std::string tlb_key(const std::string& cpu, const std::string& page, const char* field) {
  return cpu + ".tlb." + page + "." + field;
}
std::string frame_key(int frame, const char* field) {
  return "frame." + std::to_string(frame) + "." + field;
}

bool maps_or_caches(const vm::VmModel& model, const FlatState& s, int page, int frame) {
  const vm::Scenario& sc = model.scenario();
  std::string a = sc.page_name(page);
  for (const auto& proc : sc.processes)
    if (value_of(s, pte_key(proc.name, a, "pfn"), -1) == frame) return true;
  for (const auto& th : sc.threads)
    if (value_of(s, tlb_key(th.name, a, "pfn"), -1) == frame) return true;
  return false;
}

}  // namespace

std::vector<int> pages_involved(const vm::VmModel& model, const vm::State& before,
                                const vm::State& after, int thread, const TraceStep& step) {
  const vm::Scenario& sc = model.scenario();
  std::set<int> pages;
  if (const vm::Op* op = model.current_op(before, thread)) {
    // An op through a handle is about the handle's page; an op with an address about its range;
    // the others (clear_refs, fork, exit) about the whole mm, shown through their changes.
    const vm::OpDescriptor& d = vm::op_descriptor(op->kind);
    if (d.has("pin")) {
      const vm::Handle& h = before.handles[op->handle].active ? before.handles[op->handle]
                                                              : after.handles[op->handle];
      if (h.active) pages.insert(h.page);
    } else if (d.has("addr")) {
      for (int p = op->page; p < op->page + op->pages && p < sc.page_count(); ++p) pages.insert(p);
      if (d.has("src")) pages.insert(op->src);  // uffdio_move: its source page too
    }
  }
  FlatState a = flat_state(model, before), b = flat_state(model, after);
  for (const Change& c : step.changes) {
    if (c.page >= 0) pages.insert(c.page);
    if (c.frame >= 0)
      for (int p = 0; p < sc.page_count(); ++p)
        if (maps_or_caches(model, a, p, c.frame) || maps_or_caches(model, b, p, c.frame))
          pages.insert(p);
  }
  return {pages.begin(), pages.end()};
}

std::vector<int> frames_involved(const vm::VmModel& model, const vm::State& before,
                                 const vm::State& after, const std::vector<int>& pages,
                                 const std::vector<Change>& changes) {
  std::set<int> frames;
  FlatState a = flat_state(model, before), b = flat_state(model, after);
  for (int f = 0; f < model.shape().frames; ++f)
    for (int p : pages)
      if (maps_or_caches(model, a, p, f) || maps_or_caches(model, b, p, f)) frames.insert(f);
  for (const vm::State* s : {&before, &after})
    for (int h = 0; h < model.shape().handles; ++h)
      if (s->handles[h].active && std::count(pages.begin(), pages.end(), s->handles[h].page))
        frames.insert(s->handles[h].pfn);
  for (const Change& c : changes)
    if (c.frame >= 0) frames.insert(c.frame);
  return {frames.begin(), frames.end()};
}

std::vector<int> processes_mapping(const vm::VmModel& model, const FlatState& before,
                                   const FlatState& after, int page) {
  const vm::Scenario& sc = model.scenario();
  std::string a = sc.page_name(page);
  std::vector<int> out;
  for (std::size_t m = 0; m < sc.processes.size(); ++m) {
    const std::string& name = sc.processes[m].name;
    auto maps = [&](const FlatState& s) {
      return value_of(s, pte_key(name, a, "present")) == 1 ||
             value_of(s, name + ".vma." + a + ".mapped") == 1 ||
             value_of(s, pte_key(name, a, "pfn"), -1) >= 0;
    };
    if (maps(before) || maps(after)) out.push_back(static_cast<int>(m));
  }
  return out;
}

// --- The terminal timeline -----------------------------------------------------------------

namespace {

struct Style {
  bool colour = false;
  std::string bold() const { return colour ? "\033[1m" : ""; }
  std::string dim() const { return colour ? "\033[2m" : ""; }
  std::string changed() const { return colour ? "\033[1;33m" : ""; }
  std::string op() const { return colour ? "\033[36m" : ""; }
  std::string bad() const { return colour ? "\033[1;31m" : ""; }
  std::string reset() const { return colour ? "\033[0m" : ""; }
};

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Builds one line of state, remembering which keys it showed; an atom whose keys the step
// changed is highlighted (a trailing '*' without colour).
class StateLine {
 public:
  StateLine(const Style& style, const FlatState& state, const std::set<std::string>& changed,
            std::set<std::string>& shown)
      : style_(style), state_(state), changed_(changed), shown_(shown) {}

  int get(const std::string& key, int otherwise = 0) const {
    return value_of(state_, key, otherwise);
  }
  void text(const std::string& t) { out_ += t; }
  void atom(const std::string& t, std::initializer_list<std::string> keys) {
    bool hit = false;
    for (const std::string& k : keys) {
      shown_.insert(k);
      hit = hit || changed_.count(k) != 0;
    }
    if (!hit)
      out_ += t;
    else if (style_.colour)
      out_ += style_.changed() + t + style_.reset();
    else
      out_ += t + "*";
  }
  const std::string& str() const { return out_; }

 private:
  const Style& style_;
  const FlatState& state_;
  const std::set<std::string>& changed_;
  std::set<std::string>& shown_;
  std::string out_;
};

void pte_atoms(StateLine& l, const std::string& process, const std::string& page,
               const TimelineMarks& marks) {
  auto k = [&](const char* f) { return pte_key(process, page, f); };
  if (!l.get(k("present"))) {
    l.atom("none",
           {k("present"), k("pfn"), k("write"), k("dirty"), k("soft_dirty"), k("protnone")});
    if (l.get(k("uffd_wp")) && marks.shows("UW")) l.atom(" UW1", {k("uffd_wp")});
    return;
  }
  l.atom("frame " + std::to_string(l.get(k("pfn"))), {k("present"), k("pfn")});
  if (l.get(k("protnone"))) l.atom(" PROTNONE", {k("protnone")});
  l.atom(" W" + std::to_string(l.get(k("write"))), {k("write")});
  l.atom(" D" + std::to_string(l.get(k("dirty"))), {k("dirty")});
  l.atom(" SD" + std::to_string(l.get(k("soft_dirty"))), {k("soft_dirty")});
  if (marks.shows("UW")) l.atom(" UW" + std::to_string(l.get(k("uffd_wp"))), {k("uffd_wp")});
}

void tlb_atoms(StateLine& l, const std::string& cpu, const std::string& page) {
  auto k = [&](const char* f) { return tlb_key(cpu, page, f); };
  if (!l.get(k("valid"))) {
    l.atom("-", {k("valid"), k("pfn"), k("writable"), k("dirty")});
    return;
  }
  l.atom("frame " + std::to_string(l.get(k("pfn"))), {k("valid"), k("pfn")});
  l.atom(" W" + std::to_string(l.get(k("writable"))), {k("writable")});
  l.atom(" D" + std::to_string(l.get(k("dirty"))), {k("dirty")});
}

// The handle's prefix in flatten(): "handle.pipe", "handle.ref3" for an extra reference.
std::string handle_prefix(const vm::Scenario& sc, int h) {
  const std::string& name = sc.handle_names[h];
  return "handle." + (name.empty() ? "ref" + std::to_string(h) : name);
}

void frame_atoms(StateLine& l, int f, int words, const vm::Scenario& sc,
                 const TimelineMarks& marks) {
  auto k = [&](const char* field) { return frame_key(f, field); };
  l.text("frame " + std::to_string(f) + ": ");
  if (!l.get(k("in_use"))) {
    l.atom("free", {k("in_use")});
    return;
  }
  l.atom("ref " + std::to_string(l.get(k("refcount"))), {k("refcount"), k("in_use")});
  l.atom(" map " + std::to_string(l.get(k("mapcount"))), {k("mapcount")});
  l.atom(" pin " + std::to_string(l.get(k("pincount"))), {k("pincount")});
  if (marks.shows("excl"))
    l.atom(" excl " + std::to_string(l.get(k("anon_exclusive"))), {k("anon_exclusive")});
  if (l.get(k("dirty"))) l.atom(" dirty", {k("dirty")});
  for (int h = 0; h < static_cast<int>(sc.handle_names.size()); ++h) {
    std::string H = handle_prefix(sc, h);
    if (l.get(H + ".active") && l.get(H + ".pfn", -1) == f)
      l.atom(" held by " + H.substr(7), {H + ".active", H + ".pfn"});
  }
  l.text(" [");
  for (int w = 0; w < words; ++w) {
    std::string key = "frame." + std::to_string(f) + ".content." + std::to_string(w);
    l.text(w == 0 ? "" : " ");
    l.atom(std::to_string(l.get(key)), {key});
  }
  l.text("]");
}

class TimelineWriter {
 public:
  TimelineWriter(const RecordedTrace& t, const Replay& r, const TimelineMarks& m, bool colour)
      : t_(t), r_(r), m_(m) {
    style_.colour = colour;
  }

  std::string write() {
    header();
    if (r_.model) {
      const vm::Scenario& sc = *r_.scenario;
      for (const auto& th : sc.threads) cpus_.push_back(th.name);
      width_ = std::clamp<std::size_t>(132 / std::max<std::size_t>(1, cpus_.size()), 26, 44);
      columns();
      for (std::size_t i = 0; i < r_.steps.size(); ++i) step(i);
    }
    ending();
    return out_.str();
  }

 private:
  void header() {
    out_ << style_.bold() << t_.scenario_name << style_.reset() << " on "
         << kernel_label(t_.kernel, t_.overrides) << ": " << t_.steps.size() << " steps, "
         << (!t_.witness.empty()               ? "witness for " + t_.witness
             : t_.verdict == Outcome::Deadlock ? "deadlock"
                                               : "violates " + t_.invariant)
         << "\n";
    if (r_.model) legend();
    out_ << "\n";
  }

  void legend() {
    std::string text = "Legend:";
    for (const LegendEntry& e : timeline_legend(m_)) text += " " + e.symbol + " " + e.meaning + ";";
    text.back() = '.';
    if (!m_.all) text += " " + hidden_text(m_, t_.kernel);
    for (const std::string& line : wrap(text, 100))
      out_ << style_.dim() << line << style_.reset() << "\n";
  }

  // The marker column: '~' while a flush is pending after step i.
  std::string gutter(std::size_t i) const {
    return i < m_.flush_pending.size() && m_.flush_pending[i] ? "~ " : "  ";
  }

  void columns() {
    const vm::Scenario& sc = *r_.scenario;
    out_ << "  #   ";
    for (std::size_t c = 0; c < sc.threads.size(); ++c) {
      std::string name = sc.threads[c].name + " (" + sc.processes[sc.threads[c].process].name + ")";
      out_ << style_.bold() << (c + 1 < sc.threads.size() ? pad(name, width_) + " " : name)
           << style_.reset();
    }
    out_ << "\n";
  }

  void step(std::size_t i) {
    const TraceStep& s = r_.steps[i];
    const vm::Scenario& sc = *r_.scenario;
    int thread =
        static_cast<int>(std::find_if(sc.threads.begin(), sc.threads.end(),
                                      [&](const vm::Thread& th) { return th.name == s.thread; }) -
                         sc.threads.begin());
    std::vector<std::pair<std::string, std::string>> lines;  // (text, style)
    bool new_op = true;
    for (std::size_t k = i; k-- > 0;)
      if (r_.steps[k].thread == s.thread) {
        new_op = r_.steps[k].op_index != s.op_index;
        break;
      }
    if (new_op) lines.emplace_back("> " + s.op, style_.op());
    bool last = i + 1 == r_.steps.size();
    bool bad = last && (r_.reproduced() || r_.diverged_at == i + 1);
    lines.emplace_back(s.step, bad ? style_.bad() : style_.bold());
    for (auto& l : wrap(s.note, width_ - 1)) lines.emplace_back(" " + l, style_.dim());
    for (std::size_t k = 0; k < lines.size(); ++k) {
      char num[24];
      std::snprintf(num, sizeof num, "%3zu ", i + 1);
      out_ << (k == 0 ? num : "    ") << gutter(i);
      for (int c = 0; c < static_cast<int>(cpus_.size()); ++c) {
        if (c == thread)
          out_ << lines[k].second << lines[k].first << style_.reset();
        else if (c < thread)
          out_ << pad("", width_);
        else
          break;
        if (c < thread) out_ << " ";
      }
      out_ << "\n";
    }
    state_after(i, thread);
    if (i < m_.marks.size())
      for (const StepMark& mark : m_.marks[i]) {
        std::vector<std::string> wrapped = wrap(mark.text, 110);
        for (std::size_t k = 0; k < wrapped.size(); ++k)
          out_ << "    " << gutter(i) << style_.bad() << (k == 0 ? "=> " : "   ") << wrapped[k]
               << style_.reset() << "\n";
      }
  }

  void state_after(std::size_t i, int thread) {
    const vm::VmModel& model = *r_.model;
    const vm::Scenario& sc = *r_.scenario;
    const TraceStep& s = r_.steps[i];
    FlatState before = flat_state(model, r_.states[i]), after = flat_state(model, r_.states[i + 1]);
    std::set<std::string> changed, shown;
    for (const Change& c : s.changes) changed.insert(c.path);
    std::vector<int> pages = pages_involved(model, r_.states[i], r_.states[i + 1], thread, s);
    std::size_t name_width = 0;
    for (int p : pages) name_width = std::max(name_width, sc.page_name(p).size());
    std::vector<std::string> lines;
    for (int p : pages) {
      std::string a = sc.page_name(p);
      StateLine l(style_, after, changed, shown);
      l.text(pad(a, name_width) + "  pte");
      std::vector<int> procs = processes_mapping(model, before, after, p);
      if (procs.empty()) l.text(" (not mapped)");
      for (int m : procs) {
        l.text("  " + sc.processes[m].name + ": ");
        pte_atoms(l, sc.processes[m].name, a, m_);
      }
      l.text("  | tlb");
      for (const auto& th : sc.threads) {
        l.text("  " + th.name + ": ");
        tlb_atoms(l, th.name, a);
      }
      lines.push_back(l.str());
    }
    std::vector<int> frames =
        frames_involved(model, r_.states[i], r_.states[i + 1], pages, s.changes);
    std::string frame_line;
    for (int f : frames) {
      StateLine l(style_, after, changed, shown);
      frame_atoms(l, f, model.shape().words, sc, m_);
      frame_line += (frame_line.empty() ? "" : "   ") + l.str();
    }
    if (!frame_line.empty()) lines.push_back(frame_line);
    std::string also;
    for (const Change& c : s.changes) {
      if (shown.count(c.path) || c.path.ends_with(".op") || !m_.shows_path(c.path)) continue;
      also += (also.empty() ? "" : ", ") + c.path + " " + std::to_string(c.from) + "->" +
              std::to_string(c.to);
    }
    if (!also.empty()) lines.push_back("also " + also);
    for (const std::string& l : lines)
      out_ << "    " << gutter(i) << style_.dim() << "|" << style_.reset() << " " << l << "\n";
  }

  void ending() {
    if (r_.model) out_ << "\n";
    for (const std::string& w : r_.warnings) out_ << "warning: " << w << "\n";
    if (r_.reproduced() && !t_.witness.empty()) {
      out_ << style_.bold() << "WITNESS " << t_.witness << style_.reset() << ": " << t_.message
           << "\n";
      return;
    }
    if (r_.reproduced()) {
      out_ << style_.bad() << (r_.deadlock ? "DEADLOCK " : "VIOLATION ") << r_.invariant
           << style_.reset() << ": " << r_.message << "\n";
      return;
    }
    for (const Difference& d : r_.differences)
      out_ << style_.bad() << d.text << style_.reset() << "\n";
    out_ << "The trace no longer replays (" << r_.outcome << "); it recorded " << t_.invariant
         << ": " << t_.message << "\n";
  }

  const RecordedTrace& t_;
  const Replay& r_;
  const TimelineMarks& m_;
  Style style_;
  std::vector<std::string> cpus_;
  std::size_t width_ = 40;
  std::ostringstream out_;
};

}  // namespace

std::string explain_text(const RecordedTrace& trace, const Replay& replay,
                         const TimelineMarks& marks, bool colour) {
  return TimelineWriter(trace, replay, marks, colour).write();
}

int explain_command(const ExplainArgs& args) {
  if (!args.html.empty())
    if (auto why = unusable_output_path(args.html)) throw vm::InputError("--html", "", *why);
  RecordedTrace trace = read_trace(args.trace);
  Replay replay = replay_trace(trace, {.scenario = args.scenario, .embedded = true});
  int status = replay.reproduced() ? kExitHolds : kExitExpectation;
  TimelineMarks marks = mark_timeline(replay, args.all);
  if (args.json) {
    std::cout << json_text(explain_json(trace, replay, marks)) << "\n";
    return status;
  }
  if (!args.html.empty()) {
    if (auto err = write_output_file(args.html, explain_html(trace, replay, marks))) {
      std::fprintf(stderr, "mmcheck: --html: %s\n", err->c_str());
      return kExitOutput;
    }
    std::printf("wrote %s: %s on %s, %zu steps%s\n", args.html.c_str(), trace.scenario_name.c_str(),
                trace.kernel.c_str(), replay.steps.size(),
                replay.reproduced() ? "" : " (the trace no longer replays)");
    return status;
  }
  bool colour = !args.no_colour && isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  std::cout << explain_text(trace, replay, marks, colour);
  return status;
}

}  // namespace mmcheck::cli
