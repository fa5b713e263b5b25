// The timeline points at the cause (issue 15): `explain` marks the steps that matter in the
// uffd-wp race on 5.10 (6ce64428d620) — the deferred PTE change, its flush, the COW copy, the
// store through the stale TLB entry, the install that made the loss permanent —, shades the
// window in which a flush is pending, prints a legend, and hides the fields 5.10 does not have
// (excl) and the ghost bookkeeping unless --all. Read from `explain --json` and from the HTML
// page (its markup, and its DOM in headless Chromium).
#include <map>
#include <set>

#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

json explain_json(const std::string& trace, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"explain", trace, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result r = run_mmcheck(args);
  INFO(describe(r));
  REQUIRE(r.status == 0);
  return parse_json(r.out, "explain --json");
}

// The 1-based number of the step named `name`.
std::size_t step_number(const json& timeline, const std::string& name) {
  for (const json& s : timeline["steps"])
    if (s["step"] == name) return s["n"].get<std::size_t>();
  FAIL("no step " << name);
  return 0;
}

std::set<std::string> symbols(const json& timeline) {
  std::set<std::string> out;
  for (const json& e : timeline["legend"]) out.insert(e["symbol"].get<std::string>());
  return out;
}

bool any_ghost_change(const json& timeline) {
  for (const json& s : timeline["steps"])
    for (const json& c : s["changes"])
      if (c["path"].get<std::string>().find(".ghost.") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE(
    "explain marks the uffd-wp race's deferred PTE change, flush, copy, stale store and "
    "install (6ce64428d620)",
    "[explain][timeline]") {
  json t = explain_json(uffd_trace());
  REQUIRE(t["reproduced"] == true);
  std::map<std::size_t, std::string> expected = {
      {step_number(t, "uffd_unwp.pte"), "deferred_pte"},
      {step_number(t, "do_wp_page.copy"), "cow_decision"},
      {step_number(t, "access.tlb_hit"), "stale_store"},
      {step_number(t, "uffd_unwp.flush_tlb_range"), "flush"},
      {step_number(t, "wp_page_copy.install"), "install"},
  };
  for (const json& s : t["steps"]) {
    std::size_t n = s["n"];
    INFO("step " << n << " " << s["step"] << ": " << s["marks"].dump());
    auto it = expected.find(n);
    if (it == expected.end()) {
      CHECK(s["marks"].empty());
      continue;
    }
    REQUIRE(s["marks"].size() == 1);
    CHECK(s["marks"][0]["kind"] == it->second);
  }
  std::size_t pte = step_number(t, "uffd_unwp.pte");
  CHECK(t["steps"][pte - 1]["marks"][0]["text"] ==
        "deferred PTE change: P's PTE for A W1->W0; cpu2's TLB still has frame 0 W1 until a "
        "flush");
  std::size_t hit = step_number(t, "access.tlb_hit");
  CHECK_THAT(t["steps"][hit - 1]["marks"][0]["text"].get<std::string>(),
             Catch::Contains("cpu2 writes 3 to frame 0 word 1"));
  std::size_t install = step_number(t, "wp_page_copy.install");
  CHECK_THAT(t["steps"][install - 1]["marks"][0]["text"].get<std::string>(),
             Catch::Contains("now maps frame 1, which lacks frame 0's word 1 = 3"));

  // A flush is pending from the raise of tlb_flush_pending to its drop.
  std::size_t raise = step_number(t, "uffd_unwp.inc_tlb_flush_pending");
  std::size_t drop = step_number(t, "uffd_unwp.dec_tlb_flush_pending");
  for (const json& s : t["steps"]) {
    std::size_t n = s["n"];
    INFO("step " << n << " " << s["step"]);
    CHECK(s["flush_pending"] == (n >= raise && n < drop));
  }
}

TEST_CASE(
    "explain hides excl on 5.10 and the ghost bookkeeping unless --all, and says so in "
    "its legend",
    "[explain][timeline]") {
  std::string trace = uffd_trace();
  json t = explain_json(trace);
  CHECK(t["hidden"] == json::array({"excl"}));
  CHECK(t["all"] == false);
  std::set<std::string> legend = symbols(t);
  for (const char* s : {"W", "D", "SD", "UW", "ref", "map", "pin", "*", "~", "=>"}) {
    INFO("legend symbol " << s);
    CHECK(legend.count(s) == 1);
  }
  CHECK(legend.count("excl") == 0);
  CHECK_FALSE(any_ghost_change(t));

  json all = explain_json(trace, {"--all"});
  CHECK(all["hidden"].empty());
  CHECK(symbols(all).count("excl") == 1);
  CHECK(any_ghost_change(all));

  // A kernel with PageAnonExclusive shows it: the uffd-wp shmem race on 6.1.
  std::string shmem = temp_dir().fresh("shmem", ".trace.json");
  Result r = run_mmcheck({"check", kSourceDir + "/scenarios/uffd-wp-shmem-mprotect-writable.json",
                          "--kernel", "linux-6.1", "--trace", shmem, "--quiet"});
  INFO(describe(r));
  REQUIRE(r.status == 10);
  json exclusive = explain_json(shmem);
  CHECK(exclusive["hidden"].empty());
  CHECK(symbols(exclusive).count("excl") == 1);
}

TEST_CASE("explain's text has the legend, the flush-pending column and the marks",
          "[explain][timeline]") {
  Result r = run_mmcheck({"explain", uffd_trace(), "--no-colour"});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("Legend: W writable"));
  CHECK_THAT(r.out, Catch::Contains("Hidden: excl (no PageAnonExclusive on linux-5.10)"));
  CHECK_THAT(r.out, Catch::Contains("    ~ => deferred PTE change: P's PTE for A W1->W0"));
  CHECK_THAT(r.out, Catch::Contains("  2 ~ uffd_unwp.inc_tlb_flush_pending"));
  CHECK_THAT(r.out, Catch::Contains("=> install made the loss permanent"));
  CHECK(r.out.find(".ghost.") == std::string::npos);
}

TEST_CASE("The HTML timeline shades the flush-pending window, marks the steps and has a legend",
          "[explain][html][timeline]") {
  std::string trace = uffd_trace();
  json t = explain_json(trace);
  std::string html_path = temp_dir().fresh("uffd-marks", ".html");
  Result r = run_mmcheck({"explain", trace, "--html", html_path});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  std::string html = read_file(html_path);
  std::size_t raise = step_number(t, "uffd_unwp.inc_tlb_flush_pending");
  std::size_t drop = step_number(t, "uffd_unwp.dec_tlb_flush_pending");
  CHECK_THAT(html,
             Catch::Contains("<div class=\"flush-pending\" data-from=\"" + std::to_string(raise) +
                             "\" data-to=\"" + std::to_string(drop - 1) + "\""));
  for (const char* kind : {"deferred_pte", "cow_decision", "stale_store", "flush", "install"}) {
    INFO("mark " << kind);
    CHECK_THAT(html,
               Catch::Contains("<div class=\"mark\" data-kind=\"" + std::string(kind) + "\">"));
  }
  CHECK_THAT(html, Catch::Contains("<section id=\"legend\">"));
  CHECK_THAT(html, Catch::Contains("<div data-symbol=\"UW\"><dt>UW</dt>"));
  CHECK(html.find("data-symbol=\"excl\"") == std::string::npos);

  if (!fs::exists(kChromium)) FAIL(kChromium << " is missing: run tools/setup.sh");
  std::string profile = temp_dir().fresh("chromium-profile", "");
  fs::create_directories(profile);
  std::string chromium = "timeout 180 " + shell_quote(kChromium) +
                         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                         " --disable-background-networking --disable-component-update"
                         " --disable-sync --user-data-dir=" +
                         shell_quote(profile) + " --dump-dom ";
  Result dom = run_shell(chromium + shell_quote("file://" + html_path));
  INFO(describe(dom));
  REQUIRE(dom.status == 0);
  CHECK(dom.out.find("data-rendered=\"true\"") != std::string::npos);
  CHECK(dom.out.find("class=\"state-table frames\"") != std::string::npos);
  CHECK(dom.out.find("<th>excl</th>") == std::string::npos);
  CHECK(dom.out.find("state-table ghost") == std::string::npos);

  std::string all_path = temp_dir().fresh("uffd-all", ".html");
  REQUIRE(run_mmcheck({"explain", trace, "--html", all_path, "--all"}).status == 0);
  Result all = run_shell(chromium + shell_quote("file://" + all_path));
  REQUIRE(all.status == 0);
  CHECK(all.out.find("<th>excl</th>") != std::string::npos);
  CHECK(all.out.find("state-table ghost") != std::string::npos);
}
