local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

-- Tokens are compared with plain == so that a failing assertion never prints one.
describe("acquire_token", function()
   before_each(kusto.clear_process_state) -- no one-shot client shared from an earlier test
   it("signs in with the application's secret", function()
      local cfg = helper.config()
      local before = helper.token_requests()
      local token = assert(kusto.acquire_token(helper.connection_string(), helper.opts()))
      assert.are.equal("Bearer", token.token_type)
      assert.is_true(type(token.access_token) == "string" and #token.access_token > 20)
      assert.is_true(token.expires_on > os.time() + 300)
      assert.are.equal(cfg.resource, token.resource)
      assert.is_false(token.from_cache)
      assert.are.equal(before + 1, helper.token_requests())
      local record = helper.last(helper.is_token_request)
      assert.are.equal(cfg.client_id, record.form.client_id)
   end)

   it("answers a client's second request from its cache", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      local first = assert(client:acquire_token())
      local before = helper.token_requests()
      local second = assert(client:acquire_token())
      assert.is_true(second.from_cache)
      assert.is_false(first.from_cache)
      assert.is_true(first.access_token == second.access_token)
      assert.are.equal(before, helper.token_requests())
      client:close()
   end)

   it("takes the secret from options instead of the connection string", function()
      local cfg = helper.config()
      local cs = helper.connection_string({ ["Application Key"] = false })
      local token = assert(kusto.acquire_token(cs, helper.opts({ client_secret = cfg.client_secret })))
      assert.are.equal("Bearer", token.token_type)
   end)
end)
