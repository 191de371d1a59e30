/* client:op(db, csl [, properties [, on_row]]): a kusto_op, a query whose HTTP exchanges the caller
   performs over its own sockets (kusto.resty: OpenResty's cosockets; examples/luv_query.lua). The core
   decides everything (requests, retries, sign-in, the parse); this file only moves values. Rows are built
   by builder.c's builder, so they are the tables client:query gives. */
#include <string.h>

#include "klua.h"

#define KLUA_OP_MT "kusto.op"

typedef struct klua_op {
    kusto_op *op;
    klua_build *build;
    klua_client *client; /* held (klua_client_hold) until the op is freed */
    int keep_ref;        /* registry: {client userdata, request box}, which must outlive the op */
    int done;            /* next() said "done" */
    int taken;           /* result() was called */
} klua_op;

static void free_op(lua_State *L, klua_op *o)
{
    kusto_op_free(o->op);
    o->op = NULL;
    klua_build_free(L, o->build);
    o->build = NULL;
    if (o->client)
        klua_client_release(o->client);
    o->client = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, o->keep_ref);
    o->keep_ref = LUA_NOREF;
}

static klua_op *check_op(lua_State *L)
{
    klua_op *o = luaL_checkudata(L, 1, KLUA_OP_MT);
    if (!o->op)
        luaL_error(L, "kusto: the op is closed");
    return o;
}

/* Keeps the values at these stack indices (0: none) in a table in the registry; returns its reference. */
static int keep(lua_State *L, int first, int second)
{
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, first);
    lua_rawseti(L, -2, 1);
    if (second) {
        lua_pushvalue(L, second);
        lua_rawseti(L, -2, 2);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

int klua_op_new(lua_State *L, klua_client *c, const klua_call *call, int req_box)
{
    kusto_error *err = NULL;
    kusto_status st;
    klua_op *o = lua_newuserdata(L, sizeof *o);
    memset(o, 0, sizeof *o);
    o->keep_ref = LUA_NOREF;
    luaL_getmetatable(L, KLUA_OP_MT);
    lua_setmetatable(L, -2);
    o->keep_ref = keep(L, 1, req_box);
    klua_client_hold(c);
    o->client = c;
    klua_build_new(L, call, &o->build);
    st = (call->mgmt ? kusto_op_mgmt : kusto_op_query)(call->client, call->db, call->text, call->req,
                                                       klua_build_builder(o->build), klua_build_ud(o->build), &o->op,
                                                       &err);
    if (st != KUSTO_OK) {
        free_op(L, o);
        return klua_fail_with(L, st, &err);
    }
    return 1;
}

/* op:next() -> "send", {method, url, host, port, tls_name, timeout_ms} | "wait", ms | "done" */
static int op_next(lua_State *L)
{
    klua_op *o = check_op(L);
    kusto_op_request r;
    kusto_op_step step;
    memset(&r, 0, sizeof r);
    lua_settop(L, 1);
    if (o->done) {
        lua_pushliteral(L, "done");
        return 1;
    }
    klua_build_enter(L, o->build);
    step = kusto_op_next(o->op, &r);
    klua_build_leave(L, o->build);
    if (step == KUSTO_OP_SEND) {
        lua_pushliteral(L, "send");
        lua_createtable(L, 0, 6);
        klua_set_string(L, "method", r.method);
        klua_set_string(L, "url", r.url);
        klua_set_string(L, "host", r.host);
        klua_set_integer(L, "port", r.port);
        klua_set_string(L, "tls_name", r.tls_name);
        klua_set_integer(L, "timeout_ms", (lua_Integer)r.timeout_ms);
        return 2;
    }
    if (step == KUSTO_OP_WAIT) {
        lua_pushliteral(L, "wait");
        lua_pushinteger(L, (lua_Integer)r.wait_ms);
        return 2;
    }
    o->done = 1;
    lua_pushliteral(L, "done");
    return 1;
}

/* op:request_bytes() -> the current request as HTTP/1.1 bytes */
static int op_request_bytes(lua_State *L)
{
    klua_op *o = check_op(L);
    const char *data = NULL;
    size_t len = 0;
    kusto_op_request_bytes(o->op, &data, &len);
    lua_pushlstring(L, data ? data : "", len);
    return 1;
}

/* op:receive(data) -> 0 (more), 1 (answered), -1 (failed); nil or "" is the end of the connection. */
static int op_receive(lua_State *L)
{
    klua_op *o = check_op(L);
    size_t len = 0;
    const char *data = lua_isnoneornil(L, 2) ? "" : luaL_checklstring(L, 2, &len);
    int answered;
    lua_settop(L, 2);
    klua_build_enter(L, o->build);
    answered = kusto_op_receive(o->op, data, len);
    klua_build_leave(L, o->build);
    lua_pushinteger(L, answered);
    return 1;
}

static int op_keep_alive(lua_State *L)
{
    lua_pushboolean(L, kusto_op_keep_alive(check_op(L)->op));
    return 1;
}

/* op:failed(transient, message): the request could not be sent or its answer not read. */
static int op_failed(lua_State *L)
{
    klua_op *o = check_op(L);
    int transient = lua_toboolean(L, 2);
    const char *message = luaL_optstring(L, 3, "the connection failed");
    lua_settop(L, 3);
    klua_build_enter(L, o->build);
    kusto_op_failed(o->op, transient, message);
    klua_build_leave(L, o->build);
    return 0;
}

/* op:result() -> what client:query returns (the result, or nil and the error), once, after "done". */
static int op_result(lua_State *L)
{
    klua_op *o = check_op(L);
    kusto_error *err = NULL;
    kusto_status st;
    if (!o->done)
        return luaL_error(L, "kusto: the op is not done: call next() until it says \"done\"");
    if (o->taken)
        return luaL_error(L, "kusto: the op's result was already taken");
    o->taken = 1;
    lua_settop(L, 1);
    st = kusto_op_result(o->op, &err);
    return klua_build_result(L, o->build, st, &err);
}

static int op_close(lua_State *L)
{
    free_op(L, luaL_checkudata(L, 1, KLUA_OP_MT));
    return 0;
}

static const luaL_Reg op_methods[] = {
    {"next", op_next},       {"request_bytes", op_request_bytes},
    {"receive", op_receive}, {"keep_alive", op_keep_alive},
    {"failed", op_failed},   {"result", op_result},
    {"close", op_close},     {NULL, NULL},
};

static const luaL_Reg op_meta[] = {
    {"__gc", op_close},
#if LUA_VERSION_NUM >= 504
    {"__close", op_close},
#endif
    {NULL, NULL},
};

void klua_op_register(lua_State *L)
{
    klua_class_metatable(L, KLUA_OP_MT, op_meta, op_methods);
}
