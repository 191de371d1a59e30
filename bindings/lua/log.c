/* kusto.set_log(function(level, message) ... end [, level]): the core's log messages (kusto_set_log_callback) to a
   Lua function; kusto.set_log(nil) stops them. The core's callback is one per process: only messages made on the
   thread that set it reach the function (a Lua state is not shared across threads), on a Lua thread of its own. */
#include <pthread.h>

#include "klua.h"

#define KLUA_LOG_MT "kusto.log"

typedef struct klua_log {
    lua_State *thread;
    int thread_ref, function_ref;
    pthread_t owner;
} klua_log;

static klua_log *current; /* the holder the core's callback points at, NULL when none */

static void log_to_lua(void *ud, kusto_log_level level, const char *message)
{
    klua_log *log = ud;
    if (!pthread_equal(pthread_self(), log->owner))
        return;
    lua_settop(log->thread, 0);
    lua_rawgeti(log->thread, LUA_REGISTRYINDEX, log->function_ref);
    lua_pushinteger(log->thread, level);
    lua_pushstring(log->thread, message);
    lua_pcall(log->thread, 2, 0, 0); /* a failing log function must not fail the call being logged */
    lua_settop(log->thread, 0);
}

static void release(lua_State *L, klua_log *log)
{
    if (current == log) {
        kusto_set_log_callback(NULL, NULL, KUSTO_LOG_OFF);
        current = NULL;
    }
    luaL_unref(L, LUA_REGISTRYINDEX, log->function_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, log->thread_ref);
    log->function_ref = log->thread_ref = LUA_NOREF;
}

static int log_gc(lua_State *L)
{
    release(L, luaL_checkudata(L, 1, KLUA_LOG_MT));
    return 0;
}

/* The registry keeps the holder set last (so it lives until set_log(nil) or the state closes). */
int klua_set_log(lua_State *L)
{
    klua_log *log;
    lua_Integer level = luaL_optinteger(L, 2, KUSTO_LOG_INFO);
    lua_getfield(L, LUA_REGISTRYINDEX, KLUA_LOG_MT ".current");
    if (lua_isuserdata(L, -1))
        release(L, lua_touserdata(L, -1));
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, KLUA_LOG_MT ".current");
    if (lua_isnoneornil(L, 1))
        return 0;
    luaL_checktype(L, 1, LUA_TFUNCTION);
    log = lua_newuserdata(L, sizeof *log);
    log->thread_ref = log->function_ref = LUA_NOREF;
    luaL_getmetatable(L, KLUA_LOG_MT);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, 1);
    log->function_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    log->thread = lua_newthread(L);
    log->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    log->owner = pthread_self();
    lua_setfield(L, LUA_REGISTRYINDEX, KLUA_LOG_MT ".current");
    current = log;
    kusto_set_log_callback(log_to_lua, log, (kusto_log_level)level);
    return 0;
}

void klua_log_register(lua_State *L)
{
    klua_gc_metatable(L, KLUA_LOG_MT, log_gc);
}
