-- One deadline per call: `timeout` bounds the cloud metadata, the sign-in and the query together.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

-- Lua has no monotonic clock of its own: whole seconds of os.time, so the bounds are loose but still far
-- from the 10 s a stalled metadata request took when each step had its own timeout.
local function timed_query(opts)
   local started = os.time()
   local res, err = kusto.query(helper.connection_string(), nil, "print 1", helper.opts(opts))
   return res, err, os.time() - started
end

describe("a call's timeout", function()
   helper.faults_per_test(before_each, after_each)

   it("ends a call whose cloud metadata request stalls at the deadline", function()
      helper.fault({ path = "/v1/rest/auth/metadata", stall = true })
      local res, err, elapsed = timed_query({ timeout = 2 })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_TIMEOUT", err.status)
      assert.is_true(elapsed >= 1 and elapsed <= 3, "took " .. elapsed .. " s")
   end)

   it("is shared by the metadata, the sign-in and the query", function()
      local token_path = "/" .. helper.config().tenant .. "/oauth2/v2.0/token"
      for _, path in ipairs({ "/v1/rest/auth/metadata", token_path, "/v2/rest/query" }) do
         helper.fault({ path = path, delay = 1.5 })
      end
      local queries = helper.count(function(r) return r.path == "/v2/rest/query" end)
      local res, err, elapsed = timed_query({ timeout = 2.5 })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_TIMEOUT", err.status)
      assert.is_true(elapsed <= 4, "took " .. elapsed .. " s")
      assert.are.equal(queries, helper.count(function(r) return r.path == "/v2/rest/query" end))
   end)
end)
