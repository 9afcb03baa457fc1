#pragma once
// The ledger's tables. Costs are integer pico-USD (exact); times are Unix
// milliseconds, durations microseconds. `synchronous=NORMAL` in WAL mode: a commit survives the
// process being killed (the OS has the pages), not necessarily a power cut.
namespace fulcrum {

inline constexpr const char* kLedgerSchema = R"(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  unix_ms INTEGER NOT NULL,
  api_key TEXT NOT NULL,
  model TEXT NOT NULL,
  tier TEXT NOT NULL,
  upstream_model TEXT NOT NULL,
  reason TEXT NOT NULL,
  stream INTEGER NOT NULL,
  escalated INTEGER NOT NULL,
  status INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  cache_hit_tokens INTEGER NOT NULL,
  cache_miss_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_pico_usd INTEGER NOT NULL,
  cost_estimated INTEGER NOT NULL,
  ttfb_us INTEGER NOT NULL,
  total_us INTEGER NOT NULL,
  overhead_us INTEGER NOT NULL,
  error TEXT NOT NULL,
  fell_back INTEGER NOT NULL DEFAULT 0,
  answer_prompt_tokens INTEGER NOT NULL DEFAULT 0,
  answer_cache_hit_tokens INTEGER NOT NULL DEFAULT 0,
  answer_completion_tokens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS requests_by_time ON requests (unix_ms);
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT NOT NULL,
  unix_ms INTEGER NOT NULL,
  tier TEXT NOT NULL,
  score REAL NOT NULL,
  error_cost_usd REAL
);
CREATE INDEX IF NOT EXISTS feedback_by_request ON feedback (request_id);
CREATE TABLE IF NOT EXISTS prompts (
  request_id TEXT PRIMARY KEY,
  unix_ms INTEGER NOT NULL,
  prompt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prompts_by_time ON prompts (unix_ms);
)";

// Columns added after the first release, with what an older ledger gets: it
// is migrated in place when opened (ALTER TABLE ... ADD COLUMN).
inline constexpr const char* kAddedRequestColumns[] = {
    "fell_back INTEGER NOT NULL DEFAULT 0",
    "answer_prompt_tokens INTEGER NOT NULL DEFAULT 0",
    "answer_cache_hit_tokens INTEGER NOT NULL DEFAULT 0",
    "answer_completion_tokens INTEGER NOT NULL DEFAULT 0",
};

// The same tables on PostgreSQL (ledger.url), shared by every replica. One
// verdict per request is the feedback table's primary key here.
inline constexpr const char* kPostgresSchema = R"(
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  unix_ms BIGINT NOT NULL,
  api_key TEXT NOT NULL,
  model TEXT NOT NULL,
  tier TEXT NOT NULL,
  upstream_model TEXT NOT NULL,
  reason TEXT NOT NULL,
  stream BIGINT NOT NULL,
  escalated BIGINT NOT NULL,
  status BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  cache_hit_tokens BIGINT NOT NULL,
  cache_miss_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  cost_pico_usd BIGINT NOT NULL,
  cost_estimated BIGINT NOT NULL,
  ttfb_us BIGINT NOT NULL,
  total_us BIGINT NOT NULL,
  overhead_us BIGINT NOT NULL,
  error TEXT NOT NULL
);
-- BRIN, not a B-tree: rows arrive nearly in time order, and a B-tree insert per row was a
-- large share of the server's work at thousands of requests a second.
CREATE INDEX IF NOT EXISTS requests_by_time ON requests USING BRIN (unix_ms);
-- When a replica's writer sent the row (not kept when a row is sent again):
-- a shared dashboard reads what is new by it. BRIN: rows arrive in its order.
ALTER TABLE requests ADD COLUMN IF NOT EXISTS written_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS requests_by_write ON requests USING BRIN (written_ms);
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT PRIMARY KEY,
  unix_ms BIGINT NOT NULL,
  tier TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  error_cost_usd DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS feedback_by_time ON feedback (unix_ms);
CREATE TABLE IF NOT EXISTS prompts (
  request_id TEXT PRIMARY KEY,
  unix_ms BIGINT NOT NULL,
  prompt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prompts_by_time ON prompts (unix_ms);
)";

// The requests table's columns in order (the values of kInsertRequest).
inline constexpr const char* kRequestColumns[] = {
    "id", "unix_ms", "api_key", "model", "tier", "upstream_model", "reason", "stream", "escalated",
    "status", "attempts", "prompt_tokens", "cache_hit_tokens", "cache_miss_tokens", "completion_tokens",
    "reasoning_tokens", "cost_pico_usd", "cost_estimated", "ttfb_us", "total_us", "overhead_us", "error",
    "fell_back", "answer_prompt_tokens", "answer_cache_hit_tokens", "answer_completion_tokens",
};

inline constexpr const char* kInsertRequest =
    "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?)";
inline constexpr const char* kInsertFeedback = "INSERT INTO feedback VALUES (?, ?, ?, ?, ?)";
inline constexpr const char* kDeleteFeedback = "DELETE FROM feedback WHERE request_id = ?";
inline constexpr const char* kInsertPrompt = "INSERT OR REPLACE INTO prompts VALUES (?, ?, ?)";
inline constexpr const char* kExpirePrompts = "DELETE FROM prompts WHERE unix_ms < ?";

}  // namespace fulcrum
