// MPI_COMM_WORLD as the distributed search's Comm (checker/comm_mpi.hpp).
#include "checker/comm_mpi.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#ifdef MMCHECK_HAVE_MPI
#include <mpi.h>
#endif

namespace mmcheck {

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

#ifdef MMCHECK_HAVE_MPI

bool mpi_built() { return true; }

namespace {

int int_count(std::size_t n) {
  // MPI counts are ints: a level's messages are sent in rounds that stay far below this.
  if (n > static_cast<std::size_t>(INT_MAX))
    throw std::length_error("a message of more than 2 GiB between two ranks");
  return static_cast<int>(n);
}

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  std::fprintf(stderr, "mmcheck: %s failed (MPI error %d)\n", what, rc);
  MPI_Abort(MPI_COMM_WORLD, 70);
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Bytes exchange(const std::vector<std::vector<const Bytes*>>& send) override {
    auto bytes_for = [&](int r) {
      std::size_t n = 0;
      for (const Bytes* chunk : send[r]) n += chunk->size();
      return n;
    };
    std::vector<int> send_counts(size_), recv_counts(size_), send_at(size_), recv_at(size_);
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      send_counts[r] = r == rank_ ? 0 : int_count(bytes_for(r));
      send_at[r] = int_count(total);
      total += send_counts[r];
    }
    bytes_sent_ += total;
    check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT,
                       MPI_COMM_WORLD),
          "MPI_Alltoall");
    Bytes out_buffer;
    out_buffer.reserve(total);
    for (int r = 0; r < size_; ++r)
      if (r != rank_)
        for (const Bytes* chunk : send[r])
          out_buffer.insert(out_buffer.end(), chunk->begin(), chunk->end());
    std::size_t in_total = 0;
    for (int r = 0; r < size_; ++r) {
      recv_at[r] = int_count(in_total);
      in_total += recv_counts[r];
    }
    // What this rank sends itself goes after what the others sent.
    Bytes received(in_total + bytes_for(rank_));
    check(MPI_Alltoallv(out_buffer.data(), send_counts.data(), send_at.data(), MPI_BYTE,
                        received.data(), recv_counts.data(), recv_at.data(), MPI_BYTE,
                        MPI_COMM_WORLD),
          "MPI_Alltoallv");
    std::size_t at = in_total;
    for (const Bytes* chunk : send[rank_]) {
      if (!chunk->empty()) std::memcpy(received.data() + at, chunk->data(), chunk->size());
      at += chunk->size();
    }
    return received;
  }

  std::vector<Bytes> all_gather(const Bytes& mine) override {
    int count = int_count(mine.size());
    std::vector<int> counts(size_), at(size_);
    check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
          "MPI_Allgather");
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      at[r] = int_count(total);
      total += counts[r];
    }
    bytes_sent_ += mine.size() * (size_ - 1);
    Bytes all(total);
    check(MPI_Allgatherv(mine.data(), count, MPI_BYTE, all.data(), counts.data(), at.data(),
                         MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<Bytes> out(size_);
    for (int r = 0; r < size_; ++r)
      out[r].assign(all.begin() + at[r], all.begin() + at[r] + counts[r]);
    return out;
  }

  void sum(std::vector<std::uint64_t>& values) override { reduce(values, MPI_SUM); }
  void max(std::vector<std::uint64_t>& values) override { reduce(values, MPI_MAX); }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  [[noreturn]] void abort(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);
  }

 private:
  void reduce(std::vector<std::uint64_t>& values, MPI_Op op) {
    bytes_sent_ += values.size() * 8;
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int_count(values.size()), MPI_UINT64_T, op,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  comm_ = std::make_unique<MpiComm>();
}

MpiSession::~MpiSession() {
  if (comm_) MPI_Finalize();
}

#else

bool mpi_built() { return false; }

MpiSession::MpiSession(int*, char***) {}
MpiSession::~MpiSession() = default;

#endif

}  // namespace mmcheck
