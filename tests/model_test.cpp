// Wire spellings, error codes, page limits and ids: the values every layer relies on.
#include <gtest/gtest.h>

#include <set>

#include "herald/herald.hpp"
#include "model/uuid.hpp"

namespace herald {
namespace {

TEST(model_test, event_types_round_trip_through_their_wire_spellings) {
  const std::vector<std::pair<EventType, std::string_view>> table = {
      {EventType::secret_version_created, "SECRET_VERSION_CREATED"},
      {EventType::secret_version_expired, "SECRET_VERSION_EXPIRED"},
      {EventType::secret_rotated, "SECRET_ROTATED"},
      {EventType::secret_deleted, "SECRET_DELETED"},
      {EventType::secret_rotated_failed, "SECRET_ROTATED_FAILED"},
  };
  ASSERT_EQ(table.size(), k_event_type_count);
  for (const auto& [type, text] : table) {
    EXPECT_EQ(to_string(type), text);
    EXPECT_EQ(parse_event_type(text), type) << text;
  }
}

TEST(model_test, spellings_are_case_sensitive_and_exact) {
  for (std::string_view text : {"secret_rotated", "Secret_Rotated", "SECRET_ROTATED ",
                                " SECRET_ROTATED", "SECRET-ROTATED", "", "SECRET_ROTATE"}) {
    EXPECT_FALSE(parse_event_type(text).has_value()) << "'" << text << "'";
  }
  EXPECT_EQ(parse_event_state("ENABLED"), EventState::enabled);
  EXPECT_EQ(parse_event_state("DISABLED"), EventState::disabled);
  for (std::string_view text : {"enabled", "Enabled", "disabled", "ENABLE", "ON", "", "TRUE"}) {
    EXPECT_FALSE(parse_event_state(text).has_value()) << "'" << text << "'";
  }
}

TEST(model_test, secret_types_round_trip_through_their_wire_spellings) {
  EXPECT_EQ(to_string(SecretType::common), "COMMON");
  EXPECT_EQ(to_string(SecretType::rds_fg), "RDS-FG");
  EXPECT_EQ(to_string(SecretType::gaussdb_fg), "GaussDB-FG");
  for (auto type : {SecretType::common, SecretType::rds_fg, SecretType::gaussdb_fg}) {
    EXPECT_EQ(parse_secret_type(to_string(type)), type);
  }
  EXPECT_FALSE(parse_secret_type("common").has_value());
  EXPECT_FALSE(parse_secret_type("GAUSSDB-FG").has_value());
}

TEST(model_test, each_error_code_answers_with_the_contracts_wire_code_and_status) {
  struct Row {
    ErrorCode code;
    std::string_view wire;
    int status;
  };
  const std::vector<Row> table = {
      {ErrorCode::invalid_argument, "CSMS.0002", 400},
      {ErrorCode::malformed_request, "CSMS.0004", 400},
      {ErrorCode::not_found, "CSMS.0005", 404},
      {ErrorCode::no_such_route, "CSMS.0003", 404},
      {ErrorCode::method_not_allowed, "CSMS.0003", 405},
      {ErrorCode::already_exists, "HERALD.1001", 400},
      {ErrorCode::in_use, "HERALD.1002", 400},
      {ErrorCode::quota_exceeded, "HERALD.1003", 400},
      {ErrorCode::unauthenticated, "HERALD.0401", 401},
      {ErrorCode::forbidden, "HERALD.0403", 403},
      {ErrorCode::body_too_large, "HERALD.0413", 413},
      {ErrorCode::bad_framing, "HERALD.0400", 400},
      {ErrorCode::target_too_long, "HERALD.0414", 414},
      {ErrorCode::header_too_large, "HERALD.0431", 431},
      {ErrorCode::not_implemented, "HERALD.0501", 501},
      {ErrorCode::http_version, "HERALD.0505", 505},
      {ErrorCode::unavailable, "HERALD.0503", 503},
      {ErrorCode::internal, "HERALD.0500", 500},
  };
  for (const auto& row : table) {
    const Error error{row.code, "x"};
    EXPECT_EQ(error.wire_code(), row.wire);
    EXPECT_EQ(error.http_status(), row.status) << row.wire;
  }
}

TEST(model_test, page_limit_parses_as_the_query_string_carries_it) {
  struct Row {
    std::optional<std::string_view> text;
    std::optional<std::size_t> expected;  // nullopt: CSMS.0002
  };
  const std::vector<Row> table = {
      {std::nullopt, 50}, {"", 50},    {"1", 1},     {"50", 50},
      {"1000", 1000},     {"0", {}},   {"1001", {}}, {"-1", {}},
      {"abc", {}},        {"+5", {}},  {" 5", {}},   {"5 ", {}},
      {"5a", {}},         {"1e3", {}}, {"10.0", {}}, {"99999999999999999999999", {}},
      {"0x10", {}},       {"007", 7},
  };
  for (const auto& row : table) {
    const auto parsed = parse_page_limit(row.text);
    const std::string shown = row.text ? std::string(*row.text) : "(absent)";
    if (row.expected) {
      ASSERT_TRUE(parsed.ok()) << shown << ": " << parsed.error().message();
      EXPECT_EQ(*parsed, *row.expected) << shown;
    } else {
      ASSERT_FALSE(parsed.ok()) << shown;
      EXPECT_EQ(parsed.error().wire_code(), "CSMS.0002") << shown;
      EXPECT_NE(parsed.error().message().find("limit"), std::string::npos) << shown;
    }
  }
}

TEST(model_test, uuids_are_lower_case_version_4_and_distinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = detail::new_uuid_v4();
    ASSERT_TRUE(detail::is_lower_case_uuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;                                                    // version
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;  // variant
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
  EXPECT_FALSE(detail::is_lower_case_uuid("BB6A3D22-DC93-47AC-B5BD-88DF7AD35F1E"));
  EXPECT_TRUE(detail::is_lower_case_uuid("bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e"));
}

TEST(model_test, manual_clock_moves_only_when_told) {
  ManualClock clock(from_epoch_ms(1000));
  EXPECT_EQ(to_epoch_ms(clock.now()), 1000);
  clock.advance(std::chrono::milliseconds(250));
  EXPECT_EQ(to_epoch_ms(clock.now()), 1250);
  clock.set(from_epoch_ms(5));
  EXPECT_EQ(to_epoch_ms(clock.now()), 5);
}

}  // namespace
}  // namespace herald
