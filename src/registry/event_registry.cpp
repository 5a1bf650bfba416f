#include "registry/event_registry.hpp"

#include <fmt/format.h>
#include <boost/tuple/tuple.hpp>

namespace herald::registry {
namespace {

Error not_found(std::string_view what, std::string_view name) {
  return Error{ErrorCode::not_found, fmt::format("{} {} does not exist", what, name)};
}

// One page from [first, last), which starts strictly after query.marker: at most query.limit
// items, next_marker set when an item remains after them.
template <typename Iterator, typename ToItem, typename NameOf>
auto page_of(Iterator first, Iterator last, const PageQuery& query, ToItem to_item,
             NameOf name_of) {
  Page<std::invoke_result_t<ToItem, decltype(*first)>> page;
  page.items.reserve(std::min<std::size_t>(query.limit, 64));
  for (; first != last && page.items.size() < query.limit; ++first) {
    page.items.push_back(to_item(*first));
  }
  page.page_info.current_count = page.items.size();
  if (first != last && !page.items.empty()) page.page_info.next_marker = name_of(page.items.back());
  if (!query.marker.empty()) page.page_info.previous_marker = query.marker;
  return page;
}

}  // namespace

EventRow::EventRow(const EventSpec& spec, const detail::Uuid& id, TimePoint now)
    : name_(spec.name),
      id_(id),
      create_time_(now),
      update_time_(now),
      enabled_(spec.state == EventState::enabled) {
  set_types(spec.event_types);
  set_target(spec.notification);
}

void EventRow::set_types(const std::vector<EventType>& types) {
  // Validation allows at most one of each type, so five fit.
  type_count_ = 0;
  type_mask_ = 0;
  for (const auto type : types) {
    if (type_count_ == types_.size()) break;
    types_[type_count_++] = type;
    type_mask_ |= type_bit(type);
  }
}

void EventRow::set_target(const NotificationTarget& target) {
  // Validation bounds the three at 64, 256 and 256 bytes: their ends fit 16 bits.
  const std::array<std::string_view, 3> parts = {target.target_type, target.target_id,
                                                 target.target_name};
  std::size_t total = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    total += parts[i].size();
    ends_[i] = static_cast<std::uint16_t>(total);
  }
  target_ = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(total, 1));
  std::size_t at = 0;
  for (const auto part : parts) {
    std::memcpy(target_.get() + at, part.data(), part.size());
    at += part.size();
  }
}

Event EventRow::to_event() const {
  return Event{.name = name_,
               .event_id = event_id(),
               .event_types = {types_.begin(), types_.begin() + type_count_},
               .state = enabled_ ? EventState::enabled : EventState::disabled,
               .create_time = create_time_,
               .update_time = update_time_,
               .notification = {std::string(target_type()), std::string(target_id()),
                                std::string(target_name())}};
}

void EventRow::assign(const Event& event) {
  enabled_ = event.state == EventState::enabled;
  set_types(event.event_types);
  set_target(event.notification);
  create_time_ = event.create_time;
  update_time_ = event.update_time;
}

void EventRow::apply(const EventPatch& patch, TimePoint now) {
  if (patch.state) enabled_ = *patch.state == EventState::enabled;
  if (patch.event_types) set_types(*patch.event_types);
  if (patch.notification) set_target(*patch.notification);
  update_time_ = now;
}

const EventRow* ProjectRegistry::find_row(std::string_view name) const {
  const auto& index = events_.get<by_name>();
  const auto it = index.find(name);
  return it == index.end() ? nullptr : &*it;
}

Result<Event> ProjectRegistry::create_event(const EventSpec& spec, const detail::Uuid& event_id,
                                            TimePoint now, const Options& options) {
  if (find_row(spec.name) != nullptr) {
    return Error{ErrorCode::already_exists,
                 fmt::format("name: an event named {} already exists", spec.name)};
  }
  if (events_.size() >= options.max_events_per_project) {
    return Error{ErrorCode::quota_exceeded, fmt::format("a project may hold at most {} events",
                                                        options.max_events_per_project)};
  }
  const auto [it, inserted] = events_.emplace(spec, event_id, now);
  if (!inserted) return Error{ErrorCode::internal, "event id collision"};
  return it->to_event();
}

Result<void> ProjectRegistry::restore_event(const Event& event) {
  const auto id = detail::parse_uuid(event.event_id);
  if (!id) {
    return Error{ErrorCode::unavailable,
                 fmt::format("event {}: event_id {} is not a UUID", event.name, event.event_id)};
  }
  const EventSpec spec{event.name, event.event_types, event.state, event.notification};
  const auto [it, inserted] = events_.emplace(spec, *id, event.create_time);
  if (!inserted) {
    return Error{ErrorCode::unavailable, fmt::format("event {}: name or id twice", event.name)};
  }
  events_.get<by_name>().modify(it, [&](EventRow& row) { row.assign(event); });
  return {};
}

void ProjectRegistry::replace_event(const Event& old) {
  auto& index = events_.get<by_name>();
  if (const auto it = index.find(old.name); it != index.end()) {
    index.modify(it, [&](EventRow& row) { row.assign(old); });
  }
}

Result<Event> ProjectRegistry::update_event(std::string_view name, const EventPatch& patch,
                                            TimePoint now) {
  auto& index = events_.get<by_name>();
  const auto it = index.find(name);
  if (it == index.end()) return not_found("event", name);
  // The name and id, the only indexed fields, do not change, so modify cannot fail. Route
  // entries point at the row and read its state and types at dispatch: nothing else to update.
  index.modify(it, [&](EventRow& row) { row.apply(patch, now); });
  return it->to_event();
}

Result<void> ProjectRegistry::delete_event(std::string_view name) {
  auto& index = events_.get<by_name>();
  const auto it = index.find(name);
  if (it == index.end()) return not_found("event", name);
  if (const auto count = subscriber_count(name); count > 0) {
    return Error{ErrorCode::in_use,
                 fmt::format("event {} cannot be deleted: {} secret{} subscribe{} to it", name,
                             count, count == 1 ? "" : "s", count == 1 ? "s" : "")};
  }
  index.erase(it);
  return {};
}

Page<Event> ProjectRegistry::list_events(const PageQuery& query) const {
  const auto& index = events_.get<by_name>();
  const auto first = query.marker.empty() ? index.begin() : index.upper_bound(query.marker);
  return page_of(
      first, index.end(), query, [](const EventRow& row) { return row.to_event(); },
      [](const Event& event) { return event.name; });
}

std::size_t ProjectRegistry::subscriber_count(std::string_view event_name) const {
  const auto& index = subscriptions_.get<by_event>();
  const auto [first, last] = index.equal_range(boost::make_tuple(event_name));
  return static_cast<std::size_t>(std::distance(first, last));
}

Result<Secret> ProjectRegistry::set_subscriptions(std::string_view secret,
                                                  std::span<const std::string> event_names,
                                                  const Options& options) {
  for (const auto& name : event_names) {
    if (find_row(name) == nullptr) return not_found("event", name);
  }
  if (event_names.size() > options.max_events_per_secret) {
    return Error{
        ErrorCode::quota_exceeded,
        fmt::format("event_subscriptions: a secret may subscribe to at most {} event{}",
                    options.max_events_per_secret, options.max_events_per_secret == 1 ? "" : "s")};
  }
  auto entry = secrets_.find(secret);
  if (entry == secrets_.end()) {
    if (secrets_.size() >= options.max_secrets_per_project) {
      return Error{ErrorCode::quota_exceeded,
                   fmt::format("secret_name: a project may hold at most {} secrets",
                               options.max_secrets_per_project)};
    }
    entry = secrets_.emplace(std::string(secret), std::vector<std::string>{}).first;
  }
  auto& index = subscriptions_.get<by_event>();
  for (const auto& old_name : entry->second) {
    if (const auto row = index.find(boost::make_tuple(std::string_view(old_name), secret));
        row != index.end()) {
      index.erase(row);
    }
  }
  entry->second.assign(event_names.begin(), event_names.end());
  for (const auto& name : entry->second) {
    subscriptions_.insert(Subscription{name, entry->first});
  }
  rebuild_routes(entry->first, entry->second);
  return Secret{entry->first, entry->second};
}

void ProjectRegistry::rebuild_routes(const std::string& secret,
                                     const std::vector<std::string>& subscriptions) {
  if (subscriptions.empty()) {
    routes_.erase(secret);
    return;
  }
  RouteEntry entry;
  for (const auto& name : subscriptions) {
    const EventRow* row = find_row(name);  // exists: set_subscriptions checked it
    if (entry.first == nullptr) {
      entry.first = row;
    } else {
      if (!entry.more) entry.more = std::make_unique<std::vector<const EventRow*>>();
      entry.more->push_back(row);
    }
  }
  routes_.insert_or_assign(secret, std::move(entry));
}

void ProjectRegistry::ensure_secret(std::string_view secret) {
  if (secrets_.find(secret) == secrets_.end()) {
    secrets_.emplace(std::string(secret), std::vector<std::string>{});
  }
}

bool ProjectRegistry::forget_secret(std::string_view secret) {
  const auto entry = secrets_.find(secret);
  if (entry == secrets_.end()) return false;
  auto& index = subscriptions_.get<by_event>();
  for (const auto& name : entry->second) {
    if (const auto row = index.find(boost::make_tuple(std::string_view(name), secret));
        row != index.end()) {
      index.erase(row);
    }
  }
  routes_.erase(secret);
  secrets_.erase(entry);
  return true;
}

const std::vector<std::string>* ProjectRegistry::find_secret(std::string_view secret) const {
  const auto it = secrets_.find(secret);
  return it == secrets_.end() ? nullptr : &it->second;
}

Result<Page<Secret>> ProjectRegistry::list_secrets(std::string_view event_name,
                                                   const PageQuery& query) const {
  const auto name_of = [](const Secret& secret) { return secret.name; };
  if (event_name.empty()) {
    const auto first = query.marker.empty() ? secrets_.begin() : secrets_.upper_bound(query.marker);
    return page_of(
        first, secrets_.end(), query,
        [](const auto& entry) {
          return Secret{entry.first, entry.second};
        },
        name_of);
  }
  if (find_row(event_name) == nullptr) return not_found("event", event_name);
  const auto& index = subscriptions_.get<by_event>();
  const auto first =
      query.marker.empty()
          ? index.lower_bound(boost::make_tuple(event_name))
          : index.upper_bound(boost::make_tuple(event_name, std::string_view(query.marker)));
  const auto last = index.upper_bound(boost::make_tuple(event_name));
  return page_of(
      first, last, query,
      [this](const Subscription& row) {
        return Secret{row.secret, secrets_.find(row.secret)->second};
      },
      name_of);
}

}  // namespace herald::registry
