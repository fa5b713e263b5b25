// `mmcheck explain --html`: one self-contained page (no network: no http(s) URL, no external
// script, stylesheet or font) with a swim lane per CPU and a step per row rendered as plain HTML,
// the data embedded as JSON, and an inline script that draws the state tables. Headless
// Chromium loads it, runs the script, dumps the DOM and takes a screenshot that is kept in the
// build directory (tests/artifacts/uffd-wp-timeline.png).
//
// No std::regex here: GCC 12's <regex> trips -Werror=maybe-uninitialized under the asan preset
// (-fsanitize=address,undefined at -O2), so the patterns are matched by the helpers below.
#include <algorithm>
#include <cctype>
#include <set>

#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

struct Page {
  json trace;
  std::string html_path;
  std::string html;
};

// The uffd-wp race on linux-5.10 (6ce64428d620), as a trace and its HTML timeline.
Page uffd_page() {
  Page p;
  std::string trace = temp_dir().fresh("uffd", ".trace.json");
  Result check =
      run_mmcheck({"check", kUffdScenario, "--kernel", "linux-5.10", "--trace", trace, "--quiet"});
  INFO(describe(check));
  REQUIRE(check.status == 10);
  p.trace = parse_json(read_file(trace), trace);
  p.html_path = temp_dir().fresh("uffd-timeline", ".html");
  Result explain = run_mmcheck({"explain", trace, "--html", p.html_path});
  INFO(describe(explain));
  REQUIRE(explain.status == 0);
  p.html = read_file(p.html_path);
  REQUIRE(!p.html.empty());
  return p;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size()))
    ++n;
  return n;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Whether `text` holds `head`, then any characters but `stop`, then `tail` (the regular
// expression head[^stop]*tail with head and tail literal).
bool contains_around(const std::string& text, const std::string& head, char stop,
                     const std::string& tail) {
  for (std::size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
    std::size_t end = std::min(text.find(stop, at + head.size()), text.size());
    for (std::size_t i = at + head.size(); i <= end; ++i)
      if (text.compare(i, tail.size(), tail) == 0) return true;
  }
  return false;
}

void require_no_network(const std::string& html) {
  std::string lower = lowercase(html);
  std::size_t url = std::min(lower.find("http://"), lower.find("https://"));
  INFO("a URL at: " << (url != std::string::npos ? html.substr(url < 80 ? 0 : url - 80, 200) : ""));
  CHECK(url == std::string::npos);
  // <script ... src=  (src= after white space, inside the tag)
  bool script_src = false;
  for (std::size_t at = lower.find("<script"); at != std::string::npos;
       at = lower.find("<script", at + 1)) {
    std::size_t end = std::min(lower.find('>', at), lower.size());
    for (std::size_t i = at; i + 4 < end; ++i)
      if (is_space(lower[i]) && lower.compare(i + 1, 4, "src=") == 0) script_src = true;
  }
  CHECK_FALSE(script_src);
  bool link = false;
  for (std::size_t at = lower.find("<link"); at != std::string::npos;
       at = lower.find("<link", at + 1))
    if (at + 5 < lower.size() && (is_space(lower[at + 5]) || lower[at + 5] == '>')) link = true;
  CHECK_FALSE(link);
  CHECK(lower.find("@import") == std::string::npos);
  CHECK(lower.find("url(") == std::string::npos);
}

// The lanes and steps as the server rendered them (and as the DOM must hold them).
void require_lanes_and_steps(const std::string& html, const json& trace) {
  for (const std::string& cpu : cpus_of(trace)) {
    INFO("lane of " << cpu);
    CHECK(count(html, "class=\"lane\" data-cpu=\"" + cpu + "\"") == 1);
  }
  const json& steps = trace["steps"];
  CHECK(count(html, "class=\"step") == steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::string n = std::to_string(i + 1);
    std::string tail = "\" id=\"step-" + n + "\" data-step=\"" + n + "\" data-cpu=\"" +
                       steps[i]["thread"].get<std::string>() + "\"";
    INFO("step " << n);
    CHECK(contains_around(html, "class=\"step", '"', tail));
  }
  CHECK(count(html, "id=\"violation\"") == 1);
  std::string last = std::to_string(steps.size());
  CHECK(contains_around(html, "class=\"step violating", '"', "\" id=\"step-" + last + "\""));
}

}  // namespace

TEST_CASE("The HTML timeline is one self-contained file with its data embedded as JSON",
          "[explain][html]") {
  Page p = uffd_page();
  require_no_network(p.html);
  require_lanes_and_steps(p.html, p.trace);
  const std::string open = "<script type=\"application/json\" id=\"trace-data\">";
  std::size_t b = p.html.find(open);
  REQUIRE(b != std::string::npos);
  std::size_t e = p.html.find("</script>", b);
  REQUIRE(e != std::string::npos);
  json data =
      parse_json(p.html.substr(b + open.size(), e - b - open.size()), "the embedded trace data");
  CHECK(data["invariant"] == p.trace["invariant"]);
  CHECK(data["message"] == p.trace["message"]);
  CHECK(data["reproduced"] == true);
  REQUIRE(data["steps"].size() == p.trace["steps"].size());
  for (std::size_t i = 0; i < data["steps"].size(); ++i) {
    CHECK(data["steps"][i]["step"] == p.trace["steps"][i]["step"]);
    CHECK(data["steps"][i]["changes"] == p.trace["steps"][i]["changes"]);
  }
  // The table after the last step is the recorded final state.
  CHECK(data["steps"].back()["state"] == p.trace["final_state"]);
  CHECK(data["pages"] == json::array({"A"}));
}

TEST_CASE("The HTML timeline of the uffd-wp race renders in headless Chromium (6ce64428d620)",
          "[explain][html][chromium]") {
  if (!fs::exists(kChromium))
    FAIL(kChromium << " is missing: run tools/setup.sh (it installs Debian's chromium package), or "
                      "apt-get install -y chromium");
  Page p = uffd_page();
  std::string profile = temp_dir().fresh("chromium-profile", "");
  fs::create_directories(profile);
  std::string chromium =
      "timeout 180 " + shell_quote(kChromium) +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --user-data-dir=" +
      shell_quote(profile);
  Result dom = run_shell(chromium + " --dump-dom " + shell_quote("file://" + p.html_path));
  INFO(describe(dom));
  REQUIRE(dom.status == 0);
  require_lanes_and_steps(dom.out, p.trace);
  require_no_network(dom.out);
  // The inline script ran: it marks the body and draws the state tables of the last step.
  CHECK(dom.out.find("data-rendered=\"true\"") != std::string::npos);
  CHECK(count(dom.out, "class=\"state-table") >= 4);
  CHECK(dom.out.find("class=\"step violating selected\" id=\"step-" +
                     std::to_string(p.trace["steps"].size()) + "\"") != std::string::npos);

  // A step chosen by the link (what a click does): its changes and the tables after it.
  std::size_t copy = 0;
  while (p.trace["steps"][copy]["step"] != "do_wp_page.copy") ++copy;
  std::string n = std::to_string(copy + 1);
  Result linked =
      run_shell(chromium + " --dump-dom " + shell_quote("file://" + p.html_path + "#step-" + n));
  INFO(describe(linked));
  REQUIRE(linked.status == 0);
  CHECK(linked.out.find("class=\"step marked selected\" id=\"step-" + n + "\"") !=
        std::string::npos);
  CHECK(linked.out.find("After step " + n + ": cpu1 do_wp_page.copy") != std::string::npos);
  // The copy takes a reference on frame 0: the change is listed and its cell highlighted.
  CHECK(linked.out.find("<td class=\"key\">frame.0.refcount</td>") != std::string::npos);
  CHECK(linked.out.find("<td class=\"changed\" title=\"frame.0.refcount\">3</td>") !=
        std::string::npos);

  fs::path artifacts = fs::path(kBinary).parent_path() / "tests" / "artifacts";
  fs::create_directories(artifacts);
  std::string png = (artifacts / "uffd-wp-timeline.png").string();
  fs::remove(png);
  Result shot = run_shell(chromium + " --screenshot=" + shell_quote(png) +
                          " --window-size=1400,1000 " + shell_quote("file://" + p.html_path));
  INFO(describe(shot));
  REQUIRE(shot.status == 0);
  REQUIRE(fs::exists(png));
  std::string bytes = read_file(png);
  CHECK(bytes.size() > 10000);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  fs::copy_file(p.html_path, artifacts / "uffd-wp-timeline.html",
                fs::copy_options::overwrite_existing);
}
