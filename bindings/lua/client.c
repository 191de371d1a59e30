/* kusto.client(cs, opts): a client userdata that keeps connections, cloud metadata and the token
   cache between calls. */
#include <stdlib.h>
#include <string.h>

#include "klua.h"

struct klua_client {
    kusto_client *client;
    int closed;                       /* :close() was called; the core client waits for its ops */
    int ops;                          /* unfinished ops holding the client */
    char *description;                /* the connection string with secrets masked, for __tostring */
    int callback_ref;                 /* registry reference to opts.token_callback's keeper, LUA_NOREF when none */
    lua_State *L;                     /* the state of the call in progress: prompts run there */
    int device_code_ref, browser_ref; /* the prompt functions in the registry, or LUA_NOREF */
    klua_int64 int64;                 /* opts.int64: the calls' default */
};

/* The cancel function of the call in progress (the value at `index`; 0: none) is kept in the registry
   under the client's address, for the sign-in that call may make. */
static void set_call_cancel(lua_State *L, klua_client *c, int index)
{
    if (index)
        lua_pushvalue(L, index);
    else
        lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, c);
}

/* Asked while a sign-in waits: a true answer or an error from the call's cancel function stops it. */
static int signin_cancelled(void *ud)
{
    klua_client *c = ud;
    lua_State *L = c->L;
    int stop;
    if (!lua_checkstack(L, 2))
        return 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, c) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return 0;
    }
    stop = lua_pcall(L, 0, 1, 0) != 0 || lua_toboolean(L, -1);
    lua_pop(L, 1);
    return stop;
}

static klua_client *check_open(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    if (c->closed || !c->client)
        luaL_error(L, "kusto: the client is closed");
    c->L = L;
    set_call_cancel(L, c, 0); /* a call sets its own */
    return c;
}

/* Calls the prompt function with the argument on top of the stack; an error or `false` cancels. */
static int call_prompt(lua_State *L, int ref)
{
    int cancel;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_insert(L, -2);
    cancel = lua_pcall(L, 1, 1, 0) != 0 || (lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_pop(L, 1);
    return cancel;
}

static int device_code_prompt(void *ud, const kusto_device_code_info *info)
{
    klua_client *c = ud;
    lua_State *L = c->L;
    lua_createtable(L, 0, 4);
    lua_pushstring(L, info->message);
    lua_setfield(L, -2, "message");
    lua_pushstring(L, info->verification_uri);
    lua_setfield(L, -2, "verification_uri");
    lua_pushstring(L, info->user_code);
    lua_setfield(L, -2, "user_code");
    lua_pushnumber(L, (lua_Number)info->expires_on);
    lua_setfield(L, -2, "expires_on");
    return call_prompt(L, c->device_code_ref);
}

static int browser_prompt(void *ud, const char *url)
{
    klua_client *c = ud;
    lua_pushstring(c->L, url);
    return call_prompt(c->L, c->browser_ref);
}

/* Keeps the prompt function named `name` of the options table at `index`; LUA_NOREF when absent. */
static int keep_prompt(lua_State *L, int index, const char *name)
{
    if (lua_isnoneornil(L, index))
        return LUA_NOREF;
    lua_getfield(L, index, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (!lua_isfunction(L, -1))
        luaL_error(L, "kusto: option '%s' must be a function", name);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

static char *masked_connstr(const char *text)
{
    kusto_connstr *cs = NULL;
    char *masked = NULL;
    if (kusto_connstr_parse(&cs, text, NULL) == KUSTO_OK)
        masked = kusto_connstr_to_string(cs);
    kusto_connstr_free(cs);
    return masked;
}

int klua_client_new(lua_State *L)
{
    lua_settop(L, 2);
    if (klua_push_cancel(L, 2))
        return luaL_error(L, "kusto: 'cancel' belongs to a call: pass it in the properties of client:query");
    lua_pop(L, 1);
    return klua_client_open(L, 1, 2, 0);
}

int klua_client_open(lua_State *L, int cs_index, int opts_index, int shared)
{
    const char *cs = klua_check_text(L, cs_index, "the connection string");
    kusto_options *opts;
    kusto_error *err = NULL;
    kusto_status st;
    klua_client *c;

    klua_int64 int64 = klua_int64_mode(L, opts_index, KLUA_INT64_STRING);
    opts = klua_check_options(L, opts_index);
    c = lua_newuserdata(L, sizeof *c);
    c->int64 = int64;

    c->client = NULL;
    c->closed = c->ops = 0;
    c->description = NULL;
    c->callback_ref = LUA_NOREF;
    c->L = L;
    c->device_code_ref = c->browser_ref = LUA_NOREF;
    luaL_getmetatable(L, KLUA_CLIENT_MT);
    lua_setmetatable(L, -2);
    if (klua_push_token_callback(L, opts_index, opts))
        c->callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else
        lua_pop(L, 1);
    c->device_code_ref = keep_prompt(L, opts_index, "device_code_callback");
    c->browser_ref = keep_prompt(L, opts_index, "browser_callback");
    if (c->device_code_ref != LUA_NOREF)
        kusto_options_set_device_code_callback(opts, device_code_prompt, c);
    if (c->browser_ref != LUA_NOREF)
        kusto_options_set_browser_callback(opts, browser_prompt, c);
    kusto_options_set_cancel_callback(opts, signin_cancelled, c);
    st = (shared ? kusto_client_shared : kusto_client_new)(&c->client, cs, opts, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    c->description = masked_connstr(cs);
    return 1;
}

static void free_token(void *p)
{
    kusto_token_free(p);
}

/* client:acquire_token([{cancel = f}]) */
static int client_acquire_token(lua_State *L)
{
    klua_client *c = check_open(L);
    lua_settop(L, 2);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    set_call_cancel(L, c, klua_push_cancel(L, 2));
    kusto_token **token = (kusto_token **)klua_box(L, free_token);
    kusto_error *err = NULL;
    kusto_status st = kusto_client_acquire_token(c->client, token, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    klua_push_token(L, *token);
    klua_box_free(L, -2);
    return 1;
}

/* client:accounts() -> list of {home_account_id, username, environment, realm} */
static int client_accounts(lua_State *L)
{
    klua_client *c = check_open(L);
    kusto_account *accounts = NULL;
    size_t count = 0;
    kusto_error *err = NULL;
    kusto_status st = kusto_client_accounts(c->client, &accounts, &count, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        lua_createtable(L, 0, 4);
        lua_pushstring(L, accounts[i].home_account_id);
        lua_setfield(L, -2, "home_account_id");
        lua_pushstring(L, accounts[i].username);
        lua_setfield(L, -2, "username");
        lua_pushstring(L, accounts[i].environment);
        lua_setfield(L, -2, "environment");
        lua_pushstring(L, accounts[i].realm);
        lua_setfield(L, -2, "realm");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    kusto_accounts_free(accounts, count);
    return 1;
}

static int client_remove_account(lua_State *L)
{
    klua_client *c = check_open(L);
    kusto_error *err = NULL;
    kusto_status st = kusto_client_remove_account(c->client, luaL_checkstring(L, 2), &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int client_clear_cache(lua_State *L)
{
    klua_client *c = check_open(L);
    kusto_error *err = NULL;
    kusto_status st = kusto_client_clear_cache(c->client, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int client_run(lua_State *L, int mgmt)
{
    klua_client *c = check_open(L);
    lua_settop(L, 4);
    const char *db = luaL_optstring(L, 2, NULL);
    const char *text = luaL_checkstring(L, 3);
    kusto_request *req = klua_check_request(L, 4);
    klua_call call = {.client = c->client,
                      .db = db,
                      .text = text,
                      .req = req,
                      .mgmt = mgmt,
                      .cancel = klua_push_cancel(L, 4),
                      .raw_ticks = klua_raw_ticks(L, 4),
                      .int64 = klua_int64_mode(L, 4, c->int64)};
    klua_call_extras(L, 4, &call);
    set_call_cancel(L, c, call.cancel);
    int n = klua_run(L, &call);
    if (req)
        klua_box_free(L, 5);
    return n;
}

/* client:each_row(db, csl, f [, properties]): f(row, table) for each primary row as it arrives. */
static int client_each_row(lua_State *L)
{
    klua_client *c = check_open(L);
    lua_settop(L, 5);
    const char *db = luaL_optstring(L, 2, NULL);
    const char *text = luaL_checkstring(L, 3);
    luaL_checktype(L, 4, LUA_TFUNCTION);
    kusto_request *req = klua_check_request(L, 5);
    klua_call call = {.client = c->client,
                      .db = db,
                      .text = text,
                      .req = req,
                      .on_row = 4,
                      .cancel = klua_push_cancel(L, 5),
                      .raw_ticks = klua_raw_ticks(L, 5),
                      .int64 = klua_int64_mode(L, 5, c->int64)};
    klua_call_extras(L, 5, &call);
    set_call_cancel(L, c, call.cancel);
    int n = klua_run(L, &call);
    if (req)
        klua_box_free(L, 6);
    return n;
}

static int client_query(lua_State *L)
{
    return client_run(L, 0);
}

/* client:query_columns(db, csl [, properties]): the result as one array per column (see columnar.c). */
static int client_query_columns(lua_State *L)
{
    klua_client *c = check_open(L);
    lua_settop(L, 4);
    klua_call call = {.client = c->client,
                      .db = luaL_optstring(L, 2, NULL),
                      .text = luaL_checkstring(L, 3),
                      .req = klua_check_request(L, 4),
                      .int64 = klua_int64_mode(L, 4, c->int64)};
    klua_call_extras(L, 4, &call);
    return klua_run_columns(L, &call);
}

static int client_mgmt(lua_State *L)
{
    return client_run(L, 1);
}

/* client:op(db, csl [, properties [, on_row]]): a query whose HTTP exchanges the caller performs (op.c). */
static int client_op(lua_State *L)
{
    klua_client *c = check_open(L);
    lua_settop(L, 5);
    if (!lua_isnil(L, 5))
        luaL_checktype(L, 5, LUA_TFUNCTION);
    if (klua_push_cancel(L, 4))
        return luaL_error(L, "kusto: 'cancel' is for blocking calls: an op is cancelled by closing it");
    lua_pop(L, 1);
    kusto_request *req = klua_check_request(L, 4);
    klua_call call = {.client = c->client,
                      .db = luaL_optstring(L, 2, NULL),
                      .text = luaL_checkstring(L, 3),
                      .req = req,
                      .on_row = lua_isnil(L, 5) ? 0 : 5,
                      .raw_ticks = klua_raw_ticks(L, 4),
                      .int64 = klua_int64_mode(L, 4, c->int64)};
    klua_call_extras(L, 4, &call);
    return klua_op_new(L, c, &call, req ? 6 : 0);
}

void klua_client_hold(klua_client *c)
{
    c->ops++;
}

void klua_client_release(klua_client *c)
{
    if (--c->ops == 0 && c->closed) {
        kusto_client_free(c->client);
        c->client = NULL;
    }
}

static int client_close(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    c->closed = 1;
    if (c->ops == 0) {
        kusto_client_free(c->client);
        c->client = NULL;
    }
    return 0;
}

static int client_gc(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    client_close(L);
    free(c->description);
    c->description = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, c->callback_ref);
    c->callback_ref = LUA_NOREF;
    luaL_unref(L, LUA_REGISTRYINDEX, c->device_code_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->browser_ref);
    c->device_code_ref = c->browser_ref = LUA_NOREF;
    set_call_cancel(L, c, 0);
    return 0;
}

static int client_tostring(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    if (c->closed || !c->client)
        lua_pushliteral(L, "kusto.client (closed)");
    else
        lua_pushfstring(L, "kusto.client (%s)", c->description ? c->description : "?");
    return 1;
}

static const luaL_Reg client_methods[] = {
    {"acquire_token", client_acquire_token},
    {"accounts", client_accounts},
    {"remove_account", client_remove_account},
    {"clear_cache", client_clear_cache},
    {"query", client_query},
    {"mgmt", client_mgmt},
    {"each_row", client_each_row},
    {"query_columns", client_query_columns},
    {"op", client_op},
    {"close", client_close},
    {NULL, NULL},
};

static const luaL_Reg client_meta[] = {
    {"__gc", client_gc},
    {"__tostring", client_tostring},
#if LUA_VERSION_NUM >= 504
    {"__close", client_close},
#endif
    {NULL, NULL},
};

void klua_client_register(lua_State *L)
{
    klua_class_metatable(L, KLUA_CLIENT_MT, client_meta, client_methods);
}
