// Group commit, shared by the SQL stores: one writer at a time commits every job queued
// meanwhile in one transaction, then the ones queued during that commit, while the other
// submitters wait for their own job's result. Whoever submits while no one writes becomes the
// writer, so that a lone write costs no hand-over between threads.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

namespace herald::detail {

/// Job: anything with a `bool done`. Thread-safe.
template <typename Job>
class GroupCommit {
 public:
  /// Queues `mine` and returns once it is done: committed by this thread (as the writer, with
  /// `commit(jobs)` called on each batch, without the queue's lock) or by another.
  template <typename Commit>
  void submit(Job& mine, Commit&& commit) {
    std::unique_lock lock(mutex_);
    queue_.push_back(&mine);
    while (!mine.done) {
      if (writer_active_) {
        job_done_.wait(lock);
        continue;
      }
      writer_active_ = true;
      while (!queue_.empty()) {
        std::vector<Job*> jobs;
        jobs.swap(queue_);
        lock.unlock();
        commit(jobs);
        lock.lock();
        for (Job* job : jobs) job->done = true;
        job_done_.notify_all();
      }
      writer_active_ = false;
    }
  }

 private:
  std::mutex mutex_;  // guards queue_ and writer_active_
  std::condition_variable job_done_;
  std::vector<Job*> queue_;
  bool writer_active_ = false;
};

}  // namespace herald::detail
