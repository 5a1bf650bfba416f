// herald::Engine: validation first, then one lock around the project's registry.
#include "herald/engine.hpp"

#include <cassert>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "model/uuid.hpp"
#include "registry/event_registry.hpp"
#include "validate/validate.hpp"

namespace herald {

struct Engine::Impl {
  Impl(Options opts, std::shared_ptr<Clock> clk) : options(opts), clock(std::move(clk)) {}

  // The project's registry, or null when nothing was ever stored in it (reads see it empty).
  const registry::ProjectRegistry* find_project(std::string_view project_id) const {
    const auto it = projects.find(project_id);
    return it == projects.end() ? nullptr : &it->second;
  }
  registry::ProjectRegistry* find_project(std::string_view project_id) {
    const auto it = projects.find(project_id);
    return it == projects.end() ? nullptr : &it->second;
  }
  // The project's registry, made on first write.
  registry::ProjectRegistry& project(std::string_view project_id) {
    auto it = projects.find(project_id);
    if (it == projects.end()) it = projects.try_emplace(std::string(project_id)).first;
    return it->second;
  }

  const Options options;
  const std::shared_ptr<Clock> clock;
  mutable std::shared_mutex mutex;
  std::map<std::string, registry::ProjectRegistry, std::less<>> projects;
};

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

const Options& Engine::options() const noexcept { return impl_->options; }

Result<Event> Engine::create_event(std::string_view project_id, const EventSpec& spec) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_spec(spec); !r) return r.error();
  auto event_id = detail::new_uuid_v4();
  std::unique_lock lock(impl_->mutex);
  return impl_->project(project_id)
      .create_event(spec, std::move(event_id), impl_->clock->now(), impl_->options);
}

Result<Event> Engine::show_event(std::string_view project_id, std::string_view name) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::event_name(name); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  const auto* project = impl_->find_project(project_id);
  const Event* event = project != nullptr ? project->find_event(name) : nullptr;
  if (event == nullptr) return event_not_found(name);
  return *event;
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
  if (project == nullptr) return event_not_found(name);
  return project->update_event(name, patch, impl_->clock->now());
}

Result<void> Engine::delete_event(std::string_view project_id, std::string_view name) {
  if (auto r = validate::project_id(project_id); !r) return r;
  if (auto r = validate::event_name(name); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto* project = impl_->find_project(project_id);
  if (project == nullptr) return event_not_found(name);
  return project->delete_event(name);
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
  return project->set_subscriptions(secret_name, event_names, impl_->options);
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

}  // namespace herald
