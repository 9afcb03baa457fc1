// What the SQLite ledger costs per request record: the request thread's
// enqueue (on_request_done) and the writer thread's share, as CPU time per
// record, for a burst of records shaped like a small chat completion's.
// Run: build/bench/ledger_bench [records=200000] [batches=1]
// The baseline printed beside it is the same burst into a ledger whose
// records are dropped before the database (queue capacity 0): the cost of the
// call alone.
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <spdlog/spdlog.h>

#include "ledger/ledger.h"

namespace {

using namespace fulcrum;

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double kernel_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6;
}

RequestRecord sample_record(int i) {
  RequestRecord r;
  char id[40];
  std::snprintf(id, sizeof id, "req_%012llx%020d", 1800000000000ULL + static_cast<unsigned long long>(i / 20), i);
  r.id = id;
  r.unix_ms = 1800000000000LL + i / 20;
  r.key = "team-a";
  r.model_requested = "auto";
  r.tier = "flash";
  r.upstream_model = "deepseek-v4-flash";
  r.reason = "router: p(strong wins)=0.21 < threshold 0.38 -> flash";
  r.status = 200;
  r.attempts = 1;
  r.usage.prompt_tokens = 24;
  r.usage.cache_miss_tokens = 24;
  r.usage.completion_tokens = 12;
  r.answer_usage = r.usage;
  r.cost = 7560000;
  r.overhead_ms = 0.041;
  r.ttfb_ms = 1.2;
  r.total_ms = 1.3;
  return r;
}

struct Measured {
  double request_thread_us = 0;  // per record, on the calling thread
  double process_us = 0;         // per record, every thread (the writer included)
  double kernel_us = 0;          // of which in the kernel
  double wall_s = 0;
};

Measured run(const std::string& path, int records, std::size_t capacity) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  LedgerOptions options;
  options.where.target = path;
  options.queue_capacity = capacity;
  auto ledger = Ledger::open(options);
  if (!ledger) {
    std::fprintf(stderr, "ledger_bench: %s\n", ledger.error().message.c_str());
    std::exit(1);
  }
  auto& l = *ledger.value();
  std::vector<RequestRecord> samples;
  for (int i = 0; i < records; ++i) samples.push_back(sample_record(i));
  const auto wall0 = std::chrono::steady_clock::now();
  const double process0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID), kernel0 = kernel_seconds();
  // Bursts of 2,048: the backlog at which a busy gateway's idle-priority writer is raised.
  double thread_cpu = 0;
  for (std::size_t at = 0; at < samples.size();) {
    const double t0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (const auto end = std::min(samples.size(), at + 2048); at < end; ++at) l.on_request_done(samples[at]);
    thread_cpu += cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
    l.flush();
  }
  const double process1 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  Measured m;
  m.request_thread_us = thread_cpu * 1e6 / records;
  m.process_us = (process1 - process0) * 1e6 / records;
  m.kernel_us = (kernel_seconds() - kernel0) * 1e6 / records;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::err);  // the dropped run warns about its full queue
  const int records = argc > 1 ? std::atoi(argv[1]) : 200000;
  const std::string path = (std::filesystem::temp_directory_path() / "fulcrum-ledger-bench.db").string();
  const auto dropped = run(path, records, 0);
  const auto written = run(path, records, static_cast<std::size_t>(records) + 1);
  std::printf("records: %d\n", records);
  std::printf("dropped at the queue (baseline): request thread %.2f us/record, all threads %.2f us/record\n",
              dropped.request_thread_us, dropped.process_us);
  std::printf("written to SQLite:               request thread %.2f us/record, all threads %.2f us/record "
              "(kernel %.2f), %.2f s\n",
              written.request_thread_us, written.process_us, written.kernel_us, written.wall_s);
  std::printf("the writer's share: %.2f us/record; ratio all threads written / dropped: %.1fx\n",
              written.process_us - written.request_thread_us, written.process_us / dropped.process_us);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}
