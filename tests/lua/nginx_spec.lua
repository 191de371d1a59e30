-- The LuaJIT build inside nginx: Debian's nginx with libnginx-mod-http-lua (which runs on the same luajit2)
-- loads kusto.so from the .lua-jit tree, and a location that queries the emulator answers what the module
-- answers outside nginx. The call blocks the worker while it runs (see docs/DESIGN.md, "Plan: a sans-I/O core
-- and an OpenResty module"); this is the harness the non-blocking module's test will extend.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"
local cjson = require "cjson"

local NGINX = "/usr/sbin/nginx"
local MODULES = "/usr/lib/nginx/modules/"

local function exists(path)
   local f = io.open(path)
   if f then f:close() end
   return f ~= nil
end

-- Only under LuaJIT (the runtime nginx embeds), and where nginx and its Lua module are installed (dev.sh's
-- APT_PACKAGES has them).
local it = (jit and exists(NGINX) and exists(MODULES .. "ngx_http_lua_module.so")) and it or pending

local function read(path)
   local f = io.open(path, "rb")
   if not f then return "" end
   local text = f:read("*a")
   f:close()
   return text
end

local function write(path, text)
   local f = assert(io.open(path, "wb"))
   f:write(text)
   f:close()
end

local function output_of(command)
   local pipe = assert(io.popen(command))
   local text = pipe:read("*a")
   pipe:close()
   return text
end

-- The first line of nginx's log worse than a warning, or nil.
local function serious(log)
   for line in log:gmatch("[^\n]+") do
      if line:match("%[error%]") or line:match("%[crit%]") or line:match("%[alert%]") or line:match("%[emerg%]") then
         return line
      end
   end
end

local function url_encode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

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

local function nginx_conf(dir)
   local cfg = helper.config()
   local temp = dir .. "/tmp"
   local root = output_of("id -u"):match("^0%s") and "user root;\n" or ""
   return root .. table.concat({
      "load_module " .. MODULES .. "ndk_http_module.so;",
      "load_module " .. MODULES .. "ngx_http_lua_module.so;",
      "worker_processes 1;",
      "daemon on;",
      "pid " .. dir .. "/nginx.pid;",
      "error_log " .. dir .. "/error.log warn;",
      "events { worker_connections 64; }",
      "http {",
      "   access_log off;",
      string.format("   client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; "
                    .. "scgi_temp_path %s;", temp, temp, temp, temp, temp),
      "   lua_package_cpath '" .. package.cpath .. "';",
      "   server {",
      "      listen unix:" .. dir .. "/nginx.sock;",
      "      location /query { content_by_lua_block {",
      string.format(HANDLER, helper.connection_string(), cfg.ca_file, cfg.authority),
      "      } }",
      "   }",
      "}",
   }, "\n") .. "\n"
end

describe("the module inside nginx (LuaJIT)", function()
   local dir

   before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(helper.execute("mkdir -p " .. dir .. "/tmp"))
      write(dir .. "/nginx.conf", nginx_conf(dir))
      assert(helper.execute(string.format("%s -p %s -c %s/nginx.conf -e %s/error.log", NGINX, dir, dir, dir)),
             read(dir .. "/error.log"))
   end)

   after_each(function()
      local pid = read(dir .. "/nginx.pid"):match("%d+")
      if pid then helper.execute("kill -QUIT " .. pid) end
      for _ = 1, 50 do -- the master removes its pid file as it exits
         if not exists(dir .. "/nginx.pid") then break end
         helper.execute("sleep 0.1")
      end
      helper.execute("rm -rf " .. dir)
   end)

   local function get(csl)
      return output_of(string.format("curl -sS --max-time 30 --unix-socket %s/nginx.sock 'http://localhost/query?csl=%s'",
                                     dir, url_encode(csl)))
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
      assert.is_nil(serious(read(dir .. "/error.log")))
   end)

   it("answers a failed query with the module's error", function()
      local answer = get("NoSuchTable | take 1")
      assert.matches("^kusto: .*NoSuchTable", answer)
   end)
end)
