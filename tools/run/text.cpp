// Human-readable output: the verdict with its counts, and the counterexample as a timeline
// with one column per CPU (each row the kernel step and its note, wrapped inside the column).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "tools/run/run.hpp"

namespace mmcheck::run {

namespace {

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string human_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / (1ull << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1ull << 20));
  return buf;
}

}  // namespace

std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    while (word.size() > width) {
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (line.empty())
      line = word;
    else if (line.size() + 1 + word.size() <= width)
      line += " " + word;
    else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string timeline_text(const vm::Scenario& scenario, const std::vector<TraceStep>& steps,
                          bool colour) {
  std::vector<std::string> cpus;
  for (const auto& t : scenario.threads) cpus.push_back(t.name);
  std::size_t width = std::clamp<std::size_t>(132 / std::max<std::size_t>(1, cpus.size()), 26, 44);
  std::ostringstream out;
  const char* bold = colour ? "\033[1m" : "";
  const char* dim = colour ? "\033[2m" : "";
  const char* reset = colour ? "\033[0m" : "";
  std::string header = "  #  ";
  for (std::size_t c = 0; c < cpus.size(); ++c)
    header +=
        std::string(bold) + (c + 1 == cpus.size() ? cpus[c] : pad(cpus[c], width) + " ") + reset;
  out << header << "\n";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    std::size_t column = std::find(cpus.begin(), cpus.end(), s.thread) - cpus.begin();
    std::vector<std::string> lines = {s.step};
    for (auto& l : wrap(s.note, width - 1)) lines.push_back(" " + l);
    for (std::size_t k = 0; k < lines.size(); ++k) {
      char num[24];
      std::snprintf(num, sizeof num, "%3zu  ", i + 1);
      out << (k == 0 ? num : "     ");
      for (std::size_t c = 0; c < cpus.size(); ++c) {
        if (c == column) {
          out << (k == 0 ? bold : dim) << pad(lines[k], width) << reset << " ";
        } else {
          out << pad("", width) << " ";
        }
      }
      out << "\n";
      // No trailing blanks: the last column's padding is not part of the picture.
      std::string text = out.str();
      std::size_t end = text.find_last_not_of(' ', text.size() - 2);
      text.erase(end + 1, text.size() - 2 - end);
      out.str(text);
      out.seekp(0, std::ios::end);
    }
  }
  return out.str();
}

std::string summary_text(const vm::Scenario& scenario, const RunOutcome& o) {
  std::ostringstream out;
  out << scenario.name << " on " << kernel_label(o.kernel, o.overrides) << ": ";
  if (o.verdict == Outcome::Unsupported) {
    out << "unsupported: " << o.unsupported_reason << "\n";
    return out.str();
  }
  if (o.verdict == Outcome::Holds)
    out << "holds";
  else if (o.verdict == Outcome::Violation)
    out << "VIOLATES " << o.invariant;
  else if (o.verdict == Outcome::Deadlock)
    out << "DEADLOCK";
  else if (o.verdict == Outcome::Incomplete)
    out << "incomplete (" << o.incomplete_reason
        << (o.incomplete_reason.rfind("max-", 0) == 0 ? " reached" : "") << "): nothing is proven";
  else
    out << outcome_name(o.verdict) << ": " << o.message;
  out << "\n";
  const SearchStats& s = o.stats;
  char line[256];
  std::snprintf(line, sizeof line,
                "  %llu states, %llu transitions, depth %u, %.2f s, %.0f states/s, %u thread%s, "
                "peak memory %s (%s store, %.0f B/state%s)\n",
                static_cast<unsigned long long>(s.states),
                static_cast<unsigned long long>(s.transitions), s.depth, s.seconds,
                s.states_per_second(), s.threads, s.threads == 1 ? "" : "s",
                human_bytes(s.peak_rss_bytes).c_str(), s.store_mode,
                s.states ? double(s.store_bytes) / double(s.states) : 0.0,
                s.reduced ? ", partial-order reduction" : "");
  out << line;
  if (s.omission_probability > 0) {
    std::snprintf(line, sizeof line,
                  "  fingerprint store: a state may have been omitted with probability <= %.1e; "
                  "frontier peak %s\n",
                  s.omission_probability, human_bytes(s.frontier_bytes).c_str());
    out << line;
  }
  if (!o.must_reach.empty() &&
      o.verdict != Outcome::Incomplete) {  // an incomplete run proves nothing
    out << "  must_reach:";
    for (const auto& name : o.must_reach) {
      bool missed = std::find(o.unreached.begin(), o.unreached.end(), name) != o.unreached.end();
      out << " " << name << (missed ? " (NOT REACHED)" : " (reached)");
    }
    out << "\n";
  }
  return out.str();
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace mmcheck::run
