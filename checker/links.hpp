// The parent links the counterexample is rebuilt from, about one byte a state.
//
// A state's link is its parent's number and the position of the action that led to it. States
// are numbered level by level, and within a level in the order of their (parent position, action
// position) key, so within a level the parents' positions never decrease: a link is written as
// the growth of the parent position since the previous state of the level and the action
// position, packed in a variable-length integer (one byte while the growth is below 16 and the
// action position below 8). Looking a link up decodes its level from the start; the trace needs
// one lookup a step, so a whole rebuild reads each level at most once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "checker/assert.hpp"
#include "checker/varint.hpp"

namespace mmcheck {

class LinkLog {
 public:
  static constexpr std::uint32_t kNoParent = 0xffffffffu;

  struct Link {
    std::uint32_t parent;  // kNoParent for an initial state
    std::uint16_t action;  // position in the parent's action list (initial: the initial state)
  };

  // Starts the level whose first state is `first_id`, whose parents are numbered from
  // `parent_first` (kNoParent for the initial states).
  void begin_level(std::uint64_t first_id, std::uint32_t parent_first) {
    MM_ASSERT(first_id == count_, "links are appended in state order");
    levels_.push_back(Level{first_id, bytes_.size(), parent_first});
    last_parent_ = 0;
  }
  // Appends the link of the next state: its parent's position in the parent level (0 for an
  // initial state) and its action position.
  void append(std::uint64_t parent_position, std::uint16_t action) {
    MM_ASSERT(parent_position >= last_parent_, "parent positions decrease within a level");
    std::uint64_t growth = parent_position - last_parent_;
    last_parent_ = parent_position;
    std::uint64_t low = std::min<std::uint64_t>(action, 7);
    put((growth << 3) | low);
    if (low == 7) put(action - 7u);
    ++count_;
  }

  Link lookup(std::uint64_t id) const {
    MM_ASSERT(id < count_, "a link lookup past the last state");
    auto level = std::upper_bound(levels_.begin(), levels_.end(), id,
                                  [](std::uint64_t v, const Level& l) { return v < l.first_id; }) -
                 1;
    std::size_t at = level->offset;
    std::uint64_t parent = 0;
    std::uint64_t action = 0;
    for (std::uint64_t k = level->first_id; k <= id; ++k) {
      std::uint64_t v = get(at);
      parent += v >> 3;
      action = v & 7;
      if (action == 7) action += get(at);
    }
    if (level->parent_first == kNoParent) return {kNoParent, static_cast<std::uint16_t>(action)};
    return {static_cast<std::uint32_t>(level->parent_first + parent),
            static_cast<std::uint16_t>(action)};
  }

  std::uint64_t size() const { return count_; }

  // The log as bytes (checkpoints) and back; load() returns false on a malformed log.
  void save(std::vector<std::uint8_t>& out) const {
    put_fixed(out, count_);
    put_fixed(out, last_parent_);
    put_fixed(out, levels_.size());
    for (const Level& l : levels_) {
      put_fixed(out, l.first_id);
      put_fixed(out, l.offset);
      put_fixed(out, l.parent_first);
    }
    put_fixed(out, bytes_.size());
    out.insert(out.end(), bytes_.begin(), bytes_.end());
  }
  bool load(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    auto fixed = [&](std::uint64_t& v) {
      if (size - at < 8) return false;
      v = 0;
      for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(data[at + i]) << (8 * i);
      at += 8;
      return true;
    };
    std::uint64_t count, last, levels, n;
    if (!fixed(count) || !fixed(last) || !fixed(levels) || levels > (size - at) / 24) return false;
    levels_.clear();
    for (std::uint64_t i = 0; i < levels; ++i) {
      std::uint64_t first, offset, parent;
      if (!fixed(first) || !fixed(offset) || !fixed(parent)) return false;
      levels_.push_back(Level{first, offset, static_cast<std::uint32_t>(parent)});
    }
    if (!fixed(n) || n != size - at) return false;
    bytes_.assign(data + at, data + size);
    count_ = count;
    last_parent_ = last;
    return true;
  }
  std::size_t bytes() const { return bytes_.capacity() + levels_.capacity() * sizeof(Level); }

 private:
  struct Level {
    std::uint64_t first_id;
    std::size_t offset;
    std::uint32_t parent_first;
  };
  static void put_fixed(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void put(std::uint64_t v) {
    std::uint8_t buffer[10];
    bytes_.insert(bytes_.end(), buffer, varint_put(buffer, v));
  }
  std::uint64_t get(std::size_t& at) const {
    const std::uint8_t* p = bytes_.data() + at;
    std::uint64_t v = varint_get(p);
    at = static_cast<std::size_t>(p - bytes_.data());
    return v;
  }
  std::vector<std::uint8_t> bytes_;
  std::vector<Level> levels_;
  std::uint64_t count_ = 0;
  std::uint64_t last_parent_ = 0;
};

}  // namespace mmcheck
