// AK/SK signing (spec/sdk-signing.md): the SDK's own worked examples (§8) as vectors, the
// canonical forms of §4, and every failure of §6 through the router, each changing nothing.
#include "herald/aksk.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "herald/herald.hpp"
#include "herald/rest.hpp"

namespace herald {
namespace {

namespace json = boost::json;

constexpr const char* k_ak = "HERALDEXAMPLEAK00001";
constexpr const char* k_sk = "HeraldExampleSecretKey000000000000000001";
constexpr const char* k_project = "dc3b7c85759141a991da17423c0f2068";
constexpr const char* k_date = "20261201T120000Z";
constexpr const char* k_seed_body =
    R"({"name":"demo-event","event_types":["SECRET_VERSION_CREATED","SECRET_VERSION_EXPIRED"],)"
    R"("state":"ENABLED","notification":{"target_type":"SMN","target_id":)"
    R"("urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc","target_name":"demo-smn-name"}})";
const std::string k_events = std::string("/v1/") + k_project + "/csms/events";

// 2026-12-01T12:00:00Z, the examples' X-Sdk-Date.
TimePoint example_time() {
  return std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + std::chrono::hours{12};
}

// A request as the SDK put it on the wire (§8), signature included.
HttpRequest sdk_request(std::string method, std::string target, std::string body,
                        std::string_view signature) {
  HttpRequest request{std::move(method), std::move(target), {}, std::move(body)};
  request.headers = {
      {"Accept", "application/json"},
      {"Content-Type", "application/json"},
      {"User-Agent", "huaweicloud-usdk-nodejs/3.0; os/linux; nodejs/20; meta/C; app/x"},
      {"X-Project-Id", k_project},
      {"X-Sdk-Date", k_date},
      {"host", "127.0.0.1:8080"},
      {"Authorization",
       std::string("SDK-HMAC-SHA256 Access=") + k_ak +
           ", SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=" +
           std::string(signature)},
      {"Accept-Encoding", "gzip, compress, deflate, br"},
      {"Connection", "close"},
  };
  if (!request.body.empty()) {
    request.headers.emplace_back("Content-Length", std::to_string(request.body.size()));
  }
  return request;
}

std::optional<aksk::Credential> example_lookup(std::string_view ak) {
  if (ak != k_ak) return std::nullopt;
  return aksk::Credential{k_ak, k_sk, k_project};
}

const std::vector<std::string> k_sdk_signed = {"content-type", "host", "x-project-id",
                                               "x-sdk-date"};

TEST(aksk_test, worked_example_a_create_verifies_step_by_step) {
  const auto request =
      sdk_request("POST", k_events, k_seed_body,
                  "0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4");
  ASSERT_EQ(request.body.size(), 247U);
  const auto canonical = aksk::canonical_request(request, k_sdk_signed);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical,
            "POST\n/v1/dc3b7c85759141a991da17423c0f2068/csms/events/\n\n"
            "content-type:application/json\nhost:127.0.0.1:8080\n"
            "x-project-id:dc3b7c85759141a991da17423c0f2068\nx-sdk-date:20261201T120000Z\n\n"
            "content-type;host;x-project-id;x-sdk-date\n"
            "93676a72ff076e9a32b0a18424f6798e07e18951274c05bf1008875aacdd7679");
  const auto to_sign = aksk::string_to_sign(k_date, *canonical);
  EXPECT_EQ(to_sign,
            "SDK-HMAC-SHA256\n20261201T120000Z\n"
            "10276e0c7d7c4df06068af661afcb63b3325bfb33fc5f37fe715271bf0c8e679");
  EXPECT_EQ(aksk::signature(k_sk, to_sign),
            "0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4");
  const auto verified = aksk::verify(request, example_lookup, example_time());
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->project_id, k_project);
}

TEST(aksk_test, worked_example_b_list_with_a_query) {
  const auto request =
      sdk_request("GET", k_events + "?limit=2&marker=page-a", "",
                  "7551803ca9fd856dea0ed77ba42b69c496a6249ae7f5eb4aa906894fbac0f098");
  const auto canonical = aksk::canonical_request(request, k_sdk_signed);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical,
            "GET\n/v1/dc3b7c85759141a991da17423c0f2068/csms/events/\nlimit=2&marker=page-a\n"
            "content-type:application/json\nhost:127.0.0.1:8080\n"
            "x-project-id:dc3b7c85759141a991da17423c0f2068\nx-sdk-date:20261201T120000Z\n\n"
            "content-type;host;x-project-id;x-sdk-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(aksk::string_to_sign(k_date, *canonical).substr(33),
            "367f02514c48b90a4f6bb61e73dcbba800b4131b499d3a6e84206a37c767401b");
  EXPECT_TRUE(aksk::verify(request, example_lookup, example_time()).ok());
}

TEST(aksk_test, worked_examples_c_and_d_verify) {
  struct Vector {
    std::string method;
    std::string target;
    std::string signature;
  };
  const std::vector<Vector> vectors = {
      {"DELETE", k_events + "/demo-event",
       "99eab0e4f6f9ceb00f5810a9ecafc2301aca8d21fc6714e0f3c1bfc9cd9da644"},
      {"GET", k_events + "?marker=a%20b!*'()~",
       "223d212dee88bcd08d523f2231d2f59bf53da000d96650546f4f49f6a66cef9b"},
      {"GET", k_events + "/x%20y",
       "f645388748685af0ab2779843500418233ec054f21b9209975bdade4f45dcfe2"},
      {"GET", k_events + "/it's",
       "7b7e7f765e593c8832b303d294b0aa79425e4cf57ce71741e033f0d816fccc1d"},
      {"GET", k_events + "/caf%C3%A9",
       "e79768e7e01ee1a760dd31b30be17af049a6838d09a73557dcff34efbc02fe68"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.method + " " + v.target);
    const auto request = sdk_request(v.method, v.target, "", v.signature);
    const auto verified = aksk::verify(request, example_lookup, example_time());
    EXPECT_TRUE(verified.ok()) << verified.error().message();
  }
  // C's intermediate value, from the SDK's signer.
  const auto canonical = aksk::canonical_request(
      sdk_request("DELETE", k_events + "/demo-event", "", vectors[0].signature), k_sdk_signed);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(aksk::string_to_sign(k_date, *canonical).substr(33),
            "dba1c0fb31dfdd43069b934a553c6876cf024690385211eafca00a3cc3c8b55e");
}

TEST(aksk_test, sign_makes_the_sdks_authorization_header) {
  HttpRequest request{"POST", k_events, {}, k_seed_body};
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Project-Id", k_project},
                     {"Host", "127.0.0.1:8080"}};
  ASSERT_TRUE(aksk::sign(request, k_ak, k_sk, k_date).ok());
  EXPECT_EQ(request.header("X-Sdk-Date"), k_date);
  EXPECT_EQ(request.header("Authorization"),
            "SDK-HMAC-SHA256 Access=HERALDEXAMPLEAK00001, "
            "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
            "Signature=0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4");
  // Signing again replaces the signature instead of adding a second one.
  ASSERT_TRUE(aksk::sign(request, k_ak, k_sk, k_date).ok());
  EXPECT_EQ(request.header_count("Authorization"), 1U);
  EXPECT_EQ(request.header_count("X-Sdk-Date"), 1U);

  HttpRequest no_host{"GET", k_events, {}, {}};
  EXPECT_EQ(aksk::sign(no_host, k_ak, k_sk).error().code(), ErrorCode::invalid_argument);
}

TEST(aksk_test, path_characters_canonicalise_as_the_sdk_signs_them) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"/v1/p/csms/events", "/v1/p/csms/events/"},
      {"/v1/p/csms/events/", "/v1/p/csms/events/"},
      {"/a/x%20y", "/a/x%2520y/"},        // an escape is escaped again
      {"/a/%41", "/a/%2541/"},            // also of an unreserved byte
      {"/a/it's", "/a/it%2527s/"},        // raw ' counts as %27
      {"/a/a|b", "/a/a%257Cb/"},          // raw | counts as %7C
      {"/a/a^b", "/a/a%255Eb/"},          // raw ^ counts as %5E
      {"/a/caf%C3%A9", "/a/caf%C3%A9/"},  // an escape of 0x80–0xFF counts as the byte
      {"/a/caf%c3%a9", "/a/caf%C3%A9/"},  // in either letter case
      {"/a/!*():@,;=+$&[]~", "/a/%21%2A%28%29%3A%40%2C%3B%3D%2B%24%26%5B%5D~/"},
      {"/a/%", "/a/%25/"},  // a '%' that starts no escape is itself
      {"/a/%zz", "/a/%25zz/"},
      {"/a/.-_~", "/a/.-_~/"},
  };
  for (const auto& [wire, canonical] : table) {
    EXPECT_EQ(aksk::canonical_uri(wire), canonical) << wire;
  }
}

TEST(aksk_test, queries_canonicalise_sorted_and_encoded) {
  EXPECT_EQ(aksk::canonical_query("marker=a%20b!*'()~"), "marker=a%20b%21%2A%27%28%29~");
  EXPECT_EQ(aksk::canonical_query("marker=b&limit=2"), "limit=2&marker=b");
  EXPECT_EQ(aksk::canonical_query("a=2&a=1"), "a=1&a=2") << "an array's values sorted";
  EXPECT_EQ(aksk::canonical_query("flag&x="), "flag=&x=");
  EXPECT_EQ(aksk::canonical_query("a+b=c%2Bd"), "a%2Bb=c%2Bd") << "a '+' is a plus";
  EXPECT_EQ(aksk::canonical_query(""), "");
  EXPECT_EQ(aksk::canonical_query("&&"), "");
}

TEST(aksk_test, sdk_dates_parse_strictly) {
  EXPECT_EQ(aksk::parse_sdk_date(k_date), std::chrono::floor<std::chrono::seconds>(example_time()));
  EXPECT_EQ(aksk::format_sdk_date(example_time()), k_date);
  for (const char* bad : {"", "20261201T120000", "20261201 120000Z", "20261301T120000Z",
                          "20260231T120000Z", "20261201T240000Z", "20261201T126000Z",
                          "2026120lT120000Z", "+0261201T120000Z", "20261201T120000z"}) {
    EXPECT_FALSE(aksk::parse_sdk_date(bad).has_value()) << bad;
  }
}

// The router with one AK/SK for the examples' project and one for another project.
class aksk_router_test : public ::testing::Test {
 protected:
  aksk_router_test()
      : clock_(std::make_shared<ManualClock>(example_time())),
        engine_(Options{}, clock_),
        topics_(std::make_shared<SmnTopics>("region-1")),
        router_(engine_, *topics_,
                Credentials{{{"a-token", k_project}},
                            {{k_ak, k_sk, k_project}, {"OTHERAK", "other-sk", "other-project"}}},
                clock_) {
    sink_ = engine_.connect_sink("SMN", smn_sink(topics_));
  }

  // A request as the SDK sends it, signed with `ak`/`sk` at the examples' date.
  static HttpRequest signed_request(std::string method, std::string target, std::string body = {},
                                    const char* ak = k_ak, const char* sk = k_sk) {
    HttpRequest request{std::move(method), std::move(target), {}, std::move(body)};
    request.headers = {{"Content-Type", "application/json"},
                       {"X-Project-Id", k_project},
                       {"Host", "127.0.0.1:8080"}};
    EXPECT_TRUE(aksk::sign(request, ak, sk, k_date).ok());
    return request;
  }

  static std::string error_code(const HttpResponse& response) {
    return std::string(json::parse(response.body).at("error_code").as_string());
  }
  static std::string error_msg(const HttpResponse& response) {
    return std::string(json::parse(response.body).at("error_msg").as_string());
  }

  std::string state() { return router_.handle(signed_request("GET", k_events)).body; }

  std::shared_ptr<ManualClock> clock_;
  Engine engine_;
  std::shared_ptr<SmnTopics> topics_;
  RestRouter router_;
  ScopedConnection sink_;
};

TEST_F(aksk_router_test, the_sdks_signed_create_is_served) {
  const auto created = router_.handle(
      sdk_request("POST", k_events, k_seed_body,
                  "0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(json::parse(created.body).at("event").at("name"), "demo-event");
  const auto deleted = router_.handle(
      sdk_request("DELETE", k_events + "/demo-event", "",
                  "99eab0e4f6f9ceb00f5810a9ecafc2301aca8d21fc6714e0f3c1bfc9cd9da644"));
  EXPECT_EQ(deleted.status, 204) << deleted.body;
}

TEST_F(aksk_router_test, every_failure_answers_its_code_and_changes_nothing) {
  const auto good = [&] { return signed_request("POST", k_events, k_seed_body); };
  const auto replace_header = [](HttpRequest& request, std::string_view name, std::string value) {
    for (auto& [key, old] : request.headers) {
      if (std::equal(key.begin(), key.end(), name.begin(), name.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        old = value;
      }
    }
  };
  const auto authorization_with = [&](std::string from, std::string to) {
    auto request = good();
    std::string value(request.header("Authorization"));
    value.replace(value.find(from), from.size(), to);
    replace_header(request, "Authorization", value);
    return request;
  };
  const auto resigned_without = [&](std::string_view header) {
    // Signed over fewer headers: the canonical request and the list agree, the rule does not.
    auto request = good();
    std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
    std::vector<std::string> names;
    for (const std::string_view name : {"content-type", "host", "x-project-id", "x-sdk-date"}) {
      if (name != header) names.emplace_back(name);
    }
    const auto canonical = aksk::canonical_request(request, names);
    std::string joined;
    for (const auto& name : names) joined += (joined.empty() ? "" : ";") + name;
    request.headers.emplace_back(
        "Authorization",
        std::string("SDK-HMAC-SHA256 Access=") + k_ak + ", SignedHeaders=" + joined +
            ", Signature=" + aksk::signature(k_sk, aksk::string_to_sign(k_date, *canonical)));
    return request;
  };
  const auto dated = [&](std::chrono::minutes offset) {
    HttpRequest request{"POST", k_events, {}, k_seed_body};
    request.headers = {{"Content-Type", "application/json"}, {"Host", "127.0.0.1:8080"}};
    EXPECT_TRUE(aksk::sign(request, k_ak, k_sk,
                           aksk::format_sdk_date(
                               std::chrono::system_clock::time_point(example_time()) + offset))
                    .ok());
    return request;
  };

  struct Case {
    std::string why;
    HttpRequest request;
    int status;
    std::string code;
    std::string says;  // a word the message must contain
  };
  std::vector<Case> table;
  table.push_back({"another algorithm", authorization_with("SDK-HMAC-SHA256", "AWS4-HMAC-SHA256"),
                   401, "HERALD.0401", "SDK-HMAC-SHA256"});
  table.push_back({"no Access", authorization_with("Access=", "Accss="), 401, "HERALD.0401",
                   "SDK-HMAC-SHA256"});
  table.push_back({"a short signature", authorization_with("Signature=", "Signature=ab"), 401,
                   "HERALD.0401", "64 hex"});
  table.push_back({"a signature not in hex", authorization_with("Signature=0", "Signature=g"), 401,
                   "HERALD.0401", "64 hex"});
  table.push_back({"upper-case signed header names",
                   authorization_with("content-type;", "Content-Type;"), 401, "HERALD.0401",
                   "lower-case"});
  table.push_back({"a header signed twice", authorization_with("host;", "host;host;"), 401,
                   "HERALD.0401", "twice"});
  table.push_back({"unknown access key", authorization_with(k_ak, "NOSUCHAK"), 401, "HERALD.0401",
                   "unknown access key"});
  table.push_back({"host not signed", resigned_without("host"), 401, "HERALD.0401", "host"});
  table.push_back(
      {"x-sdk-date not signed", resigned_without("x-sdk-date"), 401, "HERALD.0401", "x-sdk-date"});
  {
    auto request = good();
    std::erase_if(request.headers, [](const auto& h) { return h.first == "X-Project-Id"; });
    table.push_back({"a signed header missing", request, 401, "HERALD.0401", "x-project-id"});
  }
  table.push_back({"a date 16 minutes old", dated(std::chrono::minutes{-16}), 401, "HERALD.0401",
                   "15 minutes"});
  table.push_back(
      {"a date an hour old", dated(std::chrono::minutes{-60}), 401, "HERALD.0401", "15 minutes"});
  table.push_back({"a date 16 minutes ahead", dated(std::chrono::minutes{16}), 401, "HERALD.0401",
                   "15 minutes"});
  {
    auto request = good();
    replace_header(request, "X-Sdk-Date", "2026-12-01T12:00:00Z");
    table.push_back({"a malformed date", request, 401, "HERALD.0401", "YYYYMMDDTHHMMSSZ"});
  }
  {
    auto request = good();
    request.body.replace(request.body.find("demo-event"), 10, "evil-event");
    table.push_back({"body changed after signing", request, 401, "HERALD.0401", "does not match"});
  }
  {
    auto request = signed_request("GET", k_events + "?limit=2");
    request.target = k_events + "?limit=3";
    table.push_back({"query changed", request, 401, "HERALD.0401", "does not match"});
  }
  {
    auto request = signed_request("DELETE", k_events + "/keep-me");
    request.target = k_events + "/other";
    table.push_back({"path changed", request, 401, "HERALD.0401", "does not match"});
  }
  {
    auto request = good();
    replace_header(request, "Host", "evil.example:8080");
    table.push_back({"host changed", request, 401, "HERALD.0401", "does not match"});
  }
  {
    auto request = good();
    std::string value(request.header("Authorization"));
    value.back() = value.back() == '0' ? '1' : '0';
    replace_header(request, "Authorization", value);
    table.push_back({"a wrong signature", request, 401, "HERALD.0401", "does not match"});
  }
  {
    auto request = good();
    request.headers.emplace_back("Authorization", std::string(request.header("Authorization")));
    table.push_back({"two Authorization headers", request, 401, "HERALD.0401", "Authorization"});
  }
  {
    // Signed correctly by the key of another project.
    HttpRequest request{"POST", k_events, {}, k_seed_body};
    request.headers = {{"Content-Type", "application/json"}, {"Host", "127.0.0.1:8080"}};
    ASSERT_TRUE(aksk::sign(request, "OTHERAK", "other-sk", k_date).ok());
    table.push_back({"another project's key", request, 403, "HERALD.0403", "project"});
  }
  {
    HttpRequest request{"POST", k_events, {}, k_seed_body};
    request.headers = {{"Content-Type", "application/json"},
                       {"X-Project-Id", "other-project"},
                       {"Host", "127.0.0.1:8080"}};
    ASSERT_TRUE(aksk::sign(request, k_ak, k_sk, k_date).ok());
    table.push_back(
        {"X-Project-Id of another project", request, 403, "HERALD.0403", "X-Project-Id"});
  }
  {
    // A valid token does not rescue a bad signature: the signature decides.
    auto request = authorization_with("Signature=0", "Signature=1");
    request.headers.emplace_back("X-Auth-Token", "a-token");
    table.push_back(
        {"a good token beside a bad signature", request, 401, "HERALD.0401", "does not match"});
  }

  ASSERT_EQ(router_.handle(signed_request("PUT", k_events + "/keep-me", "{}")).status, 404);
  const auto before = state();
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const auto response = router_.handle(row.request);
    EXPECT_EQ(response.status, row.status) << response.body;
    EXPECT_EQ(error_code(response), row.code);
    EXPECT_NE(error_msg(response).find(row.says), std::string::npos) << error_msg(response);
    EXPECT_EQ(response.body.find(k_sk), std::string::npos) << "the SK leaked";
  }
  EXPECT_EQ(state(), before) << "a refused request changed something";
  EXPECT_EQ(engine_.list_events(k_project, {}).value().items.size(), 0U);

  // The genuine request is accepted: the table was refused for its faults alone.
  EXPECT_EQ(router_.handle(good()).status, 200);
  // ±15 minutes holds at its edges.
  EXPECT_EQ(router_.handle(dated(std::chrono::minutes{-15})).status, 400) << "now a duplicate";
  EXPECT_EQ(error_code(router_.handle(dated(std::chrono::minutes{15}))), "HERALD.1001");
}

TEST_F(aksk_router_test, an_invalid_name_reaches_validation_not_signature_checking) {
  // The SDK signs `x y` as x%2520y and sends x%20y (§4): herald must agree, so that the answer
  // is the name's 400, not a 401.
  const auto response = router_.handle(
      sdk_request("GET", k_events + "/x%20y", "",
                  "f645388748685af0ab2779843500418233ec054f21b9209975bdade4f45dcfe2"));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code(response), "CSMS.0002");
}

TEST_F(aksk_router_test, tokens_still_work_and_credentials_can_be_replaced) {
  HttpRequest with_token{"GET", k_events, {{"X-Auth-Token", "a-token"}}, {}};
  EXPECT_EQ(router_.handle(with_token).status, 200);
  router_.set_credentials(Credentials{{}, {{"NEWAK", "new-sk", k_project}}});
  EXPECT_EQ(router_.handle(with_token).status, 401) << "the old token is gone";
  EXPECT_EQ(router_.handle(signed_request("GET", k_events)).status, 401) << "the old key too";
  EXPECT_EQ(router_.handle(signed_request("GET", k_events, {}, "NEWAK", "new-sk")).status, 200);
  EXPECT_THROW(router_.set_credentials(Credentials{{}, {{"A K", "sk", k_project}}}),
               std::invalid_argument);
  EXPECT_EQ(router_.handle(signed_request("GET", k_events, {}, "NEWAK", "new-sk")).status, 200)
      << "a refused replacement keeps the credentials in force";
}

TEST(auth_file_test, parses_tokens_and_credentials) {
  const auto parsed = parse_auth_file(
      R"({"tokens":[{"token":"t1","project_id":"p1"}],)"
      R"("credentials":[{"ak":"AK1","sk":"SK1","project_id":"p1"},{"ak":"AK2","sk":"SK2","project_id":"p2"}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->tokens.at("t1"), "p1");
  ASSERT_EQ(parsed->keys.size(), 2U);
  EXPECT_EQ(parsed->keys[1].access_key, "AK2");
  EXPECT_EQ(parsed->keys[1].secret_key, "SK2");
  EXPECT_EQ(parsed->keys[1].project_id, "p2");
  EXPECT_TRUE(parse_auth_file("{}").ok());
}

TEST(auth_file_test, each_mistake_is_named_and_no_secret_is_quoted) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"{", "malformed JSON"},
      {"[]", "object"},
      {R"({"tokens":{}})", "tokens: must be an array"},
      {R"({"token":[]})", "unknown key \"token\""},
      {R"({"tokens":["s3cret"]})", "tokens[0]: must be an object"},
      {R"({"tokens":[{"token":"s3cret"}]})", "tokens[0]: \"project_id\" is required"},
      {R"({"tokens":[{"token":"s3cret","project_id":"p","extra":1}]})", "unknown key \"extra\""},
      {R"({"tokens":[{"token":"s3cret","project_id":"p/q"}]})", "project_id"},
      {R"({"tokens":[{"token":"s3cret","project_id":"p"},{"token":"s3cret","project_id":"q"}]})",
       "tokens[1]: the same token is given twice"},
      {R"({"credentials":[{"ak":"A","sk":"s3cret"}]})",
       "credentials[0]: \"project_id\" is required"},
      {R"({"credentials":[{"ak":"A","sk":"","project_id":"p"}]})", "credentials[0].sk"},
      {R"({"credentials":[{"ak":"A","sk":7,"project_id":"p"}]})", "credentials[0].sk"},
      {R"({"credentials":[{"ak":"A B","sk":"s3cret","project_id":"p"}]})", "ak:"},
      {R"({"credentials":[{"ak":"A","sk":"s3cret","project_id":"p"},{"ak":"A","sk":"x","project_id":"p"}]})",
       "ak A: given more than once"},
      {R"({"tokens":[],"tokens":[]})", "twice"},
  };
  for (const auto& [text, says] : table) {
    const auto parsed = parse_auth_file(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(parsed.error().message().find(says), std::string::npos)
        << text << " → " << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("s3cret"), std::string::npos) << "a secret quoted";
  }
}

}  // namespace
}  // namespace herald
