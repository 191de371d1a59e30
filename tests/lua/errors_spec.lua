local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

-- No field of an error may contain `secret`.
local function assert_no_secret(err, secret)
   assert.is_nil(tostring(err):find(secret, 1, true))
   for k, v in pairs(err) do
      if type(v) == "string" then assert.is_nil(v:find(secret, 1, true), "field " .. k) end
   end
end

describe("errors as values", function()
   it("reports a malformed connection string", function()
      local res, err = kusto.query("Data Source=https://c.kusto.windows.net;Colour=blue", nil, "print 1")
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CONNSTR", err.status)
      assert.matches("Colour", err.message)
      assert.are.equal("kusto: " .. err.message, tostring(err))
   end)

   it("reports an unknown option", function()
      local res, err = kusto.query(helper.connection_string(), nil, "print 1", helper.opts({ colour = "blue" }))
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_ARGUMENT", err.status)
      assert.matches("colour", err.message)
   end)

   it("reports a wrong secret with Azure AD's AADSTS code and never the secret", function()
      local wrong = "not-the-secret-Zq81x"
      local cs = helper.connection_string({ ["Application Key"] = wrong })
      local token, err = kusto.acquire_token(cs, helper.opts())
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.are.equal(7000215, err.aadsts)
      assert.are.equal("invalid_client", err.code)
      assert.are.equal(401, err.http_status)
      assert_no_secret(err, wrong)
      assert_no_secret(err, helper.config().client_secret)
   end)

   it("refuses to send a token to an untrusted host, before any request", function()
      local before = helper.count()
      local cs = helper.connection_string({ ["Data Source"] = "https://kusto.evil.example.com" })
      local res, err = kusto.query(cs, nil, "print 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_UNTRUSTED", err.status)
      assert.matches("evil%.example%.com", err.message)
      assert.are.equal(before, helper.count())
   end)

   it("reports a semantic error with its code, permanent", function()
      local res, err = kusto.query(helper.connection_string(), nil, "NoSuchTable | take 1", helper.opts())
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_SERVICE", err.status)
      assert.is_true(type(err.code) == "string" and #err.code > 0)
      assert.are.equal(true, err.permanent)
      assert.are.equal(400, err.http_status)
      assert.matches("NoSuchTable", err.message)
   end)

   it("reports a closed port as a network error", function()
      local cs = helper.connection_string({ ["Data Source"] = "https://127.0.0.1:1" })
      local res, err = kusto.query(cs, nil, "print 1", helper.opts({ timeout = 10 }))
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_NETWORK", err.status)
   end)

   it("raises a readable error through assert", function()
      local ok, e = pcall(function()
         return assert(kusto.query("Data Source=https://c.kusto.windows.net;Colour=blue", nil, "print 1"))
      end)
      assert.is_false(ok)
      assert.matches("^kusto: .*Colour", tostring(e))
   end)
end)

describe("bad arguments", function()
   it("raise Lua errors", function()
      local cs = helper.connection_string()
      assert.has_error(function() kusto.query({}, nil, "print 1") end)
      assert.has_error(function() kusto.query(cs, nil, nil) end)
      assert.has_error(function() kusto.query(cs, nil, "print 1", "opts") end)
      assert.has_error(function() kusto.query(cs, nil, "print 1", { timeout = print }) end,
                       "kusto: timeout must be a string, number, boolean or list of strings, not function")
      assert.has_error(function() kusto.query(cs, nil, "print 1", { properties = { servertimeout = {} } }) end,
                       "kusto: property 'servertimeout' must be a string, number or boolean, not table")
      assert.has_error(function() kusto.acquire_token(cs, { [1] = "x" }) end,
                       "kusto: option names must be strings, not number")
   end)
end)
