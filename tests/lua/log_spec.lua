local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

describe("kusto.set_log", function()
   helper.faults_per_test(before_each, after_each)
   after_each(function() kusto.set_log(nil) end)

   it("hands the library's messages to a function, at the level asked", function()
      local cfg = helper.config()
      local seen = {}
      kusto.set_log(function(level, message) seen[#seen + 1] = level .. " " .. message end)
      helper.fault({ path = "/v2/rest/query", status = 503, headers = { ["Retry-After"] = "0" }, count = 1 })
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      assert(client:query(nil, "print 1"))
      client:close()
      assert.are.same({ "20 sign-in for " .. cfg.cluster .. ": application_secret",
                        "20 POST " .. cfg.cluster .. "/v2/rest/query: HTTP 503; retry 1 in 0 ms (Retry-After)" }, seen)
      local text = table.concat(seen, "\n")
      assert.is_nil(text:find(cfg.client_secret, 1, true))

      seen = {}
      kusto.set_log(function(level, message) seen[#seen + 1] = message end, 10)
      assert(kusto.acquire_token(helper.connection_string(), helper.opts()))
      assert.is_truthy(table.concat(seen, "\n"):find("token cache miss for", 1, true))
   end)

   it("survives a failing function, and nil stops it", function()
      local calls = 0
      kusto.set_log(function() calls = calls + 1; error("log function down") end)
      assert(kusto.query(helper.connection_string(), nil, "print 1", helper.opts()))
      assert.are.equal(1, calls)
      kusto.set_log(nil)
      assert(kusto.query(helper.connection_string(), nil, "print 1", helper.opts()))
      assert.are.equal(1, calls)
   end)
end)
