// The Linux VM model: builds the initial state (regions mapped, setup run to completion), lists
// the enabled steps (one per runnable thread, in thread order), dispatches a step to its op's
// file, and evaluates the state and end-of-run invariants.
#include "models/vm_model.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/scenario_ops.hpp"

namespace mmcheck::vm {

namespace {

// Every op's kernel step names, in registration order, each once.
std::vector<std::string> make_step_names() {
  std::vector<std::string> names;
  for (const OpDescriptor* op : op_registry())
    for (const std::string& name : op->steps)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

const std::unordered_map<std::string, std::uint32_t>& step_index() {
  static const std::unordered_map<std::string, std::uint32_t> index = [] {
    std::unordered_map<std::string, std::uint32_t> out;
    const auto& names = step_names();
    for (std::uint32_t i = 0; i < names.size(); ++i) out.emplace(names[i], i);
    return out;
  }();
  return index;
}

}  // namespace

const std::vector<std::string>& step_names() {
  static const std::vector<std::string> names = make_step_names();
  return names;
}

std::uint32_t step_label(const char* name) {
  auto it = step_index().find(name);
  MM_ASSERT(it != step_index().end(), "a step name missing from the step table");
  return it->second;
}

VmModel::VmModel(const Scenario& scenario, const Policy& policy, const Observer& observer)
    : scenario_(scenario),
      policy_(policy),
      observer_(observer),
      watched_(observer.watched_events()),
      ghost_(observer.ghost_needs()) {
  shape_.threads = static_cast<int>(scenario.threads.size());
  shape_.processes = static_cast<int>(scenario.processes.size());
  shape_.pages = scenario.page_count();
  shape_.words = 1;
  for (const Region& r : scenario.regions) shape_.words = std::max<int>(shape_.words, r.words);
  shape_.handles = static_cast<int>(scenario.handle_names.size());
  // Each page can have a frame per process, plus one copy in flight per CPU, plus a spare.
  shape_.frames = std::min(kMaxFrames, shape_.pages * (shape_.processes + 1) + shape_.threads + 1);
  for (std::size_t i = 0; i < scenario.values.size(); ++i)
    value_bits_[scenario.values[i]] = std::uint64_t{1} << i;
  // The soft-dirty ghost (when a store started, which pages must read soft-dirty) is kept only
  // when the observer reads it and a clear_refs can complete: unread ghost state would only
  // split states.
  for (const Thread& t : scenario.threads)
    for (const Op& op : t.ops)
      if (op.kind == OpKind::ClearRefs) tracks_soft_dirty_ = true;
  for (const SetupOp& s : scenario.setup)
    if (s.op.kind == OpKind::ClearRefs) tracks_soft_dirty_ = true;
  tracks_soft_dirty_ = tracks_soft_dirty_ && ghost_.soft_dirty;
  build_reduction_tables();
  build_symmetry_groups();
  build_labels();
}

void VmModel::build_labels() {
  labels_ = step_names();
  op_end_base_ = static_cast<std::uint32_t>(labels_.size());
  int offset = 0;
  for (const Thread& t : scenario_.threads) {
    op_offset_.push_back(offset);
    for (std::size_t i = 0; i < t.ops.size(); ++i) {
      std::string op = t.name + "." + std::to_string(i + 1);
      labels_.push_back("op " + op + " done");
      labels_.push_back("op " + op + " failed");
    }
    offset += static_cast<int>(t.ops.size());
  }
  outcome_base_ = static_cast<std::uint32_t>(labels_.size());
  digit_value_ = {-1, 0};
  outcome_digit_[0] = 1;
  for (std::uint8_t v : scenario_.values)
    if (v != 0) {
      outcome_digit_[v] = static_cast<std::uint8_t>(digit_value_.size());
      digit_value_.push_back(v);
    }
  std::uint64_t combinations = outcome_combinations(scenario_);
  for (std::uint64_t c = 0; c < combinations; ++c)
    labels_.push_back("outcome " + std::to_string(c));
}

std::uint32_t VmModel::terminal_mark(const State& s) const {
  if (scenario_.outcomes.empty()) return kNoLabel;
  std::uint32_t code = 0;
  for (auto o = scenario_.outcomes.rbegin(); o != scenario_.outcomes.rend(); ++o) {
    int slot = scenario_.threads[o->thread].ops[o->op].observe;
    std::uint8_t kept = s.threads[o->thread].observed[slot];
    std::uint32_t digit = kept == 0 ? 0 : outcome_digit_[kept - 1];
    code = code * static_cast<std::uint32_t>(digit_value_.size()) + digit;
  }
  return outcome_label(code);
}

std::vector<int> VmModel::outcome_values(std::uint32_t combination) const {
  std::vector<int> out;
  for (std::size_t i = 0; i < scenario_.outcomes.size(); ++i) {
    out.push_back(digit_value_[combination % digit_value_.size()]);
    combination /= static_cast<std::uint32_t>(digit_value_.size());
  }
  return out;
}

const Op* VmModel::current_op(const State& s, int thread) const {
  const auto& ops = scenario_.threads[thread].ops;
  int pc = s.threads[thread].pc;
  return pc < static_cast<int>(ops.size()) ? &ops[pc] : nullptr;
}

namespace {

// Whether a thread at `phase` of `op` sleeps in handle_userfault: its retry (which takes the
// op's entry lock again) is enabled once the page's uffd_wp bit is clear.
bool waits_in_userfault(const OpDescriptor& d, std::uint8_t phase) {
  return d.userfault_retry_phase >= 0 && phase == d.userfault_retry_phase;
}

// On kernels with per-VMA locks, the VMAs (a bit per page) the step a thread is at write-locks:
// its op's entry step, when the op's descriptor says it takes any.
std::uint32_t entry_vma_write_locks(const VmModel& model, const State& s, int thread,
                                    const Op& op) {
  const OpDescriptor& d = op_descriptor(op.kind);
  if (s.threads[thread].phase != 0 || d.vma_write_locks == nullptr ||
      !per_vma_locks(model.policy()))
    return 0;
  const Mm& m = s.mm[model.scenario().threads[thread].process];
  return d.vma_write_locks(model.scenario(), model.policy(), m, op);
}

// Whether a fault sleeping in handle_userfault at `page` has been woken: a WP fault when the
// PTE's uffd_wp bit is clear (an unprotect), a missing fault when the PTE is populated
// (UFFDIO_COPY), a minor fault when the PTE maps the page-cache page (UFFDIO_CONTINUE); any
// when the VMA is no longer registered (the monitor's close()).
bool userfault_woken(const Scenario& sc, const State& s, const Mm& m, int page) {
  const Pte& pte = m.pte[page];
  const VmaPage& vma = m.vma[page];
  if (pte.present && pte.uffd_wp && vma.uffd_wp) return false;
  if (!pte.present && !pte.marker && vma.uffd_missing) return false;
  if (!pte.present && (m.uffd_minor >> page & 1) && s.page_cache[sc.cache_page(page)] != 0)
    return false;
  return true;
}

// Whether the step a thread is at can run now: the lock it acquires is free, or the page it
// waits on is no longer write-protected.
bool phase_enabled(const VmModel& model, const State& s, int thread, const Op& op) {
  int mm = model.scenario().threads[thread].process;
  const Mm& m = s.mm[mm];
  std::uint8_t phase = s.threads[thread].phase;
  // A fault's lock step: the VMA's read lock when lock_vma_under_rcu() gets it, else mmap_lock.
  if (phase == kFaultMigrationWait) return !m.pte[op.page].migration;
  if (phase >= kFaultLock)
    return phase != kFaultLock || !m.writer ||
           fault_takes_vma_lock(model.scenario(), model.policy(), m, op.page);
  const OpDescriptor& d = op_descriptor(op.kind);
  bool retry = waits_in_userfault(d, phase);
  if (retry && !userfault_woken(model.scenario(), s, m, op.page)) return false;
  if (phase != 0 && !retry) return true;
  switch (d.entry_lock(model.policy())) {
    case EntryLock::None:
      return true;
    case EntryLock::Read:
      return !m.writer;
    case EntryLock::Write:
      // vma_start_write() waits for the readers of the VMAs it write-locks.
      return !m.writer && m.readers == 0 &&
             !vma_read_locked(model, s, mm, entry_vma_write_locks(model, s, thread, op), thread);
  }
  return true;
}

// The fault handler's phases are shared by the accesses and GUP; every other step is its op's.
void dispatch(Ctx& c) {
  if (c.th().phase >= kFaultLock) return step_fault(c);
  op_descriptor(c.op.kind).step(c);
}

// vma_start_write() at an op's entry (`wlocks`, a bit per page), and mmap_write_unlock(), which
// ends every write lock of its mm's VMAs (mm_lock_seq moves on).
void update_vma_write_locks(const VmModel& model, const State& s, State& next, int mm,
                            std::uint32_t wlocks) {
  const int pages = model.shape().pages;
  if (wlocks != 0 && next.mm[mm].writer)
    for (int p = 0; p < pages; ++p)
      if (wlocks >> p & 1) next.mm[mm].vma[p].wlocked = true;
  for (int x = 0; x < model.shape().processes; ++x)
    if (s.mm[x].writer && !next.mm[x].writer)
      for (int p = 0; p < pages; ++p) next.mm[x].vma[p].wlocked = false;
}

StepInfo run_step(const VmModel& model, const State& s, int thread, const Op& op, bool advance_pc,
                  State& next, std::string* note, bool* op_done = nullptr) {
  next = s;
  Ctx c{model,
        model.scenario(),
        model.policy(),
        next,
        thread,
        model.scenario().threads[thread].process,
        op,
        note};
  std::uint32_t wlocks = entry_vma_write_locks(model, s, thread, op);
  dispatch(c);
  MM_ASSERT(c.info.label != kNoLabel, "a step without a kernel step name");
  if (per_vma_locks(model.policy())) update_vma_write_locks(model, s, next, c.mm, wlocks);
  if (op_done != nullptr) *op_done = c.op_done;
  if (c.op_done) {
    ThreadState& th = next.threads[thread];
    if (advance_pc) c.info.mark = model.op_end_label(thread, th.pc, th.failed);
    ThreadState done{};
    done.pc = static_cast<std::uint8_t>(advance_pc ? th.pc + 1 : th.pc);
    std::copy(std::begin(th.observed), std::end(th.observed), done.observed);
    th = done;
  }
  return c.info;
}

}  // namespace

std::vector<State> VmModel::initial_states() const {
  State s{};
  for (int m = 0; m < shape_.processes; ++m) {
    if (scenario_.processes[m].forked_by_thread) continue;
    s.mm[m].exists = true;
    s.mm[m].live = true;
    for (const Region& r : scenario_.regions) {
      for (int p = r.first_page; p < r.first_page + r.pages; ++p) {
        VmaPage& v = s.mm[m].vma[p];
        v.mapped = true;
        v.read = r.prot != Prot::None;
        v.write = r.prot == Prot::ReadWrite;
        v.uffd_wp = r.uffd_wp;
        v.soft_dirty = r.soft_dirty;
      }
    }
  }
  run_setup(s);
  return {s};
}

void VmModel::run_setup(State& s) const {
  for (std::size_t i = 0; i < scenario_.setup.size(); ++i) {
    const SetupOp& setup = scenario_.setup[i];
    int t = setup.thread;
    std::string where = "/setup/" + std::to_string(i);
    if (!s.mm[scenario_.threads[t].process].live)
      throw InputError(scenario_.file, where,
                       "thread " + scenario_.threads[t].name +
                           " cannot run in setup before its process is forked");
    for (int steps = 0;; ++steps) {
      if (steps > 1000 || !phase_enabled(*this, s, t, setup.op))
        throw InputError(scenario_.file, where,
                         "setup op \"" + setup.op.text + "\" cannot complete (" +
                             (steps > 1000 ? "it does not terminate" : "it blocks") + ")");
      State next{};
      bool done = false;
      run_step(*this, s, t, setup.op, false, next, nullptr, &done);
      s = next;
      if (done) break;
    }
  }
}

void VmModel::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (int t = 0; t < shape_.threads; ++t) {
    if (!s.mm[scenario_.threads[t].process].live) continue;
    const Op* op = current_op(s, t);
    if (op != nullptr && phase_enabled(*this, s, t, *op)) out.push_back(static_cast<Action>(t));
  }
}

StepInfo VmModel::apply(const State& s, const Action& a, State& next) const {
  return run_step(*this, s, a, *current_op(s, a), true, next, nullptr);
}

StepInfo VmModel::apply_traced(const State& s, Action a, State& next, std::string& note) const {
  return run_step(*this, s, a, *current_op(s, a), true, next, &note);
}

bool VmModel::finished(const State& s) const {
  for (int t = 0; t < shape_.threads; ++t)
    if (current_op(s, t) != nullptr) return false;
  return true;
}

std::string VmModel::describe_action(const State& s, const Action& a) const {
  const Op* op = current_op(s, a);
  return scenario_.threads[a].name + ": " + (op ? op->text : "(done)");
}

std::optional<VmModel::UserfaultWait> VmModel::userfault_wait(const State& s, int thread) const {
  const Op* op = current_op(s, thread);
  if (op == nullptr || !waits_in_userfault(op_descriptor(op->kind), s.threads[thread].phase))
    return std::nullopt;
  const Pte& pte = s.mm[scenario_.threads[thread].process].pte[op->page];
  return UserfaultWait{op->page, pte.present || pte.marker};
}

std::string VmModel::why_blocked(const State& s, int thread) const {
  const Thread& th = scenario_.threads[thread];
  const Op* op = current_op(s, thread);
  MM_ASSERT(op != nullptr, "a finished thread is not blocked");
  if (!s.mm[th.process].live) return "its process was never forked";
  if (s.threads[thread].phase == kFaultMigrationWait)
    return "waits in migration_entry_wait for " + scenario_.processes[th.process].name + ":" +
           scenario_.page_name(op->page);
  if (auto wait = userfault_wait(s, thread))
    return "waits in handle_userfault for " + scenario_.processes[th.process].name + ":" +
           scenario_.page_name(wait->page) +
           (wait->unprotect ? " to be unprotected" : " to be populated (UFFDIO_COPY)");
  if (vma_read_locked(*this, s, th.process, entry_vma_write_locks(*this, s, thread, *op), thread))
    return "waits in vma_start_write for the faults holding a VMA lock of " +
           scenario_.processes[th.process].name;
  return "waits for " + scenario_.processes[th.process].name + "'s mmap_lock";
}

std::string VmModel::describe_deadlock(const State& s) const {
  std::string out;
  for (int t = 0; t < shape_.threads; ++t) {
    const Op* op = current_op(s, t);
    if (op == nullptr) continue;
    out += (out.empty() ? "" : "; ") + scenario_.threads[t].name + " (" + op->text + ") " +
           why_blocked(s, t);
  }
  return "no step is enabled: " + out;
}

namespace {

using Flat = std::vector<StateValue>;

void flatten_page(Flat& out, const std::string& P, const std::string& A, const Mm& mm, int p,
                  int words) {
  auto add = [&](const std::string& path, int value) { out.push_back({{P + path, p, -1}, value}); };
  const Pte& pte = mm.pte[p];
  add(".pte." + A + ".present", pte.present);
  add(".pte." + A + ".pfn", pte.present || pte.migration ? pte.pfn : -1);
  add(".pte." + A + ".write", pte.write);
  add(".pte." + A + ".dirty", pte.dirty);
  add(".pte." + A + ".soft_dirty", pte.soft_dirty);
  add(".pte." + A + ".uffd_wp", pte.uffd_wp);
  add(".pte." + A + ".protnone", pte.protnone);
  add(".pte." + A + ".marker", pte.marker);
  add(".pte." + A + ".migration", pte.migration);
  const VmaPage& v = mm.vma[p];
  add(".vma." + A + ".mapped", v.mapped);
  add(".vma." + A + ".read", v.read);
  add(".vma." + A + ".write", v.write);
  add(".vma." + A + ".uffd_wp", v.uffd_wp);
  add(".vma." + A + ".soft_dirty", v.soft_dirty);
  for (int w = 0; w < words; ++w)
    add(".ghost.last." + A + "." + std::to_string(w),
        (mm.expect_valid[p] >> w & 1) ? mm.expect[p][w] : -1);
}

void flatten_frames(Flat& out, const State& s, const Shape& shape) {
  for (int f = 0; f < shape.frames; ++f) {
    const Frame& fr = s.frames[f];
    std::string F = "frame." + std::to_string(f);
    auto add = [&](const std::string& field, int value) {
      out.push_back({{F + field, -1, f}, value});
    };
    add(".in_use", fr.in_use);
    if (!fr.in_use) continue;
    add(".refcount", fr.refcount);
    add(".mapcount", fr.mapcount);
    add(".pincount", fr.pincount);
    add(".anon_exclusive", fr.anon_exclusive);
    add(".dirty", fr.dirty);
    for (int w = 0; w < shape.words; ++w) add(".content." + std::to_string(w), fr.content[w]);
  }
}

}  // namespace

std::vector<StateValue> VmModel::flatten(const State& s) const {
  Flat out;
  for (int m = 0; m < shape_.processes; ++m) {
    const Mm& mm = s.mm[m];
    if (!mm.exists) continue;
    std::string P = scenario_.processes[m].name;
    out.push_back({{P + ".mmap_lock.readers"}, mm.readers});
    out.push_back({{P + ".mmap_lock.writer"}, mm.writer});
    out.push_back({{P + ".tlb_flush_pending"}, mm.tlb_flush_pending});
    out.push_back({{P + ".has_pinned"}, mm.has_pinned});
    for (int p = 0; p < shape_.pages; ++p)
      flatten_page(out, P, scenario_.page_name(p), mm, p, scenario_.words_of(p));
  }
  for (int t = 0; t < shape_.threads; ++t) {
    std::string T = scenario_.threads[t].name;
    out.push_back({{T + ".op"}, s.threads[t].pc});
    for (int p = 0; p < shape_.pages; ++p) {
      const TlbEntry& e = s.tlb[t][p];
      std::string A = T + ".tlb." + scenario_.page_name(p);
      out.push_back({{A + ".valid", p, -1}, e.valid});
      out.push_back({{A + ".pfn", p, -1}, e.valid ? e.pfn : -1});
      out.push_back({{A + ".writable", p, -1}, e.writable});
      out.push_back({{A + ".dirty", p, -1}, e.dirty});
    }
  }
  flatten_frames(out, s, shape_);
  for (int h = 0; h < shape_.handles; ++h) {
    const Handle& hd = s.handles[h];
    std::string name = scenario_.handle_names[h];
    std::string H = "handle." + (name.empty() ? "ref" + std::to_string(h) : name);
    out.push_back({{H + ".active"}, hd.active});
    out.push_back({{H + ".pfn"}, hd.active ? hd.pfn : -1});
  }
  return out;
}

}  // namespace mmcheck::vm

namespace mmcheck::vm {

std::optional<std::string> unsupported_reason(const Scenario& scenario, const Policy& policy) {
  for (const Region& r : scenario.regions)
    if (r.uffd_wp)
      if (auto why = uffd_wp_unsupported(scenario, policy, r.first_page, r.pages)) return why;
  auto check_op = [&](const Op& op) -> std::optional<std::string> {
    const OpDescriptor& d = op_descriptor(op.kind);
    return d.unsupported ? d.unsupported(scenario, policy, op) : std::nullopt;
  };
  for (const SetupOp& s : scenario.setup)
    if (auto why = check_op(s.op)) return why;
  for (const Thread& t : scenario.threads)
    for (const Op& op : t.ops)
      if (auto why = check_op(op)) return why;
  return std::nullopt;
}

}  // namespace mmcheck::vm
