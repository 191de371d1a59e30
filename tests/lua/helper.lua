-- Shared by the busted specs: the emulator's configuration and request log.
-- The test runner starts `kusto-emulator --print-config --request-log FILE` and exports
-- KUSTO_EMULATOR_CONFIG (a file holding the printed JSON line) and KUSTO_EMULATOR_LOG (FILE: one JSON
-- record per request the emulator received).
local cjson = require "cjson"

local helper = {}

local function read_file(path)
   local f = assert(io.open(path, "rb"))
   local text = f:read("*a")
   f:close()
   return text
end

local function env(name)
   return os.getenv(name) or error(name .. " is not set: start the emulator first (see tests/lua/helper.lua)")
end

local config
function helper.config()
   if not config then
      config = cjson.decode(read_file(env("KUSTO_EMULATOR_CONFIG")):match("[^\n]+"))
   end
   return config
end

-- The command of the Lua running the specs (`lua5.1 /usr/bin/busted`: "lua5.1"), for child processes.
function helper.interpreter()
   local i = -1
   while arg[i - 1] do i = i - 1 end
   return arg[i] or "lua"
end

-- Runs a shell command; true when it exits with status 0 (os.execute gives a number on Lua 5.1, a boolean after).
function helper.execute(command)
   local ok, _, code = os.execute(command)
   if type(ok) == "number" then return ok == 0 end
   return ok == true and code == 0
end

-- The value a 64-bit integer (given as decimal text) has in a result under the default int64 option: a native
-- integer on Lua 5.3+; before, a number when it is within 2^53 in magnitude, else the text itself.
function helper.exact(text)
   local n = tonumber(text)
   if math.type then return math.tointeger(n) end
   if n >= -2^53 and n <= 2^53 and string.format("%.0f", n) == text then return n end
   return text
end

-- Options every call needs to reach the emulator: its CA and its authority URL.
function helper.opts(extra)
   local cfg = helper.config()
   local opts = { ca_file = cfg.ca_file, authority = cfg.authority }
   for k, v in pairs(extra or {}) do opts[k] = v end
   return opts
end

-- A connection string for the emulator's test application; `overrides` replaces or adds keywords.
function helper.connection_string(overrides)
   local cfg = helper.config()
   local keywords = {
      { "Data Source", cfg.cluster },
      { "Initial Catalog", cfg.database },
      { "AAD Federated Security", "True" },
      { "Application Client Id", cfg.client_id },
      { "Application Key", cfg.client_secret },
      { "Authority Id", cfg.tenant },
   }
   overrides = overrides or {}
   local parts = {}
   for _, kv in ipairs(keywords) do
      local value = overrides[kv[1]]
      if value == nil then value = kv[2] end
      if value then parts[#parts + 1] = kv[1] .. "=" .. value end
   end
   return table.concat(parts, ";")
end

-- Every request the emulator has logged so far, decoded.
function helper.records()
   local records = {}
   local f = io.open(env("KUSTO_EMULATOR_LOG"), "rb")
   if not f then return records end
   for line in f:lines() do
      if line:match("%S") then records[#records + 1] = cjson.decode(line) end
   end
   f:close()
   return records
end

function helper.is_token_request(record)
   return type(record.form) == "table"
end

function helper.count(predicate)
   local n = 0
   for _, r in ipairs(helper.records()) do
      if not predicate or predicate(r) then n = n + 1 end
   end
   return n
end

function helper.token_requests()
   return helper.count(helper.is_token_request)
end

-- The last logged request for which predicate(record) is true.
function helper.last(predicate)
   local records = helper.records()
   for i = #records, 1, -1 do
      if predicate(records[i]) then return records[i] end
   end
end

function helper.query_body(record)
   return type(record.body) == "table" and record.body or nil
end

-- Calls the emulator's control API (see emulator/kusto_emulator/control.py) with curl, as Lua has no
-- HTTPS client of its own; returns the decoded answer, raises when curl fails or the emulator answers an error.
local function control(method, path, body)
   local cfg = helper.config()
   local request = os.tmpname()
   local f = assert(io.open(request, "wb"))
   f:write(body and cjson.encode(body) or "")
   f:close()
   local pipe = assert(io.popen(string.format(
      "curl -sS --fail --noproxy '*' --cacert '%s' -X %s -H 'Content-Type: application/json' %s '%s%s'",
      cfg.ca_file, method, body and ("--data-binary @" .. request) or "", cfg.control, path)))
   local answer = pipe:read("*a")
   local ok, how, code = pipe:close()
   os.remove(request)
   assert(ok, string.format("curl %s %s failed (%s %s)", method, path, tostring(how), tostring(code)))
   return cjson.decode(answer)
end

-- Arms an emulator fault: {path =, status =, body =, headers =, delay =, truncate_after =, count =}.
function helper.fault(spec)
   return control("POST", "/faults", spec)
end

-- The faults still armed, as the emulator describes them ({path =, count = <left>, ...}).
function helper.faults()
   return control("GET", "/faults")
end

function helper.clear_faults()
   control("DELETE", "/faults")
end

-- Every spec file that arms faults calls this inside its describe: no fault armed when a test starts (the
-- emulator may be shared with an earlier, interrupted run) and none left after it (even when it failed, or its
-- request never reached the emulator); busted runs after_each whatever the test's outcome.
-- Each test also starts as a new process would: no shared one-shot client, no kept metadata or discovery.
function helper.faults_per_test(before_each, after_each)
   before_each(helper.clear_faults)
   before_each(require("kusto").clear_process_state)
   after_each(helper.clear_faults)
end

-- Runs a query on the emulator; raises "kusto: <message>" on failure.
function helper.query(csl, properties)
   local kusto = require "kusto"
   local opts = helper.opts({ properties = properties })
   return assert(kusto.query(helper.connection_string(), nil, csl, opts))
end

return helper
