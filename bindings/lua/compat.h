/* The Lua 5.3/5.4 C API this binding uses, for Lua 5.1, 5.2 and LuaJIT 2.1 (which reports 5.1 and has some
   of 5.2's API: LUA_OK, luaL_setfuncs, luaL_newlib, LUA_GCISRUNNING). Only what the sources call; each
   shim behaves as the 5.4 function for the arguments they pass. */
#ifndef KLUA_COMPAT_H
#define KLUA_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#ifndef LUA_OK
#define LUA_OK 0
#endif
#ifndef luaL_newlib
#define luaL_setfuncs(L, l, nup) luaL_register((L), NULL, (l))
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
#endif
#define lua_rawlen lua_objlen
#define lua_absindex(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

static inline void klua_compat_rawsetp(lua_State *L, int index, const void *p)
{
    index = lua_absindex(L, index);
    lua_pushlightuserdata(L, (void *)p);
    lua_insert(L, -2);
    lua_rawset(L, index);
}
#define lua_rawsetp klua_compat_rawsetp
#endif

#if LUA_VERSION_NUM < 503
/* 5.2's lua_rawgetp returns nothing; 5.3's returns the type. */
static inline int klua_compat_rawgetp(lua_State *L, int index, const void *p)
{
    index = lua_absindex(L, index);
    lua_pushlightuserdata(L, (void *)p);
    lua_rawget(L, index);
    return lua_type(L, -1);
}
#define lua_rawgetp klua_compat_rawgetp

/* A number that a 64-bit integer holds exactly (no integer subtype before 5.3). */
static inline int klua_compat_isinteger(lua_State *L, int index)
{
    lua_Number n;
    if (lua_type(L, index) != LUA_TNUMBER)
        return 0;
    n = lua_tonumber(L, index);
    return n >= -0x1p63 && n < 0x1p63 && n == (lua_Number)(long long)n;
}
#define lua_isinteger klua_compat_isinteger
#endif

#endif
