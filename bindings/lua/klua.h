/* Internal to the Lua binding: shared helpers. */
#ifndef KLUA_H
#define KLUA_H

#include "compat.h"
#include "kusto.h"

#define KLUA_CLIENT_MT "kusto.client"
#define KLUA_ERROR_MT "kusto.error"
#define KLUA_BOX_MT "kusto.box"

/* A box: a userdata that owns one C pointer and frees it when collected, so a Lua error raised while
   C objects are alive (a bad option value, out of memory) does not leak them. */
void **klua_box(lua_State *L, void (*free_fn)(void *));
/* Frees the pointer of the box at `index` now. */
void klua_box_free(lua_State *L, int index);

/* Registers the box and error metatables. */
void klua_convert_register(lua_State *L);

/* Pushes kusto.null, the sentinel for Kusto nulls and JSON nulls (a NULL lightuserdata, like cjson.null). */
#define klua_push_null(L) lua_pushlightuserdata((L), NULL)

/* Pushes the error table {status=, message=, ...} with its __tostring. */
void klua_push_error(lua_State *L, const kusto_error *err);
/* Pushes nil and an error table for a failure that has no kusto_error (e.g. out of memory); returns 2. */
int klua_fail(lua_State *L, kusto_status status, const char *message);
/* The string at `index`; raises naming `what` when it is not one or holds a NUL, which C would cut it at
   (a connection string cut short could silently lose a keyword). The text is never in the error. */
const char *klua_check_text(lua_State *L, int index, const char *what);
/* Pushes nil and the error table for `*err`, frees it; returns 2. */
int klua_fail_with(lua_State *L, kusto_status status, kusto_error **err);

/* kusto_options from an options table at `index` (nil/none: empty); pushes its box. Raises on a bad
   key or value type. The binding's own entries (convert.c's OWN_NAMES) are skipped. */
kusto_options *klua_check_options(lua_State *L, int index);
/* kusto_request from a properties table at `index` (nil/none: NULL, pushes nil); pushes its box. */
kusto_request *klua_check_request(lua_State *L, int index);

/* Pushes the token as a table. */
void klua_push_token(lua_State *L, const kusto_token *token);

/* What a 64-bit integer (long, int, ticks) becomes on Lua 5.1, 5.2 and LuaJIT, whose numbers are doubles:
   STRING (the default): a number up to 2^53 in magnitude, its decimal text beyond; NUMBER: always a number
   (rounded beyond 2^53); CDATA (LuaJIT): a number up to 2^53, an int64_t cdata beyond. Lua 5.3 and later
   always give native integers. */
typedef enum klua_int64 { KLUA_INT64_STRING, KLUA_INT64_NUMBER, KLUA_INT64_CDATA } klua_int64;
/* The "int64" entry of the table at `index`; `fallback` when absent or when that is not a table. Raises on
   a value other than "string", "number", "cdata", and on "cdata" without LuaJIT's ffi (before 5.3). */
klua_int64 klua_int64_mode(lua_State *L, int index, klua_int64 fallback);
/* Pushes `v` as `mode` says. */
void klua_push_int64(lua_State *L, int64_t v, klua_int64 mode);
/* The 64-bit integer at `index`: an integral number, its decimal text, or an int64_t cdata; raises else. */
int64_t klua_check_int64(lua_State *L, int index);

/* Runs a query (`mgmt` 0) or control command (1) and returns its Lua results: the result table, or
   nil and an error (with .result on KUSTO_E_PARTIAL and KUSTO_E_PROTOCOL). `on_row`: 0, or the stack index of a function
   called as f(row, table) for each row of a primary table as it arrives (the row is then not kept);
   f returning false cancels the query; an error raised by f is raised again once the call has ended.
   `cancel`: 0, or the stack index of a function asked (no arguments) while the call waits for the
   network or to retry; a true answer stops it with KUSTO_E_CANCELLED, an error it raises is raised again. */
typedef struct klua_call {
    kusto_client *client;
    const char *db, *text;
    const kusto_request *req;
    int mgmt, on_row, cancel;
    int raw_ticks;   /* datetime and timespan cells as integer ticks instead of text */
    int strict;      /* a cell that cannot become its column's type fails the call instead of a warning */
    int on_progress; /* 0, or the stack index of a function called as f(table_id, percent) */
    klua_int64 int64;
} klua_call;
int klua_run(lua_State *L, const klua_call *call);
/* lua_pcall(L, nargs, LUA_MULTRET) with the collector paused around it when `pause` (and it runs): for a
   call building a result that stays reachable until it returns. An error is raised again once the
   collector is as it was: a collector the caller stopped stays stopped. */
int klua_pcall_paused(lua_State *L, int nargs, int pause);
/* A result built across calls, for an op (op.c): the state of klua_run's builder, kept between the calls
   that feed the op. Every call that may run the builder's callbacks (the op's next, receive, failed) is
   bracketed by enter and leave, on the stack of the calling function (any coroutine); nothing may be
   pushed or popped in between. The row function is called as in klua_run. */
typedef struct klua_build klua_build;
/* Made from call's on_row, on_progress, raw_ticks, strict and int64 (cancel is not used); `*out` is set
   first, so the owner frees it even when this raises. */
klua_build *klua_build_new(lua_State *L, const klua_call *call, klua_build **out);
const kusto_builder *klua_build_builder(klua_build *b);
void *klua_build_ud(klua_build *b); /* the builder's ud */
void klua_build_enter(lua_State *L, klua_build *b);
void klua_build_leave(lua_State *L, klua_build *b);
/* Once, after the op is done with `st`: pushes what klua_run would return (or raises the same error). */
int klua_build_result(lua_State *L, klua_build *b, kusto_status st, kusto_error **err);
void klua_build_free(lua_State *L, klua_build *b);

/* json.c: the Lua value at `index` as JSON text (free it with klua_json_free), or NULL with *problem saying why:
   a table whose keys are 1..n (an empty one too) is an array, another an object with string keys; integers
   exact, other numbers finite; kusto.null is null. */
char *klua_json_text(lua_State *L, int index, const char **problem);
void klua_json_free(char *text);

/* Pushes result.warnings' entry for `w`: {table, table_id, row, column, column_name, reason, excerpt, count}; row
   and column count from 1, as Lua lists do. */
void klua_push_warning(lua_State *L, const kusto_warning *w);
/* columnar.c: the same call into Arrow columns in C, returned as one Lua array per column ({tables = {{id, name,
   kind, columns, data = {column arrays}, row_count}}, primary_results, warnings}); datetime/timespan as ticks. */
int klua_run_columns(lua_State *L, const klua_call *call);
/* Pushes the "cancel" entry of the table at `index` (nil when absent or not a table) and returns its
   stack index, or 0 when it is nil. Raises when it is not a function. */
int klua_push_cancel(lua_State *L, int index);
/* The "raw_ticks" entry of the table at `index`: 1 when true, 0 when absent, false or not a table.
   Raises when it is not a boolean. */
int klua_raw_ticks(lua_State *L, int index);
/* Sets call->strict and call->on_progress (pushing the function) from the table at `index`; raises when
   they are not a boolean and a function. */
void klua_call_extras(lua_State *L, int index, klua_call *call);

/* When the options table at `index` has token_callback (a function), hands it to the core through `opts` and
   pushes the userdata that keeps it alive (the caller keeps that as long as the core may call it); returns 1.
   Else pushes nil and returns 0. Raises when token_callback is not a function. */
int klua_push_token_callback(lua_State *L, int index, kusto_options *opts);
/* Registers the token callback metatable. */
void klua_callback_register(lua_State *L);

/* A client's userdata (client.c). An op holds the client: a client closed while ops are unfinished frees
   its core client when the last of them is freed. */
typedef struct klua_client klua_client;
void klua_client_hold(klua_client *c);
void klua_client_release(klua_client *c);

/* client:op(...) (op.c): pushes an op of `call` on client `c` (the userdata at stack index 1); `req_box`:
   the stack index of the request's box, 0 when none: the op keeps it. */
int klua_op_new(lua_State *L, klua_client *c, const klua_call *call, int req_box);
/* Registers the op metatable. */
void klua_op_register(lua_State *L);

/* Registers the client metatable. */
void klua_client_register(lua_State *L);
/* kusto.client(cs, opts) */
int klua_client_new(lua_State *L);
/* The same from the connection string and options at those stack indices, whose options may also hold a
   call's fields (cancel, raw_ticks, properties: a one-shot call's): pushes the client and returns 1, or
   pushes nil, err and returns 2. `shared`: the process's client for them (kusto_client_shared). */
int klua_client_open(lua_State *L, int cs_index, int opts_index, int shared);

/* Creates the metatable `name` whose __gc is `gc` (a userdata that owns registry references). */
static inline void klua_gc_metatable(lua_State *L, const char *name, lua_CFunction gc)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
}

/* Creates the metatable `name` with the metamethods `meta` and an __index table of `methods`. */
static inline void klua_class_metatable(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* Sets field `field` of the table on top of the stack (nothing for a NULL string). */
void klua_set_string(lua_State *L, const char *field, const char *value);
void klua_set_integer(lua_State *L, const char *field, lua_Integer value);

/* kusto.set_log(fn [, level]) (log.c) and its metatable. */
int klua_set_log(lua_State *L);
void klua_log_register(lua_State *L);

#endif
