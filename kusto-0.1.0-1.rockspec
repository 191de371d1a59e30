rockspec_format = "3.0"
package = "kusto"
version = "0.1.0-1"
-- A release publishes this file with the repository's real address in place of the placeholder
-- OWNER (the tag v0.1.0 must exist there). `luarocks make` in a checkout never reads it.
source = {
   url = "git+https://github.com/OWNER/libkusto.git",
   tag = "v0.1.0",
}
description = {
   summary = "Sign in to Azure AD and query Azure Data Explorer (Kusto)",
   detailed = [[
      A Lua binding of libkusto: Azure AD (Entra ID) sign-in flows, Kusto queries and control
      commands, with typed results built straight into Lua tables while the response arrives;
      kusto.resty runs them from OpenResty without blocking the worker.
      Lua 5.1 to 5.4 and LuaJIT 2.1.
   ]],
   homepage = "https://github.com/OWNER/libkusto",
   license = "MIT",
   labels = { "azure", "kusto", "database" },
}
dependencies = {
   "lua >= 5.1",
}
-- Checked before the build, so a missing -dev package is named (Debian: libcurl4-openssl-dev,
-- libcjson-dev, libssl-dev); LuaRocks takes CURL_DIR, CJSON_INCDIR, ... for other places. libcurl's
-- headers are in a multiarch directory on Debian (/usr/include/x86_64-linux-gnu), where LuaRocks does
-- not look: its -dev package is recognised by curl-config.
external_dependencies = {
   CURL = { program = "curl-config", library = "curl" },
   CJSON = { header = "cjson/cJSON.h", library = "cjson" },
   OPENSSL = { header = "openssl/ssl.h", library = "ssl" },
}
build = {
   type = "make",
   makefile = "bindings/lua/Makefile",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      DEP_INCDIRS = "$(CURL_INCDIR) $(CJSON_INCDIR) $(OPENSSL_INCDIR)",
      DEP_LIBDIRS = "$(CURL_LIBDIR) $(CJSON_LIBDIR) $(OPENSSL_LIBDIR)",
   },
   install_variables = {
      INST_LIBDIR = "$(LIBDIR)",
      INST_LUADIR = "$(LUADIR)", -- kusto/resty.lua, the OpenResty driver
      LUA_INCDIR = "$(LUA_INCDIR)", -- names the build directory of this Lua version
   },
}
