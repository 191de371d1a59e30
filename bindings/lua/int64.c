/* 64-bit integers (Kusto's long, ticks) in Lua. Lua 5.3 and later have them: native integers. Lua 5.1, 5.2
   and LuaJIT have only doubles, exact to 2^53: there a value beyond that is never rounded silently; the
   call's `int64` option says what it becomes (see README.md "Integers beyond 2^53"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klua.h"

#define SAFE_LIMIT 9007199254740992LL /* 2^53: every integer up to it is a double */

static const char *const mode_names[] = {"string", "number", "cdata", NULL};

#if LUA_VERSION_NUM < 503
/* The registry key of the function that makes an int64_t cdata from its two 32-bit halves (LuaJIT). */
static const char cdata_maker_key = 0;

static const char cdata_maker_source[] = "local ok, ffi = pcall(require, 'ffi')\n"
                                         "if not ok then error(\"kusto: int64 = 'cdata' needs LuaJIT's ffi\", 0) end\n"
                                         "local int64 = ffi.typeof('int64_t')\n"
                                         "return function(hi, lo) return int64(hi) * 4294967296 + lo end\n";

/* Pushes the cdata maker, making and keeping it on first use; raises when this Lua has no ffi. */
static void push_cdata_maker(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cdata_maker_key) == LUA_TFUNCTION)
        return;
    lua_pop(L, 1);
    if (luaL_loadstring(L, cdata_maker_source) != LUA_OK)
        lua_error(L);
    lua_call(L, 0, 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cdata_maker_key);
}

static void push_cdata(lua_State *L, int64_t v)
{
    luaL_checkstack(L, 3, "kusto: out of Lua stack space");
    push_cdata_maker(L);
    lua_pushnumber(L, (lua_Number)(int32_t)((uint64_t)v >> 32));
    lua_pushnumber(L, (lua_Number)(uint32_t)v);
    lua_call(L, 2, 1);
}
#endif

klua_int64 klua_int64_mode(lua_State *L, int index, klua_int64 fallback)
{
    klua_int64 mode = fallback;
    const char *name;
    if (!lua_istable(L, index))
        return mode;
    lua_getfield(L, index, "int64");
    name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    for (mode = 0; mode_names[mode] && strcmp(mode_names[mode], name) != 0; mode++)
        ;
    if (lua_isnil(L, -1))
        mode = fallback;
    else if (!mode_names[mode])
        luaL_error(L, "kusto: 'int64' must be \"string\", \"number\" or \"cdata\", not %s",
                   lua_type(L, -1) == LUA_TSTRING ? name : luaL_typename(L, -1));
#if LUA_VERSION_NUM < 503
    else if (mode == KLUA_INT64_CDATA) { /* without LuaJIT, raises here, at the call */
        push_cdata_maker(L);
        lua_pop(L, 1);
    }
#endif
    lua_pop(L, 1);
    return mode;
}

void klua_push_int64(lua_State *L, int64_t v, klua_int64 mode)
{
#if LUA_VERSION_NUM >= 503
    (void)mode;
    lua_pushinteger(L, (lua_Integer)v);
#else
    char text[24];
    if (mode == KLUA_INT64_NUMBER || (v >= -SAFE_LIMIT && v <= SAFE_LIMIT))
        lua_pushnumber(L, (lua_Number)v);
    else if (mode == KLUA_INT64_CDATA)
        push_cdata(L, v);
    else
        lua_pushlstring(L, text, (size_t)snprintf(text, sizeof text, "%lld", (long long)v));
#endif
}

/* Decimal text, all of it, optionally followed by `suffix` (LuaJIT prints an int64_t cdata as "123LL"). */
static int parse_int64(const char *text, const char *suffix, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (end == text || errno != 0 || strcmp(end, suffix) != 0)
        return 0;
    *out = (int64_t)v;
    return 1;
}

int64_t klua_check_int64(lua_State *L, int index)
{
    int64_t v = 0;
    int type = lua_type(L, index);
    if (type == LUA_TNUMBER) {
#if LUA_VERSION_NUM >= 503
        int exact;
        lua_Integer i = lua_tointegerx(L, index, &exact); /* integral floats too, as luaL_checkinteger */
        if (exact)
            return (int64_t)i;
#else
        if (lua_isinteger(L, index))
            return (int64_t)lua_tonumber(L, index);
#endif
    }
    if (type == LUA_TSTRING && parse_int64(lua_tostring(L, index), "", &v))
        return v;
    if (type > LUA_TTHREAD) { /* LuaJIT's cdata */
        const char *text;
        luaL_checkstack(L, 2, "kusto: out of Lua stack space");
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, index);
        lua_call(L, 1, 1);
        text = lua_tostring(L, -1);
        if (text && parse_int64(text, "LL", &v)) {
            lua_pop(L, 1);
            return v;
        }
        lua_pop(L, 1);
    }
    return luaL_argerror(L, index, "a 64-bit integer (an integral number, its decimal text, or an int64_t cdata)");
}
