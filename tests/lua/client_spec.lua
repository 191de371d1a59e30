local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

describe("client", function()
   it("reuses its token across queries", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      local before = helper.token_requests()
      local first = assert(client:query(nil, "range x from 1 to 3 step 1"))
      assert.are.equal(before + 1, helper.token_requests())
      local second = assert(client:query(nil, "print y=2", { servertimeout = "00:01:00" }))
      local version = assert(client:mgmt(nil, ".show version"))
      assert.are.equal(before + 1, helper.token_requests())
      assert.are.equal(3, #first.primary_results[1].rows)
      assert.are.equal(2, second.primary_results[1].rows[1][1])
      assert.are.equal(1, #version.tables[1].rows)
      client:close()
   end)

   it("returns errors as values and stays usable", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      local res, err = client:query(nil, "NoSuchTable | take 1")
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_SERVICE", err.status)
      assert.are.equal(1, assert(client:query(nil, "print x=1")).primary_results[1].rows[1][1])
      client:close()
   end)

   it("shows no secret in tostring", function()
      local cfg = helper.config()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      local text = tostring(client)
      assert.matches("^kusto%.client", text)
      assert.is_truthy(text:find(cfg.cluster, 1, true))
      assert.is_nil(text:find(cfg.client_secret, 1, true))
      client:close()
      assert.are.equal("kusto.client (closed)", tostring(client))
   end)

   it("refuses calls once closed, and closes twice harmlessly", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      client:close()
      client:close()
      assert.has_error(function() client:query(nil, "print 1") end, "kusto: the client is closed")
      assert.has_error(function() client:acquire_token() end, "kusto: the client is closed")
   end)

   it("reports a bad connection string at creation", function()
      local client, err = kusto.client("Data Source=https://c.kusto.windows.net;Colour=blue")
      assert.is_nil(client)
      assert.are.equal("KUSTO_E_CONNSTR", err.status)
   end)

   if _VERSION == "Lua 5.4" then
      it("closes as a to-be-closed variable", function()
         local escaped
         local chunk = assert(load([[
            local kusto, cs, opts = ...
            local client <close> = assert(kusto.client(cs, opts))
            return client
         ]]))
         escaped = chunk(kusto, helper.connection_string(), helper.opts())
         assert.are.equal("kusto.client (closed)", tostring(escaped))
      end)
   end
end)
