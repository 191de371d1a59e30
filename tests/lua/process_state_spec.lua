-- The one-shot calls share the process's client per connection string and options: one sign-in, one metadata
-- request for many calls (core/src/shared_clients.c); callbacks make a client of the call's own.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local function metadata_requests()
   return helper.count(function(r) return r.path == "/v1/rest/auth/metadata" end)
end

describe("one-shot calls", function()
   helper.faults_per_test(before_each, after_each)

   it("share one client: 20 queries sign in once", function()
      local tokens, metadata = helper.token_requests(), metadata_requests()
      for i = 1, 20 do
         local res = assert(kusto.query(helper.connection_string(), nil, "print x = 1", helper.opts()))
         assert.are.equal(1, res.tables[1].rows[1][1])
      end
      assert(kusto.mgmt(helper.connection_string(), nil, ".show version", helper.opts()))
      assert.is_true(assert(kusto.acquire_token(helper.connection_string(), helper.opts())).from_cache)
      assert.are.equal(tokens + 1, helper.token_requests())
      assert.are.equal(metadata + 1, metadata_requests())
      kusto.clear_process_state()
      assert.is_false(assert(kusto.acquire_token(helper.connection_string(), helper.opts())).from_cache)
      assert.are.equal(tokens + 2, helper.token_requests())
   end)

   it("with a token callback use a client of their own", function()
      local calls = 0
      local opts = helper.opts({ token_callback = function() calls = calls + 1; return "t" end })
      assert(kusto.acquire_token(helper.connection_string(), opts))
      assert(kusto.acquire_token(helper.connection_string(), opts))
      assert.are.equal(2, calls)
   end)
end)
