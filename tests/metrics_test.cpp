// herald::Metrics: bounded label sets, escaping, histogram buckets.
#include "herald/metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(metrics_test, target_types_beyond_the_bound_count_as_other) {
  Metrics metrics;
  for (std::size_t i = 0; i < Metrics::k_max_target_types + 10; ++i) {
    metrics.count_final("type-" + std::to_string(i), NotificationStatus::invalid);
  }
  metrics.count_final("type-0", NotificationStatus::success);
  const auto text = metrics.render();
  // 16 own series (3 outcomes each) and "other".
  EXPECT_EQ(count(text, "herald_deliveries_total{"), (Metrics::k_max_target_types + 1) * 3);
  EXPECT_NE(
      text.find("herald_deliveries_total{target_type=\"other\",outcome=\"invalid_target\"} 10"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("herald_deliveries_total{target_type=\"type-0\",outcome=\"delivered\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("herald_notifications_total{status=\"INVALID\"} 26"), std::string::npos);
}

TEST(metrics_test, label_values_are_escaped_and_cut) {
  Metrics metrics;
  metrics.count_final("a\"b\\c\nd" + std::string(100, 'x'), NotificationStatus::fail);
  const auto text = metrics.render();
  EXPECT_NE(text.find(R"(target_type="a\"b\\c\nd)"), std::string::npos) << text;
  EXPECT_EQ(text.find(std::string(61, 'x')), std::string::npos) << "cut to 64 bytes";
  EXPECT_EQ(text.find("c\nd"), std::string::npos) << "a raw newline would split the line";
}

TEST(metrics_test, http_series_are_bounded) {
  Metrics metrics;
  for (int i = 0; i < 300; ++i) metrics.observe_http("/route-" + std::to_string(i), 200, 0.001);
  const auto text = metrics.render();
  EXPECT_EQ(count(text, "herald_http_requests_total{"), Metrics::k_max_http_series + 1);
  EXPECT_NE(text.find("herald_http_requests_total{route=\"other\",code=\"200\"} 44"),
            std::string::npos);
}

TEST(metrics_test, histograms_are_cumulative) {
  SecondsHistogram histogram;
  histogram.observe(0.0005);
  histogram.observe(0.003);
  histogram.observe(20);
  std::string text;
  histogram.render(text, "h");
  EXPECT_NE(text.find("h_bucket{le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"0.005\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"10\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_sum 20.0035"), std::string::npos) << text;
}

}  // namespace
}  // namespace herald
