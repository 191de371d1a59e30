-- The LuaJIT build inside nginx: Debian's nginx with libnginx-mod-http-lua (which runs on the same luajit2)
-- loads kusto.so from the .lua-jit tree, and a location that queries the emulator with the blocking module answers
-- what the module answers outside nginx (that call blocks the worker; resty_spec.lua tests kusto.resty, which
-- does not).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local nginx = require "nginx_helper"
local kusto = require "kusto"
local cjson = require "cjson"

local it = nginx.available and it or pending

-- The location's code: the query named by ?csl=, its primary rows as JSON (or the error, status 500).
local HANDLER = [[
   local kusto, cjson = require "kusto", require "cjson"
   local res, err = kusto.query(%q, nil, ngx.var.arg_csl and ngx.unescape_uri(ngx.var.arg_csl),
                                { ca_file = %q, authority = %q })
   if not res then
      ngx.status = 500
      ngx.say(tostring(err))
      return
   end
   ngx.say(cjson.encode(res.primary_results[1].rows))
]]

describe("the module inside nginx (LuaJIT)", function()
   local server

   before_each(function()
      local cfg = helper.config()
      server = nginx.start("", "      location /query { content_by_lua_block {\n"
                           .. string.format(HANDLER, helper.connection_string(), cfg.ca_file, cfg.authority)
                           .. "      } }")
   end)

   after_each(function()
      server:stop()
   end)

   local function get(csl)
      return server:get("/query?csl=" .. nginx.url_encode(csl))
   end

   it("answers a query with the rows the module gives outside nginx", function()
      local csl = 'print a=9007199254740993, b=long(-9223372036854775808), c=42, s="héllo", n=long(null), '
         .. "d=datetime(2024-01-02T03:04:05.1234567Z)"
      local direct = assert(kusto.query(helper.connection_string(), nil, csl, helper.opts()))
      local answer = get(csl)
      assert.are.equal(cjson.encode(direct.primary_results[1].rows) .. "\n", answer)
      local row = cjson.decode(answer)[1]
      assert.are.equal("9007199254740993", row[1]) -- beyond 2^53: the text, in nginx too
      assert.are.equal("-9223372036854775808", row[2])
      assert.are.equal(42, row[3])
      assert.are.equal("héllo", row[4])
      assert.are.equal(cjson.null, row[5])
      assert.are.equal("2024-01-02T03:04:05.1234567Z", row[6])
      assert.is_nil(nginx.serious(server:log()))
   end)

   it("answers a failed query with the module's error", function()
      local answer = get("NoSuchTable | take 1")
      assert.matches("^kusto: .*NoSuchTable", answer)
   end)
end)
