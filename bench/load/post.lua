-- wrk script: POST a chat completion. BODY_KIND=stream selects a 10-event SSE answer.
local kind = os.getenv("BODY_KIND") or "small"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if kind == "stream" then
  wrk.body = '{"model":"flash","stream":true,"messages":[{"role":"user","content":"hello there"}],"fake":{"chunks":10}}'
else
  wrk.body = '{"model":"flash","messages":[{"role":"user","content":"hello there"}]}'
end
