// The model concept the engine explores (Stateright's shape): initial states, the enabled
// actions of a state in a deterministic order, the next state of an action, named properties
// checked on states, on steps and on terminal states, a canonical byte encoding, and printable
// actions. The engine knows nothing else about a model.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "checker/assert.hpp"

namespace mmcheck {

// A property that failed: its index in the model's property_names() (the index is also the
// tie-break rank between violations found at the same depth) and a one-line message.
struct Violation {
  std::uint32_t property = 0;
  std::string message;
};

inline constexpr std::uint32_t kNoLabel = 0xffffffffu;

// What one step reports besides its successor: the label of the step (for coverage and
// reachability goals), a second label it counts under (`mark`: a model may count events of its
// own, such as an operation ending, beside its step names; kNoLabel when none) and a violation
// of a step property, if any.
struct StepInfo {
  std::uint32_t label = kNoLabel;
  std::optional<Violation> violation;
  std::uint32_t mark = kNoLabel;
};

// Canonical encoding sink: fixed width, fixed order, no padding. Grows rarely; the hot path is a
// bounds check and a store.
class ByteWriter {
 public:
  // A model may say where its encoding's parts end (a thread, a process...): the compressed
  // store (checker/tree_store.hpp) shares equal parts between states. At most kMaxCuts parts;
  // the last part ends at size().
  static constexpr int kMaxCuts = 15;
  ByteWriter() : buffer_(256) {}
  void clear() {
    size_ = 0;
    cuts_ = 0;
  }
  // The parts' ends but the last, as offsets, in increasing order.
  void set_cuts(const std::uint32_t* ends, int n) {
    MM_ASSERT(n >= 0 && n <= kMaxCuts, "an encoding cut into more parts than a writer holds");
    std::copy(ends, ends + n, cut_.begin());
    cuts_ = n;
  }
  int cuts() const { return cuts_; }
  std::uint32_t cut(int i) const { return cut_[static_cast<std::size_t>(i)]; }
  void u8(std::uint8_t v) {
    if (size_ == buffer_.size()) [[unlikely]]
      grow();
    buffer_[size_++] = v;
  }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v));
    u16(static_cast<std::uint16_t>(v >> 16));
  }
  // Raw writing for hot encoders: reserve() returns where the next `n` bytes go (no bounds
  // checks while writing them), commit() takes the end actually reached.
  std::uint8_t* reserve(std::size_t n) {
    if (size_ + n > buffer_.size()) [[unlikely]]
      buffer_.resize(std::max(size_ + n, buffer_.size() * 2));
    return buffer_.data() + size_;
  }
  void commit(const std::uint8_t* end) {
    size_ = static_cast<std::size_t>(end - buffer_.data());
    MM_ASSERT(size_ <= buffer_.size(), "an encoder wrote past what it reserved");
  }
  const std::uint8_t* data() const { return buffer_.data(); }
  std::size_t size() const { return size_; }
  std::vector<std::uint8_t> bytes() const {
    return {buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size_)};
  }

 private:
  [[gnu::noinline]] void grow() { buffer_.resize(buffer_.size() * 2); }
  std::vector<std::uint8_t> buffer_;
  std::size_t size_ = 0;
  int cuts_ = 0;
  std::array<std::uint32_t, kMaxCuts> cut_{};
};

class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() {
    MM_ASSERT(pos_ < size_, "state decoding read past the encoding");
    return data_[pos_++];
  }
  std::uint16_t u16() {
    std::uint16_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  std::uint32_t u32() {
    std::uint32_t lo = u16();
    return lo | (static_cast<std::uint32_t>(u16()) << 16);
  }
  bool at_end() const { return pos_ == size_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  // Raw reading for hot decoders: they read [data(), data() + size()) themselves.
  void skip_to_end() { pos_ = size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A model: State is a regular value type; Action a small value naming one enabled step.
// - enabled_actions(s, out) fills out (cleared by the caller) in a deterministic order;
// - apply(s, a, next) writes the successor and reports the step's label and step violations;
// - check_state(s) evaluates the state properties;
// - finished(s): every thread of the model has completed (a terminal state that is not
//   finished is a deadlock, when deadlock_property() names one);
// - check_final(s): the properties checked once at the end of a complete run;
// - encode/decode: the canonical encoding, decode(encode(s)) == s.
template <class M>
concept Model = requires(const M& m, const typename M::State& s, typename M::State& out,
                         const typename M::Action& a, std::vector<typename M::Action>& actions,
                         ByteWriter& w, ByteReader& r) {
  typename M::State;
  typename M::Action;
  { m.initial_states() } -> std::same_as<std::vector<typename M::State>>;
  {m.enabled_actions(s, actions)};
  { m.apply(s, a, out) } -> std::same_as<StepInfo>;
  { m.check_state(s) } -> std::same_as<std::optional<Violation>>;
  { m.finished(s) } -> std::same_as<bool>;
  { m.check_final(s) } -> std::same_as<std::optional<Violation>>;
  {m.encode(s, w)};
  { m.decode(r) } -> std::same_as<typename M::State>;
  { m.property_names() } -> std::convertible_to<const std::vector<std::string>&>;
  { m.deadlock_property() } -> std::same_as<std::optional<std::uint32_t>>;
  { m.label_names() } -> std::convertible_to<const std::vector<std::string>&>;
  { m.describe_action(s, a) } -> std::same_as<std::string>;
};

}  // namespace mmcheck
