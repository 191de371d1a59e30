/* Results as Lua tables, built directly by the core's builder callbacks while the response arrives.
 *
 * Everything being built lives on the Lua stack of the calling C function (so the collector sees it):
 * the result, its tables / primary_results / errors lists, then the current table, its rows, the
 * current row and one container (plus a pending key) per level of an open dynamic value. Stack space
 * is reserved with lua_checkstack before each level, so the only Lua error a callback can raise is
 * out of memory; that one unwinds through the core's frames and leaks the request (see
 * bindings/lua/README.md). Everything the binding itself allocates lives in boxes the collector frees.
 * An op's result is built across many calls (klua_build, at the end): its slots are kept between them.
 */
#include <stdlib.h>
#include <string.h>

#include "klua.h"

typedef struct frame {
    int index;         /* stack index of the container */
    lua_Integer count; /* items stored so far */
    int is_object;
    size_t nth; /* which container of its row it is, from 0 */
} frame;

/* Dynamic values of a column tend to share their shape from row to row, so the n-th container of a
   row is made with room for what the n-th container of the previous row held (no rehash as it fills). */
#define SIZE_HINTS 32
#define MAX_SIZE_HINT 64

typedef struct state {
    lua_State *L;
    int tables, primary, errors, warnings; /* stack indices of the result's lists */
    lua_Integer ntables, nprimary, nerrors, nwarnings;
    int table, rows, row; /* stack indices, 0 outside a table / row */
    lua_Integer nrows, ncells;
    size_t ncolumns;
    frame **frames; /* boxed, grows with the nesting of dynamic values */
    size_t depth, capacity;
    const char *failure;        /* why a callback stopped the query */
    int on_row;                 /* stack index of the row function, 0 when rows are kept */
    int raised;                 /* stack index where the row function's error is kept */
    int streaming;              /* the current table's rows go to on_row */
    int cancelled;              /* the row function returned false, or raised */
    int cancel;                 /* stack index of the cancel function, 0 when none */
    int on_progress;            /* stack index of the progress function, 0 when none */
    int raw_ticks;              /* datetime and timespan as integer ticks */
    klua_int64 int64;           /* what integers beyond 2^53 become before Lua 5.3 */
    size_t containers;          /* containers begun in the current row */
    int size_hints[SIZE_HINTS]; /* items of the n-th container of the previous row */
} state;

static int stop(state *s, const char *why)
{
    s->failure = why;
    return 1;
}

static int reserve(state *s, int slots)
{
    return lua_checkstack(s->L, slots) ? 0 : stop(s, "out of Lua stack space while building the result");
}

/* Stores the value on top of the stack where it belongs: the open array or object, or the row. */
static void store(state *s)
{
    lua_State *L = s->L;
    if (s->depth > 0) {
        frame *f = &(*s->frames)[s->depth - 1];
        ++f->count;
        if (f->is_object)
            lua_rawset(L, f->index); /* the key is below the value */
        else
            lua_rawseti(L, f->index, f->count);
    } else if (s->row) {
        lua_rawseti(L, s->row, ++s->ncells);
    } else {
        lua_pop(L, 1);
    }
}

static void push_columns(lua_State *L, const kusto_table_info *info)
{
    size_t i;
    lua_createtable(L, (int)info->column_count, 0);
    for (i = 0; i < info->column_count; i++) {
        const kusto_column *col = &info->columns[i];
        lua_createtable(L, 0, 2);
        lua_pushstring(L, col->name ? col->name : "");
        lua_setfield(L, -2, "name");
        lua_pushstring(L, col->type != KUSTO_TYPE_UNKNOWN || !col->type_name ? kusto_type_name(col->type)
                                                                             : col->type_name);
        lua_setfield(L, -2, "type");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* Pushes a new rows list and makes it the current table's "rows". */
static void push_rows(state *s)
{
    lua_newtable(s->L);
    lua_pushvalue(s->L, -1);
    lua_setfield(s->L, s->table, "rows");
    s->nrows = 0;
}

static int on_begin_table(void *ud, const kusto_table_info *info)
{
    state *s = ud;
    lua_State *L = s->L;
    if (reserve(s, 8))
        return 1;
    lua_settop(L, s->warnings);
    lua_createtable(L, 0, 5);
    s->table = lua_gettop(L);
    lua_pushinteger(L, info->id);
    lua_setfield(L, -2, "id");
    if (info->name) {
        lua_pushstring(L, info->name);
        lua_setfield(L, -2, "name");
    }
    if (info->kind) {
        lua_pushstring(L, info->kind);
        lua_setfield(L, -2, "kind");
    }
    push_columns(L, info);
    lua_setfield(L, -2, "columns");
    lua_pushvalue(L, s->table);
    lua_rawseti(L, s->tables, ++s->ntables);
    if (info->primary) {
        lua_pushvalue(L, s->table);
        lua_rawseti(L, s->primary, ++s->nprimary);
    }
    push_rows(s);
    s->rows = lua_gettop(L);
    s->row = 0;
    s->ncolumns = info->column_count;
    s->streaming = s->on_row && info->primary;
    return 0;
}

/* Hands the row on top of the stack to the row function; 1 to stop the query. */
static int hand_row(state *s)
{
    lua_State *L = s->L;
    lua_pushvalue(L, s->on_row);
    lua_insert(L, -2);
    lua_pushvalue(L, s->table);
    if (lua_pcall(L, 2, 1, 0) != 0) {
        lua_replace(L, s->raised);
        return s->cancelled = 1;
    }
    s->cancelled = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    return s->cancelled;
}

static int on_end_table(void *ud)
{
    state *s = ud;
    if (s->table)
        lua_settop(s->L, s->table - 1);
    s->table = s->rows = s->row = 0;
    return 0;
}

static int on_replace_rows(void *ud)
{
    state *s = ud;
    if (!s->table)
        return 0;
    lua_settop(s->L, s->rows);
    push_rows(s);
    lua_replace(s->L, s->rows);
    s->row = 0;
    return 0;
}

static int on_begin_row(void *ud)
{
    state *s = ud;
    if (!s->rows || reserve(s, 4))
        return s->failure != NULL;
    lua_settop(s->L, s->rows);
    lua_createtable(s->L, (int)s->ncolumns, 0);
    s->row = lua_gettop(s->L);
    s->ncells = 0;
    s->depth = 0;
    s->containers = 0;
    return 0;
}

static int on_end_row(void *ud)
{
    state *s = ud;
    if (!s->row)
        return 0;
    lua_settop(s->L, s->row);
    s->row = 0;
    if (s->streaming)
        return hand_row(s);
    lua_rawseti(s->L, s->rows, ++s->nrows);
    return 0;
}

static void push_ticks(lua_State *L, int64_t ticks, size_t (*format)(int64_t, char *))
{
    char buf[40];
    size_t len = format(ticks, buf);
    lua_pushlstring(L, buf, len);
}

static void push_value(lua_State *L, const kusto_value *v, int raw_ticks, klua_int64 int64)
{
    switch (v->kind) {
    case KUSTO_VALUE_BOOL:
        lua_pushboolean(L, v->u.b);
        break;
    case KUSTO_VALUE_INT:
        klua_push_int64(L, v->u.i, int64);
        break;
    case KUSTO_VALUE_REAL:
        lua_pushnumber(L, (lua_Number)v->u.r);
        break;
    case KUSTO_VALUE_STRING:
    case KUSTO_VALUE_DECIMAL:
    case KUSTO_VALUE_GUID:
    case KUSTO_VALUE_JSON:
        lua_pushlstring(L, v->u.text.ptr, v->u.text.len);
        break;
    case KUSTO_VALUE_DATETIME:
    case KUSTO_VALUE_TIMESPAN:
        if (raw_ticks)
            klua_push_int64(L, v->u.ticks, int64);
        else
            push_ticks(L, v->u.ticks, v->kind == KUSTO_VALUE_DATETIME ? kusto_datetime_format : kusto_timespan_format);
        break;
    case KUSTO_VALUE_NULL:
    default:
        klua_push_null(L);
        break;
    }
}

static int on_value(void *ud, const kusto_value *v)
{
    state *s = ud;
    push_value(s->L, v, s->raw_ticks, s->int64);
    store(s);
    return 0;
}

static int begin_container(state *s, int is_object)
{
    frame *f;
    int hint;
    if (reserve(s, 4))
        return 1;
    if (s->depth == s->capacity) {
        size_t capacity = s->capacity ? 2 * s->capacity : 16;
        frame *grown = realloc(*s->frames, capacity * sizeof *grown);
        if (!grown)
            return stop(s, "out of memory while building a dynamic value");
        *s->frames = grown;
        s->capacity = capacity;
    }
    f = &(*s->frames)[s->depth];
    f->nth = s->containers++;
    hint = f->nth < SIZE_HINTS ? s->size_hints[f->nth] : 0;
    lua_createtable(s->L, is_object ? 0 : hint, is_object ? hint : 0);
    f->index = lua_gettop(s->L);
    f->count = 0;
    f->is_object = is_object;
    s->depth++;
    return 0;
}

static int end_container(state *s)
{
    frame *f;
    if (s->depth == 0)
        return 0;
    f = &(*s->frames)[s->depth - 1];
    if (f->nth < SIZE_HINTS)
        s->size_hints[f->nth] = f->count < MAX_SIZE_HINT ? (int)f->count : MAX_SIZE_HINT;
    lua_settop(s->L, f->index);
    s->depth--;
    store(s);
    return 0;
}

static int on_begin_array(void *ud)
{
    return begin_container(ud, 0);
}

static int on_begin_object(void *ud)
{
    return begin_container(ud, 1);
}

static int on_end_container(void *ud)
{
    return end_container(ud);
}

static int on_key(void *ud, const char *ptr, size_t len)
{
    state *s = ud;
    lua_pushlstring(s->L, ptr, len);
    return 0;
}

static int on_partial_error(void *ud, const kusto_error *error)
{
    state *s = ud;
    if (reserve(s, 4))
        return 1;
    klua_push_error(s->L, error);
    lua_rawseti(s->L, s->errors, ++s->nerrors);
    return 0;
}

void klua_push_warning(lua_State *L, const kusto_warning *w)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, w->table);
    lua_setfield(L, -2, "table");
    lua_pushinteger(L, w->table_id);
    lua_setfield(L, -2, "table_id");
    lua_pushinteger(L, (lua_Integer)w->row + 1);
    lua_setfield(L, -2, "row");
    lua_pushinteger(L, (lua_Integer)w->column + 1);
    lua_setfield(L, -2, "column");
    lua_pushstring(L, w->column_name);
    lua_setfield(L, -2, "column_name");
    lua_pushstring(L, w->reason);
    lua_setfield(L, -2, "reason");
    lua_pushstring(L, w->excerpt);
    lua_setfield(L, -2, "excerpt");
    lua_pushinteger(L, (lua_Integer)w->count);
    lua_setfield(L, -2, "count");
}

static int on_warning(void *ud, const kusto_warning *w)
{
    state *s = ud;
    if (reserve(s, 4))
        return 1;
    klua_push_warning(s->L, w);
    lua_rawseti(s->L, s->warnings, ++s->nwarnings);
    return 0;
}

/* on_progress(table_id, percent); an error it raises stops the call and is raised again. */
static int on_progress(void *ud, int table_id, double percent)
{
    state *s = ud;
    lua_State *L = s->L;
    if (reserve(s, 3))
        return 1;
    lua_pushvalue(L, s->on_progress);
    lua_pushinteger(L, table_id);
    lua_pushnumber(L, percent);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        lua_replace(L, s->raised);
        return 1;
    }
    return 0;
}

/* Asks the cancel function while the call waits: true stops it; an error stops it and is raised again. */
static int on_cancelled(void *ud)
{
    state *s = ud;
    lua_State *L = s->L;
    int stop;
    if (!lua_checkstack(L, 2))
        return 0;
    lua_pushvalue(L, s->cancel);
    if (lua_pcall(L, 0, 1, 0) != 0) {
        lua_replace(L, s->raised);
        return 1;
    }
    stop = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return stop;
}

static const kusto_builder lua_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = on_begin_table,
    .end_table = on_end_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .begin_array = on_begin_array,
    .end_array = on_end_container,
    .begin_object = on_begin_object,
    .key = on_key,
    .end_object = on_end_container,
    .replace_rows = on_replace_rows,
    .partial_error = on_partial_error,
    .warning = on_warning,
    /* enter/leave: nothing to lock in Lua. */
};

/* Pushes a new list and stores it in the table at `owner` as `field`; returns its stack index. */
static int push_list(lua_State *L, int owner, const char *field)
{
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, owner, field);
    return lua_gettop(L);
}

int klua_push_cancel(lua_State *L, int index)
{
    if (!lua_istable(L, index)) {
        lua_pushnil(L);
        return 0;
    }
    lua_getfield(L, index, "cancel");
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_isfunction(L, -1))
        luaL_error(L, "kusto: 'cancel' must be a function, not %s", luaL_typename(L, -1));
    return lua_gettop(L);
}

int klua_raw_ticks(lua_State *L, int index)
{
    int raw;
    if (!lua_istable(L, index))
        return 0;
    lua_getfield(L, index, "raw_ticks");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        luaL_error(L, "kusto: 'raw_ticks' must be a boolean, not %s", luaL_typename(L, -1));
    raw = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return raw;
}

void klua_call_extras(lua_State *L, int index, klua_call *call)
{
    if (!lua_istable(L, index))
        return;
    lua_getfield(L, index, "strict");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        luaL_error(L, "kusto: 'strict' must be a boolean, not %s", luaL_typename(L, -1));
    call->strict = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, index, "on_progress");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_isfunction(L, -1))
        luaL_error(L, "kusto: 'on_progress' must be a function, not %s", luaL_typename(L, -1));
    call->on_progress = lua_gettop(L);
}

/* Pushes the value at `index`, or nil when `index` is 0. */
static void push_optional(lua_State *L, int index)
{
    if (index)
        lua_pushvalue(L, index);
    else
        lua_pushnil(L);
}

/* Pushes the slots every result begins with: the row function's error (nil), the result and its lists. */
static int push_result(lua_State *L, state *s)
{
    int result;
    lua_pushnil(L);
    s->raised = lua_gettop(L);
    lua_createtable(L, 0, 4);
    result = lua_gettop(L);
    s->tables = push_list(L, result, "tables");
    s->primary = push_list(L, result, "primary_results");
    s->errors = push_list(L, result, "errors");
    s->warnings = push_list(L, result, "warnings");
    return result;
}

/* The builder for `s`, with the callbacks its call asks for. */
static kusto_builder builder_for(const state *s, int strict)
{
    kusto_builder builder = lua_builder;
    builder.strict = strict;
    if (s->cancel)
        builder.cancelled = on_cancelled;
    if (s->on_progress)
        builder.progress = on_progress;
    return builder;
}

/* What a call that ended with `st` returns: the result (at `result`), or nil and the error (with .result on
   KUSTO_E_PARTIAL and KUSTO_E_PROTOCOL); raises the row function's error again. */
static int finish(lua_State *L, state *s, int result, kusto_status st, kusto_error **err)
{
    lua_settop(L, result);
    if (!lua_isnil(L, s->raised)) {
        kusto_error_free(*err);
        *err = NULL;
        lua_pushvalue(L, s->raised);
        return lua_error(L);
    }
    if (s->failure) {
        kusto_error_free(*err);
        *err = NULL;
        return klua_fail(L, KUSTO_E_NOMEM, s->failure);
    }
    if (st == KUSTO_OK)
        return 1;
    klua_fail_with(L, st, err);
    if (st == KUSTO_E_PARTIAL || st == KUSTO_E_PROTOCOL) {
        lua_pushvalue(L, result);
        lua_setfield(L, -2, "result");
    }
    return 2;
}

/* build(call, on_row or nil, cancel or nil, on_progress or nil): runs the call and returns klua_run's results. */
static int build(lua_State *L)
{
    const klua_call *a = lua_touserdata(L, 1);
    kusto_builder builder;
    state s;
    kusto_error *err = NULL;
    kusto_status st;
    int frames_box, result;

    memset(&s, 0, sizeof s);
    s.L = L;
    s.on_row = lua_isnil(L, 2) ? 0 : 2;
    s.cancel = lua_isnil(L, 3) ? 0 : 3;
    s.on_progress = lua_isnil(L, 4) ? 0 : 4;
    s.raw_ticks = a->raw_ticks;
    s.int64 = a->int64;
    builder = builder_for(&s, a->strict);
    luaL_checkstack(L, 10, "kusto: out of Lua stack space");
    s.frames = (frame **)klua_box(L, free);
    frames_box = lua_gettop(L);
    result = push_result(L, &s);

    st = a->mgmt ? kusto_client_mgmt(a->client, a->db, a->text, a->req, &builder, &s, &err)
                 : kusto_client_query(a->client, a->db, a->text, a->req, &builder, &s, &err);
    lua_settop(L, result);
    klua_box_free(L, frames_box);
    return finish(L, &s, result, st, &err);
}

/* The collector is paused while a result is built: every object the builder makes stays reachable
   until the call returns, so an incremental cycle would only traverse the growing result again and
   again (most of the time of a large query). Rows handed to a row function are garbage once it
   returns, so a streaming call leaves the collector alone. */
int klua_pcall_paused(lua_State *L, int nargs, int pause)
{
    int paused = 0, status;
#ifdef LUA_GCISRUNNING /* not in Lua 5.1 (LuaJIT has it) */
    if (pause && lua_gc(L, LUA_GCISRUNNING, 0)) {
        lua_gc(L, LUA_GCSTOP, 0);
        paused = 1;
    }
#else
    (void)pause;
#endif
    status = lua_pcall(L, nargs, LUA_MULTRET, 0);
    if (paused)
        lua_gc(L, LUA_GCRESTART, 0);
    if (status != 0)
        return lua_error(L); /* after the collector is restored: a row function's error, out of memory */
    return 0;
}

int klua_run(lua_State *L, const klua_call *call)
{
    int base;

    luaL_checkstack(L, 6, "kusto: out of Lua stack space");
    base = lua_gettop(L);
    lua_pushcfunction(L, build);
    lua_pushlightuserdata(L, (void *)call);
    push_optional(L, call->on_row);
    push_optional(L, call->cancel);
    push_optional(L, call->on_progress);
    klua_pcall_paused(L, 4, call->on_row == 0);
    return lua_gettop(L) - base;
}

/* ---------------------------------------------------------------------------------------------- */
/* A result built across calls (op.c)                                                               */

/* The state lives here; what it has on the Lua stack (the slots from `base`: row function, cancel (nil),
   progress function, the row function's error, the result and its lists, then the open table, row and
   dynamic values) is put back on the stack of each call that may run the callbacks (enter) and kept in
   a table between them (leave): a C function's stack does not outlive it, and each call may come from
   another coroutine. The stack indices in the state move with the slots. */
struct klua_build {
    state s;
    kusto_builder builder;
    frame *frames;
    int base;     /* the stack index of the first slot while entered, or where it was */
    int count;    /* slots kept */
    int kept_ref; /* registry: the table that keeps them between calls */
    int entered;  /* between enter and leave: a Lua error there (out of memory) left the state unusable */
};

#define BUILD_RESULT_SLOT 4 /* the result's slot, from base */

static void shift(state *s, int delta)
{
    int *slots[] = {&s->tables, &s->primary, &s->errors, &s->warnings, &s->table,      &s->rows,
                    &s->row,    &s->on_row,  &s->raised, &s->cancel,   &s->on_progress};
    size_t i;
    for (i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (*slots[i])
            *slots[i] += delta;
    for (i = 0; i < s->depth; i++)
        (*s->frames)[i].index += delta;
}

void klua_build_enter(lua_State *L, klua_build *b)
{
    int i, base;
    if (b->entered)
        luaL_error(L, "kusto: the op's result was lost to an earlier error (out of memory)");
    luaL_checkstack(L, b->count + 2, "kusto: out of Lua stack space");
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->kept_ref);
    base = lua_gettop(L);
    for (i = 1; i <= b->count; i++)
        lua_rawgeti(L, base, i);
    lua_remove(L, base);
    shift(&b->s, base - b->base);
    b->base = base;
    b->s.L = L;
    b->entered = 1;
}

void klua_build_leave(lua_State *L, klua_build *b)
{
    int i, kept, top = lua_gettop(L), count = top - b->base + 1;
    luaL_checkstack(L, 2, "kusto: out of Lua stack space");
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->kept_ref);
    kept = lua_gettop(L);
    for (i = 1; i <= count || i <= b->count; i++) {
        if (i <= count)
            lua_pushvalue(L, b->base + i - 1);
        else
            lua_pushnil(L);
        lua_rawseti(L, kept, i);
    }
    b->count = count;
    lua_settop(L, b->base - 1);
    b->entered = 0;
}

klua_build *klua_build_new(lua_State *L, const klua_call *call, klua_build **out)
{
    klua_build *b = *out = calloc(1, sizeof *b);
    if (!b)
        luaL_error(L, "kusto: out of memory");
    b->kept_ref = LUA_NOREF;
    b->s.frames = &b->frames;
    b->s.raw_ticks = call->raw_ticks;
    b->s.int64 = call->int64;
    luaL_checkstack(L, 12, "kusto: out of Lua stack space");
    lua_newtable(L);
    b->kept_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    b->base = lua_gettop(L) + 1;
    push_optional(L, call->on_row);
    lua_pushnil(L);
    push_optional(L, call->on_progress);
    b->s.on_row = call->on_row ? b->base : 0;
    b->s.on_progress = call->on_progress ? b->base + 2 : 0;
    push_result(L, &b->s);
    b->builder = builder_for(&b->s, call->strict);
    b->entered = 1;
    klua_build_leave(L, b);
    return b;
}

const kusto_builder *klua_build_builder(klua_build *b)
{
    return &b->builder;
}

void *klua_build_ud(klua_build *b)
{
    return &b->s;
}

int klua_build_result(lua_State *L, klua_build *b, kusto_status st, kusto_error **err)
{
    klua_build_enter(L, b);
    b->entered = 0; /* finish leaves the slots: the build is over */
    return finish(L, &b->s, b->base + BUILD_RESULT_SLOT, st, err);
}

void klua_build_free(lua_State *L, klua_build *b)
{
    if (!b)
        return;
    luaL_unref(L, LUA_REGISTRYINDEX, b->kept_ref);
    free(b->frames);
    free(b);
}
