// The toy models' steps, checks and canonical encodings (see toy_models.hpp).
#include "tests/toy_models.hpp"

#include "checker/assert.hpp"

namespace mmcheck::toy {

namespace {

std::string thread_name(unsigned t) { return "thread " + std::to_string(t); }

void encode_two_thread(const TwoThreadState& s, ByteWriter& w) {
  for (std::uint8_t pc : s.pc) w.u8(pc);
  for (std::uint8_t flag : s.flag) w.u8(flag);
  w.u8(s.turn);
  for (std::uint16_t done : s.rounds_done) w.u16(done);
}

TwoThreadState decode_two_thread(ByteReader& r) {
  TwoThreadState s;
  for (std::uint8_t& pc : s.pc) pc = r.u8();
  for (std::uint8_t& flag : s.flag) flag = r.u8();
  s.turn = r.u8();
  for (std::uint16_t& done : s.rounds_done) done = r.u16();
  MM_ASSERT(r.at_end(), "trailing bytes after a two-thread state");
  return s;
}

}  // namespace

// ---- Counter ----

std::vector<Counter::State> Counter::initial_states() const {
  MM_ASSERT(threads >= 1 && threads <= kMaxCounterThreads, "Counter needs 1 to 8 threads");
  return {State{}};
}

void Counter::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (unsigned t = 0; t < threads; ++t)
    if (s.thread[t].pc < 2) out.push_back(static_cast<Action>(t));
}

StepInfo Counter::apply(const State& s, Action a, State& next) const {
  next = s;
  Thread& t = next.thread[a];
  if (t.pc == 0) {
    t.tmp = s.counter;
    t.pc = 1;
    return {kRead, std::nullopt};
  }
  MM_ASSERT(t.pc == 1, "a finished Counter thread was stepped");
  next.counter = static_cast<std::uint8_t>(t.tmp + 1);
  t.tmp = 0;
  t.pc = 2;
  return {kWrite, std::nullopt};
}

bool Counter::finished(const State& s) const {
  for (unsigned t = 0; t < threads; ++t)
    if (s.thread[t].pc != 2) return false;
  return true;
}

std::optional<Violation> Counter::check_final(const State& s) const {
  if (!check_total || s.counter == threads) return std::nullopt;
  return Violation{kNoLostUpdate, "counter is " + std::to_string(s.counter) + ", expected " +
                                      std::to_string(threads)};
}

void Counter::encode(const State& s, ByteWriter& w) const {
  w.u8(s.counter);
  for (unsigned t = 0; t < threads; ++t) {
    w.u8(s.thread[t].pc);
    w.u8(s.thread[t].tmp);
  }
}

Counter::State Counter::decode(ByteReader& r) const {
  State s;
  s.counter = r.u8();
  for (unsigned t = 0; t < threads; ++t) {
    s.thread[t].pc = r.u8();
    s.thread[t].tmp = r.u8();
  }
  MM_ASSERT(r.at_end(), "trailing bytes after a Counter state");
  return s;
}

const std::vector<std::string>& Counter::property_names() const {
  static const std::vector<std::string> kNames{"no_lost_update", "no_deadlock"};
  return kNames;
}

const std::vector<std::string>& Counter::label_names() const {
  static const std::vector<std::string> kNames{"read", "write"};
  return kNames;
}

std::string Counter::describe_action(const State& s, Action a) const {
  const Thread& t = s.thread[a];
  if (t.pc == 0) return thread_name(a) + " reads counter = " + std::to_string(s.counter);
  return thread_name(a) + " writes counter = " + std::to_string(t.tmp + 1);
}

// ---- Peterson ----

void Peterson::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (unsigned i = 0; i < 2; ++i) {
    unsigned j = 1 - i;
    switch (s.pc[i]) {
      case 0:
      case 1:
      case 3:
        out.push_back(static_cast<Action>(i));
        break;
      case 2:
        if (s.flag[j] == 0 || s.turn == i) out.push_back(static_cast<Action>(i));
        break;
      default:
        break;  // 4: finished
    }
  }
}

StepInfo Peterson::apply(const State& s, Action a, State& next) const {
  next = s;
  unsigned j = 1u - a;
  switch (s.pc[a]) {
    case 0:
      next.flag[a] = 1;
      next.pc[a] = 1;
      return {kRaiseFlag, std::nullopt};
    case 1:
      next.turn = static_cast<std::uint8_t>(j);
      next.pc[a] = 2;
      return {kGiveTurn, std::nullopt};
    case 2:
      next.pc[a] = 3;
      return {kEnter, std::nullopt};
    case 3:
      next.flag[a] = 0;
      if (rounds == 0) {
        next.pc[a] = 0;
      } else {
        next.rounds_done[a] = static_cast<std::uint16_t>(s.rounds_done[a] + 1);
        next.pc[a] = next.rounds_done[a] == rounds ? 4 : 0;
      }
      return {kLeave, std::nullopt};
    default:
      MM_ASSERT(false, "a finished Peterson thread was stepped");
  }
  return {};
}

std::optional<Violation> Peterson::check_state(const State& s) const {
  if (s.pc[0] == 3 && s.pc[1] == 3)
    return Violation{kMutualExclusion, "both threads are in the critical section"};
  return std::nullopt;
}

bool Peterson::finished(const State& s) const { return s.pc[0] == 4 && s.pc[1] == 4; }

void Peterson::encode(const State& s, ByteWriter& w) const { encode_two_thread(s, w); }

Peterson::State Peterson::decode(ByteReader& r) const { return decode_two_thread(r); }

const std::vector<std::string>& Peterson::property_names() const {
  static const std::vector<std::string> kNames{"mutual_exclusion", "no_deadlock"};
  return kNames;
}

const std::vector<std::string>& Peterson::label_names() const {
  static const std::vector<std::string> kNames{"raise_flag", "give_turn", "enter", "leave"};
  return kNames;
}

std::string Peterson::describe_action(const State& s, Action a) const {
  static const char* const kSteps[] = {"raises its flag", "gives the turn away",
                                       "enters the critical section",
                                       "leaves the critical section"};
  return thread_name(a) + " " + (s.pc[a] < 4 ? kSteps[s.pc[a]] : "is finished");
}

// ---- BrokenMutex ----

void BrokenMutex::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (unsigned i = 0; i < 2; ++i) {
    if (s.pc[i] == 0 && s.flag[0] != 0) continue;  // still waiting for the flag to drop
    if (s.pc[i] < 3) out.push_back(static_cast<Action>(i));
  }
}

StepInfo BrokenMutex::apply(const State& s, Action a, State& next) const {
  next = s;
  switch (s.pc[a]) {
    case 0:
      next.pc[a] = 1;
      return {kTest, std::nullopt};
    case 1:
      next.flag[0] = 1;
      next.pc[a] = 2;
      return {kSet, std::nullopt};
    case 2:
      next.flag[0] = 0;
      next.pc[a] = 3;
      return {kClear, std::nullopt};
    default:
      MM_ASSERT(false, "a finished BrokenMutex thread was stepped");
  }
  return {};
}

std::optional<Violation> BrokenMutex::check_state(const State& s) const {
  if (s.pc[0] == 2 && s.pc[1] == 2)
    return Violation{kMutualExclusion, "both threads are in the critical section"};
  return std::nullopt;
}

bool BrokenMutex::finished(const State& s) const { return s.pc[0] == 3 && s.pc[1] == 3; }

void BrokenMutex::encode(const State& s, ByteWriter& w) const { encode_two_thread(s, w); }

BrokenMutex::State BrokenMutex::decode(ByteReader& r) const { return decode_two_thread(r); }

const std::vector<std::string>& BrokenMutex::property_names() const {
  static const std::vector<std::string> kNames{"mutual_exclusion", "no_deadlock"};
  return kNames;
}

const std::vector<std::string>& BrokenMutex::label_names() const {
  static const std::vector<std::string> kNames{"test", "set", "clear"};
  return kNames;
}

std::string BrokenMutex::describe_action(const State& s, Action a) const {
  static const char* const kSteps[] = {"sees the flag down", "sets the flag",
                                       "clears the flag and leaves"};
  return thread_name(a) + " " + (s.pc[a] < 3 ? kSteps[s.pc[a]] : "is finished");
}

// ---- Deadlock ----

unsigned Deadlock::lock_order(unsigned t, unsigned nth) const {
  bool reversed = t == 1 && opposite_order;
  return reversed ? 1 - nth : nth;
}

void Deadlock::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (unsigned t = 0; t < 2; ++t) {
    std::uint8_t pc = s.pc[t];
    if (pc >= 4) continue;
    if (pc < 2 && s.owner[lock_order(t, pc)] != 0) continue;  // waiting for the lock
    out.push_back(static_cast<Action>(t));
  }
}

StepInfo Deadlock::apply(const State& s, Action a, State& next) const {
  next = s;
  std::uint8_t pc = s.pc[a];
  MM_ASSERT(pc < 4, "a finished Deadlock thread was stepped");
  next.pc[a] = static_cast<std::uint8_t>(pc + 1);
  if (pc < 2) {
    next.owner[lock_order(a, pc)] = static_cast<std::uint8_t>(1 + a);
    return {kLock, std::nullopt};
  }
  next.owner[lock_order(a, 3 - pc)] = 0;  // pc 2 releases the second lock, pc 3 the first
  return {kUnlock, std::nullopt};
}

bool Deadlock::finished(const State& s) const { return s.pc[0] == 4 && s.pc[1] == 4; }

void Deadlock::encode(const State& s, ByteWriter& w) const {
  for (std::uint8_t pc : s.pc) w.u8(pc);
  for (std::uint8_t owner : s.owner) w.u8(owner);
}

Deadlock::State Deadlock::decode(ByteReader& r) const {
  State s;
  for (std::uint8_t& pc : s.pc) pc = r.u8();
  for (std::uint8_t& owner : s.owner) owner = r.u8();
  MM_ASSERT(r.at_end(), "trailing bytes after a Deadlock state");
  return s;
}

const std::vector<std::string>& Deadlock::property_names() const {
  static const std::vector<std::string> kNames{"no_deadlock"};
  return kNames;
}

const std::vector<std::string>& Deadlock::label_names() const {
  static const std::vector<std::string> kNames{"lock", "unlock"};
  return kNames;
}

std::string Deadlock::describe_action(const State& s, Action a) const {
  std::uint8_t pc = s.pc[a];
  if (pc >= 4) return thread_name(a) + " is finished";
  const char* lock = lock_order(a, pc < 2 ? pc : 3 - pc) == 0 ? "A" : "B";
  return thread_name(a) + (pc < 2 ? " takes lock " : " releases lock ") + lock;
}

// ---- GridWalk ----

std::vector<GridWalk::State> GridWalk::initial_states() const {
  MM_ASSERT(walkers >= 1 && walkers <= kMaxWalkers, "GridWalk needs 1 to 32 walkers");
  MM_ASSERT(length >= 1 && length <= 256, "GridWalk needs 1 to 256 cells");
  return {State{}};
}

void GridWalk::enabled_actions(const State& s, std::vector<Action>& out) const {
  for (unsigned i = 0; i < walkers; ++i)
    if (s.position[i] + 1u < length) out.push_back(static_cast<Action>(i));
}

StepInfo GridWalk::apply(const State& s, Action a, State& next) const {
  next = s;
  MM_ASSERT(s.position[a] + 1u < length, "a GridWalk walker stepped off the line");
  ++next.position[a];
  return {kStep, std::nullopt};
}

bool GridWalk::finished(const State& s) const {
  for (unsigned i = 0; i < walkers; ++i)
    if (s.position[i] + 1u != length) return false;
  return true;
}

void GridWalk::encode(const State& s, ByteWriter& w) const {
  // Parts of two walkers each, for the compressed store (the last part takes the rest).
  std::uint32_t cuts[ByteWriter::kMaxCuts];
  int n = 0;
  for (unsigned i = 0; i < walkers; ++i) {
    if (i > 0 && i % 2 == 0 && n < ByteWriter::kMaxCuts) cuts[n++] = i;
    w.u8(s.position[i]);
  }
  w.set_cuts(cuts, n);
}

GridWalk::State GridWalk::decode(ByteReader& r) const {
  State s;
  for (unsigned i = 0; i < walkers; ++i) s.position[i] = r.u8();
  MM_ASSERT(r.at_end(), "trailing bytes after a GridWalk state");
  return s;
}

std::optional<Violation> GridWalk::check_state(const State& s) const {
  if (bad && s.position == *bad) return Violation{kNoBad, "the walkers reached the bad cells"};
  return std::nullopt;
}

const std::vector<std::string>& GridWalk::property_names() const {
  static const std::vector<std::string> kNames{"no_deadlock", "no_bad"};
  return kNames;
}

const std::vector<std::string>& GridWalk::label_names() const {
  static const std::vector<std::string> kNames{"step"};
  return kNames;
}

std::string GridWalk::describe_action(const State& s, Action a) const {
  return "walker " + std::to_string(a) + " steps to cell " + std::to_string(s.position[a] + 1);
}

}  // namespace mmcheck::toy
