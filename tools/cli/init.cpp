// `mmcheck init NAME`: a commented scenario template on stdout, valid as printed (it holds on
// `latest` and reaches its must_reach), with the limits the loader enforces.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "models/op_fields.hpp"
#include "models/scenario.hpp"
#include "tools/cli/commands.hpp"

namespace mmcheck::cli {

int init_command(const std::string& name) {
  if (name.empty()) throw vm::InputError("init", "", "expected a non-empty scenario name");
  std::string quoted = nlohmann::json(name).dump();
  std::string pages = std::to_string(vm::kMaxPages), words = std::to_string(vm::kMaxWords);
  std::string threads = std::to_string(vm::kMaxThreads);
  std::string text =
      R"(// A scenario for mmcheck (the README's "Scenario files"). Comments and trailing commas are
// allowed. `mmcheck list ops -v` lists every op with its fields; check it with
//   mmcheck check FILE            (or --kernel all: one line per preset)
{
  "name": )" +
      quoted + R"(,
  "summary": "What races with what, and what goes wrong.",
  "references": [],  // the commits or threads it comes from: "SHA subject"
  "kernel": "latest",  // the preset `check` uses by default (`mmcheck list presets`)
  "policy": {},  // policy overrides on top of the preset (`mmcheck list policies`)
  // Regions of whole pages, each: "type" anon|shmem|file, "pages" 1-)" +
      pages + R"( (in all), "words" 1-)" + words +
      R"(,
  // "prot" none|r|rw, "uffd_wp", "soft_dirty". Pages start unpopulated.
  "memory": { "A": { "type": "anon", "pages": 1, "words": 2 } },
  // Processes and their threads: each thread is a CPU (at most )" +
      threads + R"() running its ops in order.
  // A process created by a fork op is declared here too; its threads start when it is forked.
  "processes": {
    "P": { "threads": {
      "cpu0": [ { "op": "fork", "child": "C" } ],
      "cpu1": [ { "op": "write", "addr": "A", "word": 0, "value": 2 } ]
    } },
    "C": { "threads": { "cpu2": [ { "op": "read", "addr": "A", "word": 0 } ] } }
  },
  // Ops run one after another before the exploration (a populated page, a warm TLB, a pin).
  "setup": [ { "thread": "cpu1", "op": "write", "addr": "A", "word": 0, "value": 1 } ],
  "check": "all",  // or a list of invariants (`mmcheck list invariants`)
  // Kernel steps at least one interleaving must take, so a pass is never vacuous
  // (`mmcheck list steps`; a function name alone matches any of its steps).
  "must_reach": ["do_wp_page"],
  // Preset -> "holds", {"violates": INVARIANT}, "deadlock" or "unsupported".
  "expect": { "latest": "holds" }
}
)";
  std::fputs(text.c_str(), stdout);
  return kExitHolds;
}

}  // namespace mmcheck::cli
