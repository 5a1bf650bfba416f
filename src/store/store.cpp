// herald::Store's defaults for a store that one process uses alone: it is never asked to
// share (begin_change and the others are not called when shared() is false).
#include "herald/store.hpp"

namespace herald {
namespace {

Error not_shared(std::string_view what) {
  return Error{ErrorCode::internal, std::string(what) + ": the store is not shared"};
}

}  // namespace

Result<std::unique_ptr<ProjectChange>> Store::begin_change(std::string_view) {
  return not_shared("begin_change");
}

Result<std::vector<ProjectChangeNumber>> Store::wait_for_changes(std::chrono::milliseconds) {
  return not_shared("wait_for_changes");
}

Result<ProjectState> Store::load_project(std::string_view) { return not_shared("load_project"); }

Result<std::string> Store::put_setting_if_absent(std::string_view name, std::string_view value) {
  if (auto r = put_setting(name, value); !r) return r.error();
  return std::string(value);
}

Result<StoreSnapshot> Store::load_topics() { return not_shared("load_topics"); }

Result<Store::TimerClaim> Store::claim_timer(const StoredTimer& timer) {
  if (auto r = delete_timer(timer.project_id, timer.secret_name, timer.version_id); !r) {
    return r.error();
  }
  return TimerClaim::fire;
}

Result<std::vector<std::shared_ptr<const Notification>>> Store::claim_orphans(std::size_t) {
  return std::vector<std::shared_ptr<const Notification>>{};
}

Result<std::vector<StoredPush>> Store::claim_orphan_pushes(std::size_t) {
  return std::vector<StoredPush>{};
}

}  // namespace herald
