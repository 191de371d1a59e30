local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local function connection_string()
   local cfg = helper.config()
   return "Data Source=" .. cfg.cluster .. ";Initial Catalog=" .. cfg.database .. ";AAD Federated Security=True"
end

local function imds_requests()
   return helper.count(function(r) return r.path == "/metadata/identity/oauth2/token" end)
end

-- Runs `code` in a child Lua with extra environment variables (Lua cannot set its own); returns its output.
local function in_child(env, code)
   local parts = { "env" }
   for k, v in pairs(env) do parts[#parts + 1] = k .. "='" .. v .. "'" end
   parts[#parts + 1] = helper.interpreter() .. " -e '" .. code .. "' 2>&1"
   local pipe = assert(io.popen(table.concat(parts, " ")))
   local output = pipe:read("*a")
   pipe:close()
   return output
end

describe("sign-in from the environment", function()
   it("gets a managed identity token from IMDS and queries with it", function()
      local cfg = helper.config()
      local before = imds_requests()
      local client = assert(kusto.client(connection_string(), {
         ca_file = cfg.ca_file, sign_in = "managed_identity",
         managed_identity_endpoint = cfg.imds_endpoint .. "/metadata/identity/oauth2/token" }))
      local token = assert(client:acquire_token())
      assert.are.equal("Bearer", token.token_type)
      assert.is_true(token.expires_on > os.time() + 3000)
      local result = assert(client:query(nil, "print answer=42"))
      assert.are.equal(42, result.primary_results[1].rows[1][1])
      assert.are.equal(before + 1, imds_requests())
      local record = helper.last(function(r) return r.path == "/metadata/identity/oauth2/token" end)
      assert.are.equal("true", record.headers.Metadata)
      client:close()
   end)

   it("reports an unknown user-assigned identity as an auth error", function()
      local cfg = helper.config()
      local token, err = kusto.acquire_token(connection_string(), {
         ca_file = cfg.ca_file, sign_in = "managed_identity",
         managed_identity_endpoint = cfg.imds_endpoint .. "/metadata/identity/oauth2/token",
         managed_identity_client_id = "00000000-0000-0000-0000-000000000000" })
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.are.equal(400, err.http_status)
      assert.matches("Identity not found", err.message)
   end)

   it("signs in with Azure AD v1 when aad_v1 is true", function()
      local cfg = helper.config()
      local v1 = "/" .. cfg.tenant .. "/oauth2/token"
      local before = helper.count(function(r) return r.path == v1 end)
      local token = assert(kusto.acquire_token(helper.connection_string(), helper.opts({ aad_v1 = "true" })))
      assert.is_true(token.expires_on > os.time() + 3000)
      assert.are.equal(before + 1, helper.count(function(r) return r.path == v1 end))
      local record = helper.last(function(r) return r.path == v1 end)
      assert.are.equal(cfg.resource, record.form.resource)
      assert.is_nil(record.form.scope)
   end)

   it("signs in with workload identity from the environment", function()
      local cfg = helper.config()
      local output = in_child({
         AZURE_FEDERATED_TOKEN_FILE = cfg.federated_token_file, AZURE_CLIENT_ID = cfg.federated_client_id,
         AZURE_TENANT_ID = cfg.tenant, AZURE_AUTHORITY_HOST = cfg.login_endpoint,
      }, 'local kusto = require "kusto"; local t, e = kusto.acquire_token("' .. connection_string() ..
         '", { ca_file = "' .. cfg.ca_file .. '", sign_in = "workload_identity" }); ' ..
         'print(t and ("ok " .. t.token_type) or ("error " .. e.status .. e.message))')
      assert.are.equal("ok Bearer\n", output)
   end)
end)
