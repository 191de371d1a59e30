-- lua bench/bench.lua libkusto|libkusto_raw_ticks|libkusto_columns PORT ROWS | lua bench/bench.lua cjson|floor FILE
-- libkusto: one query, timed by the runner from outside (Lua has no wall clock); cjson: decode timed with os.clock;
-- floor: the primary table's cells as query_columns gives them, pushed into Lua arrays alone (lua_floor.c).
local what, arg1, arg2 = ...
if what == "cjson" then
  local f = assert(io.open(arg1, "rb"))
  local body = f:read("a")
  f:close()
  local cjson = require "cjson"
  local start = os.clock()
  local doc = cjson.decode(body)
  print(string.format('{"seconds": %.6f, "frames": %d}', os.clock() - start, #doc))
elseif what == "floor" then
  local f = assert(io.open(arg1, "rb"))
  local doc = require("cjson").decode(f:read("a"))
  f:close()
  local null, encode = require("cjson").null, require("cjson").encode
  local columns, id, rows = nil, nil, {}
  for _, frame in ipairs(doc) do
    if frame.FrameType == "TableHeader" and frame.TableKind == "PrimaryResult" then
      columns, id = frame.Columns, frame.TableId
    elseif frame.FrameType == "TableFragment" and frame.TableId == id then
      for _, r in ipairs(frame.Rows) do rows[#rows + 1] = r end
    end
  end
  local texts = {} -- a column of strings as its cells joined by "\0" (dynamic as JSON text), else false
  for c, col in ipairs(columns) do
    local t = col.ColumnType
    texts[c] = false
    if t == "string" or t == "guid" or t == "dynamic" or t == "decimal" then
      local cells = {}
      for i, r in ipairs(rows) do
        local v = r[c]
        cells[i] = v == null and "" or type(v) == "table" and encode(v) or tostring(v)
      end
      texts[c] = table.concat(cells, "\0")
    end
  end
  local n = #rows
  doc, rows = nil, nil
  collectgarbage()
  print(string.format('{"seconds": %.6f, "rows": %d}', require("lua_floor").measure(n, texts), n))
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
