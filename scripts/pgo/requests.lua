-- wrk script for the profile-guided build's training run (scripts/pgo-profile.sh):
-- cycles through the kinds of request a gateway serves most, each prompt made
-- distinct by a counter (so the cache does not answer them all).
-- REQUEST_MIX=routed (default): chat completions named by tier and routed by the learned
-- model, whole and streamed, and Anthropic Messages; REQUEST_MIX=streams: streamed only.
local mix = os.getenv("REQUEST_MIX") or "routed"
local prompts = {
  "hello there",
  "Write a Python function that returns the n-th Fibonacci number, with a docstring and tests.",
  "A train leaves at 3pm at 60 km/h and another at 4pm at 80 km/h on the same track. When does the second catch up?",
  "Summarise the main causes of the French Revolution in three short paragraphs for a history class.",
  "Extract every date and amount from this invoice text: paid 120 EUR on 2024-03-02, 80 EUR on 2024-04-11.",
  "Write a short, warm birthday message for my grandmother who loves gardening.",
}
local n = 0
local function chat(model, prompt, stream)
  local body = '{"model":"' .. model .. '","messages":[{"role":"system","content":"You are helpful."},' ..
    '{"role":"user","content":"' .. prompt .. '"}]'
  if stream then body = body .. ',"stream":true,"fake":{"chunks":10}' end
  return wrk.format("POST", "/v1/chat/completions", nil, body .. "}")
end
local function messages(prompt, stream)
  local body = '{"model":"auto","max_tokens":256,"system":"You are helpful.","messages":[{"role":"user","content":"' ..
    prompt .. '"}]' .. (stream and ',"stream":true' or "") .. "}"
  return wrk.format("POST", "/v1/messages", nil, body)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-fulcrum-training"
request = function()
  n = n + 1
  local prompt = prompts[n % #prompts + 1] .. " (" .. n .. ")"
  if mix == "streams" then return chat("flash", prompt, true) end
  local kind = n % 8
  if kind < 3 then return chat("flash", prompt, false)
  elseif kind < 5 then return chat("auto", prompt, false)
  elseif kind == 5 then return chat("auto", prompt, true)
  elseif kind == 6 then return messages(prompt, false)
  else return messages(prompt, true) end
end
