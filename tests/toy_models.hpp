// Toy models that prove the engine on its own, with nothing of Linux in them: a shared counter
// with a lost update, Peterson's lock, a broken test-then-set lock, two threads taking two
// locks in opposite orders, and independent walkers on a line (the scalable one). Each is small
// enough to count its states by hand, by a closed form or with a naive reference explorer, and
// each has one finding (or none) the engine must report exactly.
// Every model is a plain struct of named fields (`Counter{.threads = 3, .check_total = false}`);
// an action is the index of the thread that steps, and enabled actions come in thread order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/model.hpp"

namespace mmcheck::toy {

inline constexpr unsigned kMaxCounterThreads = 8;

// N threads each do a non-atomic increment of one shared counter: `tmp = counter` ("read"),
// then `counter = tmp + 1` ("write"). With check_total, the final check "counter == N" fails on
// the lost update; without it the model holds (and its finished runs are not deadlocks).
struct Counter {
  unsigned threads = 2;
  bool check_total = true;

  enum Property : std::uint32_t { kNoLostUpdate, kNoDeadlock };
  enum Label : std::uint32_t { kRead, kWrite };

  struct Thread {
    std::uint8_t pc = 0;   // 0: before the read, 1: between read and write, 2: done
    std::uint8_t tmp = 0;  // the value read; kept zero outside pc 1 so states stay canonical
    bool operator==(const Thread&) const = default;
  };
  struct State {
    std::uint8_t counter = 0;
    std::array<Thread, kMaxCounterThreads> thread{};  // entries past `threads` stay zero
    bool operator==(const State&) const = default;
  };
  using Action = std::uint8_t;

  std::vector<State> initial_states() const;
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, Action a, State& next) const;
  std::optional<Violation> check_state(const State&) const { return std::nullopt; }
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State& s) const;
  void encode(const State& s, ByteWriter& w) const;
  State decode(ByteReader& r) const;
  const std::vector<std::string>& property_names() const;
  std::optional<std::uint32_t> deadlock_property() const { return kNoDeadlock; }
  const std::vector<std::string>& label_names() const;
  std::string describe_action(const State& s, Action a) const;
};

// The state shared by the two-thread locks below: a program counter per thread, a flag per
// thread (Peterson) or one flag (BrokenMutex), Peterson's turn, and finished rounds per thread.
struct TwoThreadState {
  std::array<std::uint8_t, 2> pc{};
  std::array<std::uint8_t, 2> flag{};
  std::uint8_t turn = 0;
  std::array<std::uint16_t, 2> rounds_done{};
  bool operator==(const TwoThreadState&) const = default;
};

// Peterson's two-thread lock. Thread i: raise flag[i]; give the turn to the other; wait until
// the other's flag is down or the turn is back ("enter"); lower flag[i] on leaving. The wait
// is an enabling condition, not a spinning step. Each thread enters `rounds` times and then
// finishes; rounds == 0 makes both threads loop forever (a cyclic state graph).
struct Peterson {
  unsigned rounds = 1;

  enum Property : std::uint32_t { kMutualExclusion, kNoDeadlock };
  enum Label : std::uint32_t { kRaiseFlag, kGiveTurn, kEnter, kLeave };

  using State = TwoThreadState;
  using Action = std::uint8_t;

  std::vector<State> initial_states() const { return {State{}}; }
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, Action a, State& next) const;
  std::optional<Violation> check_state(const State& s) const;
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const;
  State decode(ByteReader& r) const;
  const std::vector<std::string>& property_names() const;
  std::optional<std::uint32_t> deadlock_property() const { return kNoDeadlock; }
  const std::vector<std::string>& label_names() const;
  std::string describe_action(const State& s, Action a) const;
};

// The classic broken lock, once per thread: `while (flag) wait;` ("test"), `flag = 1` ("set"),
// critical section, `flag = 0` ("clear"). Test and set are two steps, so both threads can pass
// the test before either sets the flag: mutual exclusion fails after 4 steps.
struct BrokenMutex {
  enum Property : std::uint32_t { kMutualExclusion, kNoDeadlock };
  enum Label : std::uint32_t { kTest, kSet, kClear };

  using State = TwoThreadState;  // flag[0] is the lock's flag; flag[1], turn, rounds stay zero
  using Action = std::uint8_t;

  std::vector<State> initial_states() const { return {State{}}; }
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, Action a, State& next) const;
  std::optional<Violation> check_state(const State& s) const;
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const;
  State decode(ByteReader& r) const;
  const std::vector<std::string>& property_names() const;
  std::optional<std::uint32_t> deadlock_property() const { return kNoDeadlock; }
  const std::vector<std::string>& label_names() const;
  std::string describe_action(const State& s, Action a) const;
};

// Two threads and two locks. Thread 0 takes A then B; thread 1 takes B then A (or A then B
// when opposite_order is false, which cannot deadlock); each releases in reverse order and
// finishes. Taking a lock is enabled only while it is free.
struct Deadlock {
  bool opposite_order = true;

  enum Property : std::uint32_t { kNoDeadlock };
  enum Label : std::uint32_t { kLock, kUnlock };

  struct State {
    std::array<std::uint8_t, 2> pc{};     // 0: take first, 1: take second, 2: release second,
                                          // 3: release first, 4: done
    std::array<std::uint8_t, 2> owner{};  // per lock (A, B): 0 free, 1 + thread index
    bool operator==(const State&) const = default;
  };
  using Action = std::uint8_t;

  std::vector<State> initial_states() const { return {State{}}; }
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, Action a, State& next) const;
  std::optional<Violation> check_state(const State&) const { return std::nullopt; }
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const;
  State decode(ByteReader& r) const;
  const std::vector<std::string>& property_names() const;
  std::optional<std::uint32_t> deadlock_property() const { return kNoDeadlock; }
  const std::vector<std::string>& label_names() const;
  std::string describe_action(const State& s, Action a) const;

  // The lock (0: A, 1: B) thread t takes at its `nth` (0 or 1) acquisition.
  unsigned lock_order(unsigned t, unsigned nth) const;
};

// `walkers` independent walkers on a line of `length` cells; a step moves one walker one cell
// forward ("step"). The state graph is a product of chains, so its figures have closed forms:
// length^walkers states, walkers * (length - 1) * length^(walkers - 1) steps, and BFS level d
// holds the coefficient of x^d in (1 + x + ... + x^(length-1))^walkers. Many walkers make wide
// levels: the scalable toy of the benchmark and of the state table's growth test. Holds.
struct GridWalk {
  unsigned walkers = 2;
  unsigned length = 3;
  // When set, reaching these positions (entries past `walkers` zero) violates "no_bad": the
  // counterexample is the one of the many shortest schedules that the search's numbering picks.
  std::optional<std::array<std::uint8_t, 32>> bad{};

  enum Property : std::uint32_t { kNoDeadlock, kNoBad };
  enum Label : std::uint32_t { kStep };

  static constexpr unsigned kMaxWalkers = 32;
  struct State {
    std::array<std::uint8_t, kMaxWalkers> position{};  // entries past `walkers` stay zero
    bool operator==(const State&) const = default;
  };
  using Action = std::uint8_t;

  std::vector<State> initial_states() const;
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, Action a, State& next) const;
  std::optional<Violation> check_state(const State& s) const;
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const;
  State decode(ByteReader& r) const;
  const std::vector<std::string>& property_names() const;
  std::optional<std::uint32_t> deadlock_property() const { return kNoDeadlock; }
  const std::vector<std::string>& label_names() const;
  std::string describe_action(const State& s, Action a) const;
};

static_assert(Model<Counter>);
static_assert(Model<Peterson>);
static_assert(Model<BrokenMutex>);
static_assert(Model<Deadlock>);
static_assert(Model<GridWalk>);

}  // namespace mmcheck::toy
