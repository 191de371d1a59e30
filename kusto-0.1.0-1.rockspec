rockspec_format = "3.0"
package = "kusto"
version = "0.1.0-1"
source = {
   url = "git+file:///work/main",
   tag = "v0.1.0",
}
description = {
   summary = "Sign in to Azure AD and query Azure Data Explorer (Kusto)",
   detailed = [[
      A Lua binding of libkusto: Azure AD (Entra ID) sign-in flows, Kusto queries and control
      commands, with typed results built straight into Lua tables while the response arrives.
   ]],
}
dependencies = {
   "lua >= 5.1",
}
build = {
   type = "make",
   makefile = "bindings/lua/Makefile",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
   },
   install_variables = {
      INST_LIBDIR = "$(LIBDIR)",
      LUA_INCDIR = "$(LUA_INCDIR)", -- names the build directory of this Lua version
   },
}
