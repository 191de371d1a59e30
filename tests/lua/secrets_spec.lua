-- No secret or token ever shows in an error (message, tostring, any field) or in tostring(client), whatever fails.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local SECRET = "canary-SECRET-7f3a9e"
local TOKEN = "canary-TOKEN-b41d2c"

-- Every string reachable from `value` (nested tables included), and tostring of tables/userdata.
local function texts(value, out, seen)
   out, seen = out or {}, seen or {}
   if type(value) == "string" then
      out[#out + 1] = value
   elseif type(value) == "table" and not seen[value] then
      seen[value] = true
      out[#out + 1] = tostring(value)
      for k, v in pairs(value) do
         texts(k, out, seen)
         texts(v, out, seen)
      end
   end
   return out
end

local function assert_hidden(err)
   assert.is_table(err)
   for _, text in ipairs(texts(err)) do
      assert.is_nil(text:find(SECRET, 1, true), "the secret shows")
      assert.is_nil(text:find(TOKEN, 1, true), "the token shows")
      assert.is_nil(text:find(helper.config().client_secret, 1, true), "the emulator's secret shows")
   end
end

local function app_cs(overrides)
   local o = { ["Application Key"] = SECRET }
   for k, v in pairs(overrides or {}) do o[k] = v end
   return helper.connection_string(o)
end

local function user_cs(cluster)
   local cfg = helper.config()
   return string.format("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User Token=%s",
                        cluster or cfg.cluster, cfg.database, TOKEN)
end

describe("secrets in errors", function()
   helper.faults_per_test(before_each, after_each)

   it("a wrong secret", function()
      local token, err = kusto.acquire_token(app_cs(), helper.opts())
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert_hidden(err)
   end)

   it("a token Kusto rejects with 401", function()
      local res, err = kusto.query(user_cs(), nil, "print 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.are.equal(401, err.http_status)
      assert_hidden(err)
   end)

   it("a 401 answer (a fault) to an application sign-in", function()
      helper.fault({ path = "/v2/rest/query", status = 401, count = 1,
                     body = '{"error":{"code":"Unauthorized","message":"bad token"}}' })
      local res, err = kusto.query(helper.connection_string(), nil, "print 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.matches("bad token", err.message)
      assert_hidden(err)
   end)

   it("an untrusted host, with a user token and with an application secret", function()
      for _, cs in ipairs({ user_cs("https://evil.example"),
                            app_cs({ ["Data Source"] = "https://evil.example" }) }) do
         local res, err = kusto.query(cs, nil, "print 1", helper.opts())
         assert.is_nil(res)
         assert.are.equal("KUSTO_E_UNTRUSTED", err.status)
         assert_hidden(err)
      end
   end)

   it("a truncated answer that cannot be parsed", function()
      helper.fault({ path = "/v2/rest/query", status = 200, body = '[{"FrameType":', count = 1 })
      local res, err = kusto.query(user_cs(), nil, "print 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_PROTOCOL", err.status)
      assert_hidden(err)
   end)

   it("Azure AD failing with an unparsable body", function()
      helper.fault({ path = "/" .. helper.config().tenant, status = 500, body = "{\"error\":" })
      local token, err = kusto.acquire_token(app_cs(), helper.opts({ max_retries = 0 }))
      assert.is_nil(token)
      assert.are.equal(500, err.http_status)
      assert_hidden(err)
   end)

   it("a bad connection string or option next to a secret", function()
      local res, err = kusto.query(app_cs() .. ";Flux Capacitor=1", nil, "print 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CONNSTR", err.status)
      assert_hidden(err)
      local client, cerr = kusto.client(app_cs(), helper.opts({ timeout = "soon" }))
      assert.is_nil(client)
      assert.are.equal("KUSTO_E_ARGUMENT", cerr.status)
      assert_hidden(cerr)
   end)

   it("tostring(client) masks the secret", function()
      local client = assert(kusto.client(app_cs(), helper.opts()))
      local shown = tostring(client)
      assert.matches("Application Key", shown)
      assert.is_nil(shown:find(SECRET, 1, true))
      client:close()
      local user = assert(kusto.client(user_cs(), helper.opts()))
      assert.is_nil(tostring(user):find(TOKEN, 1, true))
      user:close()
   end)
end)
