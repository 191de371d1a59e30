-- kusto.resty inside nginx (LuaJIT pass): Debian's nginx with libnginx-mod-http-lua, one worker, a client made in
-- init_worker_by_lua_block, locations that query the emulator over cosockets. The answers equal the blocking
-- module's; 50 concurrent queries, each held 200 ms by the emulator, all finish on the one worker in far less than
-- the 10 s a blocking worker would need; client secret, managed identity, certificate and token callback sign in
-- there, a sign-in that needs a person is refused; a 503 is retried after the pause the core asks for (ngx.sleep);
-- a cluster given by an address nginx cannot verify is refused by name.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local nginx = require "nginx_helper"
package.path = nginx.tree_path() .. ";" .. package.path
local kusto = require "kusto"
local cjson = require "cjson"

local nginx_it = nginx.available and it or pending

local CONCURRENT = 50
local HELD_S = 0.2

local function http_lines()
   local cfg = helper.config()
   local user_cs = helper.connection_string({ ["Application Client Id"] = false, ["Application Key"] = false })
   local plain_cs = helper.connection_string({ ["Application Client Id"] = false, ["Application Key"] = false,
                                               ["Authority Id"] = false })
   return string.format([[
   lua_ssl_trusted_certificate %s;
   lua_ssl_verify_depth 3;
   init_worker_by_lua_block {
      local resty = require "kusto.resty"
      local function opts(extra)
         local o = { ca_file = %q, lua_ssl_trusted_certificate = %q, authority = %q }
         for k, v in pairs(extra or {}) do o[k] = v end
         return o
      end
      kusto_app = assert(resty.client(%q, opts()))
      kusto_person = assert(resty.client(%q, opts({ sign_in = "interactive" })))
      kusto_address = assert(resty.client(%q, opts({ trusted_hosts = "192.0.2.1" })))
      kusto_identity = assert(resty.client(%q, opts({ sign_in = "managed_identity", managed_identity_endpoint = %q })))
      kusto_certificate = assert(resty.client(%q, opts({ certificate_path = %q })))
      kusto_callback = assert(resty.client(%q, opts({ token_callback = function() return %q end })))
   }]], cfg.ca_file, cfg.ca_file, cfg.ca_file, cfg.authority, helper.connection_string(), user_cs,
      helper.connection_string({ ["Data Source"] = "https://192.0.2.1:443" }),
      plain_cs, cfg.imds_endpoint .. "/metadata/identity/oauth2/token",
      plain_cs .. ";Application Client Id=" .. cfg.cert_client_id, cfg.cert_pem_file,
      plain_cs, assert(kusto.acquire_token(helper.connection_string(), helper.opts())).access_token)
end

-- /query?csl=...[&who=person|address|identity|certificate|callback]: the primary rows as JSON, or status 500 and "<status> <message>".
-- /stream?csl=...: each row as it arrives (on_row), then how many rows the result kept.
local SERVER_LINES = [[
      location /query { content_by_lua_block {
         local client = ({ person = kusto_person, address = kusto_address, identity = kusto_identity,
                           certificate = kusto_certificate, callback = kusto_callback })[ngx.var.arg_who] or kusto_app
         local res, err = client:query(nil, ngx.unescape_uri(ngx.var.arg_csl))
         if not res then
            ngx.status = 500
            ngx.say(err.status, " ", tostring(err))
            return
         end
         ngx.say(require("cjson").encode(res.primary_results[1].rows))
      } }
      location /stream { content_by_lua_block {
         local cjson = require "cjson"
         local res, err = kusto_app:each_row(nil, ngx.unescape_uri(ngx.var.arg_csl), function(row)
            ngx.say(cjson.encode(row))
         end)
         ngx.say(res and ("kept " .. #res.primary_results[1].rows) or tostring(err))
      } }]]

local function query_path(csl, extra)
   return "/query?csl=" .. nginx.url_encode(csl) .. (extra or "")
end

local function count_queries()
   return helper.count(function(r) return r.path == "/v2/rest/query" end)
end

describe("kusto.resty inside nginx (LuaJIT, cosockets)", function()
   local server
   helper.faults_per_test(before_each, after_each)

   before_each(function()
      if nginx.available then server = nginx.start(http_lines(), SERVER_LINES) end
   end)

   after_each(function()
      if server then server:stop() end
      server = nil
   end)

   nginx_it("answers a query with the rows the blocking module gives", function()
      local csl = 'print a=9007199254740993, b=long(-9223372036854775808), c=42, s="héllo", n=long(null), '
         .. 'd=datetime(2024-01-02T03:04:05.1234567Z), j=dynamic({"k": [1, {"x": null}]})'
      local direct = assert(kusto.query(helper.connection_string(), nil, csl, helper.opts()))
      local answer = server:get(query_path(csl))
      assert.are.equal(cjson.encode(direct.primary_results[1].rows) .. "\n", answer)
      assert.are.equal("9007199254740993", cjson.decode(answer)[1][1])
      local many = "range x from 1 to 3000 step 1 | extend s = strcat('row ', x)"
      local rows = assert(kusto.query(helper.connection_string(), nil, many, helper.opts())).primary_results[1].rows
      assert.are.equal(cjson.encode(rows) .. "\n", server:get(query_path(many)))
      assert.is_nil(nginx.serious(server:log()))
   end)

   nginx_it("streams rows into the handler as they arrive", function()
      local answer = server:get("/stream?csl=" .. nginx.url_encode("range x from 1 to 3 step 1 | extend y = x * 2"))
      assert.are.equal("[1,2]\n[2,4]\n[3,6]\nkept 0\n", answer)
   end)

   nginx_it("serves " .. CONCURRENT .. " concurrent queries on one worker without blocking it", function()
      local csl = "range x from 1 to 5 step 1 | extend y = x * 2"
      local expected = server:get(query_path(csl)) -- signs in: the token is then in the client's cache
      assert.are.equal(cjson.encode(helper.query(csl).primary_results[1].rows) .. "\n", expected)
      helper.fault({ path = "/v2/rest/query", delay = HELD_S, count = CONCURRENT })
      local before = count_queries()
      local out = server.dir .. "/answers"
      assert(helper.execute("mkdir -p " .. out))
      local args = {}
      for i = 1, CONCURRENT do
         args[#args + 1] = string.format("-o %s/%d 'http://localhost%s'", out, i, query_path(csl, "&n=" .. i))
      end
      local ms = tonumber(nginx.output_of(string.format(
         "start=$(date +%%s%%N); curl -sS --no-progress-meter --max-time 60 --parallel --parallel-immediate --parallel-max %d "
         .. "--unix-socket %s/nginx.sock %s; end=$(date +%%s%%N); echo $(( (end - start) / 1000000 ))",
         CONCURRENT, server.dir, table.concat(args, " "))))
      print(string.format("\n%d concurrent kusto.resty queries, each held %d ms by the emulator, on one nginx "
                          .. "worker: %d ms (blocking: >= %d ms)", CONCURRENT, HELD_S * 1000, ms,
                          CONCURRENT * HELD_S * 1000))
      for i = 1, CONCURRENT do
         assert.are.equal(expected, nginx.read(out .. "/" .. i), "answer " .. i)
      end
      assert.are.equal(CONCURRENT, count_queries() - before)
      assert.are.equal(0, #helper.faults()) -- every query was held (the fault is used up)
      assert.is_true(ms < 5000, ms .. " ms") -- a generous bound: one blocked worker would need >= 10 s
      assert.is_nil(nginx.serious(server:log()))
   end)

   nginx_it("retries a 503 after the pause the core asks for, without blocking", function()
      helper.fault({ path = "/v2/rest/query", status = 503, headers = { ["Retry-After"] = "1" }, count = 1 })
      local before = count_queries()
      local answer = nginx.output_of(string.format(
         "curl -sS --max-time 30 -w ' %%{time_total}' --unix-socket %s/nginx.sock 'http://localhost%s'",
         server.dir, query_path("print v = 7")))
      local body, seconds = answer:match("^(.*) ([%d.]+)$")
      assert.are.equal("[[7]]\n", body)
      assert.are.equal(2, count_queries() - before)
      assert.is_true(tonumber(seconds) >= 0.9, seconds) -- the Retry-After pause was taken (ngx.sleep)
   end)

   nginx_it("signs in without blocking with a managed identity, a certificate and a token callback", function()
      local cfg = helper.config()
      local imds = function(r) return r.path == "/metadata/identity/oauth2/token" end
      local before = helper.count(imds)
      assert.are.equal("[[3]]\n", server:get(query_path("print v = 3", "&who=identity")))
      assert.are.equal(before + 1, helper.count(imds))
      assert.are.equal("[[4]]\n", server:get(query_path("print v = 4", "&who=certificate")))
      local record = helper.last(helper.is_token_request)
      assert.are.equal(cfg.cert_client_id, record.form.client_id)
      assert.are.equal("RS256", record.client_assertion.header.alg)
      local tokens = helper.token_requests()
      assert.are.equal("[[5]]\n", server:get(query_path("print v = 5", "&who=callback")))
      assert.are.equal(tokens, helper.token_requests()) -- the callback's token, no request for one
   end)

   nginx_it("refuses a sign-in that needs a person, with a clear error", function()
      local answer = server:get(query_path("print v = 1", "&who=person"))
      assert.matches("^KUSTO_E_UNSUPPORTED kusto: .*sign in beforehand", answer)
   end)

   nginx_it("refuses a cluster given by an address other than loopback, which nginx cannot verify", function()
      local answer = server:get(query_path("print v = 1", "&who=address"))
      assert.are.equal("KUSTO_E_NETWORK kusto: request to https://192.0.2.1:443/v1/rest/auth/metadata failed: nginx "
                       .. "verifies a certificate by host name only: use the cluster's name (and a resolver "
                       .. "directive), not the address 192.0.2.1\n", answer)
   end)
end)

describe("kusto.resty.client", function()
   -- Installed beside kusto.so by LuaRocks; a module built without LuaRocks (the sanitizer build) has the source.
   local installed, resty = pcall(require, "kusto.resty")
   if not installed then resty = dofile(here .. "../../bindings/lua/resty.lua") end

   it("refuses a ca_file that is not the one nginx trusts, naming the directive", function()
      local cfg = helper.config()
      assert.has_error(function() resty.client(helper.connection_string(), helper.opts()) end,
                       "kusto.resty: nginx verifies servers with lua_ssl_trusted_certificate, not ca_file: set "
                       .. "`lua_ssl_trusted_certificate " .. cfg.ca_file .. ";` and pass "
                       .. "lua_ssl_trusted_certificate = " .. string.format("%q", cfg.ca_file) .. " too")
      assert.has_error(function()
         resty.client(helper.connection_string(), helper.opts({ lua_ssl_trusted_certificate = "/etc/other.pem" }))
      end)
   end)

   it("makes a client when ca_file is the trusted certificate, and when there is none", function()
      local cfg = helper.config()
      assert.is_table(resty.client(helper.connection_string(),
                                   helper.opts({ lua_ssl_trusted_certificate = cfg.ca_file })))
      assert.is_table(resty.client(helper.connection_string(), { authority = cfg.authority }))
   end)
end)
