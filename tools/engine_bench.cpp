// Micro-benchmark of the engine on the toy models (not a test: it prints figures and ratios).
// Each model runs at a size that takes about a second on one thread, with 1 and with 2 search
// threads, best of --repeat runs (3 by default: the fastest run is the least disturbed one), and
// the table gives states, steps, seconds, states per second and the speedup of 2 threads over 1.
// The figures of every run must agree (the engine's output does not depend on the thread
// count); a disagreement is reported and fails the run. The load average is printed because a
// busy machine flattens the speedup.
//
//   mmcheck_engine_bench [--json FILE] [--repeat N] [--quick]
//
// --quick runs every model at a small size (a smoke run of well under a second).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "checker/search.hpp"
#include "checker/sysinfo.hpp"
#include "tests/toy_models.hpp"

namespace {

using namespace mmcheck;

struct Run {
  std::string verdict;
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::uint32_t depth = 0;
  double seconds = 0;
  double states_per_second() const { return seconds > 0 ? double(states) / seconds : 0; }
};

struct Case {
  std::string name;
  std::function<Run(unsigned threads)> run;
};

template <class M>
Case make_case(std::string name, M model) {
  return {std::move(name), [model](unsigned threads) {
            SearchOptions options;
            options.threads = threads;
            SearchResult<M> r = search(model, options);
            return Run{verdict_name(r.verdict), r.stats.states, r.stats.transitions, r.stats.depth,
                       r.stats.seconds};
          }};
}

std::vector<Case> cases(bool quick) {
  std::vector<Case> out;
  if (quick) {
    out.push_back(make_case("counter threads=6", toy::Counter{.threads = 6}));
    out.push_back(make_case("peterson rounds=20", toy::Peterson{.rounds = 20}));
    out.push_back(make_case("gridwalk 6x6", toy::GridWalk{.walkers = 6, .length = 6}));
    return out;
  }
  // Wide levels, a lost update found at the last level: the whole graph is explored.
  out.push_back(make_case("counter threads=8", toy::Counter{.threads = 8}));
  // Deep and narrow (3200 levels of about 1000 states): the cost of the level barrier.
  out.push_back(make_case("peterson rounds=400", toy::Peterson{.rounds = 400}));
  // Wide and shallow, every step a new or a known state: the cost of the visited set.
  out.push_back(make_case("gridwalk 8x6", toy::GridWalk{.walkers = 8, .length = 6}));
  return out;
}

struct Row {
  std::string model;
  unsigned threads;
  Run run;
  double speedup;  // over 1 thread; 1 for the 1-thread row
};

void print_table(const std::vector<Row>& rows) {
  std::printf("%-22s %7s %10s %12s %8s %12s %8s  %s\n", "model", "threads", "states", "transitions",
              "seconds", "states/s", "speedup", "verdict");
  for (const Row& r : rows) {
    std::printf("%-22s %7u %10llu %12llu %8.3f %12.0f %7.2fx  %s\n", r.model.c_str(), r.threads,
                static_cast<unsigned long long>(r.run.states),
                static_cast<unsigned long long>(r.run.transitions), r.run.seconds,
                r.run.states_per_second(), r.speedup, r.run.verdict.c_str());
  }
}

bool write_json(const std::string& path, const std::vector<Row>& rows) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "{\n  \"cores\": %u,\n  \"runs\": [\n", hardware_threads());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    // Model names are ours: letters, digits, spaces, '=' and 'x'; nothing to escape.
    std::fprintf(f,
                 "    {\"model\": \"%s\", \"threads\": %u, \"verdict\": \"%s\", \"states\": %llu, "
                 "\"transitions\": %llu, \"depth\": %u, \"seconds\": %.6f, "
                 "\"states_per_second\": %.1f, \"speedup\": %.4f}%s\n",
                 r.model.c_str(), r.threads, r.run.verdict.c_str(),
                 static_cast<unsigned long long>(r.run.states),
                 static_cast<unsigned long long>(r.run.transitions), r.run.depth, r.run.seconds,
                 r.run.states_per_second(), r.speedup, i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  return std::fclose(f) == 0;
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--json FILE] [--repeat N] [--quick]\n", argv0);
  return 2;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  if (!(in >> one >> five)) return "unknown";
  return one + " " + five;
}

bool same_figures(const Run& a, const Run& b) {
  return a.verdict == b.verdict && a.states == b.states && a.transitions == b.transitions &&
         a.depth == b.depth;
}

// The fastest of `repeat` runs; false when two runs disagree on anything but time.
bool best_of(const Case& c, unsigned threads, unsigned repeat, Run& best) {
  bool agree = true;
  for (unsigned i = 0; i < repeat; ++i) {
    Run run = c.run(threads);
    if (i > 0) agree = agree && same_figures(run, best);
    if (i == 0 || run.seconds < best.seconds) best = run;
  }
  return agree;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  bool quick = false;
  unsigned repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json_path = argv[++i];
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
      if (repeat == 0) return usage(argv[0]);
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      return usage(argv[0]);
    }
  }
  std::printf(
      "mmcheck engine benchmark: %u cores, load average %s; 1 vs 2 search threads, "
      "best of %u\n\n",
      hardware_threads(), load_average().c_str(), repeat);
  std::vector<Row> rows;
  bool agree = true;
  for (const Case& c : cases(quick)) {
    Run one;
    Run two;
    bool consistent = best_of(c, 1, repeat, one);
    consistent = best_of(c, 2, repeat, two) && consistent;
    if (!consistent || !same_figures(one, two)) {
      std::fprintf(stderr, "%s: runs disagree on the figures\n", c.name.c_str());
      agree = false;
    }
    rows.push_back({c.name, 1, one, 1.0});
    rows.push_back({c.name, 2, two, two.seconds > 0 ? one.seconds / two.seconds : 0});
  }
  print_table(rows);
  if (!json_path.empty() && !write_json(json_path, rows)) {
    std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
    return 1;
  }
  return agree ? 0 : 1;
}
