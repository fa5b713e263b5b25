// The invariant predicates. Each returns the violation's one-line message (naming the objects
// involved) when it fails at the point where the README's invariant table checks it, nothing
// otherwise. They read the state only; the ops call them at their check points.
#pragma once

#include <optional>
#include <string>

#include "models/state.hpp"

namespace mmcheck::vm {

class VmModel;

// cow.cpp
std::optional<std::string> stale_tlb_at_cow(const VmModel& m, const State& s, int mm, int page,
                                            int pfn);
std::optional<std::string> pinned_page_cowed(const VmModel& m, const State& s, int mm, int page,
                                             int pfn);
// data.cpp
std::optional<std::string> lost_write_at_load(const VmModel& m, const State& s, int mm, int page,
                                              int word, int value, int pfn, const std::string& who);
std::optional<std::string> cross_mm_leak(const VmModel& m, const State& s, int mm, int value,
                                         const std::string& who);
std::optional<std::string> pin_incoherent(const VmModel& m, const State& s, int handle);
std::optional<std::string> lost_write_at_end(const VmModel& m, const State& s);
std::optional<std::string> pin_incoherent_at_end(const VmModel& m, const State& s);
std::optional<std::string> private_write_leaks(const VmModel& m, const State& s, int mm, int page,
                                               int value, int pfn, const std::string& who);
// tracking.cpp
std::optional<std::string> soft_dirty_missed(const VmModel& m, const State& s, int mm, int page);
std::optional<std::string> soft_dirty_missed_at_end(const VmModel& m, const State& s);
// refcounts.cpp
std::optional<std::string> refcounts_insane(const VmModel& m, const State& s);

}  // namespace mmcheck::vm
