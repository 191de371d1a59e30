-- Shared by the specs that run the module inside nginx: Debian's nginx with libnginx-mod-http-lua (which runs on
-- the same luajit2 as the .lua-jit tree), started on a unix socket in a directory of its own, one worker.
local helper = require "helper"

local nginx = {}

local NGINX = "/usr/sbin/nginx"
local MODULES = "/usr/lib/nginx/modules/"

local function exists(path)
   local f = io.open(path)
   if f then f:close() end
   return f ~= nil
end

function nginx.read(path)
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

function nginx.output_of(command)
   local pipe = assert(io.popen(command))
   local text = pipe:read("*a")
   pipe:close()
   return text
end

-- Only under LuaJIT (the runtime nginx embeds), and where nginx and its Lua module are installed (dev.sh's
-- APT_PACKAGES has them).
nginx.available = jit ~= nil and exists(NGINX) and exists(MODULES .. "ngx_http_lua_module.so")

-- The first line of a log worse than a warning, or nil.
function nginx.serious(log)
   for line in log:gmatch("[^\n]+") do
      if line:match("%[error%]") or line:match("%[crit%]") or line:match("%[alert%]") or line:match("%[emerg%]") then
         return line
      end
   end
end

function nginx.url_encode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- package.path entries for the pure-Lua modules of the LuaRocks trees in package.cpath (kusto/resty.lua goes to
-- <tree>/share/lua/5.x beside <tree>/lib/lua/5.x/kusto.so).
function nginx.tree_path()
   local entries = {}
   for tree, version in package.cpath:gmatch("([^;]+)/lib/lua/(5%.%d)/%?%.so") do
      entries[#entries + 1] = tree .. "/share/lua/" .. version .. "/?.lua"
   end
   return table.concat(entries, ";") .. ";;"
end

local function conf(dir, http_lines, server_lines)
   local temp = dir .. "/tmp"
   local root = nginx.output_of("id -u"):match("^0%s") and "user root;\n" or ""
   return root .. table.concat({
      "load_module " .. MODULES .. "ndk_http_module.so;",
      "load_module " .. MODULES .. "ngx_http_lua_module.so;",
      "worker_processes 1;",
      "daemon on;",
      "pid " .. dir .. "/nginx.pid;",
      "error_log " .. dir .. "/error.log warn;",
      "events { worker_connections 256; }",
      "http {",
      "   access_log off;",
      string.format("   client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; "
                    .. "scgi_temp_path %s;", temp, temp, temp, temp, temp),
      "   lua_package_cpath '" .. package.cpath .. "';",
      "   lua_package_path '" .. nginx.tree_path() .. "';",
      http_lines,
      "   server {",
      "      listen unix:" .. dir .. "/nginx.sock;",
      server_lines,
      "   }",
      "}",
   }, "\n") .. "\n"
end

-- Starts nginx with these lines in its http and server blocks; returns a server: .dir, :get(path) (the answer's
-- body), :log(), :stop().
function nginx.start(http_lines, server_lines)
   local server = { dir = os.tmpname() }
   local dir = server.dir
   os.remove(dir)
   assert(helper.execute("mkdir -p " .. dir .. "/tmp"))
   write(dir .. "/nginx.conf", conf(dir, http_lines, server_lines))
   assert(helper.execute(string.format("%s -p %s -c %s/nginx.conf -e %s/error.log", NGINX, dir, dir, dir)),
          nginx.read(dir .. "/error.log"))

   function server:get(path)
      return nginx.output_of(string.format("curl -sS --max-time 30 --unix-socket %s/nginx.sock 'http://localhost%s'",
                                           dir, path))
   end

   function server:log()
      return nginx.read(dir .. "/error.log")
   end

   function server:stop()
      local pid = nginx.read(dir .. "/nginx.pid"):match("%d+")
      if pid then helper.execute("kill -QUIT " .. pid) end
      for _ = 1, 50 do -- the master removes its pid file as it exits
         if not exists(dir .. "/nginx.pid") then break end
         helper.execute("sleep 0.1")
      end
      helper.execute("rm -rf " .. dir)
   end

   return server
end

return nginx
