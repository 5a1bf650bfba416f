// The SMN stand-in's topics: created idempotently by name, URNs as SMN forms them, per project.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace herald {
namespace {

using testing::k_other_project;
using testing::k_project;

TEST(smn_test, topics_are_created_idempotently_with_smn_urns) {
  SmnTopics smn("cn-north-4");
  const auto created = smn.create_topic(k_project, "rotation", "Rotation notices");
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->topic.topic_urn, "urn:smn:cn-north-4:" + std::string(k_project) + ":rotation");
  EXPECT_EQ(created->topic.display_name, "Rotation notices");

  const auto again = smn.create_topic(k_project, "rotation", "another display name");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created) << "SMN answers the existing topic (200, not 201)";
  EXPECT_EQ(again->topic, created->topic);
  EXPECT_EQ(smn.list_topics(k_project)->topics.size(), 1U);
}

TEST(smn_test, topic_names_follow_smn_rules) {
  SmnTopics smn;
  struct Row {
    std::string name;
    bool ok;
  };
  const std::vector<Row> table = {
      {"a", true},          {std::string(255, 't'), true}, {std::string(256, 't'), false},
      {"", false},          {"-starts-with-dash", false},  {"_under", false},
      {"9lives", true},     {"has space", false},          {"has.dot", false},
      {"has:colon", false}, {"Mixed_Case-1", true},
  };
  for (const auto& row : table) {
    const auto created = smn.create_topic(k_project, row.name);
    EXPECT_EQ(created.ok(), row.ok) << "'" << row.name << "'";
    if (!row.ok) {
      EXPECT_ERROR(created, invalid_argument, "name");
    }
  }
  EXPECT_ERROR(smn.create_topic("bad project", "t"), invalid_argument, "project_id");
  EXPECT_ERROR(smn.create_topic(k_project, "t", std::string(193, 'd')), invalid_argument,
               "display_name");
}

TEST(smn_test, list_show_delete_and_messages) {
  SmnTopics smn;
  const auto b = smn.create_topic(k_project, "b").value().topic;
  const auto a = smn.create_topic(k_project, "a").value().topic;
  EXPECT_EQ(smn.list_topics(k_project).value().topics, (std::vector<SmnTopic>{a, b})) << "by name";
  EXPECT_EQ(smn.show_topic(k_project, a.topic_urn).value(), a);
  EXPECT_TRUE(smn.messages(k_project, a.topic_urn)->empty());
  ASSERT_TRUE(smn.delete_topic(k_project, a.topic_urn).ok());
  EXPECT_ERROR(smn.show_topic(k_project, a.topic_urn), not_found, a.topic_urn);
  EXPECT_ERROR(smn.delete_topic(k_project, a.topic_urn), not_found, a.topic_urn);
  EXPECT_ERROR(smn.messages(k_project, "garbage"), not_found, "garbage");
}

TEST(smn_test, the_topic_quota_holds_per_project) {
  SmnTopics smn("region-1", SmnOptions{.max_topics_per_project = 2});
  ASSERT_TRUE(smn.create_topic(k_project, "a").ok());
  ASSERT_TRUE(smn.create_topic(k_project, "b").ok());
  EXPECT_ERROR(smn.create_topic(k_project, "c"), quota_exceeded, "2 topics");
  EXPECT_FALSE(smn.create_topic(k_project, "a")->created) << "an existing name is answered";
  EXPECT_TRUE(smn.create_topic(k_other_project, "c").ok()) << "per project";
  ASSERT_TRUE(
      smn.delete_topic(k_project, "urn:smn:region-1:" + std::string(k_project) + ":a").ok());
  EXPECT_TRUE(smn.create_topic(k_project, "c").ok()) << "a delete frees a place";
  EXPECT_EQ(smn.list_topics(k_project)->topic_count, 2U);
}

TEST(smn_test, a_topic_keeps_only_its_newest_messages) {
  auto smn = std::make_shared<SmnTopics>("region-1", SmnOptions{.kept_messages_per_topic = 3});
  const auto urn = smn->create_topic(k_project, "t")->topic.topic_urn;
  int heard = 0;
  ASSERT_TRUE(smn->subscribe(k_project, urn, [&](const std::string&) { ++heard; }).ok());
  for (int i = 0; i < 5; ++i) {
    const std::string message = "m" + std::to_string(i);
    const auto n = make_notification(
        {.project_id = k_project, .target = {"SMN", urn, "t"}, .message = message});
    EXPECT_EQ(smn->publish(*n).status, SinkStatus::delivered);
  }
  EXPECT_EQ(smn->messages(k_project, urn).value(), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(heard, 5) << "every message is still handed to subscribers";
  EXPECT_EQ(SmnOptions{}.kept_messages_per_topic, 100U);
}

TEST(smn_test, topics_of_one_project_are_invisible_to_another) {
  SmnTopics smn;
  const auto mine = smn.create_topic(k_project, "shared-name").value().topic;
  EXPECT_TRUE(smn.list_topics(k_other_project)->topics.empty());
  EXPECT_ERROR(smn.show_topic(k_other_project, mine.topic_urn), not_found, "shared-name");
  EXPECT_ERROR(smn.delete_topic(k_other_project, mine.topic_urn), not_found, "shared-name");
  const auto theirs = smn.create_topic(k_other_project, "shared-name").value();
  EXPECT_TRUE(theirs.created) << "the same name is a different topic in another project";
  EXPECT_NE(theirs.topic.topic_urn, mine.topic_urn);
}

TEST(smn_test, subscribers_receive_published_messages) {
  auto smn = std::make_shared<SmnTopics>();
  Engine engine(Options{}, std::make_shared<ManualClock>());
  const ScopedConnection sink = engine.connect_sink("SMN", smn_sink(smn));
  const auto topic = smn->create_topic(k_project, "t").value().topic;
  std::vector<std::string> received;
  ASSERT_TRUE(smn->subscribe(k_project, topic.topic_urn,
                             [&](const std::string& message) { received.push_back(message); })
                  .ok());
  auto spec = testing::event_spec("e");
  spec.notification.target_id = topic.topic_urn;
  ASSERT_TRUE(engine.create_event(k_project, spec).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "db", std::vector<std::string>{"e"}).ok());
  ASSERT_TRUE(engine.trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received, smn->messages(k_project, topic.topic_urn).value());
  EXPECT_ERROR(smn->subscribe(k_other_project, topic.topic_urn, [](const std::string&) {}),
               not_found, "t");
}

}  // namespace
}  // namespace herald
