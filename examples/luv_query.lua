-- A query driven by a libuv event loop (luv; Neovim's vim.uv is the same API): the loop stays free while the query
-- runs. client:op says what to send; this file only moves bytes and waits, as kusto.resty does with nginx's
-- cosockets. luv has TCP but no TLS, so the TLS here is LuaSec over a non-blocking LuaSocket socket whose
-- descriptor a uv poll handle watches; each exchange runs in a coroutine that yields until the socket is ready.
--   lua5.4 examples/luv_query.lua "Data Source=https://...;..." [query]     (Debian: lua-luv, lua-sec)
-- Without a connection string it uses the local emulator's configuration (KUSTO_EMULATOR_CONFIG).
local uv = require "luv"
local socket = require "socket"
local ssl = require "ssl"
local kusto = require "kusto"

local cs, opts = arg[1], {}
if not cs or cs == "" then
   local cjson = require "cjson"
   local path = assert(os.getenv("KUSTO_EMULATOR_CONFIG"), "give a connection string or set KUSTO_EMULATOR_CONFIG")
   local f = assert(io.open(path))
   local cfg = cjson.decode(f:read("*l"))
   f:close()
   cs = cfg.connection_string
   opts = { ca_file = cfg.ca_file, authority = cfg.authority }
end
local query = arg[2] or "range x from 1 to 5 step 1 | extend y = x * 2"
-- LuaSec verifies the chain against a CA file (the system's bundle unless the options name one).
local CA_FILE = opts.ca_file or "/etc/ssl/certs/ca-certificates.crt"

-- Suspends the coroutine until the socket is readable ("r") or writable ("w").
local function ready(sock, events)
   local co = coroutine.running()
   local poll = uv.new_poll(sock:getfd())
   poll:start(events, function()
      poll:stop()
      poll:close()
      assert(coroutine.resume(co))
   end)
   coroutine.yield()
end

-- Calls f(sock) until it stops asking to wait ("timeout" from LuaSocket, "wantread"/"wantwrite" from LuaSec).
local function retrying(sock, f)
   while true do
      local result, err, partial = f(sock)
      if err == "timeout" or err == "wantread" then
         if partial and partial ~= "" then return partial end
         ready(sock, "r")
      elseif err == "wantwrite" then
         ready(sock, "w")
      else
         return result, err
      end
   end
end

-- LuaSec checks the chain; the name is checked here against the certificate's DNS names (the core's tls_name:
-- "localhost" for a loopback address, else the host).
local function has_name(conn, name)
   local alt = conn:getpeercertificate():extensions()["2.5.29.17"] or {}
   for _, dns in ipairs(alt.dNSName or {}) do
      if dns:lower() == name:lower() then return true end
   end
   return false
end

local function connect(r)
   local sock = socket.tcp()
   sock:settimeout(0)
   local ok, err = sock:connect(r.host, r.port)
   if not ok and err == "timeout" then
      ready(sock, "w")
      ok, err = sock:connect(r.host, r.port) -- "already connected" once the connect is done
      ok = ok or err == "already connected"
   end
   if not ok then return nil, err end
   if not r.tls_name then return sock end -- plain http (loopback only)
   local conn = assert(ssl.wrap(sock, { mode = "client", protocol = "any", cafile = CA_FILE, verify = "peer",
                                        options = "all" }))
   conn:sni(r.tls_name)
   conn:settimeout(0)
   ok, err = retrying(conn, function(c) return c:dohandshake() end)
   if ok and not has_name(conn, r.tls_name) then ok, err = nil, "certificate host mismatch" end
   if not ok then
      conn:close()
      return nil, err
   end
   return conn
end

-- One exchange: the request out, the answer into the op until it is whole.
local function exchange(op, r)
   local sock, err = connect(r)
   if not sock then return op:failed(true, "connect to " .. r.host .. ": " .. tostring(err)) end
   local request, sent = op:request_bytes(), 0
   while sent < #request do
      local n, serr, last = sock:send(request, sent + 1)
      sent = n or last or sent
      if serr == "timeout" or serr == "wantwrite" then
         ready(sock, "w")
      elseif serr then
         sock:close()
         return op:failed(true, "send: " .. serr)
      end
   end
   local answered = 0
   while answered == 0 do
      local data, rerr = retrying(sock, function(s) return s:receive(65536) end)
      if not data and rerr ~= "closed" then
         sock:close()
         return op:failed(true, "read: " .. tostring(rerr))
      end
      answered = op:receive(data) -- nil: the end of the connection
   end
   sock:close() -- a driver with a pool keeps it when op:keep_alive() says so
end

-- Runs the op in a coroutine on the loop; calls done(result, err) at its end.
local function run(op, done)
   coroutine.wrap(function()
      while true do
         local step, r = op:next()
         if step == "send" then
            exchange(op, r)
         elseif step == "wait" then -- a retry's pause: a timer, so the loop goes on
            local co, timer = coroutine.running(), uv.new_timer()
            timer:start(r, 0, function()
               timer:close()
               assert(coroutine.resume(co))
            end)
            coroutine.yield()
         else
            return done(op:result())
         end
      end
   end)()
end

local client = assert(kusto.client(cs, opts))
local ticks, ticker = 0, uv.new_timer()
ticker:start(10, 10, function() ticks = ticks + 1 end) -- other work the loop does meanwhile
local rows = 0
run(client:op(nil, query, nil, function(row)
   rows = rows + 1
   local cells = {}
   for i = 1, #row do cells[i] = row[i] == kusto.null and "null" or tostring(row[i]) end
   print(table.concat(cells, "  "))
end), function(res, err)
   ticker:close()
   if not res then
      io.stderr:write(tostring(err), "\n")
      os.exit(1)
   end
   io.stderr:write(string.format("%d rows; the loop ran a 10 ms timer %d times meanwhile\n", rows, ticks))
end)
uv.run()
