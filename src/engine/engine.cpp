// herald::Engine: the facade. Validation first (src/validate), then one lock around the project's
// registry; every change of configuration is written through one mechanism (Impl::write_through)
// and a trigger is a short composition: match under the lock shared, then the dispatch layer
// (src/dispatch: outbox, delivery, final status) without it.
#include "herald/engine.hpp"
#include "herald/store.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cassert>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "engine/engine_impl.hpp"
#include "herald/metrics.hpp"
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
}

Engine::~Engine() = default;

std::size_t Engine::deliver_pending() {
  std::vector<std::shared_ptr<const Notification>> pending;
  {
    std::unique_lock lock(impl_->mutex);
    pending.swap(impl_->pending);
  }
  impl_->delivering = true;
  return impl_->dispatcher.deliver_pending(std::move(pending));
}

const Options& Engine::options() const noexcept { return impl_->options; }

Result<Event> Engine::create_event(std::string_view project_id, const EventSpec& spec) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_spec(spec); !r) return r.error();
  const auto event_id = detail::new_uuid_v4_bytes();
  std::unique_lock lock(impl_->mutex);
  auto scope = impl_->begin(project_id);
  if (!scope) return std::move(scope).error();
  auto& project = impl_->project(project_id);
  Result<Event> created = Error{ErrorCode::internal, {}};
  return impl_->write_through(
      *scope,
      [&] {
        return created = project.create_event(spec, event_id, impl_->clock->now(), impl_->options);
      },
      [&] { return impl_->store()->put_event(project_id, *created); },
      [&] { (void)project.delete_event(spec.name); });  // new: nothing subscribes to it yet
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
  auto scope = impl_->begin(project_id);
  if (!scope) return std::move(scope).error();
  auto* project = impl_->find_project(project_id);
  const registry::EventRow* row = project != nullptr ? project->find_row(name) : nullptr;
  if (row == nullptr) return event_not_found(name);
  const Event old = row->to_event();
  Result<Event> updated = Error{ErrorCode::internal, {}};
  return impl_->write_through(
      *scope, [&] { return updated = project->update_event(name, patch, impl_->clock->now()); },
      [&] { return impl_->store()->put_event(project_id, *updated); },
      [&] { project->replace_event(old); });
}

Result<void> Engine::delete_event(std::string_view project_id, std::string_view name) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::event_name(name); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto scope = impl_->begin(project_id);
  if (!scope) return scope.error();
  auto* project = impl_->find_project(project_id);
  const registry::EventRow* row = project != nullptr ? project->find_row(name) : nullptr;
  if (row == nullptr) return event_not_found(name);
  const Event old = row->to_event();
  return impl_->write_through(
      *scope, [&] { return project->delete_event(name); },
      [&] { return impl_->store()->delete_event(project_id, name); },
      [&] { (void)project->restore_event(old); });
}

Result<Secret> Engine::set_subscriptions(std::string_view project_id, std::string_view secret_name,
                                         std::span<const std::string> event_names) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::secret_name(secret_name); !r) return r.error();
  if (auto r = validate::subscriptions(event_names); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto scope = impl_->begin(project_id);
  if (!scope) return std::move(scope).error();
  auto* project = impl_->find_project(project_id);
  if (project == nullptr) {
    // Nothing exists in the project yet: any named event is missing, and an empty list makes
    // the secret known, which needs the project.
    if (!event_names.empty()) return event_not_found(event_names.front());
    project = &impl_->project(project_id);
  }
  std::optional<std::vector<std::string>> old;
  if (const auto* current = project->find_secret(secret_name)) old = *current;
  return impl_->write_through(
      *scope, [&] { return project->set_subscriptions(secret_name, event_names, impl_->options); },
      [&] { return impl_->store()->put_secret(project_id, secret_name, event_names); },
      [&] {
        if (!old) {
          project->forget_secret(secret_name);
          return;
        }
        Options unlimited = impl_->options;
        unlimited.max_events_per_secret = SIZE_MAX;
        unlimited.max_secrets_per_project = SIZE_MAX;
        (void)project->set_subscriptions(secret_name, *old, unlimited);
      });
}

Result<void> Engine::forget_secret(std::string_view project_id, std::string_view secret_name) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::secret_name(secret_name); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto scope = impl_->begin(project_id);
  if (!scope) return scope.error();
  auto* project = impl_->find_project(project_id);
  if (project == nullptr || project->find_secret(secret_name) == nullptr) {
    return secret_not_found(secret_name);
  }
  // Forgetting cannot be undone in memory (the timers go too): the store forgets first.
  if (Store* store = impl_->store()) {
    if (auto r = store->delete_secret(project_id, secret_name); !r) return r;
    if (auto r = impl_->commit(*scope); !r) return r;
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

void Engine::forget_if_deleted(std::string_view project_id, const LifecycleEvent& event) {
  if (event.type != EventType::secret_deleted) return;
  std::unique_lock lock(impl_->mutex);
  // With a store, the secret is forgotten only once the store has forgotten it too (else it
  // stays known in both, and a later SECRET_DELETED forgets it).
  bool stored = true;
  if (Store* store = impl_->store()) {
    auto scope = impl_->begin(project_id);
    Result<void> r =
        scope ? store->delete_secret(project_id, event.secret_name) : Result<void>(scope.error());
    if (r && scope) r = impl_->commit(*scope);
    if (!r) {
      stored = false;
      impl_->failures.store_failed(
          fmt::format("secret {} was deleted but the store kept it (it stays "
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

std::uint64_t Engine::store_write_failures() const noexcept { return impl_->failures.count(); }

Result<void> Engine::check_store_writable() {
  Store* store = impl_->store();
  if (store == nullptr) return {};
  const TimePoint now = impl_->clock->now();
  std::lock_guard lock(impl_->probe_mutex);
  if (impl_->probed_at && now - *impl_->probed_at < std::chrono::seconds(1) &&
      now >= *impl_->probed_at) {
    return impl_->probe_result;
  }
  impl_->probe_result = store->put_setting("herald.ready_probe", std::to_string(to_epoch_ms(now)));
  impl_->probed_at = now;
  return impl_->probe_result;
}

std::size_t Engine::run_deliveries() { return impl_->dispatcher.delivery().run_due(); }

Result<TriggerReport> Engine::trigger(std::string_view project_id, const LifecycleEvent& event) {
  if (auto r = validate::lifecycle_event(project_id, event); !r) return r.error();
  const TimePoint now = impl_->clock->now();
  // Sinks connected from here on belong to a later dispatch.
  const std::uint64_t generation = impl_->sinks.generation();
  detail::Notifications notifications;
  std::optional<std::uint64_t> first_record;
  {
    // What fired, made under the shared lock; everything else happens without it.
    std::shared_lock lock(impl_->mutex);
    if (const auto* project = impl_->find_project(project_id)) {
      project->for_each_route(event.secret_name, event.type, [&](const registry::EventRow& row) {
        notifications.push_back(impl_->dispatcher.make(project_id, event, row, now));
      });
      if (!notifications.empty() && impl_->dispatcher.numbers_records_at_match()) {
        first_record = project->take_record_sequences(notifications.size());
      }
    }
  }
  auto report = impl_->dispatcher.send(std::move(notifications), now, generation, first_record);
  if (report) {
    if (Metrics* metrics = impl_->options.metrics.get()) metrics->count_trigger();
    forget_if_deleted(project_id, event);
  }
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
  if (auto r = validate::secret_type(secret_type); !r) return r.error();
  VersionExpiry answer{std::string(secret_name), std::string(version_id), expire_time};
  std::unique_lock lock(impl_->mutex);
  auto scope = impl_->begin(project_id);
  if (!scope) return std::move(scope).error();
  std::optional<detail::ExpiryTimer> old;
  if (const auto* armed = impl_->timers.find(project_id, secret_name, version_id)) old = *armed;
  if (!expire_time) {
    if (!old) return answer;
    return impl_->write_through(
        *scope,
        [&]() -> Result<VersionExpiry> {
          impl_->timers.cancel(project_id, secret_name, version_id);
          return answer;
        },
        [&] { return impl_->store()->delete_timer(project_id, secret_name, version_id); },
        [&] { impl_->timers.arm(*old); });
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
  return impl_->write_through(
      *scope,
      [&]() -> Result<VersionExpiry> {
        project.ensure_secret(secret_name);
        impl_->timers.arm(timer);
        return answer;
      },
      [&]() -> Result<void> {
        // The secret first (it becomes known), then its timer.
        Store& store = *impl_->store();
        if (newly_known) {
          if (auto r = store.put_secret(project_id, secret_name, {}); !r) return r;
        }
        auto r = store.put_timer(impl_->stored(timer));
        if (!r && newly_known) {
          if (auto undone = store.delete_secret(project_id, secret_name); !undone) {
            impl_->failures.store_failed(
                fmt::format("secret {} could not be taken back out of the store", secret_name),
                undone.error());
          }
        }
        return r;
      },
      [&] {
        if (old) {
          impl_->timers.arm(*old);
        } else {
          impl_->timers.cancel(project_id, secret_name, version_id);
        }
        if (newly_known) project.forget_secret(secret_name);
      });
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
    if (Store* store = impl_->store()) {
      // A timer fires once its removal is stored (and, with a shared store, by the process that
      // removed it, once due by the database's clock); one the store kept is armed again and
      // tried at the next run.
      std::erase_if(due, [&](const detail::ExpiryTimer& timer) {
        const auto r = store->claim_timer(impl_->stored(timer));
        if (r && *r == Store::TimerClaim::fire) return false;
        if (r && *r == Store::TimerClaim::gone) return true;  // another process fired it
        if (r) {                                              // not due by the database's clock yet
          impl_->timers.arm(timer);
          return true;
        }
        impl_->failures.store_failed(
            fmt::format("the expiry timer of {} version {} could not be removed "
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
  if (auto r = validate::record_query(query); !r) return r.error();
  const TimePoint prune_before = impl_->clock->now() - impl_->options.record_retention;
  if (!impl_->options.keep_records) return Page<NotificationRecord>{};
  if (Store* store = impl_->store()) return store->list_records(project_id, query, prune_before);
  return impl_->records.list(project_id, query, prune_before);
}

}  // namespace herald
