// What a counterexample's timeline points at (explain's text, its --json and the HTML page):
// the steps that matter, found in the replayed states rather than by step name where the
// states can say it — a PTE change that leaves another CPU's TLB entry stale (the flush is
// deferred), the flush that drops the stale entry, the COW decision (do_wp_page's copy, reuse
// or unshare), a store through a stale TLB entry, and the install of a copied frame that no
// longer holds what the old frame got (the loss made permanent); the window in which a flush
// is pending (tlb_flush_pending raised, or a TLB entry stale); the legend of the abbreviations;
// and the fields this kernel does not have.
#include <algorithm>
#include <set>

#include "models/policy.hpp"
#include "tools/cli/replay.hpp"

namespace mmcheck::cli {

namespace {

int get(const FlatState& s, const std::string& key, int otherwise = 0) {
  auto it = s.find(key);
  return it == s.end() ? otherwise : it->second;
}

// (cpu, page) pairs whose TLB entry no longer matches the PTE of the CPU's process: the PTE is
// gone, maps another frame, is PROT_NONE, or is read-only under a writable entry.
using StaleSet = std::set<std::pair<std::string, std::string>>;

StaleSet stale_entries(const vm::Scenario& sc, const FlatState& s) {
  StaleSet out;
  for (const vm::Thread& th : sc.threads) {
    const std::string& proc = sc.processes[th.process].name;
    for (int p = 0; p < sc.page_count(); ++p) {
      std::string page = sc.page_name(p);
      std::string tlb = th.name + ".tlb." + page + ".";
      if (!get(s, tlb + "valid")) continue;
      std::string pte = proc + ".pte." + page + ".";
      if (!get(s, pte + "present") || get(s, pte + "pfn", -1) != get(s, tlb + "pfn", -1) ||
          get(s, pte + "protnone") || (get(s, tlb + "writable") && !get(s, pte + "write")))
        out.emplace(th.name, page);
    }
  }
  return out;
}

bool flush_pending(const vm::Scenario& sc, const FlatState& s) {
  for (const vm::Process& p : sc.processes)
    if (get(s, p.name + ".tlb_flush_pending") > 0) return true;
  return !stale_entries(sc, s).empty();
}

std::string tlb_text(const FlatState& s, const std::string& cpu, const std::string& page) {
  std::string k = cpu + ".tlb." + page + ".";
  return "frame " + std::to_string(get(s, k + "pfn")) + " W" +
         std::to_string(get(s, k + "writable"));
}

std::string pte_text(const FlatState& s, const std::string& proc, const std::string& page) {
  std::string k = proc + ".pte." + page + ".";
  if (!get(s, k + "present")) return "none";
  return "frame " + std::to_string(get(s, k + "pfn")) + " W" + std::to_string(get(s, k + "write")) +
         (get(s, k + "protnone") ? " PROTNONE" : "");
}

// A step's PTE changes to one page of one process, as "W1->W0, frame 0->1".
std::string pte_changes(const TraceStep& step, const std::string& prefix) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"present", "present"}, {"pfn", "frame "}, {"write", "W"},          {"dirty", "D"},
      {"soft_dirty", "SD"},   {"uffd_wp", "UW"}, {"protnone", "PROTNONE"}};
  std::string out;
  for (const Change& c : step.changes) {
    if (c.path.rfind(prefix, 0) != 0) continue;
    std::string field = c.path.substr(prefix.size());
    for (const auto& [name, shown] : kNames)
      if (field == name)
        out += (out.empty() ? "" : ", ") + std::string(shown) + std::to_string(c.from) + "->" +
               shown + std::to_string(c.to);
  }
  return out;
}

class Marker {
 public:
  Marker(const Replay& r, TimelineMarks& out) : r_(r), sc_(*r.scenario), out_(out) {}

  void run() {
    const vm::VmModel& model = *r_.model;
    for (const vm::State& s : r_.states) flats_.push_back(flat_state(model, s));
    out_.marks.resize(r_.steps.size());
    for (std::size_t i = 0; i < r_.steps.size(); ++i) {
      const FlatState& before = flats_[i];
      const FlatState& after = flats_[i + 1];
      StaleSet was = stale_entries(sc_, before), now = stale_entries(sc_, after);
      deferred(i, was, now);
      cow_decision(i);
      stale_store(i, was);
      install(i);
      flushed(i, was, now);
      out_.flush_pending.push_back(flush_pending(sc_, after));
    }
  }

 private:
  void mark(std::size_t i, const char* kind, std::string text) {
    out_.marks[i].push_back({kind, std::move(text)});
  }

  const std::string& process_of(const std::string& cpu) const {
    for (const vm::Thread& th : sc_.threads)
      if (th.name == cpu) return sc_.processes[th.process].name;
    return cpu;
  }

  void deferred(std::size_t i, const StaleSet& was, const StaleSet& now) {
    const TraceStep& s = r_.steps[i];
    for (const auto& [cpu, page] : now) {
      if (was.count({cpu, page})) continue;
      const std::string& proc = process_of(cpu);
      std::string changed = pte_changes(s, proc + ".pte." + page + ".");
      if (changed.empty()) continue;  // the entry went stale some other way
      mark(i, "deferred_pte",
           "deferred PTE change: " + proc + "'s PTE for " + page + " " + changed + "; " + cpu +
               "'s TLB still has " + tlb_text(flats_[i + 1], cpu, page) + " until a flush");
    }
  }

  void flushed(std::size_t i, const StaleSet& was, const StaleSet& now) {
    std::vector<std::string> gone;
    for (const auto& [cpu, page] : was) {
      if (now.count({cpu, page})) continue;
      if (get(flats_[i + 1], cpu + ".tlb." + page + ".valid")) continue;  // refilled, not flushed
      gone.push_back(cpu + "'s entry for " + page);
    }
    if (gone.empty()) return;
    std::string list;
    for (const std::string& g : gone) list += (list.empty() ? "" : ", ") + g;
    mark(i, "flush", "flush: the stale TLB entries are gone (" + list + ")");
  }

  void cow_decision(std::size_t i) {
    const std::string& step = r_.steps[i].step;
    for (const char* decision : {"copy", "reuse", "unshare"})
      if (step == std::string("do_wp_page.") + decision) {
        const std::string& note = r_.steps[i].note;
        mark(i, "cow_decision",
             "COW decision: " + (note.rfind(decision, 0) == 0 ? note : decision + (": " + note)));
      }
  }

  void stale_store(std::size_t i, const StaleSet& was) {
    const TraceStep& s = r_.steps[i];
    const FlatState& before = flats_[i];
    for (const auto& [cpu, page] : was) {
      if (cpu != s.thread) continue;
      int frame = get(before, cpu + ".tlb." + page + ".pfn", -1);
      std::string prefix = "frame." + std::to_string(frame) + ".content.";
      for (const Change& c : s.changes) {
        if (c.path.rfind(prefix, 0) != 0) continue;
        mark(i, "stale_store",
             "store through a stale TLB entry: " + cpu + " writes " + std::to_string(c.to) +
                 " to frame " + std::to_string(frame) + " word " + c.path.substr(prefix.size()) +
                 " through its TLB entry (" + tlb_text(before, cpu, page) + "), but " +
                 process_of(cpu) + "'s PTE for " + page + " is " +
                 pte_text(before, process_of(cpu), page));
      }
    }
  }

  // A PTE now maps another frame, whose content differs from the old one's: a store the old
  // frame holds is no longer seen through this mapping.
  void install(std::size_t i) {
    const TraceStep& s = r_.steps[i];
    const FlatState& after = flats_[i + 1];
    for (const Change& c : s.changes) {
      const std::string suffix = ".pfn";
      std::size_t pte = c.path.find(".pte.");
      if (pte == std::string::npos || !c.path.ends_with(suffix) || c.from < 0 || c.to < 0) continue;
      std::string old_frame = "frame." + std::to_string(c.from) + ".";
      std::string new_frame = "frame." + std::to_string(c.to) + ".";
      if (!get(after, old_frame + "in_use") || !get(after, new_frame + "in_use")) continue;
      std::string lost;
      for (int w = 0; w < r_.model->shape().words; ++w) {
        std::string word = "content." + std::to_string(w);
        if (get(after, old_frame + word) != get(after, new_frame + word))
          lost += (lost.empty() ? "" : ", ") + std::string("word ") + std::to_string(w) + " = " +
                  std::to_string(get(after, old_frame + word));
      }
      if (lost.empty()) continue;
      std::string proc = c.path.substr(0, pte);
      std::string page = c.path.substr(pte + 5, c.path.size() - pte - 5 - suffix.size());
      mark(i, "install",
           "install made the loss permanent: " + proc + "'s PTE for " + page + " now maps frame " +
               std::to_string(c.to) + ", which lacks frame " + std::to_string(c.from) + "'s " +
               lost);
    }
  }

  const Replay& r_;
  const vm::Scenario& sc_;
  TimelineMarks& out_;
  std::vector<FlatState> flats_;
};

}  // namespace

bool is_ghost_path(const std::string& path) { return path.find(".ghost.") != std::string::npos; }

TimelineMarks mark_timeline(const Replay& replay, bool all) {
  TimelineMarks out;
  out.all = all;
  if (!replay.model) return out;
  const vm::Policy& policy = replay.model->policy();
  // Fields the kernel does not have: PageAnonExclusive came with 5.19 (6c287605fd56), uffd-wp
  // with 5.7 (292924b26024); the model keeps the bits, but they mean nothing there.
  if (!all && policy.cow_reuse != vm::CowReuse::AnonExclusive) out.hidden.push_back("excl");
  if (!all && policy.uffd_wp == vm::UffdWpSupport::None) out.hidden.push_back("UW");
  Marker(replay, out).run();
  return out;
}

bool TimelineMarks::shows(const std::string& field) const {
  return std::find(hidden.begin(), hidden.end(), field) == hidden.end();
}

bool TimelineMarks::shows_path(const std::string& path) const {
  if (all) return true;
  if (is_ghost_path(path)) return false;
  if (!shows("excl") && path.ends_with(".anon_exclusive")) return false;
  if (!shows("UW") && path.ends_with(".uffd_wp")) return false;
  return true;
}

std::vector<LegendEntry> timeline_legend(const TimelineMarks& marks) {
  std::vector<LegendEntry> out = {
      {"W", "writable (PTE write bit; TLB entry writable)"},
      {"D", "dirty"},
      {"SD", "soft-dirty (PTE)"},
      {"UW", "uffd-wp (PTE write-protected by userfaultfd)"},
      {"ref", "frame refcount"},
      {"map", "frame mapcount"},
      {"pin", "frame pincount (FOLL_PIN)"},
      {"excl", "PageAnonExclusive (frame)"},
      {"*", "changed by this step (highlighted in colour)"},
      {"~",
       "a TLB flush is pending after this step (tlb_flush_pending raised, or a TLB entry "
       "stale)"},
      {"=>",
       "a step that matters: the deferred PTE change, its flush, the COW decision, a store "
       "through a stale TLB entry, the install that made a loss permanent"},
  };
  std::erase_if(out, [&](const LegendEntry& e) { return !marks.shows(e.symbol); });
  return out;
}

std::string hidden_text(const TimelineMarks& marks, const std::string& kernel) {
  if (marks.all) return "";
  std::string out;
  for (const std::string& h : marks.hidden)
    out += (out.empty() ? "" : ", ") + h +
           (h == "excl" ? " (no PageAnonExclusive on " + kernel + ")"
                        : " (no uffd-wp on " + kernel + ")");
  out += (out.empty() ? "" : ", ") + std::string("the invariants' ghost bookkeeping");
  return "Hidden: " + out + "; --all shows them.";
}

nlohmann::json explain_json(const RecordedTrace& t, const Replay& r, const TimelineMarks& m) {
  using nlohmann::json;
  json j;
  j["trace"] = t.path;
  j["scenario"] = {
      {"name", t.scenario_name}, {"file", r.scenario_path}, {"origin", r.scenario_origin}};
  j["kernel"] = t.kernel;
  j["overrides"] = t.overrides;
  j["outcome"] = r.outcome;
  j["reproduced"] = r.reproduced();
  j["witness"] = t.witness.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.witness);
  j["invariant"] = r.reproduced() ? r.invariant : t.invariant;
  j["message"] = r.reproduced() ? r.message : t.message;
  json diffs = json::array();
  for (const Difference& d : r.differences) diffs.push_back(d.text);
  j["differences"] = diffs;
  j["hidden"] = m.hidden;
  j["all"] = m.all;
  json legend = json::array();
  for (const LegendEntry& e : timeline_legend(m))
    legend.push_back({{"symbol", e.symbol}, {"meaning", e.meaning}});
  j["legend"] = legend;
  json steps = json::array();
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    json s = step_json(r.steps[i]);
    json changes = json::array();
    for (const json& c : s["changes"])
      if (m.shows_path(c["path"].get<std::string>())) changes.push_back(c);
    s["changes"] = changes;
    s["n"] = i + 1;
    s["flush_pending"] = i < m.flush_pending.size() && m.flush_pending[i];
    json marks = json::array();
    if (i < m.marks.size())
      for (const StepMark& k : m.marks[i]) marks.push_back({{"kind", k.kind}, {"text", k.text}});
    s["marks"] = marks;
    steps.push_back(s);
  }
  j["steps"] = steps;
  return j;
}

}  // namespace mmcheck::cli
