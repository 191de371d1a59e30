-- lua bench/bench.lua libkusto|libkusto_raw_ticks|libkusto_columns PORT ROWS | lua bench/bench.lua cjson FILE
-- libkusto: one query, timed by the runner from outside (Lua has no wall clock); cjson: decode timed with os.clock.
local what, arg1, arg2 = ...
if what == "cjson" then
  local f = assert(io.open(arg1, "rb"))
  local body = f:read("a")
  f:close()
  local cjson = require "cjson"
  local start = os.clock()
  local doc = cjson.decode(body)
  print(string.format('{"seconds": %.6f, "frames": %d}', os.clock() - start, #doc))
elseif what == "libkusto" or what == "libkusto_raw_ticks" then
  local kusto = require "kusto"
  local client = assert(kusto.client("Data Source=http://127.0.0.1:" .. arg1 .. ";Initial Catalog=bench"))
  local res = assert(client:query("bench", "rows=" .. arg2, { raw_ticks = what == "libkusto_raw_ticks" }))
  local n = 0
  for _, t in ipairs(res.tables) do if t.kind == "PrimaryResult" then n = n + #t.rows end end
  print(string.format('{"rows": %d}', n))
  -- Exit without lua_close: freeing the result is not part of the query, as freeing its document is not part
  -- of lua-cjson's decode time.
  os.exit(true)
elseif what == "libkusto_columns" then
  local kusto = require "kusto"
  local client = assert(kusto.client("Data Source=http://127.0.0.1:" .. arg1 .. ";Initial Catalog=bench"))
  local res = assert(client:query_columns("bench", "rows=" .. arg2))
  print(string.format('{"rows": %d}', #res.primary_results[1].data[1]))
  os.exit(true)
elseif what == "start" then
  require "kusto"
  print('{"rows": 0}')
end
