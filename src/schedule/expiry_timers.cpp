#include "schedule/expiry_timers.hpp"

#include <boost/tuple/tuple.hpp>

namespace herald::detail {

void ExpiryTimers::arm(ExpiryTimer timer) {
  auto& index = timers_.get<by_version>();
  const auto it = index.find(boost::make_tuple(std::string_view(timer.project_id),
                                               std::string_view(timer.secret_name),
                                               std::string_view(timer.version_id)));
  if (it == index.end()) {
    timers_.insert(std::move(timer));
  } else {
    index.modify(it, [&](ExpiryTimer& armed) {
      armed.expire_time = timer.expire_time;
      armed.secret_type = timer.secret_type;
    });
  }
}

bool ExpiryTimers::cancel(std::string_view project_id, std::string_view secret_name,
                          std::string_view version_id) {
  auto& index = timers_.get<by_version>();
  const auto it = index.find(boost::make_tuple(project_id, secret_name, version_id));
  if (it == index.end()) return false;
  index.erase(it);
  return true;
}

void ExpiryTimers::drop_secret(std::string_view project_id, std::string_view secret_name) {
  auto& index = timers_.get<by_version>();
  const auto [first, last] = index.equal_range(boost::make_tuple(project_id, secret_name));
  index.erase(first, last);
}

void ExpiryTimers::drop_project(std::string_view project_id) {
  auto& index = timers_.get<by_version>();
  const auto [first, last] = index.equal_range(boost::make_tuple(project_id));
  index.erase(first, last);
}

std::size_t ExpiryTimers::count(std::string_view project_id, std::string_view secret_name) const {
  const auto& index = timers_.get<by_version>();
  const auto [first, last] = index.equal_range(boost::make_tuple(project_id, secret_name));
  return static_cast<std::size_t>(std::distance(first, last));
}

std::vector<ExpiryTimer> ExpiryTimers::take_due(TimePoint now) {
  auto& index = timers_.get<by_time>();
  const auto last = index.upper_bound(now);
  std::vector<ExpiryTimer> due(index.begin(), last);
  index.erase(index.begin(), last);
  return due;
}

const ExpiryTimer* ExpiryTimers::find(std::string_view project_id, std::string_view secret_name,
                                      std::string_view version_id) const {
  const auto& index = timers_.get<by_version>();
  const auto it = index.find(boost::make_tuple(project_id, secret_name, version_id));
  return it == index.end() ? nullptr : &*it;
}

}  // namespace herald::detail
