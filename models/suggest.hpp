// "did you mean": the valid name closest to a near-miss (an edit distance of at most 2, and less
// than half the name), for the errors that list valid names.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace mmcheck::vm {

// Levenshtein distance, with a swap of two adjacent characters counting as one edit.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The closest valid name to `got` if it is a near miss, else "". A name that differs only in
// case is always a near miss.
inline std::string closest_name(const std::string& got, const std::vector<std::string>& valid) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string best;
  std::size_t best_distance = 3;
  for (const std::string& name : valid) {
    if (name == got) return "";
    std::size_t dist = lower(name) == lower(got) ? 0 : edit_distance(got, name);
    if (dist < best_distance && 2 * dist < std::max(got.size(), name.size())) {
      best = name;
      best_distance = dist;
    }
  }
  return best;
}

// " (did you mean \"NAME\"?)" for a near miss, else "": follows the unknown name in an error.
inline std::string did_you_mean(const std::string& got, const std::vector<std::string>& valid) {
  std::string name = closest_name(got, valid);
  return name.empty() ? "" : " (did you mean \"" + name + "\"?)";
}

}  // namespace mmcheck::vm
