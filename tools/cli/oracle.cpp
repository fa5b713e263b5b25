// `mmcheck oracle SCENARIO...`: a sequential scenario run both on the running kernel (the
// program `mmcheck reproduce` writes, with --json) and on the model along the same path, compared
// after every op (the README's "The real kernel as oracle").
//
// Sequential: the setup, then each thread's ops in declaration order, thread after thread, each
// op run to completion before the next starts. A scenario whose path blocks an op in the model
// (a uffd-wp or missing fault waiting for a later op) is not sequential and is skipped.
#include "tools/cli/oracle.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tools/cli/reproduce.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

// models/not_modelled.json, embedded at build time (tools/cli/not_modelled.cpp.in).
extern const char* const kNotModelledJson;

namespace {

// Records what the model's ops read; no invariant.
class Recorder : public vm::Observer {
 public:
  std::uint32_t watched_events() const override {
    return vm::event_bit(vm::Event::Load) | vm::event_bit(vm::Event::RefRead);
  }
  vm::GhostNeeds ghost_needs() const override { return {}; }
  void observe(const vm::VmModel&, const vm::State&, const vm::Observation& o,
               StepInfo&) const override {
    last_value = o.value;
  }
  std::optional<Violation> check_state(const vm::VmModel&, const vm::State&) const override {
    return std::nullopt;
  }
  std::optional<Violation> check_final(const vm::VmModel&, const vm::State&) const override {
    return std::nullopt;
  }
  const std::vector<std::string>& property_names() const override { return names_; }
  std::optional<std::uint32_t> deadlock_property() const override { return std::nullopt; }
  mutable int last_value = -1;

 private:
  std::vector<std::string> names_;
};

// One side's view after an op: per (process, page) present, frame, bits, counts.
struct PageView {
  bool present = false;
  long long frame = -1;
  int soft_dirty = 0, uffd_wp = 0, mapcount = -1, anon_exclusive = -1;
  bool zero = false;  // model: the frame stands for the zero page
  bool anon = true;   // an anonymous page (PageAnonExclusive means something)
};
struct View {
  std::string outcome;  // done, failed, blocked
  int value = -1;       // read, pin_read
  int faults = -1;      // read, write
  std::map<std::pair<std::string, int>, PageView> pages;
  bool outcome_only = false;  // a server's step: its pages are the served op's, compared there
};

View model_view(const vm::VmModel& m, const vm::State& s, const vm::Scenario& sc) {
  View v;
  for (std::size_t p = 0; p < sc.processes.size(); ++p) {
    const vm::Mm& mm = s.mm[p];
    if (!mm.exists || !mm.live) continue;
    for (int g = 0; g < sc.page_count(); ++g) {
      PageView pv;
      const vm::Pte& pte = mm.pte[g];
      pv.present = pte.present;
      pv.uffd_wp = (pte.present || pte.marker) && pte.uffd_wp ? 1 : pte.marker ? 1 : 0;
      pv.soft_dirty = (pte.present && pte.soft_dirty) || mm.vma[g].soft_dirty;
      if (pte.present) {
        const vm::Frame& f = s.frames[pte.pfn];
        pv.frame = pte.pfn;
        pv.mapcount = f.mapcount;
        pv.anon = !f.shmem;
        pv.anon_exclusive = f.shmem ? 0 : f.anon_exclusive;
        pv.zero = f.zero;
      }
      v.pages[{sc.processes[p].name, g}] = pv;
    }
  }
  (void)m;
  return v;
}

std::string nearest_preset(const std::string& release) {
  int major = 0, minor = 0;
  std::sscanf(release.c_str(), "%d.%d", &major, &minor);
  std::string best;
  int best_v = -1, newest = -1;
  for (const auto& name : vm::preset_names()) {
    int a = 0, b = 0;
    if (std::sscanf(name.c_str(), "linux-%d.%d", &a, &b) != 2) continue;
    int v = a * 1000 + b;
    newest = std::max(newest, v);
    if (v <= major * 1000 + minor && v > best_v) best_v = v, best = name;
  }
  if (major * 1000 + minor > newest) return "latest";
  return best.empty() ? "latest" : best;
}

using Tally = OracleCount;

}  // namespace

OracleResult oracle_run(const std::string& file, const OracleOptions& opt) {
  return oracle_scenario(vm::load_scenario(file), opt);
}

OracleResult oracle_scenario(const vm::Scenario& sc, const OracleOptions& opt) {
  OracleResult res;
  const std::string& file = sc.file;
  res.scenario = file;
  if (auto why = reproduce_unsupported(sc)) {
    res.skipped = "not supported by reproduce: " + *why;
    return res;
  }
  struct utsname u;
  uname(&u);
  std::string kernel = opt.kernel.empty() ? nearest_preset(u.release) : opt.kernel;
  res.kernel = kernel;
  std::string used;
  vm::Policy policy = resolve_policy(sc, kernel, {}, &used);
  if (auto why = vm::unsupported_reason(sc, policy)) {
    res.skipped = "unsupported on " + kernel + ": " + *why;
    return res;
  }
  // The model along the sequential path.
  Recorder rec;
  vm::VmModel model(sc, policy, rec);
  vm::State s = model.initial_states().front();
  std::vector<View> model_views{model_view(model, s, sc)};
  // The sequential plan: thread after thread. An op that blocks on a userfault may be served
  // by another thread's next op when that is the monitor's uffd_unwp or uffdio_copy (the
  // handler of a WP or missing fault): the server runs inside the blocked op, and both are observed
  // after it, the served op first (`order` is what ran, in the program's step order).
  std::vector<std::pair<int, int>> plan, order;
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    for (std::size_t i = 0; i < sc.threads[t].ops.size(); ++i)
      plan.push_back({static_cast<int>(t), static_cast<int>(i)});
  std::vector<ServedOp> served;
  std::set<std::pair<int, int>> servers;
  const auto& names = vm::step_names();
  // Runs thread t's op i to completion or until it blocks; the outcome and the faults.
  auto run_op = [&](int t, int i, std::string& outcome, int& faults, bool& waited) {
    // An op that fails sets its thread's `failed`, which the op's last step clears with the
    // rest of its locals: any step of the op counts.
    // A fault that waits in handle_userfault returns VM_FAULT_RETRY, which mm_account_fault()
    // does not count; the retry after the wake-up is counted once, whether the PTE was fixed
    // meanwhile or it faults again (x86 retries within the same exception): the fault that
    // waited and the one that follows it are one.
    bool failed_any = false;
    std::vector<vm::VmModel::Action> acts;
    while (s.threads[t].pc == i) {
      acts.clear();
      model.enabled_actions(s, acts);
      if (std::find(acts.begin(), acts.end(), t) == acts.end()) return false;
      vm::State next;
      StepInfo info = model.apply(s, static_cast<vm::VmModel::Action>(t), next);
      const std::string& name = info.label < names.size() ? names[info.label] : "";
      if (name == "handle_userfault.wait") waited = true;
      if (name == "access.fault" && !std::exchange(waited, false)) ++faults;
      failed_any = failed_any || next.threads[t].failed;
      s = next;
    }
    outcome = failed_any ? "failed" : "done";
    return true;
  };
  for (const auto& next : plan) {
    int t = next.first, i = next.second;  // (a lambda below captures them)
    if (servers.count({t, i})) continue;
    rec.last_value = -1;
    std::string outcome, server_outcome;
    int faults = 0, server_faults = 0;
    bool waited = false, server_waited = false;
    std::optional<ServedOp> by;
    while (!run_op(t, i, outcome, faults, waited)) {
      // Blocked: another thread's next op serves it when it is an unprotect or a copy (once).
      auto not_sequential = [&] {
        res.skipped = "not sequential: " + sc.threads[t].name + "'s op \"" +
                      sc.threads[t].ops[i].text + "\" blocks in the model (" +
                      model.why_blocked(s, t) + ")";
        if (auto wait = model.userfault_wait(s, t))
          res.unserved = OracleResult::Unserved{sc.processes[sc.threads[t].process].name,
                                                sc.page_name(wait->page),
                                                wait->unprotect ? "uffd_unwp" : "uffdio_copy"};
      };
      std::size_t u = 0;
      // The server: in the blocked op's process, on its page.
      auto serves = [&](std::size_t u) {
        if (static_cast<int>(u) == t || s.threads[u].pc >= sc.threads[u].ops.size() ||
            sc.threads[u].process != sc.threads[t].process)
          return false;
        const vm::Op& o = sc.threads[u].ops[s.threads[u].pc];
        return (o.kind == vm::OpKind::UffdUnwp || o.kind == vm::OpKind::UffdioCopy) &&
               o.page <= sc.threads[t].ops[i].page && sc.threads[t].ops[i].page < o.page + o.pages;
      };
      while (u < sc.threads.size() && !serves(u)) ++u;
      if (by || u == sc.threads.size()) {
        not_sequential();
        return res;
      }
      int j = s.threads[u].pc, value = rec.last_value;
      if (!run_op(static_cast<int>(u), j, server_outcome, server_faults, server_waited)) {
        not_sequential();
        return res;
      }
      rec.last_value = value;
      by = ServedOp{t, i, static_cast<int>(u), j};
      servers.insert({static_cast<int>(u), j});
    }
    View after = model_view(model, s, sc);
    after.outcome = outcome;
    after.value = rec.last_value;
    after.faults = faults;
    model_views.push_back(after);
    order.push_back({t, i});
    if (by) {
      served.push_back(*by);
      View server = after;
      server.outcome = server_outcome;
      server.value = -1;
      server.faults = server_faults;
      server.outcome_only = true;
      model_views.push_back(server);
      order.push_back({by->by_thread, by->by_op});
    }
  }
  // The kernel: the generated program with --json.
  std::string program = reproduce_program(sc, {}, "", "oracle", served);
  // A directory of its own: programs may be compared side by side (`--jobs`).
  std::string tmpl = (std::filesystem::temp_directory_path() / "mmcheck-oracle-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw vm::InputError(
        file, "", std::string("cannot create a temporary directory: ") + std::strerror(errno));
  std::filesystem::path dir = tmpl;
  struct RemoveDir {
    std::filesystem::path dir;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove_dir{dir};
  std::string c = (dir / "p.c").string(), exe = (dir / "p").string(), outp = (dir / "out").string();
  std::ofstream(c) << program;
  std::string cmd = "gcc -O0 -pthread -o '" + exe + "' '" + c + "' 2> '" + outp + ".cc'";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream e(outp + ".cc");
    std::stringstream ss;
    ss << e.rdbuf();
    throw vm::InputError(file, "",
                         "the generated program does not compile (is gcc installed?): " + ss.str());
  }
  int rc = std::system(("'" + exe + "' --json > '" + outp + "'").c_str());
  (void)rc;
  std::ifstream in(outp);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  if (lines.empty() || lines[0].value("kind", "") != "machine")
    throw vm::InputError(file, "", "the generated program printed no machine line");
  const auto& machine = lines[0];
  res.uname = machine.value("uname", "");
  if (!machine.value("skip", "").empty()) {
    res.skipped = machine.value("skip", "");
    return res;
  }
  bool has_zero = machine.value("zero_page", 1) == 1;
  bool has_sd = machine.value("soft_dirty", 0) == 1;
  if (!has_sd) res.adaptations.insert("soft_dirty: not compared (no CONFIG_MEM_SOFT_DIRTY here)");
  if (!has_sd)
    for (const auto& t : sc.threads)
      for (const auto& op : t.ops)
        if (op.kind == vm::OpKind::ClearRefs) {
          res.skipped = "clear_refs needs CONFIG_MEM_SOFT_DIRTY, which this kernel lacks";
          return res;
        }
  if (!has_zero)
    res.adaptations.insert(
        "zero page: this kernel maps a read fault's page writable (pvm_no_zero_page); where the "
        "model maps the zero page, frame identity, faults, mapcount and PageAnonExclusive are "
        "not compared");
  // Kernel views per step (steps: setup ops, then the body's).
  std::map<int, View> kv;
  for (const auto& j : lines) {
    std::string kind = j.value("kind", "");
    int step = j.value("step", -1);
    if (kind == "op") {
      View& v = kv[step];
      std::string st = j.value("status", "");
      v.outcome = st == "done" ? "done" : st == "blocked" ? "blocked" : "failed";
      v.value = j.value("value", -1);
      v.faults = static_cast<int>(j.value("faults", -1L));
    } else if (kind == "page") {
      PageView pv;
      pv.present = j.value("present", 0) == 1;
      pv.frame = j.value("pfn", -1LL);
      pv.soft_dirty = j.value("soft_dirty", 0);
      pv.uffd_wp = j.value("uffd_wp", 0);
      pv.mapcount = j.value("mapcount", -1);
      pv.anon_exclusive = j.value("anon_exclusive", -1);
      kv[step].pages[{j.value("process", ""), j.value("page", 0)}] = pv;
    }
  }
  int setup_n = static_cast<int>(sc.setup.size());
  // Compare: model view k (0: after setup) with kernel step setup_n - 1 + k.
  std::map<std::string, Tally>& tally = res.tally;
  // The page the comparison is about ("" / -1: the op), for the declared differences.
  std::pair<std::string, int> cur_key{"", -1};
  std::set<std::pair<std::string, int>> zero_tainted;
  static const nlohmann::json declared = nlohmann::json::parse(kNotModelledJson)["entries"];
  auto declared_by = [&](const std::string& kind) -> std::string {
    for (const auto& e : declared)
      for (const auto& x : e["excuses"]) {
        const auto& obs = x["observations"];
        if (std::find(obs.begin(), obs.end(), kind) == obs.end()) continue;
        const auto& when = x["when"];
        bool holds = false;
        if (when.contains("op")) {
          for (const auto& t : sc.threads)
            for (const auto& op : t.ops)
              if (when["op"] == vm::op_name(op.kind) &&
                  (!when.contains("write") || when["write"] == op.write))
                holds = true;
        } else if (when.contains("zero_page")) {
          holds = zero_tainted.count(cur_key) > 0;
        } else if (when.contains("shmem")) {
          holds = cur_key.second >= 0 && sc.region_of(cur_key.second).shmem;
        }
        if (holds) return e["id"].get<std::string>();
      }
    return "";
  };
  auto disagree = [&](int k, const std::string& kind, const std::string& where,
                      const std::string& m, const std::string& r) {
    std::string op = k == 0 ? "after setup"
                            : sc.threads[order[k - 1].first].name + " " +
                                  sc.threads[order[k - 1].first].ops[order[k - 1].second].text;
    std::string text = kind + " after " + op + (where.empty() ? "" : " (" + where + ")") +
                       ": model " + m + ", kernel " + r;
    std::string id = declared_by(kind);
    if (!id.empty()) {
      res.declared.push_back(text + " [declared: " + id + "]");
      res.tally[kind].declared++;
    } else {
      res.disagreements.push_back(text);
    }
  };
  auto cmp = [&](int k, const std::string& kind, const std::string& where, long long m,
                 long long r) {
    tally[kind].compared++;
    if (m == r)
      tally[kind].agreed++;
    else
      disagree(k, kind, where, std::to_string(m), std::to_string(r));
  };
  for (std::size_t k = 0; k < model_views.size(); ++k) {
    int step = setup_n - 1 + static_cast<int>(k);
    if (step < 0) continue;  // no setup: nothing to compare before the first op
    const View& mv = model_views[k];
    const View& rv = kv[step];
    if (k > 0) {
      const vm::Op& op = sc.threads[order[k - 1].first].ops[order[k - 1].second];
      cur_key = {"", -1};
      tally["outcome"].compared++;
      if (mv.outcome == rv.outcome)
        tally["outcome"].agreed++;
      else
        disagree(static_cast<int>(k), "outcome", "", mv.outcome, rv.outcome);
      bool reads = op.kind == vm::OpKind::Read || op.kind == vm::OpKind::PinRead;
      if (reads && mv.outcome == "done" && rv.outcome == "done")
        cmp(static_cast<int>(k), "value", "", mv.value, rv.value);
      // A fault that ends in SIGSEGV never reaches handle_mm_fault(), whose
      // mm_account_fault() counts min_flt, and the signal's delivery faults on the stack: the
      // faults of a successful access only.
      bool access = (op.kind == vm::OpKind::Read || op.kind == vm::OpKind::Write) &&
                    mv.outcome == "done" && rv.outcome == "done";
      if (access) {
        auto key = std::make_pair(sc.processes[sc.threads[order[k - 1].first].process].name,
                                  static_cast<int>(op.page));
        cur_key = key;
        if (!has_zero && zero_tainted.count(key))
          tally["faults"].adapted++;
        else
          cmp(static_cast<int>(k), "faults", "", mv.faults, rv.faults);
      }
    }
    for (const auto& [key, mp] : mv.pages) {
      if (mv.outcome_only) break;
      auto it = rv.pages.find(key);
      if (it == rv.pages.end()) continue;
      const PageView& rp = it->second;
      std::string where = key.first + " " + sc.page_name(key.second);
      cur_key = key;
      if (mp.zero) zero_tainted.insert(key);
      bool tainted = !has_zero && zero_tainted.count(key);
      if (tainted && !mp.present) zero_tainted.erase(key), tainted = false;
      cmp(static_cast<int>(k), "present", where, mp.present, rp.present);
      cmp(static_cast<int>(k), "uffd_wp", where, mp.uffd_wp, rp.uffd_wp);
      if (has_sd) cmp(static_cast<int>(k), "soft_dirty", where, mp.soft_dirty, rp.soft_dirty);
      if (!mp.present || !rp.present) continue;
      if (tainted) {
        tally["mapcount"].adapted++, tally["anon_exclusive"].adapted++, tally["frame"].adapted++;
        continue;
      }
      cmp(static_cast<int>(k), "mapcount", where, mp.mapcount, rp.mapcount);
      if (mp.anon)
        cmp(static_cast<int>(k), "anon_exclusive", where, mp.anon_exclusive, rp.anon_exclusive);
      // Frame identity: replaced since the previous view, and shared with which other mappings.
      if (k > 0) {
        const View& mprev = model_views[k - 1];
        const View& rprev = kv[step - 1];
        auto a = mprev.pages.find(key);
        auto b = rprev.pages.find(key);
        if (a != mprev.pages.end() && b != rprev.pages.end() && a->second.present &&
            b->second.present && !(!has_zero && a->second.zero))
          cmp(static_cast<int>(k), "frame", where + " replaced", a->second.frame != mp.frame,
              b->second.frame != rp.frame);
      }
      for (const auto& [key2, mp2] : mv.pages) {
        if (!(key < key2) || !mp2.present) continue;
        auto it2 = rv.pages.find(key2);
        if (it2 == rv.pages.end() || !it2->second.present) continue;
        if (!has_zero && zero_tainted.count(key2)) continue;
        cmp(static_cast<int>(k), "frame",
            where + " and " + key2.first + " " + sc.page_name(key2.second) + " share a frame",
            mp.frame == mp2.frame, rp.frame == it2->second.frame);
      }
    }
  }
  return res;
}

void print_agreement(const std::map<std::string, OracleCount>& total) {
  std::printf("%-15s %9s %9s %9s %11s %9s %9s\n", "observation", "compared", "agreed", "declared",
              "undeclared", "agreement", "adapted");
  for (const auto& [k, t] : total) {
    long undeclared = t.compared - t.agreed - t.declared;
    std::printf("%-15s %9ld %9ld %9ld %11ld %8.2f%% %9ld\n", k.c_str(), t.compared, t.agreed,
                t.declared, undeclared, t.compared ? 100.0 * t.agreed / t.compared : 100.0,
                t.adapted);
  }
}

void add_to_totals(const OracleResult& r, std::map<std::string, OracleCount>& total,
                   std::set<std::string>& adaptations) {
  adaptations.insert(r.adaptations.begin(), r.adaptations.end());
  for (const auto& [k, t] : r.tally) {
    total[k].compared += t.compared, total[k].agreed += t.agreed;
    total[k].declared += t.declared, total[k].adapted += t.adapted;
  }
}

void print_oracle_result(const OracleResult& r) {
  std::printf("%s %s: %zu undeclared, %zu declared disagreements\n",
              r.disagreements.empty() ? "AGREE" : "DIFFER", r.scenario.c_str(),
              r.disagreements.size(), r.declared.size());
  for (const auto& d : r.disagreements) std::printf("  %s\n", d.c_str());
  for (const auto& d : r.declared) std::printf("  %s\n", d.c_str());
}

int oracle_command(const OracleArgs& args) {
  if (args.random > 0) return oracle_random_command(args);
  if (args.scenarios.empty())
    throw vm::InputError("oracle", "", "expected scenario files, or --random N");
  std::map<std::string, OracleCount> total;
  long disagreements = 0, skipped = 0, run = 0;
  std::set<std::string> adaptations;
  std::string uname_seen, kernel_seen;
  for (const auto& f : args.scenarios) {
    OracleOptions opt;
    opt.kernel = args.kernel;
    OracleResult r = oracle_run(f, opt);
    if (!r.skipped.empty()) {
      std::printf("SKIP %s: %s\n", f.c_str(), r.skipped.c_str());
      ++skipped;
      continue;
    }
    ++run;
    uname_seen = r.uname, kernel_seen = r.kernel;
    add_to_totals(r, total, adaptations);
    print_oracle_result(r);
    disagreements += static_cast<long>(r.disagreements.size());
  }
  std::printf("\nKernel %s, model preset %s; %ld scenarios compared, %ld skipped\n",
              uname_seen.c_str(), kernel_seen.c_str(), run, skipped);
  for (const auto& a : adaptations) std::printf("adapted: %s\n", a.c_str());
  print_agreement(total);
  if (run == 0) return kExitOracleSkipped;
  return disagreements ? kExitExpectation : kExitHolds;
}

}  // namespace mmcheck::cli
