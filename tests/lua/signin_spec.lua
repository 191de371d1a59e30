local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local function plain_cs(cfg, extra)
   return "Data Source=" .. cfg.cluster .. ";Initial Catalog=" .. cfg.database .. (extra or "")
end

describe("application certificate", function()
   it("signs in with a PEM file", function()
      local cfg = helper.config()
      local cs = plain_cs(cfg, ";AAD Federated Security=True;Application Client Id=" .. cfg.cert_client_id)
      local token = assert(kusto.acquire_token(cs, helper.opts({ certificate_path = cfg.cert_pem_file })))
      assert.are.equal("Bearer", token.token_type)
      local record = helper.last(helper.is_token_request)
      assert.are.equal(cfg.cert_client_id, record.form.client_id)
      assert.are.equal("RS256", record.client_assertion.header.alg)
   end)

   it("signs in with a PFX file and its password", function()
      local cfg = helper.config()
      local cs = plain_cs(cfg, ";AAD Federated Security=True;Application Client Id=" .. cfg.cert_client_id)
      assert(kusto.acquire_token(cs, helper.opts({ certificate_path = cfg.cert_pfx_file,
                                                   certificate_password = cfg.cert_pfx_password })))
      assert.are.equal("PS256", helper.last(helper.is_token_request).client_assertion.header.alg)
   end)
end)

describe("user and password", function()
   it("signs in as the user; a wrong password is AADSTS50126", function()
      local cfg = helper.config()
      local cs = plain_cs(cfg, ";AAD Federated Security=True;User ID=" .. cfg.user)
      assert(kusto.acquire_token(cs .. ";Password=" .. cfg.password, helper.opts()))
      assert.are.equal("password", helper.last(helper.is_token_request).form.grant_type)
      local token, err = kusto.acquire_token(cs .. ";Password=Wr0ng-pass", helper.opts())
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.are.equal(50126, err.aadsts)
      assert.is_nil(err.message:find("Wr0ng-pass", 1, true))
   end)
end)

describe("token callback", function()
   it("is called with the resource for every request", function()
      local cfg = helper.config()
      local real = assert(kusto.acquire_token(helper.connection_string(), helper.opts())).access_token
      local calls = {}
      local client = assert(kusto.client(plain_cs(cfg), {
         ca_file = cfg.ca_file,
         token_callback = function(resource)
            calls[#calls + 1] = resource
            return real, 2000000000
         end }))
      assert(client:query(nil, "print x=1"))
      local token = assert(client:acquire_token())
      assert.are.equal(2000000000, token.expires_on)
      assert.is_true(token.access_token == real)
      assert.are.same({ cfg.resource, cfg.resource }, calls)
      client:close()
   end)

   it("turns an error or nil, message into KUSTO_E_AUTH with the message", function()
      local cfg = helper.config()
      local client = assert(kusto.client(plain_cs(cfg), { token_callback = function() error("vault is sealed") end }))
      local _, err = client:acquire_token()
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.matches("vault is sealed", err.message, 1, true)
      client = assert(kusto.client(plain_cs(cfg), { token_callback = function() return nil, "no token today" end }))
      _, err = client:acquire_token()
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.matches("no token today", err.message, 1, true)
   end)

   it("serves kusto.acquire_token and kusto.query, which call it once with the resource", function()
      local cfg = helper.config()
      local real = assert(kusto.acquire_token(helper.connection_string(), helper.opts())).access_token
      local calls = {}
      local opts = { ca_file = cfg.ca_file, token_callback = function(resource)
         calls[#calls + 1] = resource
         return real, 2000000000
      end }
      local before = helper.count(helper.is_token_request)
      local token = assert(kusto.acquire_token(plain_cs(cfg), opts))
      assert.is_true(token.access_token == real)
      assert.are.equal(2000000000, token.expires_on)
      local result = assert(kusto.query(plain_cs(cfg), cfg.database, "print x=5", opts))
      assert.are.equal(5, result.primary_results[1].rows[1][1])
      assert.are.same({ cfg.resource, cfg.resource }, calls)
      assert.are.equal(before, helper.count(helper.is_token_request))
   end)

   it("makes a failing callback KUSTO_E_AUTH in one-shot calls, and refuses a non-function", function()
      local cfg = helper.config()
      local opts = { ca_file = cfg.ca_file, token_callback = function() return nil, "vault is sealed" end }
      local token, err = kusto.acquire_token(plain_cs(cfg), opts)
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.matches("vault is sealed", err.message, 1, true)
      local before = helper.count(function(r) return r.path:find("/v2/rest/query", 1, true) == 1 end)
      local result
      result, err = kusto.query(plain_cs(cfg), cfg.database, "print x=1",
                                { ca_file = cfg.ca_file, token_callback = function() error("no vault") end })
      assert.is_nil(result)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.matches("no vault", err.message, 1, true)
      assert.are.equal(before, helper.count(function(r) return r.path:find("/v2/rest/query", 1, true) == 1 end))
      assert.has_error(function() kusto.acquire_token(plain_cs(cfg), { token_callback = "not a function" }) end)
   end)
end)
