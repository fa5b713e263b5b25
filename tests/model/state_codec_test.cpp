// The state codec (models/state.cpp) on every state the race library reaches: the encoding
// round-trips, two states share an encoding only when they are equal, and the bits of the packed
// structs' flag bytes that no flag uses (which a struct that was not value-initialized may
// carry) do not reach the encoding.
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tests/model/harness.hpp"

namespace {

using mmcheck::ByteReader;
using mmcheck::ByteWriter;
using mmcheck::vm::CheckedModel;
using mmcheck::vm::State;
using mmcheck::vm::VmModel;

std::vector<std::uint8_t> encoded(const VmModel& model, const State& s) {
  ByteWriter w;
  model.encode(s, w);
  return w.bytes();
}

// The bits of a struct's first byte that its flags use.
template <class T, class F>
std::uint8_t used_bits(F set_all) {
  T v;
  std::memset(static_cast<void*>(&v), 0, sizeof v);  // T{} leaves the unused bits unset
  set_all(v);
  return *reinterpret_cast<const std::uint8_t*>(&v);
}

template <class T>
void dirty(T& v, std::uint8_t used) {
  *reinterpret_cast<std::uint8_t*>(&v) |= static_cast<std::uint8_t>(~used);
}

// Sets every unused bit of every flag byte in the state.
State with_unused_bits_set(State s) {
  namespace vm = mmcheck::vm;
  // The flag lists of models/state.hpp, the codec's own source.
  const std::uint8_t pte = used_bits<vm::Pte>([](vm::Pte& v) { MM_PTE_FLAGS(MM_SET_FLAG) });
  const std::uint8_t vma = used_bits<vm::VmaPage>([](vm::VmaPage& v) { MM_VMA_FLAGS(MM_SET_FLAG) });
  const std::uint8_t frame = used_bits<vm::Frame>([](vm::Frame& v) { MM_FRAME_FLAGS(MM_SET_FLAG) });
  const std::uint8_t mm = used_bits<vm::Mm>([](vm::Mm& v) { MM_MM_FLAGS(MM_SET_FLAG) });
  const std::uint8_t handle =
      used_bits<vm::Handle>([](vm::Handle& v) { MM_HANDLE_FLAGS(MM_SET_FLAG) });
  for (vm::ThreadState& th : s.threads) {
    auto* raw = reinterpret_cast<std::uint8_t*>(&th);
    vm::ThreadState v;
    std::memset(static_cast<void*>(&v), 0, sizeof v);
    MM_THREAD_FLAGS(MM_SET_FLAG)
    const vm::ThreadState& flags = v;
    raw[offsetof(vm::ThreadState, sd_generation) - 1] |=
        static_cast<std::uint8_t>(~reinterpret_cast<const std::uint8_t*>(
            &flags)[offsetof(vm::ThreadState, sd_generation) - 1]);
    dirty(th.saved, pte);
  }
  for (vm::Mm& m : s.mm) {
    dirty(m, mm);
    for (vm::Pte& p : m.pte) dirty(p, pte);
    for (vm::VmaPage& v : m.vma) dirty(v, vma);
  }
  for (vm::Frame& f : s.frames) dirty(f, frame);
  for (vm::Handle& h : s.handles) dirty(h, handle);
  return s;
}

struct Counts {
  std::size_t states = 0;
  std::size_t with_locals = 0;  // states where some thread is inside an op with locals set
};

void check_every_state(const VmModel& model, Counts& counts) {
  std::map<std::vector<std::uint8_t>, State> seen;
  std::vector<State> stack = model.initial_states();
  for (const State& s : stack) seen.emplace(encoded(model, s), s);
  std::vector<std::uint8_t> actions;
  while (!stack.empty()) {
    State s = stack.back();
    stack.pop_back();
    ++counts.states;
    std::vector<std::uint8_t> bytes = encoded(model, s);
    ByteReader r(bytes.data(), bytes.size());
    State back = model.decode(r);
    REQUIRE(back == s);
    REQUIRE(encoded(model, back) == bytes);
    State noisy = with_unused_bits_set(s);
    REQUIRE(noisy == s);
    REQUIRE(encoded(model, noisy) == bytes);
    for (const auto& th : s.threads)
      if (th.fault != 0 || th.old_pfn != 0 || th.saved.present || th.masks != 0) {
        ++counts.with_locals;
        break;
      }
    actions.clear();
    model.enabled_actions(s, actions);
    for (std::uint8_t a : actions) {
      State next;
      if (model.apply(s, a, next).violation) continue;
      auto [it, fresh] = seen.emplace(encoded(model, next), next);
      // One encoding, one state: the encoding loses nothing the model compares.
      REQUIRE(it->second == next);
      if (fresh) stack.push_back(next);
    }
  }
}

}  // namespace

TEST_CASE("The state encoding round-trips and is one-to-one on every state of the race library",
          "[codec]") {
  std::vector<std::string> files = mmtest::race_library_files();
  REQUIRE(files.size() >= 15);
  Counts counts;
  std::size_t models = 0;
  for (const std::string& file : files) {
    mmcheck::vm::Scenario sc = mmcheck::vm::load_scenario(file);
    for (const auto& [preset, expectation] : sc.expect) {
      mmcheck::vm::Policy policy = mmcheck::vm::find_preset(preset)->policy;
      if (mmcheck::vm::unsupported_reason(sc, policy)) continue;
      INFO(file << " on " << preset);
      CheckedModel model(sc, policy, mmcheck::vm::invariant_names());
      check_every_state(model, counts);
      ++models;
    }
  }
  CHECK(models > 100);
  // Not vacuous: many states have threads in the middle of a fault, a COW or a munmap.
  CHECK(counts.states > 100000);
  CHECK(counts.with_locals > counts.states / 4);
}
