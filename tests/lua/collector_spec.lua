-- The collector is paused while a result is built, and left as the user had it once the call ends,
-- whether it succeeds, fails or raises.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

-- Lua 5.1 cannot tell whether the user stopped the collector, so the module leaves it alone there.
local it = pcall(collectgarbage, "isrunning") and it or pending

-- A cancel function that notes whether the collector runs while the call waits, then stops the call.
local function spy()
   local seen = {}
   seen.fn = function()
      seen.running = collectgarbage("isrunning")
      return true
   end
   return seen
end

local function held_back_query()
   helper.fault({ path = "/v2/rest/query", delay = 3, count = 1 })
end

-- An object whose finalizer notes that it ran; garbage as soon as this returns.
local function finalizable(seen)
   local function note() seen.finalized = true end
   if newproxy then -- Lua 5.1 and LuaJIT finalize only userdata
      getmetatable(newproxy(true)).__gc = note
   else
      setmetatable({}, { __gc = note })
   end
end

-- Runs `call` with the collector always in a cycle (pause 100, large steps): an object made garbage just
-- before is finalized within the call's first megabyte or so of allocations unless the collector is paused. Returns whether it
-- was finalized during the call, then whether it was once the collector ran to the end.
local function finalized_during(call)
   local seen = {}
   local pause, stepmul = collectgarbage("setpause", 100), collectgarbage("setstepmul", 1000)
   collectgarbage("collect")
   finalizable(seen)
   call()
   local during = seen.finalized == true
   collectgarbage("setpause", pause)
   collectgarbage("setstepmul", stepmul)
   collectgarbage("collect")
   return during, seen.finalized == true
end

describe("the collector", function()
   local client
   before_each(function()
      client = assert(kusto.client(helper.connection_string(), helper.opts()))
      assert(client:query(nil, "print 0")) -- signed in: the next call waits only for the query
   end)
   after_each(function()
      collectgarbage("restart")
      helper.clear_faults()
      client:close()
   end)

   it("is paused while a query builds its result and running again afterwards", function()
      held_back_query()
      local seen = spy()
      local res, err = client:query(nil, "print 1", { cancel = seen.fn })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.are.equal(false, seen.running)
      assert.is_true(collectgarbage("isrunning"))
   end)

   it("keeps running for a row function, whose rows are garbage once handed over", function()
      held_back_query()
      local seen = spy()
      local res, err = client:each_row(nil, "print 1", function() end, { cancel = seen.fn })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.are.equal(true, seen.running)
      assert.is_true(collectgarbage("isrunning"))
   end)

   it("runs again after a query and after a failed query", function()
      local res = assert(client:query(nil, "range x from 1 to 3000 step 1"))
      assert.are.equal(3000, #res.primary_results[1].rows)
      assert.is_true(collectgarbage("isrunning"))
      local failed, err = client:query(nil, "NoSuchTable | take 1")
      assert.is_nil(failed)
      assert.are.equal("KUSTO_E_SERVICE", err.status)
      assert.is_true(collectgarbage("isrunning"))
      assert(kusto.query(helper.connection_string(), nil, "print 1", helper.opts()))
      assert.is_true(collectgarbage("isrunning"))
   end)

   it("runs again after an error raised by the cancel function", function()
      held_back_query()
      assert.has_error(function()
         client:query(nil, "print 1", { cancel = function() error("mine") end })
      end)
      assert.is_true(collectgarbage("isrunning"))
   end)

   it("is paused while query_columns fills its arrays, as it runs during each_row", function()
      local csl = "range x from 1 to 70000 step 1"
      local res
      local during, after = finalized_during(function() res = assert(client:query_columns(nil, csl)) end)
      assert.are.equal(70000, #res.primary_results[1].data[1])
      assert.is_false(during)
      assert.is_true(after)
      assert.is_true(collectgarbage("isrunning"))
      local rows = 0
      during = finalized_during(function() assert(client:each_row(nil, csl, function() rows = rows + 1 end)) end)
      assert.are.equal(70000, rows)
      assert.is_true(during) -- the check can see a collector that runs
   end)

   it("stays stopped when the user had stopped it", function()
      collectgarbage("stop")
      local res = assert(client:query(nil, "range x from 1 to 10 step 1"))
      assert.are.equal(10, #res.primary_results[1].rows)
      assert.is_false(collectgarbage("isrunning"))
      local failed = client:query(nil, "NoSuchTable | take 1")
      assert.is_nil(failed)
      assert.is_false(collectgarbage("isrunning"))
      assert(client:query_columns(nil, "range x from 1 to 10 step 1"))
      assert.is_false(collectgarbage("isrunning"))
   end)
end)
