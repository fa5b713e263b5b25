// `mmcheck reproduce SCENARIO [--trace TRACE] [-o FILE.c]`: the scenario as a C program on the
// real kernel (the README's "The real kernel as oracle"). The program is the C runtime
// (tools/cli/reproduce_runtime.cpp) around the scenario's tables: regions, processes, threads
// and their ops, the setup, and the schedule.
#include "tools/cli/reproduce.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tools/run/run.hpp"

namespace mmcheck::cli {

namespace {

std::string c_string(const std::string& s) { return nlohmann::json(s).dump(); }

int prot_code(vm::Prot p) { return p == vm::Prot::None ? 0 : p == vm::Prot::Read ? 1 : 2; }

std::string op_row(const vm::Op& op, int thread) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %s}",
                static_cast<int>(op.kind), thread, op.page, op.pages, op.src, op.word, op.value,
                op.write, op.wp, op.missing, op.wp_mode, op.minor, op.wp_unpopulated, op.wp_async,
                prot_code(op.prot), op.handle, op.child, c_string(op.text).c_str());
  return buf;
}

bool any_op(const vm::Scenario& sc, const std::set<vm::OpKind>& kinds) {
  for (const auto& s : sc.setup)
    if (kinds.count(s.op.kind)) return true;
  for (const auto& t : sc.threads)
    for (const auto& op : t.ops)
      if (kinds.count(op.kind)) return true;
  return false;
}

// What the program does differently from the model's op, said once at the top of its output.
std::vector<std::string> approximations(const vm::Scenario& sc) {
  std::vector<std::string> notes;
  std::set<std::string> seen;
  auto note = [&](const std::string& s) {
    if (seen.insert(s).second) notes.push_back(s);
  };
  auto visit = [&](const vm::Op& op) {
    using K = vm::OpKind;
    if (op.kind == K::ExtraRef)
      note(op.ref_kind == vm::RefKind::Lru
               ? "extra_ref (lru): an LRU pagevec reference is kernel-internal; approximated by a "
                 "page reference held by a pipe (vmsplice), which no LRU drain drops"
               : "extra_ref (io): approximated by a page reference held by a pipe (vmsplice)");
    if ((op.kind == K::Pin || op.kind == K::PinFast) && !op.write)
      note(
          "a read-only pin is driven as io_uring's IORING_REGISTER_BUFFERS, a read-write "
          "FOLL_LONGTERM pin (user space has no read-only long-term pin)");
    if (op.kind == K::PinFast)
      note(
          "pin_fast is driven as io_uring's pin, which tries GUP-fast and falls back to the slow "
          "path instead of failing");
    if (op.kind == K::Get) note("get/vmsplice: vmsplice(2) of the page into a pipe (FOLL_GET)");
  };
  for (const auto& s : sc.setup) visit(s.op);
  for (const auto& t : sc.threads)
    for (const auto& op : t.ops) visit(op);
  if (!sc.regions.empty())
    note("a word is a byte at offset 64 * word of its page; pages are 4 KiB, MADV_NOHUGEPAGE");
  return notes;
}

}  // namespace

std::optional<std::string> reproduce_unsupported(const vm::Scenario& sc) {
  for (const auto& r : sc.regions)
    if (r.page_mkwrite)
      return "region " + r.name +
             " is a `file` region (a MAP_SHARED mapping of a filesystem with page_mkwrite); "
             "the reproducer maps anon and shmem (memfd) regions only";
  for (const auto& r : sc.regions)
    if (r.misplaced) return "region " + r.name + " is `misplaced` (NUMA placement)";
  using K = vm::OpKind;
  auto kernel_only = [](const vm::Op& op) -> std::optional<std::string> {
    if (op.kind == K::NumaScan)
      return "numa_scan is the kernel's task_numa_work, which user space cannot start";
    if (op.kind == K::Migrate)
      return "migrate needs a second NUMA node (move_pages) to move a page to";
    if (op.kind == K::PagemapScan) return "pagemap_scan (PAGEMAP_SCAN ioctl) is not driven yet";
    if (op.kind == K::DropRef || op.kind == K::ExtraRef) return std::nullopt;
    return std::nullopt;
  };
  for (const auto& s : sc.setup)
    if (auto why = kernel_only(s.op)) return "setup op \"" + s.op.text + "\": " + *why;
  for (const auto& t : sc.threads)
    for (const auto& op : t.ops) {
      if (auto why = kernel_only(op)) return t.name + "'s op \"" + op.text + "\": " + *why;
      if (op.kind == K::PinWrite && op.handle < sc.handle_names.size()) {
        // pin_write through a get (pipe) reference: a pipe is read-only.
        for (const auto& t2 : sc.threads)
          for (const auto& o2 : t2.ops)
            if (o2.kind == K::Get && o2.handle == op.handle)
              return t.name + "'s op \"" + op.text +
                     "\": a write through a get (vmsplice) reference; a pipe's page is read-only";
      }
    }
  return std::nullopt;
}

std::vector<ScheduledOp> trace_schedule(const vm::Scenario& sc, const RecordedTrace& trace) {
  std::map<std::string, int> thread_index;
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    thread_index[sc.threads[t].name] = static_cast<int>(t);
  // Each op's first and last step in the trace.
  std::map<std::pair<int, int>, std::pair<int, int>> span;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    const TraceStep& s = trace.steps[i];
    auto it = thread_index.find(s.thread);
    if (it == thread_index.end() || s.op_index < 0 ||
        s.op_index >= static_cast<int>(sc.threads[it->second].ops.size()))
      throw vm::InputError(trace.path, "/steps/" + std::to_string(i),
                           "step of thread \"" + s.thread + "\" op " + std::to_string(s.op_index) +
                               " is not in the scenario");
    auto key = std::make_pair(it->second, s.op_index);
    auto found = span.find(key);
    if (found == span.end())
      span[key] = {static_cast<int>(i), static_cast<int>(i)};
    else
      found->second.second = static_cast<int>(i);
  }
  std::vector<std::pair<std::pair<int, int>, std::pair<int, int>>> ops(span.begin(), span.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
  std::vector<ScheduledOp> out;
  int phase = -1, phase_end = -1;
  for (const auto& [key, range] : ops) {
    if (range.first > phase_end) ++phase;
    phase_end = std::max(phase_end, range.second);
    out.push_back({key.first, key.second, phase, range.second});
  }
  // The ops the trace never reaches (it ends at the violation): after it, one at a time.
  int order = static_cast<int>(trace.steps.size());
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    for (std::size_t i = 0; i < sc.threads[t].ops.size(); ++i)
      if (!span.count({static_cast<int>(t), static_cast<int>(i)}))
        out.push_back({static_cast<int>(t), static_cast<int>(i), ++phase, order++});
  return out;
}

std::string reproduce_program(const vm::Scenario& sc, const std::vector<ScheduledOp>& schedule,
                              const std::string& bad_outcome, const std::string& header_note,
                              const std::vector<ServedOp>& served) {
  std::string s = kReproduceHead;
  auto line = [&](const std::string& l) { s += l + "\n"; };
  line("\n/* ---- The scenario " + sc.name + " (" + sc.file + ") ---- */");
  line("static const char *const scenario_name = " + c_string(sc.name) + ";");
  line("static const char *const program_name = " + c_string("mmcheck reproduce " + sc.file) + ";");
  line("static const char *const bad_outcome = " + c_string(bad_outcome) + ";");
  int pages = sc.page_count();
  line("#define N_REGIONS " + std::to_string(sc.regions.size()));
  line("#define N_PAGES " + std::to_string(std::max(pages, 1)));
  line("#define N_PROCS " + std::to_string(sc.processes.size()));
  line("#define N_THREADS " + std::to_string(sc.threads.size()));
  line("#define N_SETUP " + std::to_string(sc.setup.size()));
  line("#define N_HANDLES " + std::to_string(std::max<std::size_t>(sc.handle_names.size(), 1)));
  line("#define N_SCHED " + std::to_string(schedule.size()));
  line("#define N_SERVED " + std::to_string(served.size()));
  // A racing window (a phase of several ops) is a stress loop; a schedule without one is
  // deterministic, and a few runs show it.
  bool races = false;
  for (std::size_t i = 1; i < schedule.size(); ++i)
    races = races || schedule[i].phase == schedule[i - 1].phase;
  line("#define DEFAULT_ITERATIONS " + std::string(races ? "1000" : "10"));
  using K = vm::OpKind;
  bool uffd = any_op(sc, {K::UffdRegister, K::UffdWp, K::UffdUnwp, K::UffdioCopy, K::UffdioContinue,
                          K::UffdioMove, K::UffdClose});
  for (const auto& r : sc.regions) uffd = uffd || r.uffd_wp;
  line("#define NEEDS_UFFD " + std::string(uffd ? "1" : "0"));
  line("#define NEEDS_IO_URING " + std::string(any_op(sc, {K::Pin, K::PinFast}) ? "1" : "0"));
  line("#define NEEDS_KPAGE 0");
  line("static const struct region regions[N_REGIONS] = {");
  for (const auto& r : sc.regions) {
    int file_of = -1;
    if (r.private_map && r.file_page != r.first_page)
      for (std::size_t q = 0; q < sc.regions.size(); ++q)
        if (sc.regions[q].first_page == r.file_page) file_of = static_cast<int>(q);
    char buf[256];
    std::snprintf(buf, sizeof buf, "  {%s, %d, %d, %d, %d, %d, %d, %d, %d},",
                  c_string(r.name).c_str(), r.shmem, r.private_map, file_of, r.first_page, r.pages,
                  r.words, prot_code(r.prot), r.uffd_wp);
    line(buf);
  }
  line("};");
  line("static const struct proc procs[N_PROCS] = {");
  for (const auto& p : sc.processes)
    line("  {" + c_string(p.name) + ", " +
         std::to_string(p.forked_by_thread ? static_cast<int>(*p.forked_by_thread) : -1) + "},");
  line("};");
  for (std::size_t t = 0; t < sc.threads.size(); ++t) {
    line("static const struct op ops_" + std::to_string(t) + "[] = {");
    for (const auto& op : sc.threads[t].ops) line("  " + op_row(op, static_cast<int>(t)) + ",");
    if (sc.threads[t].ops.empty()) line("  {0}");
    line("};");
  }
  line("static const struct thr threads[N_THREADS] = {");
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    line("  {" + c_string(sc.threads[t].name) + ", " + std::to_string(sc.threads[t].process) +
         ", " + std::to_string(sc.threads[t].ops.size()) + ", ops_" + std::to_string(t) + "},");
  line("};");
  line("static const struct op setup_ops[N_SETUP + 1] = {");
  for (const auto& st : sc.setup) line("  " + op_row(st.op, st.thread) + ",");
  line("  {0}};");
  line("static const struct sched schedule[N_SCHED + 1] = {");
  for (const auto& so : schedule)
    line("  {" + std::to_string(so.thread) + ", " + std::to_string(so.op) + ", " +
         std::to_string(so.phase) + ", " + std::to_string(so.order) + "},");
  line("  {0}};");
  line("static const struct serve served[N_SERVED + 1] = {");
  for (const auto& v : served)
    line("  {" + std::to_string(v.thread) + ", " + std::to_string(v.op) + ", " +
         std::to_string(v.by_thread) + ", " + std::to_string(v.by_op) + "},");
  line("  {0}};");
  line("static const char *const notes[] = {");
  if (!header_note.empty()) line("  " + c_string(header_note) + ",");
  for (const auto& n : approximations(sc)) line("  " + c_string(n) + ",");
  line("  0};");
  s += kReproduceBody;
  return s;
}

int reproduce_command(const ReproduceArgs& args) {
  vm::Scenario sc = vm::load_scenario(args.scenario);
  if (auto why = reproduce_unsupported(sc))
    throw vm::InputError(args.scenario, "", "not supported by reproduce: " + *why);
  std::vector<ScheduledOp> schedule;
  std::string bad, note;
  std::vector<std::string> checked;
  for (const auto& c : sc.check)
    if (c == "no_lost_write" || c == "no_cross_mm_leak") checked.push_back(c);
  if (!args.trace.empty()) {
    RecordedTrace trace = read_trace(args.trace);
    if (trace.scenario_name != sc.name)
      throw vm::InputError(
          args.trace, "/scenario",
          "the trace is of scenario \"" + trace.scenario_name + "\", not \"" + sc.name + "\"");
    if (trace.invariant != "no_lost_write" && trace.invariant != "no_cross_mm_leak")
      throw vm::InputError(args.trace, "/invariant",
                           "not supported by reproduce: the trace's outcome (" +
                               (trace.invariant.empty() ? trace.witness : trace.invariant) +
                               ") is not observable from user space; reproduce observes "
                               "no_lost_write and no_cross_mm_leak");
    schedule = trace_schedule(sc, trace);
    bad = trace.invariant;
    note = "trace " + args.trace + ": on " + trace.kernel + " the model violates " +
           trace.invariant + " after " + std::to_string(trace.steps.size()) + " steps";
  } else {
    for (const auto& c : checked) bad += (bad.empty() ? "" : " or ") + c;
    if (bad.empty()) bad = "no_lost_write or no_cross_mm_leak";
    note = "no trace: setup, then each thread's ops in declaration order, thread after thread";
  }
  std::string program = reproduce_program(sc, schedule, bad, note);
  if (args.output.empty() || args.output == "-") {
    std::fwrite(program.data(), 1, program.size(), stdout);
    return kExitHolds;
  }
  std::ofstream f(args.output, std::ios::binary);
  f << program;
  if (!f.flush()) throw vm::InputError(args.output, "", "cannot write the program");
  std::fprintf(stderr, "mmcheck: wrote %s (gcc -O1 -pthread %s && ./a.out)\n", args.output.c_str(),
               args.output.c_str());
  return kExitHolds;
}

}  // namespace mmcheck::cli
