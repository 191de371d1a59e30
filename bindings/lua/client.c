/* kusto.client(cs, opts): a client userdata that keeps connections, cloud metadata and the token
   cache between calls. */
#include <stdlib.h>

#include "klua.h"

typedef struct klua_client {
    kusto_client *client;
    char *description; /* the connection string with secrets masked, for __tostring */
} klua_client;

static klua_client *check_open(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    if (!c->client)
        luaL_error(L, "kusto: the client is closed");
    return c;
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
    const char *cs = luaL_checkstring(L, 1);
    kusto_options *opts;
    kusto_error *err = NULL;
    kusto_status st;
    klua_client *c;

    lua_settop(L, 2);
    opts = klua_check_options(L, 2);
    c = lua_newuserdata(L, sizeof *c);

    c->client = NULL;
    c->description = NULL;
    luaL_getmetatable(L, KLUA_CLIENT_MT);
    lua_setmetatable(L, -2);
    st = kusto_client_new(&c->client, cs, opts, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    c->description = masked_connstr(cs);
    return 1;
}

static void free_token(void *p)
{
    kusto_token_free(p);
}

static int client_acquire_token(lua_State *L)
{
    klua_client *c = check_open(L);
    kusto_token **token = (kusto_token **)klua_box(L, free_token);
    kusto_error *err = NULL;
    kusto_status st = kusto_client_acquire_token(c->client, token, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    klua_push_token(L, *token);
    klua_box_free(L, -2);
    return 1;
}

static int client_run(lua_State *L, int mgmt)
{
    klua_client *c = check_open(L);
    lua_settop(L, 4);
    const char *db = luaL_optstring(L, 2, NULL);
    const char *text = luaL_checkstring(L, 3);
    kusto_request *req = klua_check_request(L, 4);
    int n = klua_run(L, c->client, db, text, req, mgmt, 0);
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
    int n = klua_run(L, c->client, db, text, req, 0, 4);
    if (req)
        klua_box_free(L, 6);
    return n;
}

static int client_query(lua_State *L)
{
    return client_run(L, 0);
}

static int client_mgmt(lua_State *L)
{
    return client_run(L, 1);
}

static int client_close(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    kusto_client_free(c->client);
    c->client = NULL;
    return 0;
}

static int client_gc(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    client_close(L);
    free(c->description);
    c->description = NULL;
    return 0;
}

static int client_tostring(lua_State *L)
{
    klua_client *c = luaL_checkudata(L, 1, KLUA_CLIENT_MT);
    if (!c->client)
        lua_pushliteral(L, "kusto.client (closed)");
    else
        lua_pushfstring(L, "kusto.client (%s)", c->description ? c->description : "?");
    return 1;
}

static const luaL_Reg client_methods[] = {
    {"acquire_token", client_acquire_token},
    {"query", client_query},
    {"mgmt", client_mgmt},
    {"each_row", client_each_row},
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
    luaL_newmetatable(L, KLUA_CLIENT_MT);
    luaL_setfuncs(L, client_meta, 0);
    luaL_newlib(L, client_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
