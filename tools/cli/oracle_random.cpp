// `mmcheck oracle --random N --seed S`: N random sequential programs (1-2 regions, 1-3 pages, up
// to 3 processes) over the ops both the model and the reproducer support, each compared with the
// running kernel as `mmcheck oracle` compares a scenario; a program with an undeclared
// disagreement is shrunk (one op removed at a time while the disagreement stays) and printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "invariants/checker.hpp"
#include "tools/cli/oracle.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

namespace {

using Json = nlohmann::ordered_json;

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  int below(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
};

struct Shape {
  std::vector<std::string> page_names;  // "A", "A+1", "B"
  std::vector<bool> wp_page;            // the page's region is registered for uffd-wp
  std::vector<bool> shmem;              // the page's region is shmem
  std::vector<int> words;
};

// The anonymous pages other than `p`.
std::vector<int> anon_others(const Shape& sh, int p) {
  std::vector<int> out;
  for (int q = 0; q < static_cast<int>(sh.page_names.size()); ++q)
    if (q != p && !sh.shmem[q]) out.push_back(q);
  return out;
}

// One thread's random ops; `handles` counts the scenario's handle names.
Json random_ops(Gen& g, const Shape& sh, int count, bool monitor, bool clear_refs, int& handles) {
  Json ops = Json::array();
  std::vector<std::pair<std::string, bool>> held;  // handle, is a pin
  for (int i = 0; i < count; ++i) {
    int p = g.below(static_cast<int>(sh.page_names.size()));
    const std::string& addr = sh.page_names[p];
    int word = g.below(sh.words[p]);
    int kind = g.below(100);
    Json op;
    if (kind < 22) {
      op = {{"op", "read"}, {"addr", addr}, {"word", word}};
    } else if (kind < 44) {
      op = {{"op", "write"}, {"addr", addr}, {"word", word}};
    } else if (kind < 52) {
      const char* prots[] = {"none", "r", "rw", "rw"};
      op = {{"op", "mprotect"}, {"addr", addr}, {"prot", prots[g.below(4)]}};
    } else if (kind < 56) {
      op = {{"op", "madvise_dontneed"}, {"addr", addr}};
    } else if (kind < 58) {
      op = {{"op", "munmap"}, {"addr", addr}};
    } else if (kind < 66 && held.size() < 2) {
      std::string h = "h" + std::to_string(handles++);
      bool pin = g.chance(60);
      op = {{"op", pin ? "pin" : "get"}, {"addr", addr}, {"as", h}};
      // A pin is a write pin: user space has no read-only FOLL_LONGTERM pin to drive the
      // model's read-only one with (models/not_modelled.json "ro-longterm-pin"); `get` is
      // the read-only reference.
      if (pin) op["write"] = true;
      held.push_back({h, pin});
    } else if (kind < 76 && !held.empty()) {
      auto [h, pin] = held[static_cast<std::size_t>(g.below(static_cast<int>(held.size())))];
      int what = g.below(pin ? 3 : 2);
      if (what == 0)
        op = {{"op", "pin_read"}, {"pin", h}};
      else if (what == 2)
        op = {{"op", "pin_write"}, {"pin", h}};
      else {
        op = {{"op", pin ? "unpin" : "put"}, {"pin", h}};
        for (auto it = held.begin(); it != held.end(); ++it)
          if (it->first == h) {
            held.erase(it);
            break;
          }
      }
    } else if (kind < 86 && monitor) {
      // The monitor's ioctls: the process that registered (a child has no uffd: no
      // UFFD_FEATURE_EVENT_FORK).
      int what = g.below(10);
      if (what < 4 && sh.wp_page[p]) {
        op = {{"op", g.chance(50) ? "uffd_wp" : "uffd_unwp"}, {"addr", addr}};
      } else if (what < 6) {
        const char* anon_modes[] = {"wp", "missing", "missing+wp"};
        const char* shmem_modes[] = {"wp", "missing", "missing+wp", "minor"};
        op = {{"op", "uffd_register"},
              {"addr", addr},
              {"mode", sh.shmem[p] ? shmem_modes[g.below(4)] : anon_modes[g.below(3)]}};
      } else if (what == 6) {
        op = {{"op", "uffdio_copy"}, {"addr", addr}};
      } else if (what == 7 && sh.shmem[p]) {
        op = {{"op", "uffdio_continue"}, {"addr", addr}};
      } else if (what == 8 && !sh.shmem[p] && anon_others(sh, p).size() > 0) {
        // UFFDIO_MOVE moves anonymous pages only (the model refuses a shmem one as unsupported).
        std::vector<int> others = anon_others(sh, p);
        int q = others[static_cast<std::size_t>(g.below(static_cast<int>(others.size())))];
        op = {{"op", "uffdio_move"}, {"addr", addr}, {"src", sh.page_names[q]}};
      } else {
        op = {{"op", "uffd_close"}};
      }
    } else if (kind < 90 && clear_refs) {
      op = {{"op", "clear_refs"}};
    } else {
      op = {{"op", "pagemap"}, {"addr", addr}};
    }
    ops.push_back(op);
  }
  return ops;
}

Json random_program(Gen& g, bool clear_refs) {
  Json sc;
  sc["name"] = "random";
  sc["kernel"] = "latest";
  Json memory = Json::object();
  Shape sh;
  int regions = g.chance(30) ? 2 : 1;
  int left = 1 + g.below(3);
  for (int r = 0; r < regions && left > 0; ++r) {
    int pages = r + 1 == regions ? left : 1 + g.below(left);
    if (regions == 2 && r == 0 && pages == left) pages = std::max(1, left - 1);
    left -= pages;
    std::string name(1, static_cast<char>('A' + r));
    bool shmem = g.chance(30);
    bool wp = g.chance(25);
    int words = 1 + g.below(2);
    memory[name] = {
        {"type", shmem ? "shmem" : "anon"}, {"pages", pages}, {"words", words}, {"uffd_wp", wp}};
    for (int i = 0; i < pages; ++i) {
      sh.page_names.push_back(i == 0 ? name : name + "+" + std::to_string(i));
      sh.wp_page.push_back(wp);
      sh.shmem.push_back(shmem);
      sh.words.push_back(words);
    }
  }
  sc["memory"] = memory;
  int handles = 0;
  int children = g.below(3);
  Json cpu0 = random_ops(g, sh, 2 + g.below(6), true, clear_refs, handles);
  // Forks at random places of cpu0's program, in order.
  for (int c = 0; c < children; ++c) {
    std::size_t at = static_cast<std::size_t>(g.below(static_cast<int>(cpu0.size()) + 1));
    cpu0.insert(cpu0.begin() + static_cast<long>(at),
                Json{{"op", "fork"}, {"child", "C" + std::to_string(c + 1)}});
  }
  // The forks in cpu0's order name C1 before C2.
  int next = 1;
  for (auto& op : cpu0)
    if (op["op"] == "fork") op["child"] = "C" + std::to_string(next++);
  if (g.chance(10)) cpu0.push_back({{"op", "exit"}});
  Json processes;
  processes["P"] = {{"threads", {{"cpu0", cpu0}}}};
  for (int c = 1; c <= children; ++c) {
    Json ops = random_ops(g, sh, g.below(4), false, clear_refs, handles);
    if (g.chance(15)) ops.push_back({{"op", "exit"}});
    processes["C" + std::to_string(c)] = {{"threads", {{"c" + std::to_string(c), ops}}}};
  }
  sc["processes"] = processes;
  // A populated page most of the time, as the library's setups do.
  Json setup = Json::array();
  for (const auto& page : sh.page_names)
    if (g.chance(50)) setup.push_back({{"thread", "cpu0"}, {"op", "write"}, {"addr", page}});
  sc["setup"] = setup;
  return sc;
}

// Runs one program; nullopt when it does not load (a generator slip) or was skipped. A load or
// store of the monitor's process P that waits for an unprotect (a WP fault) or a UFFDIO_COPY (a
// missing fault) gets a handler: P's thread "handler", whose next uffd_unwp or uffdio_copy of
// the page serves it (the oracle runs it inside the waiting access; the program's handler first
// reads the fault's message), as the selftests' handler threads serve faults; `program` keeps
// the handler ops added.
std::optional<OracleResult> try_program(Json& program, const std::string& name,
                                        const OracleOptions& opt, std::string* skipped) {
  for (int added = 0;; ++added) {
    vm::Scenario sc;
    try {
      sc = vm::parse_scenario(program.dump(), name);
    } catch (const vm::InputError& e) {
      if (skipped) *skipped = std::string("does not load: ") + e.what();
      return std::nullopt;
    }
    OracleResult r = oracle_scenario(sc, opt);
    if (r.skipped.empty()) return r;
    if (r.unserved && r.unserved->process == "P" && added < 4) {
      program["processes"]["P"]["threads"]["handler"].push_back(
          {{"op", r.unserved->server}, {"addr", r.unserved->page}});
      continue;
    }
    if (skipped) *skipped = r.skipped;
    return std::nullopt;
  }
}

// Removes one op at a time (not a fork) while an undeclared disagreement of the same kind stays.
Json shrink(Json program, const std::string& kind, const OracleOptions& opt, int* runs) {
  auto still = [&](const Json& p) {
    ++*runs;
    Json candidate = p;
    auto r = try_program(candidate, "shrinking", opt, nullptr);
    if (!r) return false;
    for (const auto& d : r->disagreements)
      if (d.rfind(kind + " ", 0) == 0) return true;
    return false;
  };
  for (bool progress = true; progress && *runs < 60;) {
    progress = false;
    // The candidates (setup ops, then each thread's, from the last), taken before any edit.
    std::vector<std::pair<Json::json_pointer, std::size_t>> where;
    for (std::size_t i = program["setup"].size(); i-- > 0;)
      where.push_back({Json::json_pointer("/setup"), i});
    for (const auto& proc : program["processes"].items())
      for (const auto& thread : proc.value()["threads"].items())
        for (std::size_t i = thread.value().size(); i-- > 0;)
          if (thread.value()[i]["op"] != "fork")
            where.push_back(
                {Json::json_pointer("/processes/" + proc.key() + "/threads/" + thread.key()), i});
    for (const auto& [list, i] : where) {
      Json t = program;
      t[list].erase(i);
      if (still(t)) {
        program = t;
        progress = true;
        break;
      }
    }
  }
  return program;
}

}  // namespace

int oracle_random_command(const OracleArgs& args) {
  OracleOptions opt;
  opt.kernel = args.kernel;
  auto start = std::chrono::steady_clock::now();
  std::map<std::string, OracleCount> total;
  long compared = 0, discarded = 0, failing = 0, attempts = 0;
  std::map<std::string, long> discard_reasons;
  std::map<std::string, std::string> discard_first;  // the first program of each reason, in full
  std::set<std::string> adaptations;
  std::string uname_seen, kernel_seen;
  bool clear_refs = true;
  unsigned jobs = args.jobs ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  struct Attempt {
    Json program;
    std::string name, why;
    std::optional<OracleResult> result;
  };
  // Attempts are made `jobs` at a time, side by side, and taken in their order: the output is
  // the same for any --jobs (the last batch may run attempts that are not needed).
  for (long i = 0; compared < args.random && attempts < 4 * args.random;) {
    std::vector<Attempt> batch(jobs);
    for (unsigned j = 0; j < jobs; ++j) {
      Gen g(args.seed * 1000003ULL + static_cast<std::uint64_t>(i + j));
      batch[j].program = random_program(g, clear_refs);
      batch[j].name = "random-" + std::to_string(args.seed) + "-" + std::to_string(i + j);
      batch[j].program["name"] = batch[j].name;
    }
    {
      std::vector<std::future<void>> running;
      for (auto& a : batch)
        running.push_back(std::async(std::launch::async, [&a, &opt] {
          a.result = try_program(a.program, a.name, opt, &a.why);
        }));
      for (auto& f : running) f.get();
    }
    for (auto& a : batch) {
      if (compared >= args.random || attempts >= 4 * args.random) break;
      ++i, ++attempts;
      const std::string& why = a.why;
      if (!a.result) {
        // The machine lacks soft-dirty: no more clear_refs in the programs.
        if (why.find("CONFIG_MEM_SOFT_DIRTY") != std::string::npos) clear_refs = false;
        if (why.find("root") != std::string::npos ||
            why.find("not readable") != std::string::npos ||
            why.find("not permitted") != std::string::npos ||
            why.find("compile") != std::string::npos) {
          std::printf("SKIP: %s\n", why.c_str());
          return kExitOracleSkipped;
        }
        ++discarded;
        std::string key = why.substr(0, why.find(':'));
        if (discard_reasons[key]++ == 0) discard_first[key] = a.name + ": " + why;
        // The rest of the batch was made with clear_refs: made again (the same programs as
        // with --jobs 1).
        if (why.find("CONFIG_MEM_SOFT_DIRTY") != std::string::npos) break;
        continue;
      }
      const OracleResult& r = *a.result;
      ++compared;
      uname_seen = r.uname, kernel_seen = r.kernel;
      add_to_totals(r, total, adaptations);
      // A program whose disagreements are all declared: one line each, with the program.
      if (r.disagreements.empty())
        for (const auto& d : r.declared)
          std::printf("DECLARED %s: %s\n", a.name.c_str(), d.c_str());
      if (!r.disagreements.empty()) {
        ++failing;
        print_oracle_result(r);
        if (args.shrink) {
          std::string kind = r.disagreements.front().substr(0, r.disagreements.front().find(' '));
          int runs = 0;
          Json small = shrink(a.program, kind, opt, &runs);
          std::printf("  shrunk (%d runs) to: %s\n", runs, small.dump().c_str());
        }
      }
      if (compared % 100 == 0)
        std::fprintf(stderr,
                     "mmcheck oracle: %ld programs compared, %ld with undeclared "
                     "disagreements\n",
                     compared, failing);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "\nKernel %s, model preset %s; seed %llu: %ld random programs compared, %ld "
      "discarded, %ld with undeclared disagreements, %.0f s\n",
      uname_seen.c_str(), kernel_seen.c_str(), args.seed, compared, discarded, failing, seconds);
  for (const auto& [why, n] : discard_reasons)
    std::printf("discarded %ld: %s (the first: %s)\n", n, why.c_str(), discard_first[why].c_str());
  for (const auto& a : adaptations) std::printf("adapted: %s\n", a.c_str());
  print_agreement(total);
  if (compared == 0) return kExitOracleSkipped;
  return failing ? kExitExpectation : kExitHolds;
}

}  // namespace mmcheck::cli
