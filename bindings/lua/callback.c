/* opts.token_callback: a Lua function the core calls for tokens, kept alive by a userdata for as long as a
   client (or a one-shot call) may call it. */
#include <stdlib.h>
#include <string.h>

#include "klua.h"

#define KLUA_CALLBACK_MT "kusto.token_callback"

typedef struct klua_callback {
    lua_State *thread;            /* the function runs here: a thread of its own, anchored by thread_ref */
    int thread_ref, function_ref; /* registry references */
} klua_callback;

/* opts.token_callback(resource) -> token [, expires_on], or nil, message; an error() is a failure too. */
static int call(void *ud, const char *resource, char **token, int64_t *expires_on, char **message)
{
    klua_callback *cb = ud;
    lua_State *T = cb->thread;
    int failed;
    lua_settop(T, 0);
    lua_rawgeti(T, LUA_REGISTRYINDEX, cb->function_ref);
    lua_pushstring(T, resource);
    if (lua_pcall(T, 1, 2, 0) != LUA_OK) {
        *message = strdup(lua_tostring(T, -1) ? lua_tostring(T, -1) : "the token callback raised an error");
        lua_settop(T, 0);
        return 1;
    }
    failed = lua_type(T, 1) != LUA_TSTRING;
    if (failed)
        *message = strdup(lua_type(T, 2) == LUA_TSTRING ? lua_tostring(T, 2)
                                                        : "the token callback returned no token (a string)");
    else {
        *token = strdup(lua_tostring(T, 1));
        if (lua_type(T, 2) == LUA_TNUMBER)
            *expires_on = (int64_t)lua_tonumber(T, 2);
    }
    lua_settop(T, 0);
    return failed;
}

static int callback_gc(lua_State *L)
{
    klua_callback *cb = luaL_checkudata(L, 1, KLUA_CALLBACK_MT);
    luaL_unref(L, LUA_REGISTRYINDEX, cb->function_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, cb->thread_ref);
    cb->function_ref = cb->thread_ref = LUA_NOREF;
    return 0;
}

int klua_push_token_callback(lua_State *L, int index, kusto_options *opts)
{
    klua_callback *cb;
    index = lua_absindex(L, index);
    if (!lua_istable(L, index)) {
        lua_pushnil(L);
        return 0;
    }
    lua_getfield(L, index, "token_callback");
    if (lua_isnil(L, -1))
        return 0;
    luaL_argcheck(L, lua_isfunction(L, -1), index, "token_callback must be a function");
    cb = lua_newuserdata(L, sizeof *cb);
    cb->thread = NULL;
    cb->thread_ref = cb->function_ref = LUA_NOREF;
    luaL_getmetatable(L, KLUA_CALLBACK_MT);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -2);
    cb->function_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    cb->thread = lua_newthread(L);
    cb->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_remove(L, -2); /* the function: the userdata holds it now */
    kusto_options_set_token_callback(opts, call, cb);
    return 1;
}

void klua_callback_register(lua_State *L)
{
    klua_gc_metatable(L, KLUA_CALLBACK_MT, callback_gc);
}
