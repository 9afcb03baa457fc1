#pragma once
// A real PostgreSQL server for tests (Debian's postgresql package): initdb on
// a temporary directory, pg_ctl on a free loopback port, stopped and removed
// with the test. As root, the server runs as the `postgres` user (PostgreSQL
// refuses to run as root). Database superuser: `fulcrum`.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace fulcrum::testing {

class PostgresServer {
 public:
  // With a password, TCP clients must give it (scram-sha-256).
  explicit PostgresServer(std::string password = {}) : password_(std::move(password)) {
    bin_ = find_bin_dir();
    if (bin_.empty()) {
      ADD_FAILURE() << "no PostgreSQL server under /usr/lib/postgresql (scripts/deps.sh installs it)";
      return;
    }
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port_ = a.local_endpoint().port();
    a.close();
    char tmpl[] = "/tmp/fulcrum-pg-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string auth = "--auth=trust";
    if (!password_.empty()) {
      std::ofstream(dir_ + "/pw") << password_ << '\n';
      auth = "--auth-local=trust --auth-host=scram-sha-256 --pwfile=" + dir_ + "/pw";
    }
    if (geteuid() == 0) {
      const passwd* pg = getpwnam("postgres");
      if (!pg) {
        ADD_FAILURE() << "running as root, and there is no postgres user to run the server as";
        return;
      }
      for (const auto& p : {dir_, dir_ + "/pw"})
        if (std::filesystem::exists(p)) [[maybe_unused]] int rc = chown(p.c_str(), pg->pw_uid, pg->pw_gid);
      as_ = "runuser -u postgres -- ";
    }
    if (run(bin_ + "/initdb -D " + dir_ + "/data -U fulcrum -E UTF8 --no-locale --no-sync " + auth + " > " + dir_ +
            "/initdb.log 2>&1") != 0) {
      ADD_FAILURE() << "initdb failed: see " << dir_ << "/initdb.log";
      return;
    }
    start();
  }
  ~PostgresServer() {
    if (!dir_.empty()) {
      run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop > /dev/null 2>&1");
      std::filesystem::remove_all(dir_);
    }
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  void start() {
    if (run(bin_ + "/pg_ctl -D " + dir_ + "/data -w -l " + dir_ + "/server.log -o \"-p " + std::to_string(port_) +
            " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off\" start > /dev/null 2>&1") != 0)
      ADD_FAILURE() << "pg_ctl start failed: see " << dir_ << "/server.log";
  }
  // A clean stop (-m fast): sessions are cut, as in a database restart.
  void stop() { run(bin_ + "/pg_ctl -D " + dir_ + "/data -w -m fast stop > /dev/null 2>&1"); }

  // The URL of `database` (no password in it).
  std::string url(const std::string& database = "postgres") const {
    return "postgresql://fulcrum@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  // Creates a database; the test's own, so tests do not see each other's rows.
  void create_database(const std::string& name) { ASSERT_EQ(exec("CREATE DATABASE " + name), "") << name; }

  // Runs SQL on the `postgres` database (or `database`): "" when it succeeded, else the error;
  // `value` (if given) receives the first column of the first row.
  std::string exec(const std::string& sql, std::string* value = nullptr, const std::string& database = "postgres") const {
    const std::string conninfo = url(database) + (password_.empty() ? "" : "?password=" + password_);
    PGconn* c = PQconnectdb(conninfo.c_str());
    std::string error;
    if (PQstatus(c) != CONNECTION_OK) {
      error = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQerrorMessage(c);
      else if (value && PQntuples(r) > 0) *value = PQgetvalue(r, 0, 0);
      PQclear(r);
    }
    PQfinish(c);
    return error;
  }
  // The first column of the first row of `sql` on `database`.
  std::string value(const std::string& sql, const std::string& database) const {
    std::string v;
    const auto error = exec(sql, &v, database);
    EXPECT_EQ(error, "") << sql;
    return v;
  }

 private:
  static std::string find_bin_dir() {
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
      if (std::filesystem::exists(e.path() / "bin" / "initdb") && e.path().string() > best) best = e.path().string();
    return best.empty() ? best : best + "/bin";
  }
  int run(const std::string& command) const { return std::system((as_ + command).c_str()); }

  std::string password_;
  std::string bin_;
  std::string dir_;
  std::string as_;
  int port_ = 0;
};

}  // namespace fulcrum::testing
