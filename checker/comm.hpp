// How the processes of a distributed search talk (checker/distributed.hpp): the few collective
// operations a level-synchronous breadth-first search needs. The engine knows only this
// interface; checker/comm_mpi.cpp implements it on MPI, and LocalComm is the single process
// (a distributed search on one process, which checkpoints use).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

namespace mmcheck {

using Bytes = std::vector<std::uint8_t>;

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective: sends the chunks of send[r], one after the other, to rank r; returns what every
  // rank sent to this one, one after the other (send[rank()] is copied, not sent). Chunks let
  // each worker's batch go out without being gathered first.
  virtual Bytes exchange(const std::vector<std::vector<const Bytes*>>& send) = 0;
  // Collective: every rank's bytes, by rank.
  virtual std::vector<Bytes> all_gather(const Bytes& mine) = 0;
  // Collective, in place: the element-wise sum, or maximum, over the ranks.
  virtual void sum(std::vector<std::uint64_t>& values) = 0;
  virtual void max(std::vector<std::uint64_t>& values) = 0;
  // Collective: returns when every rank has called it.
  virtual void barrier() = 0;
  // Ends every process of the job at once with this exit status: a rank that cannot go on
  // (out of memory outside a level's work, an internal error) must not leave the others
  // waiting in a collective.
  [[noreturn]] virtual void abort(int status) = 0;
  // Bytes this rank has sent to other ranks.
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 protected:
  std::uint64_t bytes_sent_ = 0;
};

// One process: every collective is the identity.
class LocalComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Bytes exchange(const std::vector<std::vector<const Bytes*>>& send) override {
    Bytes out;
    for (const Bytes* chunk : send[0]) out.insert(out.end(), chunk->begin(), chunk->end());
    return out;
  }
  std::vector<Bytes> all_gather(const Bytes& mine) override { return {mine}; }
  void sum(std::vector<std::uint64_t>&) override {}
  void max(std::vector<std::uint64_t>&) override {}
  void barrier() override {}
  [[noreturn]] void abort(int status) override { std::_Exit(status); }
};

// Appending and reading the fixed-width integers of messages and checkpoints (little-endian).
inline void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}
inline std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace mmcheck
