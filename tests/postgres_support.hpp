// A database of its own for each test, in the throwaway PostgreSQL that ctest starts
// (tests/postgres/cluster.sh, fixture `postgres`) and names in HERALD_TEST_POSTGRES.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace herald::testing {

class PostgresDatabase {
 public:
  PostgresDatabase() {
    const char* admin = std::getenv("HERALD_TEST_POSTGRES");
    if (admin == nullptr || *admin == '\0') {
      ADD_FAILURE()
          << "HERALD_TEST_POSTGRES is not set: run this test through ctest, whose "
             "fixture `postgres` starts a throwaway PostgreSQL (tests/postgres/cluster.sh)";
      return;
    }
    admin_ = admin;
    name_ = "herald_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++);
    if (!admin_sql("DROP DATABASE IF EXISTS " + name_) || !admin_sql("CREATE DATABASE " + name_)) {
      name_.clear();
    }
  }
  ~PostgresDatabase() {
    if (!name_.empty()) (void)admin_sql("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  /// The test's database, as keyword/value conninfo (empty when it could not be made).
  [[nodiscard]] std::string conninfo() const {
    return name_.empty() ? std::string() : admin_ + " dbname=" + name_;
  }
  /// The same, as a postgresql:// URI (the socket directory as the host parameter).
  [[nodiscard]] std::string uri() const {
    std::string host, port;
    PQconninfoOption* options = PQconninfoParse(admin_.c_str(), nullptr);
    for (auto* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      if (std::string_view(o->keyword) == "host") host = o->val;
      if (std::string_view(o->keyword) == "port") port = o->val;
    }
    PQconninfoFree(options);
    return "postgresql://herald@/" + name_ + "?host=" + host + "&port=" + port;
  }

  /// Runs `sql` in the test's database; false (and a test failure) when it fails.
  bool sql(const std::string& sql) const { return run(conninfo(), sql); }

 private:
  bool admin_sql(const std::string& sql) const { return run(admin_, sql); }

  static bool run(const std::string& conninfo, const std::string& sql) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (!ok) {
      ADD_FAILURE() << "cannot reach the test PostgreSQL: " << PQerrorMessage(conn);
    } else {
      PGresult* result = PQexec(conn, sql.c_str());
      const auto status = PQresultStatus(result);
      ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
      if (!ok) ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
      PQclear(result);
    }
    PQfinish(conn);
    return ok;
  }

  static inline int counter_ = 0;
  std::string admin_;
  std::string name_;
};

}  // namespace herald::testing
