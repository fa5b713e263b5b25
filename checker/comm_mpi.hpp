// The MPI side of a distributed search: starting MPI when the process was launched by mpirun
// or srun (and only then, so a plain `mmcheck` never touches MPI), and the Comm of
// checker/comm.hpp on MPI_COMM_WORLD. Built when CMake finds MPI (MMCHECK_HAVE_MPI).
#pragma once

#include <memory>

#include "checker/comm.hpp"

namespace mmcheck {

// Whether this process is one rank of an MPI job (mpirun's or a PMI/PMIx launcher's
// environment), whether or not this build has MPI.
bool launched_by_mpi();

// Whether this build can run distributed.
bool mpi_built();

// MPI from construction to destruction: MPI_Init_thread (the main thread alone calls MPI) and
// MPI_Finalize. comm() is null when the process was not launched by MPI or the build has none.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  Comm* comm() { return comm_.get(); }

 private:
  std::unique_ptr<Comm> comm_;
};

}  // namespace mmcheck
