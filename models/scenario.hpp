// A scenario as loaded from its file: regions of memory, processes and their threads (one CPU
// each), every thread's list of operations, the setup, the invariants to check, the steps that
// must be reached and the expected outcome per preset. Everything is resolved to indices at load
// time, so the model never looks a name up while exploring.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is read or written
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/policy.hpp"

namespace mmcheck::vm {

inline constexpr int kMaxThreads = 8;
inline constexpr int kMaxProcesses = 4;
inline constexpr int kMaxPages = 8;
inline constexpr int kMaxWords = 4;
inline constexpr int kMaxFrames = 32;
inline constexpr int kMaxHandles = 16;
inline constexpr int kMaxValues = 64;  // distinct stored values (the cross-mm ghost is a bitset)
inline constexpr int kMaxValue = 255;  // a stored value is one byte
inline constexpr int kMaxOpsPerThread = 200;
inline constexpr std::size_t kMaxOutcomes = 8;  // "outcomes": reads and pin_reads observed
inline constexpr std::uint64_t kMaxOutcomeCombinations = 4096;  // their values' combinations

// Bad input: where (file and JSON pointer) and what was expected. Only the front end catches it.
struct InputError : std::runtime_error {
  InputError(std::string file, std::string pointer, const std::string& what)
      : std::runtime_error(file + (pointer.empty() ? "" : ": " + pointer) + ": " + what),
        file(std::move(file)),
        pointer(std::move(pointer)),
        detail(what) {}
  std::string file;
  std::string pointer;
  std::string detail;
};

// One per line of models/ops/ops.def.
enum class OpKind : std::uint8_t {
#define MM_OP(kind, descriptor) kind,
#include "models/ops/ops.def"
#undef MM_OP
};

enum class Prot : std::uint8_t { None, Read, ReadWrite };
enum class RefKind : std::uint8_t { Lru, Io };

struct Op {
  OpKind kind = OpKind::Read;
  std::uint8_t page = 0;   // first virtual page (global page number)
  std::uint8_t pages = 1;  // range length
  std::uint8_t src = 0;    // uffdio_move: the source page (global page number)
  std::uint8_t word = 0;
  std::uint8_t value = 0;  // stored value (write, pin_write)
  bool write = false;      // pin/get for writing
  bool wp = false;         // uffdio_copy: UFFDIO_COPY_MODE_WP
  bool missing = false;    // uffd_register: mode "missing" or "missing+wp"
  bool wp_mode = true;     // uffd_register: mode "wp", "missing+wp" or "minor+wp"
  bool minor = false;      // uffd_register: mode "minor" or "minor+wp"
  // uffd_register: features "wp_unpopulated", or "wp_async" (which implies wp_unpopulated, as
  // userfaultfd_api() does).
  bool wp_unpopulated = false;
  bool wp_async = false;
  Prot prot = Prot::ReadWrite;
  std::uint8_t handle = 0;  // handle slot (pin, get, unpin, put, pin_read, pin_write, extra_ref)
  std::uint8_t child = 0;   // fork: the child process
  RefKind ref_kind = RefKind::Lru;
  // read, pin_read listed in the scenario's "outcomes": the slot of its thread's
  // ThreadState::observed that keeps what it returned; -1 when not listed.
  std::int8_t observe = -1;
  std::string child_name;   // fork: the child process as written
  std::string handle_name;  // pin, get: the handle it takes; unpin, put, pin_read/write: uses
  std::string text;         // the op as written, for traces: "write A.1=3"
  std::string pointer;      // where it is in the file
};

struct Region {
  std::string name;
  bool shmem = false;  // shared and page-cache backed: shmem, or a file (page_mkwrite below)
  // A MAP_SHARED file mapping whose filesystem has ->page_mkwrite: vma_wants_writenotify() is
  // always 1 for it (type "file").
  bool page_mkwrite = false;
  std::uint8_t first_page = 0;
  std::uint8_t pages = 1;
  std::uint8_t words = 1;
  Prot prot = Prot::ReadWrite;
  bool uffd_wp = false;
  bool soft_dirty = true;  // VM_SOFTDIRTY: mmap_region() sets it on every new VMA
  // Its pages sit on a node other than the one the faulting task runs on, so a NUMA hinting
  // fault migrates them (numa_migrate_prep() picks a target node) instead of mapping them again.
  bool misplaced = false;
  // "private": a MAP_PRIVATE mapping of a shmem or regular file (VM_SHARED clear): a load
  // maps the page-cache page read-only, a write fault copies it into an anonymous page; never
  // write-notify, so a file's page_mkwrite is never called.
  bool private_map = false;
  // The first page-cache slot of the file it maps: its own first page, or with "file" that of
  // the region whose file it maps privately.
  std::uint8_t file_page = 0;
};

struct Process {
  std::string name;
  std::optional<std::uint8_t> forked_by_thread;  // none for a process that exists at start
};

struct Thread {
  std::string name;
  std::uint8_t process = 0;
  std::vector<Op> ops;
};

// One entry of the scenario's "outcomes": a read or pin_read whose returned value the final
// states are counted by.
struct ObservedOp {
  std::string name;  // "cpu0.3": the thread and the op's position in its list, from 1
  std::uint8_t thread = 0;
  std::uint8_t op = 0;  // index in the thread's ops
};

struct SetupOp {
  std::uint8_t thread = 0;
  Op op;
};

enum class Outcome : std::uint8_t { Holds, Violates, Deadlock, Unsupported };
struct Expectation {
  Outcome outcome = Outcome::Holds;
  std::string invariant;  // for Violates
};

struct Scenario {
  std::string file;
  std::string sha256;  // of the file's bytes
  // Of what the scenario means (scenario_meaning_json): a comment, the name, the summary, the
  // references, the expectations or the formatting may change without changing it.
  std::string meaning_sha256;
  std::string text;  // the file as read, embedded in traces
  std::string name;
  std::string summary;
  std::vector<std::string> references;
  std::string kernel = "latest";
  std::vector<std::pair<std::string, std::string>> policy_overrides;
  std::vector<Region> regions;
  std::vector<Process> processes;
  std::vector<Thread> threads;
  std::vector<SetupOp> setup;
  std::vector<std::string> handle_names;  // slot -> name ("" for an extra_ref slot)
  std::vector<std::uint8_t> values;       // value index -> value
  std::vector<std::string> check;         // invariant names, in the invariant table's order
  std::vector<std::string> must_reach;    // for every preset
  std::map<std::string, std::vector<std::string>> must_reach_by_preset;
  std::map<std::string, Expectation> expect;
  std::vector<ObservedOp> outcomes;  // in the order the file lists them
  int page_count() const {
    return regions.empty() ? 0 : regions.back().first_page + regions.back().pages;
  }
  const Region& region_of(int page) const;
  std::string page_name(int page) const;  // "A", "A+1"
  int words_of(int page) const { return region_of(page).words; }
  // The page-cache slot (State::page_cache) of a file-backed page.
  int cache_page(int page) const {
    const Region& r = region_of(page);
    return r.file_page + (page - r.first_page);
  }
  std::vector<std::string> must_reach_for(const std::string& preset) const;
};

// Loads and validates a scenario file; throws InputError. `invariants` are the names a scenario
// may check and expect, in rank order (the checker's registry: invariants/checker.hpp has the
// overloads that pass it).
Scenario load_scenario(const std::string& path, const std::vector<std::string>& invariants);
// The same from text (tests); `file` names it in errors.
Scenario parse_scenario(const std::string& text, const std::string& file,
                        const std::vector<std::string>& invariants);

// The canonical JSON of a scenario document's meaning: "memory", "processes", "setup" and
// "check", defaults filled in ("setup" [], "check" "all"). Regions, processes and threads keep
// their file order (they are numbered in it); every other object has its keys sorted.
nlohmann::ordered_json scenario_meaning_json(const nlohmann::ordered_json& root);

const char* op_name(OpKind kind);
std::vector<std::string> op_names();

}  // namespace mmcheck::vm
