-- LuaRocks configuration for Debian's LuaJIT 2.1 (packages luajit2 and libluajit2-5.1-dev), which
-- LuaRocks does not pick on its own next to lua5.1:
--   LUAROCKS_CONFIG=bindings/lua/luarocks-luajit.lua luarocks --tree .lua-jit make
lua_version = "5.1"
lua_interpreter = "luajit"
variables = {
   LUA_BINDIR = "/usr/bin",
   LUA_INCDIR = "/usr/include/luajit-2.1",
}
