// The sinks connected to an Engine, one Boost.Signals2 signal per target_type.
//
// Signals2 keeps the slot lists (copy-on-write, so connecting during an invocation does not
// disturb it), owns the connections and runs the combiner. What it does not promise, herald adds
// in a thin guard around each slot (detail::SinkSlot): a generation number, so a sink connected
// during a dispatch is skipped by every signal invocation of that dispatch; and an in-flight
// count, so that disconnect() returns only once no other thread is inside the sink.
//
// Thread-safety: safe for concurrent use. No lock of this class is held while a sink runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "herald/notification.hpp"
#include "herald/record.hpp"
#include "herald/sink.hpp"

namespace herald::detail {

/// The combined outcome of every sink of one target type for one notification.
struct SinkVerdict {
  NotificationStatus status = NotificationStatus::success;
  std::string reason;
  /// FAIL only because a target could not be reached now (SinkStatus::unavailable).
  bool unavailable = false;
};

class SinkSet {
 public:
  SinkSet();
  ~SinkSet();
  SinkSet(const SinkSet&) = delete;
  SinkSet& operator=(const SinkSet&) = delete;

  Connection connect(std::string_view target_type, SinkFunction sink);

  /// The generation a dispatch starting now sees: sinks connected later are skipped by it.
  [[nodiscard]] std::uint64_t generation() const noexcept;

  /// Hands `notification` to every sink of its target type connected at `generation`, and
  /// combines their outcomes. No sink: INVALID.
  [[nodiscard]] SinkVerdict deliver(const Notification& notification,
                                    std::uint64_t generation) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::detail
