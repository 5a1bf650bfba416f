// The events and subscriptions of one project, in Boost.MultiIndex containers.
//
// Not thread-safe: the Engine owns one per project and guards it with its lock. Input is
// already validated (validate/); what is checked here is existence, conflicts and quotas, in
// that order, and a call that fails changes nothing.
#pragma once

#include <array>
#include <atomic>
#include <boost/container/small_vector.hpp>
#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index/ordered_index.hpp>
#include <boost/multi_index_container.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/options.hpp"
#include "herald/page.hpp"
#include "herald/secret.hpp"
#include "model/uuid.hpp"

namespace herald::registry {

namespace bmi = boost::multi_index;

struct by_name {};
struct by_id {};
struct by_event {};

/// Hash of std::string and std::string_view alike, so that lookups need no temporary string.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

[[nodiscard]] constexpr std::uint8_t type_bit(EventType type) noexcept {
  return static_cast<std::uint8_t>(1U << static_cast<unsigned>(type));
}

/// An event as the registry keeps it, packed to stay small at scale (docs/registry.md,
/// "Internal structure"): the id as 16 bytes, the types as a count and a bit mask, the three
/// target strings in one allocation. `to_event()` makes the public value.
class EventRow {
 public:
  EventRow(const EventSpec& spec, const detail::Uuid& id, TimePoint now);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const detail::Uuid& id() const noexcept { return id_; }
  [[nodiscard]] std::string event_id() const { return detail::to_string(id_); }
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  /// Whether a lifecycle event of `type` makes this event fire (enabled, and lists the type).
  [[nodiscard]] bool fires_for(EventType type) const noexcept {
    return enabled_ && (type_mask_ & type_bit(type)) != 0;
  }
  [[nodiscard]] std::string_view target_type() const noexcept { return part(0); }
  [[nodiscard]] std::string_view target_id() const noexcept { return part(1); }
  [[nodiscard]] std::string_view target_name() const noexcept { return part(2); }

  [[nodiscard]] Event to_event() const;
  /// Takes every value of `event` but its name and id (used to undo an update).
  void assign(const Event& event);
  /// Applies the fields `patch` sets; update_time becomes `now`.
  void apply(const EventPatch& patch, TimePoint now);

 private:
  void set_types(const std::vector<EventType>& types);
  void set_target(const NotificationTarget& target);
  [[nodiscard]] std::string_view part(std::size_t i) const noexcept {
    const std::uint16_t begin = i == 0 ? 0 : ends_[i - 1];
    return {target_.get() + begin, static_cast<std::size_t>(ends_[i] - begin)};
  }

  std::string name_;
  detail::Uuid id_;
  TimePoint create_time_;
  TimePoint update_time_;
  std::unique_ptr<char[]> target_;  // target_type, target_id, target_name, back to back
  std::array<std::uint16_t, 3> ends_{};
  std::array<EventType, k_event_type_count> types_{};  // in the order given
  std::uint8_t type_count_ = 0;
  std::uint8_t type_mask_ = 0;
  bool enabled_ = true;
};

struct row_name {
  using result_type = std::string;
  const std::string& operator()(const EventRow& row) const noexcept { return row.name(); }
};
struct row_id {
  using result_type = detail::Uuid;
  const detail::Uuid& operator()(const EventRow& row) const noexcept { return row.id(); }
};
struct uuid_hash {
  std::size_t operator()(const detail::Uuid& uuid) const noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, uuid.bytes.data(), sizeof word);  // random bytes hash themselves
    return static_cast<std::size_t>(word);
  }
};

using EventSet = bmi::multi_index_container<
    EventRow, bmi::indexed_by<bmi::ordered_unique<bmi::tag<by_name>, row_name, std::less<>>,
                              bmi::hashed_unique<bmi::tag<by_id>, row_id, uuid_hash>>>;

/// One row per (event, secret) subscription.
struct Subscription {
  std::string event;
  std::string secret;
};

/// Ordered by (event, secret): the secrets of an event are one contiguous range, in name order.
using SubscriptionSet = bmi::multi_index_container<
    Subscription,
    bmi::indexed_by<bmi::ordered_unique<
        bmi::tag<by_event>,
        bmi::composite_key<Subscription,
                           bmi::member<Subscription, std::string, &Subscription::event>,
                           bmi::member<Subscription, std::string, &Subscription::secret>>,
        bmi::composite_key_compare<std::less<>, std::less<>>>>>;

/// The route index entry of one secret: the events it subscribes to, in subscription order.
/// The first is held inline, so that with the default of one event per secret a dispatch
/// reaches its event with one probe; more (a raised quota) live in `more`. Whether an event
/// fires is read from the event itself at dispatch (state, type mask), so updating an event
/// never touches its subscribers' entries. 16 bytes beside the key (docs/dispatch.md).
struct RouteEntry {
  const EventRow* first = nullptr;
  std::unique_ptr<std::vector<const EventRow*>> more;
};

/// std::hash of a string_view mixes well already: tell Boost.Unordered not to mix it again.
struct route_hash : string_hash {
  using is_avalanching = void;
};

/// secret name → its routes. Open addressing (Boost.Unordered's flat map), looked up by
/// std::string_view without a temporary string.
using RouteIndex = boost::unordered_flat_map<std::string, RouteEntry, route_hash, std::equal_to<>>;

class ProjectRegistry {
 public:
  /// Calls `visit(const EventRow&)` for each enabled event that `secret` subscribes to and that
  /// lists `type`, in subscription order; answers how many. The references stay valid until the
  /// next write to this registry. Cost: one probe, then one test per subscribed event.
  template <typename Visit>
  std::size_t for_each_route(std::string_view secret, EventType type, Visit&& visit) const {
    const auto it = routes_.find(secret);
    if (it == routes_.end()) return 0;
    std::size_t matched = 0;
    const auto offer = [&](const EventRow* row) {
      if (row->fires_for(type)) {
        visit(*row);
        ++matched;
      }
    };
    offer(it->second.first);
    if (it->second.more) {
      for (const EventRow* row : *it->second.more) offer(row);
    }
    return matched;
  }

  /// Inserts `event` as it was stored (its id, times and all). Errors: unavailable when the id
  /// is not a UUID or the name or id is taken (a damaged store).
  Result<void> restore_event(const Event& event);
  /// Undoes an update: the event takes the values of `old` again.
  void replace_event(const Event& old);

  /// Makes `secret` known (with no subscriptions) if it is not.
  void ensure_secret(std::string_view secret);
  /// Forgets `secret`: its subscriptions and routes. Answers whether it was known.
  bool forget_secret(std::string_view secret);

  [[nodiscard]] const EventRow* find_row(std::string_view name) const;

  /// Errors: already_exists, quota_exceeded.
  Result<Event> create_event(const EventSpec& spec, const detail::Uuid& event_id, TimePoint now,
                             const Options& options);
  /// Errors: not_found.
  Result<Event> update_event(std::string_view name, const EventPatch& patch, TimePoint now);
  /// Errors: not_found, in_use.
  Result<void> delete_event(std::string_view name);
  [[nodiscard]] Page<Event> list_events(const PageQuery& query) const;

  /// Errors: not_found (an event), quota_exceeded.
  Result<Secret> set_subscriptions(std::string_view secret,
                                   std::span<const std::string> event_names,
                                   const Options& options);
  [[nodiscard]] const std::vector<std::string>* find_secret(std::string_view secret) const;
  /// All known secrets, or (non-empty `event_name`) those subscribing to it. Errors: not_found.
  [[nodiscard]] Result<Page<Secret>> list_secrets(std::string_view event_name,
                                                  const PageQuery& query) const;

  /// How many secrets subscribe to `event_name`.
  [[nodiscard]] std::size_t subscriber_count(std::string_view event_name) const;
  [[nodiscard]] std::size_t event_count() const noexcept { return events_.size(); }
  [[nodiscard]] std::size_t secret_count() const noexcept { return secrets_.size(); }
  [[nodiscard]] std::size_t routed_secret_count() const noexcept { return routes_.size(); }

  /// The first of `count` consecutive numbers of the project's record sequence (the in-memory
  /// record log orders and pages by it). Safe under a shared lock: one atomic.
  std::uint64_t take_record_sequences(std::size_t count) const noexcept {
    return record_sequence_.fetch_add(count, std::memory_order_relaxed);
  }

 private:
  // Recomputes the route entry of `secret` from its subscriptions; drops it when empty.
  void rebuild_routes(const std::string& secret, const std::vector<std::string>& subscriptions);

  EventSet events_;
  SubscriptionSet subscriptions_;
  /// secret name → its event_subscriptions, in the order they were set.
  std::map<std::string, std::vector<std::string>, std::less<>> secrets_;
  /// Only secrets with at least one route have an entry: a miss is one probe of an absent key.
  RouteIndex routes_;
  mutable std::atomic<std::uint64_t> record_sequence_{1};
};

}  // namespace herald::registry
