// SECRET_VERSION_EXPIRED timers of every project, in a Boost.MultiIndex container: unique by
// (project, secret, version), ordered by due time.
//
// Not thread-safe: the Engine guards it with its lock.
#pragma once

#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index/ordered_index.hpp>
#include <boost/multi_index_container.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/clock.hpp"
#include "herald/secret.hpp"

namespace herald::detail {

struct ExpiryTimer {
  std::string project_id;
  std::string secret_name;
  std::string version_id;
  TimePoint expire_time;
  SecretType secret_type = SecretType::common;
};

class ExpiryTimers {
 public:
  /// Arms (or re-arms with a new time) the version's timer.
  void arm(ExpiryTimer timer);
  /// Cancels the version's timer; answers whether one was armed.
  bool cancel(std::string_view project_id, std::string_view secret_name,
              std::string_view version_id);
  /// Cancels every timer of the secret.
  void drop_secret(std::string_view project_id, std::string_view secret_name);
  /// Cancels every timer of the project.
  void drop_project(std::string_view project_id);
  /// Removes and answers every timer due at `now`, earliest first: each fires once.
  [[nodiscard]] std::vector<ExpiryTimer> take_due(TimePoint now);
  /// The armed timer of the version, if any.
  [[nodiscard]] const ExpiryTimer* find(std::string_view project_id, std::string_view secret_name,
                                        std::string_view version_id) const;
  [[nodiscard]] std::size_t size() const noexcept { return timers_.size(); }
  /// How many timers of the secret are armed.
  [[nodiscard]] std::size_t count(std::string_view project_id, std::string_view secret_name) const;

 private:
  struct by_version {};
  struct by_time {};
  using Set = boost::multi_index_container<
      ExpiryTimer,
      boost::multi_index::indexed_by<
          boost::multi_index::ordered_unique<
              boost::multi_index::tag<by_version>,
              boost::multi_index::composite_key<
                  ExpiryTimer,
                  boost::multi_index::member<ExpiryTimer, std::string, &ExpiryTimer::project_id>,
                  boost::multi_index::member<ExpiryTimer, std::string, &ExpiryTimer::secret_name>,
                  boost::multi_index::member<ExpiryTimer, std::string, &ExpiryTimer::version_id>>,
              boost::multi_index::composite_key_compare<std::less<>, std::less<>, std::less<>>>,
          boost::multi_index::ordered_non_unique<
              boost::multi_index::tag<by_time>,
              boost::multi_index::member<ExpiryTimer, TimePoint, &ExpiryTimer::expire_time>>>>;
  Set timers_;
};

}  // namespace herald::detail
