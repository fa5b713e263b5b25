// Checkpoints of the distributed search (checker/distributed.hpp), taken at a level boundary:
// the level about to be expanded, the counts so far, the replicated parent links (written by
// rank 0) and each rank's states (exact store: every state it owns; fingerprint store: its
// fingerprints and its frontier's encodings). A resumed search reads every part and keeps the
// states it owns, so it may run on another number of ranks or threads, and it ends with the
// report the uninterrupted search gives. An interrupted level (SIGTERM from a batch scheduler)
// is dropped: its partial work is not in the checkpoint, which resumes at its start.
#pragma once
// Included at the end of checker/distributed.hpp: member definitions of DistributedSearch<M>.

#include "checker/checkpoint_io.hpp"

namespace mmcheck {

namespace distributed_detail {
inline constexpr char kPartMagic[] = "mmcheck-checkpoint-part/1";
inline constexpr char kMetaMagic[] = "mmcheck-checkpoint/1";
}  // namespace distributed_detail

// Collective: whether the time since the last checkpoint calls for one (rank 0's clock).
template <Model M>
bool DistributedSearch<M>::checkpoint_due() {
  if (options_.checkpoint_dir.empty()) return false;
  std::vector<std::uint64_t> due{0};
  if (comm_.rank() == 0)
    due[0] = std::chrono::duration<double>(Clock::now() - last_checkpoint_).count() >=
             options_.checkpoint_seconds;
  comm_.max(due);
  return due[0] != 0;
}

// Collective: writes the search as it stands at the start of level_. A checkpoint that cannot
// be written is reported and the search goes on; `current` keeps naming the previous one.
template <Model M>
void DistributedSearch<M>::write_checkpoint() {
  using namespace distributed_detail;
  const std::string& dir = options_.checkpoint_dir;
  std::string here = checkpoint::level_dir(dir, level_);
  std::string error;
  if (comm_.rank() == 0) error = checkpoint::make_dir(here);
  std::vector<std::uint64_t> failed{error.empty() ? 0u : 1u};
  comm_.max(failed);
  auto put_record = [](Bytes& out, const Record* r) {
    put_u32(out, r->id);
    put_u64(out, r->key.load(std::memory_order_relaxed));
    put_u32(out, r->length);
    out.insert(out.end(), r->bytes(), r->bytes() + r->length);
  };
  if (failed[0] == 0) {
    Bytes part;
    checkpoint::put_text(part, kPartMagic);
    checkpoint::put_text(part, options_.identity);
    put_u32(part, level_);
    put_u32(part, table_.fingerprint() ? 1 : 0);
    put_u64(part, result_.stats.transitions);
    put_u32(part, static_cast<std::uint32_t>(result_.label_counts.size()));
    for (std::uint64_t c : result_.label_counts) put_u64(part, c);
    if (table_.fingerprint()) {
      std::vector<std::uint64_t> fps = table_.settled_fingerprints();
      put_u64(part, fps.size());
      for (std::uint64_t fp : fps) put_u64(part, fp);
      put_u64(part, frontier_.size());
      for (const Record* r : frontier_) put_record(part, r);
    } else {
      put_u64(part, owned_.size());
      for (const Record* r : owned_) put_record(part, r);
    }
    if (error.empty())
      error = checkpoint::write_file(here + "/" + checkpoint::part_name(comm_.rank(), comm_.size()),
                                     part);
    if (error.empty() && comm_.rank() == 0) {
      Bytes meta;
      checkpoint::put_text(meta, kMetaMagic);
      checkpoint::put_text(meta, options_.identity);
      put_u32(meta, level_);
      put_u32(meta, static_cast<std::uint32_t>(comm_.size()));
      put_u64(meta, level_begin_);
      put_u64(meta, level_end_);
      put_u64(meta, states_total_);
      put_u32(meta, result_.stats.depth);
      links_.save(meta);
      error = checkpoint::write_file(here + "/meta", meta);
    }
    failed[0] = error.empty() ? 0 : 1;
    comm_.max(failed);
  }
  if (failed[0] == 0 && comm_.rank() == 0) error = checkpoint::publish(dir, level_);
  if (!error.empty())
    std::fprintf(stderr, "mmcheck: checkpoint of level %u not written: %s; the search goes on\n",
                 level_, error.c_str());
  comm_.barrier();
  last_checkpoint_ = Clock::now();
}

// Collective: restores the search from options_.resume_dir. A checkpoint that cannot be read
// on any rank is an error on every rank (CheckpointError), never a rank left waiting.
template <Model M>
bool DistributedSearch<M>::resume() {
  using namespace distributed_detail;
  std::string error;
  try {
    std::string here = checkpoint::current_level_dir(options_.resume_dir);
    Bytes meta_bytes = checkpoint::read_file(here + "/meta");
    checkpoint::Reader meta(meta_bytes, here + "/meta");
    if (meta.text() != kMetaMagic) throw CheckpointError(meta.path() + ": not a checkpoint");
    if (meta.text() != options_.identity)
      throw CheckpointError(options_.resume_dir +
                            " was written by another search (its scenario file, kernel, "
                            "policies or search options differ)");
    level_ = meta.u32();
    std::uint32_t parts = meta.u32();
    level_begin_ = meta.u64();
    level_end_ = meta.u64();
    states_total_ = meta.u64();
    result_.stats.depth = meta.u32();
    const std::uint8_t* links = meta.take(0);
    std::size_t link_bytes =
        meta_bytes.size() - static_cast<std::size_t>(links - meta_bytes.data());
    if (!links_.load(links, link_bytes) || links_.size() != states_total_)
      throw CheckpointError(meta.path() + ": malformed parent links");
    for (std::uint32_t k = 0; k < parts; ++k) {
      std::string path = here + "/" + checkpoint::part_name(static_cast<int>(k), parts);
      Bytes bytes = checkpoint::read_file(path);
      checkpoint::Reader part(bytes, path);
      if (part.text() != kPartMagic || part.text() != options_.identity || part.u32() != level_ ||
          part.u32() != (table_.fingerprint() ? 1u : 0u))
        throw CheckpointError(path + ": from another checkpoint");
      std::uint64_t transitions = part.u64();
      std::uint32_t labels = part.u32();
      if (labels != result_.label_counts.size()) throw CheckpointError(path + ": malformed");
      for (std::uint32_t i = 0; i < labels; ++i) {
        std::uint64_t c = part.u64();
        if (comm_.rank() == 0) result_.label_counts[i] += c;
      }
      if (comm_.rank() == 0) result_.stats.transitions += transitions;
      restore_part(part);
      if (!part.at_end()) throw CheckpointError(path + ": malformed");
    }
  } catch (const CheckpointError& e) {
    error = e.what();
  }
  for (const Bytes& theirs : comm_.all_gather(Bytes(error.begin(), error.end())))
    if (!theirs.empty()) throw CheckpointError(std::string(theirs.begin(), theirs.end()));
  auto by_id = [](const Record* a, const Record* b) { return a->id < b->id; };
  std::sort(frontier_.begin(), frontier_.end(), by_id);
  std::sort(owned_.begin(), owned_.end(), by_id);
  result_.stats.resumed_from = level_;
  return true;
}

// The states of one part that this rank owns, into its store.
template <Model M>
void DistributedSearch<M>::restore_part(checkpoint::Reader& part) {
  Worker& w = workers_.local();
  Arena& arena = w.arenas[level_ & 1];
  auto restore_record = [&](bool keep_always) {
    std::uint32_t id = part.u32();
    std::uint64_t key = part.u64();
    std::uint32_t length = part.u32();
    const std::uint8_t* bytes = part.take(length);
    std::uint64_t hash = StateTable::hash_bytes(bytes, length);
    if (owner(hash) != comm_.rank()) return;
    if (id >= states_total_) throw CheckpointError(part.path() + ": a state past the last");
    while (table_.needs_growth(1)) table_.grow();
    auto r = table_.insert(hash, bytes, length, key, arena);
    if (r.outcome != StateTable::Outcome::Inserted)
      throw CheckpointError(part.path() + ": a state stored twice");
    r.record->id = id;
    if (table_.fingerprint()) table_.settle(r.record);
    if (!table_.fingerprint()) owned_.push_back(r.record);
    if (keep_always || id >= level_begin_) frontier_.push_back(r.record);
  };
  if (table_.fingerprint()) {
    std::uint64_t fps = part.u64();
    std::vector<std::uint64_t> mine;
    for (std::uint64_t i = 0; i < fps; ++i) {
      std::uint64_t fp = part.u64();
      if (fp == 0 || (fp & 1)) throw CheckpointError(part.path() + ": malformed fingerprint");
      if (owner_of(fp, comm_.size()) == comm_.rank()) mine.push_back(fp);
    }
    std::uint64_t records = part.u64();
    for (std::uint64_t i = 0; i < records; ++i) restore_record(true);
    while (table_.needs_growth(mine.size())) table_.grow();
    for (std::uint64_t fp : mine) table_.insert_settled(fp);
  } else {
    std::uint64_t records = part.u64();
    for (std::uint64_t i = 0; i < records; ++i) restore_record(false);
  }
}

}  // namespace mmcheck
