// How a long search reports its progress: the engine samples its counters about once a second
// and hands them to a ProgressSink, which the front end implements (the command line prints a
// line on a terminal). The engine itself prints nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace mmcheck {

struct Progress {
  double seconds = 0;            // since the search started
  std::uint64_t states = 0;      // stored so far
  double states_per_second = 0;  // since the previous sample
  std::uint32_t depth = 0;       // the level being expanded
  std::uint64_t frontier = 0;    // states in that level
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void update(const Progress& p) = 0;  // about once a second, from its own thread
  virtual void finish() = 0;                   // after the last update, when the search ends
};

// Samples `sample` once a second and hands it to `sink` on a thread of its own, from
// construction to destruction. The destructor stops and joins the thread on every way out of
// the search (an exception from the model included).
class ProgressThread {
 public:
  ProgressThread(ProgressSink* sink, std::function<Progress()> sample)
      : sink_(sink), sample_(std::move(sample)) {
    if (sink_ != nullptr) thread_ = std::thread([this] { loop(); });
  }
  ~ProgressThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  ProgressThread(const ProgressThread&) = delete;
  ProgressThread& operator=(const ProgressThread&) = delete;

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    Progress last;
    bool updated = false;
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
      Progress now = sample_();
      double dt = now.seconds - last.seconds;
      now.states_per_second = dt > 0 ? double(now.states - last.states) / dt : 0;
      sink_->update(now);
      updated = true;
      last = now;
    }
    if (updated) sink_->finish();
  }

  ProgressSink* sink_;
  std::function<Progress()> sample_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace mmcheck
