// `mmcheck list presets|policies|ops|invariants|steps` prints what exists, one line each
// (the README's "Using it"): every preset of section 2, every policy, every op of section 4's
// table and every invariant of section 3, each exactly once; and what it lists is what
// `check` accepts.
#include <algorithm>
#include <map>
#include <set>

#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

struct Line {
  std::string name;
  std::string rest;  // what follows the name (description, values)
};

std::vector<Line> list(const std::string& what) {
  Result r = run_mmcheck({"list", what});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  std::vector<Line> lines;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream words(line);
    Line l;
    words >> l.name;
    std::getline(words, l.rest);
    lines.push_back(l);
  }
  return lines;
}

std::vector<std::string> names_of(const std::vector<Line>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.name);
  return out;
}

// Every expected name is listed exactly once, and nothing else is.
void require_exactly(const std::vector<std::string>& listed,
                     const std::vector<std::string>& expected) {
  std::multiset<std::string> got(listed.begin(), listed.end());
  for (const auto& name : expected) {
    INFO("expected " << name << " once");
    CHECK(got.count(name) == 1);
  }
  std::set<std::string> want(expected.begin(), expected.end());
  for (const auto& name : listed) {
    INFO("unexpected " << name);
    CHECK(want.count(name) == 1);
  }
  CHECK(listed.size() == expected.size());
}

bool has_text(const std::string& s) { return s.find_first_not_of(" \t") != std::string::npos; }

TEST_CASE("list presets prints every preset of the README's policy table with a description",
          "[cli][list]") {
  std::vector<Line> lines = list("presets");
  require_exactly(names_of(lines), kPresets);
  for (const auto& l : lines) {
    INFO(l.name);
    CHECK(has_text(l.rest));
  }
}

TEST_CASE("list policies prints all 20 policies with their values, commits included",
          "[cli][list]") {
  std::vector<Line> lines = list("policies");
  require_exactly(names_of(lines), kPolicies);
  std::map<std::string, std::string> rest;
  for (const auto& l : lines) rest[l.name] = l.rest;
  CHECK_THAT(rest["cow_reuse"], Catch::Contains("mapcount|refcount|anon_exclusive"));
  CHECK_THAT(rest["clear_refs_lock"], Catch::Contains("read|write|write+vma"));
  CHECK_THAT(rest["clear_refs_lock"], Catch::Contains("49b0638502da"));
  // The second wave: per-VMA locks and 6.3's un-protect.
  CHECK_THAT(rest["fault_lock"], Catch::Contains("mmap|vma_anon|vma_anon_uffd|vma_all"));
  CHECK_THAT(rest["fault_lock"], Catch::Contains("0bff0aaea03e"));
  CHECK_THAT(rest["fork_vma_wrlock"], Catch::Contains("fb49c455323f"));
  CHECK_THAT(rest["uffd_unwp_try_writable"], Catch::Contains("931298e103c2"));
  CHECK_THAT(rest["uffd_close_resets_wp"], Catch::Contains("c88033efe9a3"));
  CHECK_THAT(rest["uffdio_copy_mkdirty"], Catch::Contains("9ae0f87d009c"));
  CHECK_THAT(rest["clear_refs_flush"], Catch::Contains("deferred|none|pending"));
  CHECK_THAT(rest["uffd_wp"], Catch::Contains("none|anon|anon_shmem"));
  // Revision 2: the flush rule of change_protection and the three eras of mprotect's upgrade.
  CHECK_THAT(rest["change_prot_flush"], Catch::Contains("visited|needs_flush"));
  CHECK_THAT(rest["change_prot_flush"], Catch::Contains("4a18419f71cd"));
  CHECK_THAT(rest["mprotect_try_writable"], Catch::Contains("off|dirty|exclusive"));
  CHECK_THAT(rest["mprotect_try_writable"], Catch::Contains("64fe24a3e05e"));
  CHECK_THAT(rest["mprotect_try_writable"], Catch::Contains("d84887739d5c"));
  for (const char* b :
       {"cow_drain_lru", "gup_force_cow_break", "fork_copy_pinned", "gup_ro_pin_unshare",
        "clear_refs_skip_pinned", "uffd_wp_pending_flush", "uffd_wp_writenotify",
        "mprotect_dirty_accountable", "uffd_unwp_try_writable", "fork_vma_wrlock"}) {
    INFO(b);
    CHECK_THAT(rest[b], Catch::Contains("true|false"));
  }
}

TEST_CASE("list presets prints each preset's changes from the one before, and the aliases",
          "[cli][list]") {
  std::map<std::string, std::string> rest;
  for (const auto& l : list("presets")) rest[l.name] = l.rest;
  CHECK_THAT(rest["linux-6.3"],
             Catch::Contains("changes from linux-6.2: uffd_unwp_try_writable=true"));
  CHECK_THAT(rest["linux-6.4"], Catch::Contains("changes from linux-6.3: fault_lock=vma_anon"));
  CHECK_THAT(rest["linux-6.5"], Catch::Contains("clear_refs_lock=write+vma"));
  CHECK_THAT(rest["linux-6.5"], Catch::Contains("fork_vma_wrlock=true"));
  CHECK_THAT(rest["linux-6.6"], Catch::Contains("fault_lock=vma_anon_uffd"));
  CHECK_THAT(rest["linux-6.7"], Catch::Contains("fault_lock=vma_all"));
  CHECK_THAT(rest["linux-6.8"], Catch::Contains("changes from linux-6.7: uffdio_move=true"));
  CHECK_THAT(rest["linux-6.9"],
             Catch::Contains("changes from linux-6.8: uffd_close_resets_wp=true"));
  CHECK_THAT(rest["linux-6.10"],
             Catch::Contains("changes from linux-6.9: numa_skip_shared=pinned_or_shared"));
  CHECK_THAT(rest["linux-6.18"], Catch::Contains("same rules as linux-6.10"));
  CHECK_THAT(rest["latest"], Catch::Contains("same rules as linux-6.18"));
  CHECK_THAT(rest["linux-5.4"], Catch::Contains("the oldest preset"));
}

TEST_CASE("show PRESET prints every policy with the preset's value and its commits",
          "[cli][list]") {
  Result r = run_mmcheck({"show", "linux-6.4"});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("linux-6.4: "));
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);  // the preset's description
  std::map<std::string, std::string> rest;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name, value;
    words >> name >> value;
    rest[name] = value;
  }
  CHECK(rest.size() == kPolicies.size());
  CHECK(rest["fault_lock"] == "vma_anon");
  CHECK(rest["fork_vma_wrlock"] == "false");
  CHECK(rest["clear_refs_lock"] == "write");
  CHECK_THAT(run_mmcheck({"show", "linux-6.12"}).out, Catch::Contains("same rules as linux-6.10"));
  Result bad = run_mmcheck({"show", "linux-9.9"});
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("linux-6.18"));
}

TEST_CASE("list ops prints every op of the README's op table", "[cli][list]") {
  require_exactly(names_of(list("ops")), kOps);
}

TEST_CASE("list invariants prints all 10 invariants with a description", "[cli][list]") {
  std::vector<Line> lines = list("invariants");
  require_exactly(names_of(lines), kInvariants);
  for (const auto& l : lines) {
    INFO(l.name);
    CHECK(has_text(l.rest));
  }
}

TEST_CASE("list steps prints the kernel steps the model names for must_reach", "[cli][list]") {
  std::vector<std::string> steps = names_of(list("steps"));
  std::set<std::string> unique(steps.begin(), steps.end());
  CHECK(unique.size() == steps.size());
  for (const char* s : {"do_wp_page.copy", "do_wp_page.reuse", "handle_userfault.wait",
                        "fork.copy_pinned", "wp_page_copy.copy"})
    CHECK(unique.count(s) == 1);
  for (const auto& s : steps) {
    INFO(s);
    CHECK_THAT(s, Catch::Contains("."));
  }
}

TEST_CASE("Every listed preset is accepted by --kernel", "[cli][list]") {
  std::string file = write_scenario(R"({ "name": "every-preset", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } } })");
  for (const auto& preset : names_of(list("presets"))) {
    Check c = check_json(file, {"--kernel", preset});
    INFO(preset << "\n" << describe(c.result));
    CHECK(c.result.status == 0);
    CHECK(c.report["kernel"] == preset);
  }
}

TEST_CASE("Every listed policy value is accepted by --set and shown in the report", "[cli][list]") {
  std::string file = write_scenario(R"({ "name": "every-policy-value", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } } })");
  // Every policy's values, "a|b|c" in the listing.
  std::vector<std::pair<std::string, std::vector<std::string>>> policies;
  std::size_t most = 0;
  for (const auto& line : list("policies")) {
    std::istringstream words(line.rest);
    std::string values;
    words >> values;
    std::istringstream split(values);
    std::vector<std::string> each;
    for (std::string value; std::getline(split, value, '|');) each.push_back(value);
    INFO(line.name);
    CHECK(each.size() >= 2);
    most = std::max(most, each.size());
    policies.emplace_back(line.name, each);
  }
  REQUIRE(policies.size() >= 20);
  // Run i sets every policy at once, each to its i-th value (a policy with fewer values to its
  // i mod n-th): every value is set in some run, in (most) runs rather than one run a value.
  for (std::size_t i = 0; i < most; ++i) {
    std::vector<std::string> args;
    for (const auto& [name, values] : policies) {
      args.push_back("--set");
      args.push_back(name + "=" + values[i % values.size()]);
    }
    Check c = check_json(file, args);
    INFO("run " << i << "\n" << describe(c.result));
    REQUIRE(c.result.status == 0);
    for (const auto& [name, values] : policies) {
      INFO(name);
      CHECK(c.report["policy"][name] == values[i % values.size()]);
    }
  }
}

TEST_CASE("Every listed step is accepted in must_reach", "[cli][list]") {
  json scenario = json::parse(R"({ "name": "every-step", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } } })");
  scenario["must_reach"] = names_of(list("steps"));
  std::string file = write_scenario(scenario.dump());
  Check c = check_json(file);
  INFO(describe(c.result));
  CHECK(c.result.status == 1);  // loaded and explored; most steps are not reached by one write
  CHECK(c.report["must_reach"].size() == scenario["must_reach"].size());
}

}  // namespace
}  // namespace mmcheck::clitest
