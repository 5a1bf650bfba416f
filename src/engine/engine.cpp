// herald::Engine: validation first, then one lock around the project's registry. A trigger
// reads its matches under the lock shared, and calls sinks and writes records without it.
#include "herald/engine.hpp"
#include "herald/store.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cassert>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "dispatch/message.hpp"
#include "engine/engine_impl.hpp"
#include "model/uuid.hpp"
#include "validate/validate.hpp"

namespace herald {

namespace {
const registry::ProjectRegistry k_empty_project;

Error event_not_found(std::string_view name) {
  return Error{ErrorCode::not_found, "event " + std::string(name) + " does not exist"};
}
Error secret_not_found(std::string_view name) {
  return Error{ErrorCode::not_found, "secret " + std::string(name) + " does not exist"};
}
}  // namespace

Engine::Engine(Options options, std::shared_ptr<Clock> clock)
    : impl_(std::make_unique<Impl>(options, std::move(clock))) {
  assert(impl_->clock != nullptr);
  if (impl_->options.delivery == DeliveryMode::asynchronous) {
    impl_->async = std::make_unique<detail::AsyncDelivery>(
        impl_->options, impl_->clock, impl_->sinks,
        [impl = impl_.get()](std::shared_ptr<Notification> n, detail::SinkVerdict verdict) {
          impl->finish(std::move(n), std::move(verdict));
        });
  }
}

Engine::~Engine() = default;

std::size_t Engine::deliver_pending() {
  std::vector<std::shared_ptr<Notification>> pending;
  {
    std::unique_lock lock(impl_->mutex);
    pending.swap(impl_->pending);
  }
  const std::uint64_t generation = impl_->sinks.generation();
  const std::size_t count = pending.size();
  for (auto& shared : pending) {
    auto verdict = impl_->sinks.deliver(*shared, generation);
    impl_->finish(std::move(shared), std::move(verdict));
  }
  return count;
}

const Options& Engine::options() const noexcept { return impl_->options; }

Result<Event> Engine::create_event(std::string_view project_id, const EventSpec& spec) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_spec(spec); !r) return r.error();
  const auto event_id = detail::new_uuid_v4_bytes();
  std::unique_lock lock(impl_->mutex);
  auto& project = impl_->project(project_id);
  auto created = project.create_event(spec, event_id, impl_->clock->now(), impl_->options);
  if (created && impl_->store) {
    if (auto r = impl_->store->put_event(project_id, *created); !r) {
      (void)project.delete_event(spec.name);  // new: nothing subscribes to it yet
      return r.error();
    }
  }
  return created;
}

Result<Event> Engine::show_event(std::string_view project_id, std::string_view name) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_name(name); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  const auto* project = impl_->find_project(project_id);
  const registry::EventRow* row = project != nullptr ? project->find_row(name) : nullptr;
  if (row == nullptr) return event_not_found(name);
  return row->to_event();
}

Result<Page<Event>> Engine::list_events(std::string_view project_id, const PageQuery& query) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_page(query); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  if (const auto* project = impl_->find_project(project_id)) return project->list_events(query);
  return k_empty_project.list_events(query);
}

Result<Event> Engine::update_event(std::string_view project_id, std::string_view name,
                                   const EventPatch& patch) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_name(name); !r) return r.error();
  if (auto r = validate::event_patch(patch); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto* project = impl_->find_project(project_id);
  const registry::EventRow* row = project != nullptr ? project->find_row(name) : nullptr;
  if (row == nullptr) return event_not_found(name);
  const Event old = row->to_event();
  auto updated = project->update_event(name, patch, impl_->clock->now());
  if (updated && impl_->store) {
    if (auto r = impl_->store->put_event(project_id, *updated); !r) {
      project->replace_event(old);
      return r.error();
    }
  }
  return updated;
}

Result<void> Engine::delete_event(std::string_view project_id, std::string_view name) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::event_name(name); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto* project = impl_->find_project(project_id);
  const registry::EventRow* row = project != nullptr ? project->find_row(name) : nullptr;
  if (row == nullptr) return event_not_found(name);
  const Event old = row->to_event();
  auto deleted = project->delete_event(name);
  if (deleted && impl_->store) {
    if (auto r = impl_->store->delete_event(project_id, name); !r) {
      (void)project->restore_event(old);
      return r;
    }
  }
  return deleted;
}

Result<Secret> Engine::set_subscriptions(std::string_view project_id, std::string_view secret_name,
                                         std::span<const std::string> event_names) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::secret_name(secret_name); !r) return r.error();
  if (auto r = validate::subscriptions(event_names); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto* project = impl_->find_project(project_id);
  if (project == nullptr) {
    // Nothing exists in the project yet: any named event is missing, and an empty list makes
    // the secret known, which needs the project.
    if (!event_names.empty()) return event_not_found(event_names.front());
    project = &impl_->project(project_id);
  }
  std::optional<std::vector<std::string>> old;
  if (const auto* current = project->find_secret(secret_name)) old = *current;
  auto set = project->set_subscriptions(secret_name, event_names, impl_->options);
  if (set && impl_->store) {
    if (auto r = impl_->store->put_secret(project_id, secret_name, event_names); !r) {
      if (old) {
        Options unlimited = impl_->options;
        unlimited.max_events_per_secret = SIZE_MAX;
        unlimited.max_secrets_per_project = SIZE_MAX;
        (void)project->set_subscriptions(secret_name, *old, unlimited);
      } else {
        project->forget_secret(secret_name);
      }
      return r.error();
    }
  }
  return set;
}

Result<void> Engine::forget_secret(std::string_view project_id, std::string_view secret_name) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::secret_name(secret_name); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto* project = impl_->find_project(project_id);
  if (project == nullptr || project->find_secret(secret_name) == nullptr) {
    return secret_not_found(secret_name);
  }
  if (impl_->store) {
    if (auto r = impl_->store->delete_secret(project_id, secret_name); !r) return r;
  }
  project->forget_secret(secret_name);
  impl_->timers.drop_secret(project_id, secret_name);
  return {};
}

Result<Secret> Engine::show_secret(std::string_view project_id,
                                   std::string_view secret_name) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::secret_name(secret_name); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  const auto* project = impl_->find_project(project_id);
  const auto* subscriptions = project != nullptr ? project->find_secret(secret_name) : nullptr;
  if (subscriptions == nullptr) return secret_not_found(secret_name);
  return Secret{std::string(secret_name), *subscriptions};
}

Result<Page<Secret>> Engine::list_secrets(std::string_view project_id, std::string_view event_name,
                                          const PageQuery& query) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (!event_name.empty()) {
    if (auto r = validate::event_name(event_name, "event_name"); !r) return r.error();
  }
  if (auto r = validate::secret_page(query); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  if (const auto* project = impl_->find_project(project_id)) {
    return project->list_secrets(event_name, query);
  }
  return k_empty_project.list_secrets(event_name, query);
}

Connection Engine::connect_sink(std::string_view target_type, SinkFunction sink) {
  return impl_->sinks.connect(target_type, std::move(sink));
}

namespace {

Result<void> validate_lifecycle(std::string_view project_id, const LifecycleEvent& event) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::secret_name(event.secret_name); !r) return r;
  if (!event.version_id.empty()) {
    if (auto r = validate::version_id(event.version_id); !r) return r;
  }
  if (static_cast<std::size_t>(event.type) >= k_event_type_count) {
    return Error{ErrorCode::invalid_argument, "event_type: is not a known event type"};
  }
  if (to_string(event.secret_type).empty()) {
    return Error{ErrorCode::invalid_argument, "secret_type: is not a known secret type"};
  }
  return {};
}

}  // namespace

void Engine::forget_if_deleted(std::string_view project_id, const LifecycleEvent& event) {
  if (event.type != EventType::secret_deleted) return;
  std::unique_lock lock(impl_->mutex);
  // With a store, the secret is forgotten only once the store has forgotten it too (else it
  // stays known in both, and a later SECRET_DELETED forgets it).
  bool stored = true;
  if (impl_->store) {
    if (auto r = impl_->store->delete_secret(project_id, event.secret_name); !r) {
      stored = false;
      impl_->store_failed(fmt::format("secret {} was deleted but the store kept it (it stays "
                                      "known until the next SECRET_DELETED)",
                                      event.secret_name),
                          r.error());
    }
  }
  if (stored) {
    if (auto* project = impl_->find_project(project_id)) project->forget_secret(event.secret_name);
    impl_->timers.drop_secret(project_id, event.secret_name);
  }
}

std::uint64_t Engine::store_write_failures() const noexcept {
  return impl_->store_failures.load(std::memory_order_relaxed);
}

std::size_t Engine::run_deliveries() { return impl_->async ? impl_->async->run_due() : 0; }

Result<TriggerReport> Engine::trigger(std::string_view project_id, const LifecycleEvent& event) {
  if (auto r = validate_lifecycle(project_id, event); !r) return r.error();
  const TimePoint now = impl_->clock->now();
  // Sinks connected from here on belong to a later dispatch.
  const std::uint64_t generation = impl_->sinks.generation();

  // What fired, copied out under the shared lock; everything else happens without it.
  std::vector<std::shared_ptr<Notification>> notifications;
  // The project's record numbers for a synchronous trigger's records kept in memory.
  std::optional<std::uint64_t> first_record;
  {
    std::shared_lock lock(impl_->mutex);
    if (const auto* project = impl_->find_project(project_id)) {
      project->for_each_route(event.secret_name, event.type, [&](const registry::EventRow& row) {
        notifications.push_back(std::make_shared<Notification>(
            Notification{.event_name = row.name(),
                         .event_id = row.event_id(),
                         .target = {std::string(row.target_type()), std::string(row.target_id()),
                                    std::string(row.target_name())}}));
      });
      if (!notifications.empty() && !impl_->async && !impl_->store && impl_->options.keep_records) {
        first_record = project->take_record_sequences(notifications.size());
      }
    }
  }

  for (auto& shared : notifications) {
    Notification& n = *shared;
    n.notification_id = detail::new_uuid_v4();
    n.project_id = project_id;
    n.trigger_event_type = event.type;
    n.secret_name = event.secret_name;
    n.secret_type = event.secret_type;
    if (!event.version_id.empty()) n.version_id = std::string(event.version_id);
    n.trigger_time = now;
    n.payload = std::make_shared<const std::string>(
        detail::render_message(n, impl_->options.message_format));
  }

  // Asynchronous: room in the queue first, so that a full queue refuses before anything is
  // written (never a silent drop).
  if (impl_->async && !notifications.empty()) {
    if (auto r = impl_->async->reserve(notifications.size()); !r) return r.error();
  }

  // With a store, the records (pending) and their deliveries are durable before any sink runs:
  // a crash from here on is repaired by deliver_pending() after the restart.
  if (impl_->store && !notifications.empty()) {
    std::vector<const Notification*> written;
    written.reserve(notifications.size());
    for (const auto& shared : notifications) written.push_back(shared.get());
    if (auto r = impl_->store->begin_deliveries(written, now - impl_->options.record_retention);
        !r) {
      if (impl_->async) impl_->async->release(notifications.size());
      return r.error();
    }
  }

  if (impl_->async) {
    TriggerReport report;
    for (const auto& shared : notifications) {
      report.notifications.push_back(DeliveryReport{
          shared->event_name, shared->notification_id, NotificationStatus::pending, {}});
    }
    impl_->async->enqueue(std::move(notifications));
    forget_if_deleted(project_id, event);
    return report;
  }

  TriggerReport report;
  report.notifications.reserve(notifications.size());
  for (std::size_t i = 0; i < notifications.size(); ++i) {
    auto& shared = notifications[i];
    auto verdict = impl_->sinks.deliver(*shared, generation);
    report.notifications.push_back(DeliveryReport{shared->event_name, shared->notification_id,
                                                  verdict.status, verdict.reason});
    impl_->finish(std::move(shared), std::move(verdict),
                  first_record ? std::optional<std::uint64_t>(*first_record + i) : std::nullopt);
  }

  forget_if_deleted(project_id, event);
  return report;
}

Result<VersionExpiry> Engine::set_version_expiry(std::string_view project_id,
                                                 std::string_view secret_name,
                                                 std::string_view version_id,
                                                 std::optional<TimePoint> expire_time,
                                                 SecretType secret_type) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::secret_name(secret_name); !r) return r.error();
  if (auto r = validate::version_id(version_id); !r) return r.error();
  if (to_string(secret_type).empty()) {
    return Error{ErrorCode::invalid_argument, "secret_type: is not a known secret type"};
  }
  VersionExpiry answer{std::string(secret_name), std::string(version_id), expire_time};
  std::unique_lock lock(impl_->mutex);
  std::optional<detail::ExpiryTimer> old;
  if (const auto* armed = impl_->timers.find(project_id, secret_name, version_id)) old = *armed;
  if (!expire_time) {
    if (old && impl_->store) {
      if (auto r = impl_->store->delete_timer(project_id, secret_name, version_id); !r) {
        return r.error();
      }
    }
    impl_->timers.cancel(project_id, secret_name, version_id);
    return answer;
  }
  if (*expire_time <= impl_->clock->now()) {
    return Error{ErrorCode::invalid_argument, "expire_time: must lie in the future"};
  }
  auto& project = impl_->project(project_id);
  const bool newly_known = project.find_secret(secret_name) == nullptr;
  if (newly_known && project.secret_count() >= impl_->options.max_secrets_per_project) {
    return Error{ErrorCode::quota_exceeded,
                 fmt::format("secret_name: a project may hold at most {} secrets",
                             impl_->options.max_secrets_per_project)};
  }
  if (!old &&
      impl_->timers.count(project_id, secret_name) >= impl_->options.max_expiry_timers_per_secret) {
    return Error{ErrorCode::quota_exceeded,
                 fmt::format("version_id: a secret may have at most {} armed expiry timers",
                             impl_->options.max_expiry_timers_per_secret)};
  }
  const detail::ExpiryTimer timer{std::string(project_id), answer.secret_name, answer.version_id,
                                  *expire_time, secret_type};
  if (impl_->store) {
    // The secret first (it becomes known), then its timer; nothing in memory changes until both
    // are stored.
    if (newly_known) {
      if (auto r = impl_->store->put_secret(project_id, secret_name, {}); !r) return r.error();
    }
    if (auto r = impl_->store->put_timer(impl_->stored(timer)); !r) {
      if (newly_known) {
        if (auto undone = impl_->store->delete_secret(project_id, secret_name); !undone) {
          impl_->store_failed(
              fmt::format("secret {} could not be taken back out of the store", secret_name),
              undone.error());
        }
      }
      return r.error();
    }
  }
  project.ensure_secret(secret_name);
  impl_->timers.arm(timer);
  return answer;
}

Result<VersionExpiry> Engine::show_version_expiry(std::string_view project_id,
                                                  std::string_view secret_name,
                                                  std::string_view version_id) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::secret_name(secret_name); !r) return r.error();
  if (auto r = validate::version_id(version_id); !r) return r.error();
  VersionExpiry answer{std::string(secret_name), std::string(version_id), std::nullopt};
  std::shared_lock lock(impl_->mutex);
  if (const auto* timer = impl_->timers.find(project_id, secret_name, version_id)) {
    answer.expire_time = timer->expire_time;
  }
  return answer;
}

std::size_t Engine::run_due() {
  std::vector<detail::ExpiryTimer> due;
  {
    std::unique_lock lock(impl_->mutex);
    due = impl_->timers.take_due(impl_->clock->now());
    if (impl_->store) {
      // A timer fires once its removal is stored; one the store kept is armed again and tried
      // at the next run.
      std::erase_if(due, [&](const detail::ExpiryTimer& timer) {
        const auto r =
            impl_->store->delete_timer(timer.project_id, timer.secret_name, timer.version_id);
        if (r) return false;
        impl_->store_failed(fmt::format("the expiry timer of {} version {} could not be removed "
                                        "from the store (it fires at a later run)",
                                        timer.secret_name, timer.version_id),
                            r.error());
        impl_->timers.arm(timer);
        return true;
      });
    }
  }
  for (const auto& timer : due) {
    // The names were validated when the timer was armed; trigger cannot refuse them.
    (void)trigger(timer.project_id, LifecycleEvent{.secret_name = timer.secret_name,
                                                   .type = EventType::secret_version_expired,
                                                   .secret_type = timer.secret_type,
                                                   .version_id = timer.version_id});
  }
  return due.size();
}

Result<Page<NotificationRecord>> Engine::list_records(std::string_view project_id,
                                                      const RecordQuery& query) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (query.limit < 1 || query.limit > k_max_page_limit) {
    return Error{ErrorCode::invalid_argument, "limit: must be a whole number from 1 to 1000"};
  }
  if (!query.event_name.empty()) {
    if (auto r = validate::event_name(query.event_name, "event_name"); !r) return r.error();
  }
  if (!query.secret_name.empty()) {
    if (auto r = validate::secret_name(query.secret_name); !r) return r.error();
  }
  if (query.status && to_string(*query.status).empty()) {
    return Error{ErrorCode::invalid_argument, "notification_status: is not a known status"};
  }
  const TimePoint prune_before = impl_->clock->now() - impl_->options.record_retention;
  if (!impl_->options.keep_records) return Page<NotificationRecord>{};
  if (impl_->store) return impl_->store->list_records(project_id, query, prune_before);
  return impl_->records.list(project_id, query, prune_before);
}

}  // namespace herald
