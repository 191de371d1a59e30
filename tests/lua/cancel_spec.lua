-- A `cancel` function asked while a call waits stops it with KUSTO_E_CANCELLED.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local DELAY = 10 -- seconds the emulator holds the query's answer back

local function slow_query()
   helper.fault({ path = "/v2/rest/query", delay = DELAY, count = 1 })
end

-- The emulator took the fault, so the query had reached it and is waiting for its answer.
local function server_holds_query()
   return #helper.faults().faults == 0
end

local function assert_reached_server()
   assert.is_true(server_holds_query())
end

-- A cancel function that answers true once the emulator holds the query back, and counts its calls. Not a
-- clock: a whole-second os.time can tick at once, cancelling during the sign-in, before the query is sent.
local function cancel_when_held()
   local calls = { n = 0 }
   calls.fn = function()
      calls.n = calls.n + 1
      return server_holds_query()
   end
   return calls
end

describe("cancel", function()
   helper.faults_per_test(before_each, after_each)

   it("stops a one-shot query held back by the server, well before its answer", function()
      slow_query()
      local calls = cancel_when_held()
      local started = os.time()
      local res, err = kusto.query(helper.connection_string(), nil, "print 1", helper.opts({ cancel = calls.fn }))
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.matches("cancelled", err.message)
      assert.is_true(calls.n > 1)
      assert.is_true(os.difftime(os.time(), started) < DELAY / 2)
      assert_reached_server()
   end)

   it("stops client:query and client:each_row through their properties; the client stays usable", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      assert(client:query(nil, "print 0")) -- signed in, connection open
      slow_query()
      local started = os.time()
      local res, err = client:query(nil, "print 1", { cancel = cancel_when_held().fn })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert_reached_server()
      slow_query()
      local rows = 0
      res, err = client:each_row(nil, "print 1", function() rows = rows + 1 end, { cancel = cancel_when_held().fn })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.are.equal(0, rows)
      assert_reached_server()
      -- The next query does not wait behind the stopped ones; the other properties still go to Kusto.
      res = assert(client:query(nil, "print x=2", { cancel = function() return false end, servertimeout = "00:01:00" }))
      assert.are.equal(2, res.primary_results[1].rows[1][1])
      local options = helper.query_body(helper.last(helper.query_body)).properties.Options
      assert.are.equal("00:01:00", options.servertimeout)
      assert.is_nil(options.cancel)
      assert.is_true(os.difftime(os.time(), started) < DELAY / 2)
      client:close()
   end)

   it("raises again an error the cancel function raises, after stopping the query", function()
      slow_query()
      local started = os.time()
      assert.has_error(function()
         kusto.query(helper.connection_string(), nil, "print 1", helper.opts({
            cancel = function()
               if server_holds_query() then error("stop right there", 0) end
            end }))
      end, "stop right there")
      assert.is_true(os.difftime(os.time(), started) < DELAY / 2)
      assert_reached_server()
   end)

   it("rejects a cancel that is not a function, and one given to kusto.client", function()
      assert.has_error(function()
         kusto.query(helper.connection_string(), nil, "print 1", helper.opts({ cancel = true }))
      end, "kusto: 'cancel' must be a function, not boolean")
      assert.has_error(function()
         kusto.client(helper.connection_string(), helper.opts({ cancel = function() return true end }))
      end, "kusto: 'cancel' belongs to a call: pass it in the properties of client:query")
   end)
end)
