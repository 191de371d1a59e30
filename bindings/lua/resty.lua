-- kusto.resty: Kusto queries from OpenResty / lua-nginx-module that never block the worker. The core (through
-- client:op) decides every request, retry and pause and parses the answers; this module only moves bytes over
-- cosockets (ngx.socket.tcp) and sleeps with ngx.sleep, so the request's coroutine yields while it waits.
--
--   init_worker_by_lua_block { kusto_client = require("kusto.resty").client(cs, opts) }  -- one per worker
--   content_by_lua_block { local res, err = kusto_client:query(nil, "T | take 10") ... }
--
-- Trust: nginx verifies the cluster's certificate against `lua_ssl_trusted_certificate` (cosockets cannot be given
-- a CA file of their own), and by host name only. A loopback address is verified as "localhost" (the core says so
-- in tls_name); any other address is refused: use the cluster's name, which needs nginx's `resolver` directive.
local kusto = require "kusto"

local M = { _VERSION = kusto._VERSION }

local KEEPALIVE_MS = 60000 -- how long an idle connection waits in nginx's pool
local READ_SIZE = 65536

local Client = {}
Client.__index = Client

-- An IP address rather than a name (IPv4 dotted, or IPv6 with its colons).
local function is_address(host)
   return host:match("^%d+%.%d+%.%d+%.%d+$") ~= nil or host:find(":", 1, true) ~= nil
end

-- Failures worth another attempt (the core decides whether to make it): the peer went away or refused.
local TRANSIENT = { ["closed"] = true, ["connection refused"] = true, ["connection reset by peer"] = true,
                    ["broken pipe"] = true }

local function transport_failure(op, sock, r, what, err)
   sock:close()
   op:failed(TRANSIENT[err] == true, string.format("%s %s:%d: %s", what, r.host, r.port, tostring(err)))
end

-- Connects (or takes a pooled connection), with TLS unless there is no tls_name (plain http: loopback only, the
-- core refuses it elsewhere); returns true, or nil and the step that failed and why.
local function open(sock, r)
   if r.timeout_ms and r.timeout_ms >= 0 then
      local ms = math.max(r.timeout_ms, 1)
      sock:settimeouts(ms, ms, ms)
   end
   local ok, err = sock:connect(r.host, r.port, { pool = string.format("kusto:%s:%d:%s", r.host, r.port,
                                                                          r.tls_name or "") })
   if not ok then return nil, "connect to", err end
   if r.tls_name and sock:getreusedtimes() == 0 then
      ok, err = sock:sslhandshake(nil, r.tls_name, true)
      if not ok then return nil, "TLS with", err end
   end
   return true
end

-- One attempt on one connection: the request out, the answer into the op until it is whole (or the op failed).
-- "stale" when a pooled connection turned out closed before the answer's first byte (the server let it go while
-- it was idle): nothing reached the op, and the request goes out again on another connection.
local function attempt(op, r)
   local sock = ngx.socket.tcp()
   local ok, what, err = open(sock, r)
   local reused = ok and sock:getreusedtimes() > 0
   if ok then
      ok, err = sock:send(op:request_bytes())
      what = "send to"
   end
   if not ok and reused and TRANSIENT[err] then
      sock:close()
      return "stale"
   end
   if not ok then return transport_failure(op, sock, r, what, err) end
   local answered, received = 0, false
   while answered == 0 do
      local data
      data, err = sock:receiveany(READ_SIZE)
      if not data and reused and not received and TRANSIENT[err] then
         sock:close()
         return "stale"
      end
      if not data and err ~= "closed" then return transport_failure(op, sock, r, "read from", err) end
      received = true
      answered = op:receive(data) -- rows reach on_row from here; nil: the end of the connection
      if not data and answered == 0 then return transport_failure(op, sock, r, "read from", "closed") end
   end
   if answered == 1 and op:keep_alive() then
      sock:setkeepalive(KEEPALIVE_MS)
   else
      sock:close()
   end
end

local function exchange(op, r)
   if r.tls_name and is_address(r.tls_name) then
      return op:failed(false, "nginx verifies a certificate by host name only: use the cluster's name (and a "
                       .. "resolver directive), not the address " .. r.host)
   end
   repeat until attempt(op, r) ~= "stale" -- each stale connection leaves the pool
end

-- Drives an op (client:op) to its end with cosockets; returns op:result().
function M.run(op)
   while true do
      local step, r = op:next()
      if step == "send" then
         exchange(op, r)
      elseif step == "wait" then
         ngx.sleep(r / 1000)
      else
         return op:result()
      end
   end
end

-- client:query(db, csl [, properties]) -> what kusto's client:query returns, without blocking the worker.
function Client:query(db, csl, properties)
   return M.run(self.core:op(db, csl, properties))
end

-- client:each_row(db, csl, f [, properties]): f(row, table) for each primary row as it arrives (return false to
-- stop). f runs inside the core's parse: it must not yield (no cosocket, ngx.sleep or ngx.flush(true) in it).
function Client:each_row(db, csl, f, properties)
   return M.run(self.core:op(db, csl, properties, f))
end

-- Control commands ('.show ...') go through query too: the core routes them to the management endpoint.
Client.mgmt = Client.query

function Client:close()
   self.core:close()
end

-- kusto.resty.client(cs [, opts]): opts as kusto.client's. opts.ca_file must be the file nginx trusts: pass
-- lua_ssl_trusted_certificate = <the directive's path> too (nginx cannot tell a module its configuration).
function M.client(cs, opts)
   local core_opts, trusted = {}, nil
   for k, v in pairs(opts or {}) do
      if k == "lua_ssl_trusted_certificate" then trusted = v else core_opts[k] = v end
   end
   if core_opts.ca_file and core_opts.ca_file ~= trusted then
      error(string.format("kusto.resty: nginx verifies servers with lua_ssl_trusted_certificate, not ca_file: set "
                          .. "`lua_ssl_trusted_certificate %s;` and pass lua_ssl_trusted_certificate = %q too",
                          core_opts.ca_file, core_opts.ca_file), 0)
   end
   local core, err = kusto.client(cs, core_opts)
   if not core then return nil, err end
   return setmetatable({ core = core }, Client)
end

return M
