-- client:op, the query whose exchanges the caller performs, driven here by a blocking LuaSocket + LuaSec loop that
-- feeds the answers one byte at a time (so rows, dynamic values and the builder's state cross many receive calls).
-- Runs where lua-socket and lua-sec are installed (Debian: every runtime); kusto.resty's test drives it in nginx.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local kusto = require "kusto"
local helper = require "helper"

local has_socket, socket = pcall(require, "socket")
local has_ssl, ssl = pcall(require, "ssl")
local it = (has_socket and has_ssl) and it or pending

-- One exchange over a fresh connection; true when the answer was whole.
local function exchange(op, r)
   local sock = socket.tcp()
   sock:settimeout(30)
   local ok, err = sock:connect(r.host, r.port)
   if ok and r.tls_name then
      sock = assert(ssl.wrap(sock, { mode = "client", protocol = "any", cafile = helper.config().ca_file,
                                     verify = "peer", options = "all" }))
      sock:sni(r.tls_name)
      ok, err = sock:dohandshake()
   end
   if ok then ok, err = sock:send(op:request_bytes()) end
   local answered = 0
   while ok and answered == 0 do
      local byte, rerr = sock:receive(1)
      if not byte and rerr ~= "closed" then ok, err = nil, rerr end
      if ok then answered = op:receive(byte) end
   end
   sock:close()
   if not ok then op:failed(true, "connection: " .. tostring(err)) end
end

local function drive(op)
   while true do
      local step, r = op:next()
      if step == "send" then
         exchange(op, r)
      elseif step == "wait" then
         socket.sleep(r / 1000)
      else
         assert.are.equal("done", step)
         return op:result()
      end
   end
end

local function client(opts)
   return assert(kusto.client(helper.connection_string(), helper.opts(opts)))
end

local CSL = 'print a=9007199254740993, b=long(-9223372036854775808), s="héllo", n=long(null), '
   .. 'd=datetime(2024-01-02T03:04:05.1234567Z), j=dynamic({"k": [1, {"x": null}], "e": {}})'

describe("client:op", function()
   helper.faults_per_test(before_each, after_each)

   it("gives the rows client:query gives, fed a byte at a time", function()
      local c = client()
      assert.are.same(assert(c:query(nil, CSL)).primary_results[1].rows, drive(c:op(nil, CSL)).primary_results[1].rows)
      local many = "range x from 1 to 300 step 1 | extend s = strcat('row ', x), j = dynamic([1, {\"a\": null}])"
      local res, blocking = drive(c:op(nil, many)), assert(c:query(nil, many))
      assert.are.same(blocking.primary_results, res.primary_results)
      assert.are.equal(#blocking.tables, #res.tables)
   end)

   it("respects the call's options as client:query does (int64, raw_ticks)", function()
      local c = client({ int64 = "number" })
      local props = { raw_ticks = true }
      assert.are.same(assert(c:query(nil, CSL, props)).primary_results[1].rows,
                      drive(c:op(nil, CSL, props)).primary_results[1].rows)
   end)

   it("streams primary rows into on_row, which may stop the query", function()
      local c, seen = client(), {}
      local res = drive(c:op(nil, "range x from 1 to 3 step 1", nil, function(row) seen[#seen + 1] = row[1] end))
      assert.are.same({ helper.exact("1"), helper.exact("2"), helper.exact("3") }, seen)
      assert.are.same({}, res.primary_results[1].rows)
      local blocking = { c:each_row(nil, "range x from 1 to 3 step 1", function() return false end) }
      local op = { drive(c:op(nil, "range x from 1 to 3 step 1", nil, function() return false end)) }
      assert.are.equal(blocking[2].status, op[2].status)
   end)

   it("raises the row function's error from result(), as client:each_row does", function()
      local c = client()
      local op = c:op(nil, "range x from 1 to 3 step 1", nil, function() error("row handler failed", 0) end)
      assert.has_error(function() drive(op) end, "row handler failed")
   end)

   it("returns the service's error as client:query does", function()
      local c = client()
      local _, blocking = c:query(nil, "NoSuchTable | take 1")
      local res, err = drive(c:op(nil, "NoSuchTable | take 1"))
      assert.is_nil(res)
      assert.are.equal(blocking.status, err.status)
      assert.are.equal(tostring(blocking), tostring(err))
   end)

   it("fails an answer cut off part-way as client:query does", function()
      local csl = "range x from 1 to 200 step 1 | extend s = strcat('row ', x)"
      helper.fault({ path = "/v2/rest/query", truncate_after = 3000, count = require("cjson").null })
      local c = client()
      local _, blocking = c:query(nil, csl)
      local res, err = drive(c:op(nil, csl))
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_NETWORK", blocking.status)
      assert.are.equal(blocking.status, err.status)
      assert.matches("^kusto: request to https://.*/v2/rest/query failed: ", tostring(err)) -- how: the driver's words
   end)

   it("gives its result once, after done", function()
      local op = client():op(nil, "print 1")
      assert.has_error(function() op:result() end, 'kusto: the op is not done: call next() until it says "done"')
      drive(op)
      assert.has_error(function() op:result() end, "kusto: the op's result was already taken")
      assert.are.equal("done", op:next())
   end)

   it("can be closed before its end, and refuses calls after", function()
      local op = client():op(nil, "print 1")
      assert.are.equal("send", op:next())
      op:close()
      assert.has_error(function() op:next() end, "kusto: the op is closed")
   end)

   it("outlives a client closed while it runs", function()
      local c = client()
      local op = c:op(nil, "print v = 5")
      c:close()
      assert.has_error(function() c:query(nil, "print 1") end, "kusto: the client is closed")
      assert.are.same({ { helper.exact("5") } }, drive(op).primary_results[1].rows)
      assert.are.equal("kusto.client (closed)", tostring(c))
   end)

   it("refuses a cancel function: an op is cancelled by closing it", function()
      assert.has_error(function() client():op(nil, "print 1", { cancel = function() end }) end,
                       "kusto: 'cancel' is for blocking calls: an op is cancelled by closing it")
   end)
end)

describe("examples/luv_query.lua", function()
   local has_luv = pcall(require, "luv")
   local run_it = (has_luv and has_socket and has_ssl) and it or pending

   run_it("drives an op from a libuv loop that keeps running meanwhile", function()
      helper.fault({ path = "/v2/rest/query", delay = 0.2, count = 1 })
      local err_file = os.tmpname()
      local pipe = assert(io.popen(string.format("%s %s../../examples/luv_query.lua '' 'print v = 42, s = \"x\"' 2>%s",
                                                 helper.interpreter(), here, err_file)))
      local out = pipe:read("*a")
      pipe:close()
      local f = assert(io.open(err_file))
      local err = f:read("*a")
      f:close()
      os.remove(err_file)
      assert.are.equal("42  x\n", out)
      local ticks = tonumber(err:match("^1 rows; the loop ran a 10 ms timer (%d+) times meanwhile\n$"))
      assert.is_true(ticks ~= nil and ticks >= 5, err) -- the 200 ms the emulator held the query: the loop ran
   end)
end)
