-- OpenID Connect discovery of the emulator's (not well-known) authority, seen from Lua: once per client,
-- before the token request; a document naming an endpoint on another host is refused before any credential goes.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local function discoveries()
   local path = "/" .. helper.config().tenant .. "/v2.0/.well-known/openid-configuration"
   return helper.count(function(r) return r.path == path end)
end

describe("OpenID Connect discovery", function()
   helper.faults_per_test(before_each, after_each)

   it("asks once per client, before the first token request", function()
      local before, tokens = discoveries(), helper.token_requests()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      assert(client:query(nil, "print x=1"))
      assert(client:query(nil, "print x=2"))
      client:close()
      assert.are.equal(before + 1, discoveries())
      assert.are.equal(tokens + 1, helper.token_requests())
   end)

   it("refuses a token endpoint on another host, sending no credential", function()
      local cfg = helper.config()
      helper.fault({ path = "/" .. cfg.tenant .. "/v2.0/.well-known/openid-configuration", status = 200, count = 1,
                     body = { token_endpoint = "https://evil.example/t/oauth2/v2.0/token",
                              authorization_endpoint = "https://evil.example/t/oauth2/v2.0/authorize" } })
      local tokens = helper.token_requests()
      local token, err = kusto.acquire_token(helper.connection_string(), helper.opts())
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_UNTRUSTED", err.status)
      assert.matches("its host 'evil.example' is not the authority's host", err.message, 1, true)
      assert.is_nil(err.message:find(cfg.client_secret, 1, true))
      assert.are.equal(tokens, helper.token_requests())
   end)
end)
