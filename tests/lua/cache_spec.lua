local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"
local cjson = require "cjson"

local function temp_cache()
   local dir = os.tmpname()
   os.remove(dir)
   assert(helper.execute("mkdir -m 700 " .. dir))
   return dir .. "/msal_token_cache.json", dir
end

local function write_private(path, text)
   assert(helper.execute("umask 077 && touch " .. path))
   local f = assert(io.open(path, "w"))
   f:write(text)
   f:close()
end

describe("token cache", function()
   it("lists and removes accounts", function()
      local path, dir = temp_cache()
      local cfg = helper.config()
      local cache = {
         Account = { ["u1.t1-127.0.0.1-" .. cfg.tenant] = { home_account_id = "u1.t1", environment = "127.0.0.1",
            realm = cfg.tenant, username = "ann@contoso.example", local_account_id = "u1",
            authority_type = "MSSTS" } },
         RefreshToken = { ["u1.t1-127.0.0.1-refreshtoken-x--"] = { credential_type = "RefreshToken",
            secret = "not-a-real-token", home_account_id = "u1.t1", environment = "127.0.0.1", client_id = "x",
            target = "" } },
         Custom = { keep = "me" },
      }
      write_private(path, cjson.encode(cache))
      local client = assert(kusto.client(helper.connection_string(), helper.opts({ cache_path = path })))
      local accounts = assert(client:accounts())
      assert.are.equal(1, #accounts)
      assert.are.equal("u1.t1", accounts[1].home_account_id)
      assert.are.equal("ann@contoso.example", accounts[1].username)
      assert.are.equal(cfg.tenant, accounts[1].realm)
      assert.is_true(client:remove_account("u1.t1"))
      assert.are.equal(0, #assert(client:accounts()))
      client:close()
      local f = assert(io.open(path))
      local after = cjson.decode(f:read("*a"))
      f:close()
      assert.are.equal("me", after.Custom.keep)
      assert.is_nil(next(after.RefreshToken))
      os.execute("rm -rf " .. dir)
   end)

   it("clears the cache so the next call signs in again", function()
      local path, dir = temp_cache()
      local client = assert(kusto.client(helper.connection_string(), helper.opts({ cache_path = path })))
      local before = helper.token_requests()
      assert.is_false(assert(client:acquire_token()).from_cache)
      assert.is_true(assert(client:acquire_token()).from_cache)
      assert.is_true(client:clear_cache())
      assert.is_false(assert(client:acquire_token()).from_cache)
      assert.are.equal(before + 2, helper.token_requests())
      client:close()
      os.execute("rm -rf " .. dir)
   end)

   it("refuses a cache file others can read", function()
      local path, dir = temp_cache()
      write_private(path, "{}")
      assert(helper.execute("chmod 644 " .. path))
      local client, err = kusto.client(helper.connection_string(), helper.opts({ cache_path = path }))
      assert.is_nil(client)
      assert.are.equal("KUSTO_E_UNTRUSTED", err.status)
      assert.truthy(err.message:find(path, 1, true))
      os.execute("rm -rf " .. dir)
   end)
end)
