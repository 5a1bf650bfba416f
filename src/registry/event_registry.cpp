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

namespace {
std::uint8_t mask_of(const std::vector<EventType>& types) {
  std::uint8_t mask = 0;
  for (const auto type : types) mask |= type_bit(type);
  return mask;
}
}  // namespace

const EventRow* ProjectRegistry::find_row(std::string_view name) const {
  const auto& index = events_.get<by_name>();
  const auto it = index.find(name);
  return it == index.end() ? nullptr : &*it;
}

const Event* ProjectRegistry::find_event(std::string_view name) const {
  const EventRow* row = find_row(name);
  return row == nullptr ? nullptr : &row->event;
}

Result<Event> ProjectRegistry::create_event(const EventSpec& spec, std::string event_id,
                                            TimePoint now, const Options& options) {
  if (find_event(spec.name) != nullptr) {
    return Error{ErrorCode::already_exists,
                 fmt::format("name: an event named {} already exists", spec.name)};
  }
  if (events_.size() >= options.max_events_per_project) {
    return Error{ErrorCode::quota_exceeded, fmt::format("a project may hold at most {} events",
                                                        options.max_events_per_project)};
  }
  Event event{.name = spec.name,
              .event_id = std::move(event_id),
              .event_types = spec.event_types,
              .state = spec.state,
              .create_time = now,
              .update_time = now,
              .notification = spec.notification};
  const std::uint8_t mask = mask_of(event.event_types);
  const auto [it, inserted] = events_.insert(EventRow{std::move(event), mask});
  if (!inserted) return Error{ErrorCode::internal, "event id collision"};
  return it->event;
}

Result<Event> ProjectRegistry::update_event(std::string_view name, const EventPatch& patch,
                                            TimePoint now) {
  auto& index = events_.get<by_name>();
  const auto it = index.find(name);
  if (it == index.end()) return not_found("event", name);
  // The name and id, the only indexed fields, do not change, so modify cannot fail. Route
  // entries point at the row and read its state and mask at dispatch: nothing else to update.
  index.modify(it, [&](EventRow& row) {
    Event& event = row.event;
    if (patch.state) event.state = *patch.state;
    if (patch.event_types) {
      event.event_types = *patch.event_types;
      row.type_mask = mask_of(event.event_types);
    }
    if (patch.notification) event.notification = *patch.notification;
    event.update_time = now;
  });
  return it->event;
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
      first, index.end(), query, [](const EventRow& row) { return row.event; },
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
    if (find_event(name) == nullptr) return not_found("event", name);
  }
  if (event_names.size() > options.max_events_per_secret) {
    return Error{
        ErrorCode::quota_exceeded,
        fmt::format("event_subscriptions: a secret may subscribe to at most {} event{}",
                    options.max_events_per_secret, options.max_events_per_secret == 1 ? "" : "s")};
  }
  auto entry = secrets_.find(secret);
  if (entry == secrets_.end()) {
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
  if (find_event(event_name) == nullptr) return not_found("event", event_name);
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
