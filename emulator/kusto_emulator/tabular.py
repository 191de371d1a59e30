"""KQL's tabular side: sources (print, range, datatable, the database's tables) and the operators after `|`.

compile_query() returns a Table whose rows are produced lazily, so `range` can stream a million rows; summarize,
sort, top and distinct need all their input first."""
import decimal
import itertools

from . import kql, values
from .aggregates import compile_aggregate, hashable
from .kql import NUMERIC, ColumnRef, KqlError, Parser, Table, semantic_error, tokenize


class Context:
    def __init__(self, parameters=None):
        self.now = values.now_ticks()
        self.operator = "print"
        self.parameters = parameters or {}      # name -> (kusto type, value)


def _constant(expression, context, schema=()):
    kusto_type, fn = expression.compile(list(schema), context)
    return kusto_type, fn(())


def _print(items, context):
    context.operator = "print"
    columns, fns = [], []
    for index, (name, expression) in enumerate(items):
        kusto_type, fn = expression.compile([], context)
        columns.append((name or "print_%d" % index, kusto_type))
        fns.append(fn)
    return Table(columns, iter([tuple(f(()) for f in fns)]))


def _range_rows(start, stop, step):
    value = start
    if step > 0:
        while value <= stop:
            yield (value,)
            value += step
    else:
        while value >= stop:
            yield (value,)
            value += step


def _range(name, start, stop, step, context):
    context.operator = "range"
    (st, sv), (et, ev), (pt, pv) = (_constant(e, context) for e in (start, stop, step))
    if {st, et, pt} <= {"int", "long"}:
        kusto_type = "long"
    elif {st, et, pt} <= set(NUMERIC):
        kusto_type, sv, ev, pv = "real", float(sv), float(ev), float(pv)
    elif st == et and st in ("datetime", "timespan") and pt == "timespan":
        kusto_type = st
    else:
        raise semantic_error("SEM0060", "'range' operator: the types of from, to and step do not match: %s, %s, %s"
                             % (st, et, pt))
    if None in (sv, ev, pv) or pv == 0:
        raise semantic_error("SEM0061", "'range' operator: step must be a non-zero value and bounds not null")
    return Table([(name, kusto_type)], _range_rows(sv, ev, pv))


def _assign(table, items, context, keep_existing):
    schema = list(table.columns) if keep_existing else []
    source = list(table.columns)
    steps = []
    for name, expression in items:
        kusto_type, fn = expression.compile(source if not keep_existing else schema, context)
        if name is None:
            name = expression.name if isinstance(expression, ColumnRef) else "Column%d" % (len(steps) + 1)
        index = next((i for i, (n, _) in enumerate(schema) if n == name), None)
        if index is None:
            index = len(schema)
            schema.append((name, kusto_type))
        else:
            schema[index] = (name, kusto_type)
        steps.append((index, fn))
    width = len(schema)

    def rows():
        for row in table.rows:
            out = list(row) + [None] * (width - len(row)) if keep_existing else [None] * width
            for index, fn in steps:
                out[index] = fn(out if keep_existing else row)
            yield tuple(out)
    return Table(schema, rows())


def _count_rows(rows):
    yield (sum(1 for _ in rows),)


def _coerce(target, kusto_type, value, what):
    """value (of kusto_type) as a value of the target type: numbers convert among themselves."""
    if value is None or kusto_type == target:
        return value
    if target in NUMERIC and kusto_type in NUMERIC:
        return {"real": float, "decimal": lambda v: decimal.Decimal(str(v))}.get(target, int)(value)
    raise semantic_error("SEM0030", "%s: a value of type %s cannot be used as %s" % (what, kusto_type, target))


def _datatable(columns, cells, context):
    context.operator = "datatable"
    if len(cells) % len(columns):
        raise semantic_error("SEM0400", "'datatable' operator: %d values do not fill rows of %d columns"
                             % (len(cells), len(columns)))
    values_ = [_constant(cell, context) for cell in cells]
    rows, width = [], len(columns)
    for start in range(0, len(values_), width):
        rows.append(tuple(_coerce(kusto_type, t, v, "'datatable' operator")
                          for (_, kusto_type), (t, v) in zip(columns, values_[start:start + width])))
    return Table(list(columns), iter(rows))


def sorted_rows(rows, keys):
    """Rows ordered by [(fn, descending, nulls_first)]: stable sorts from the last key to the first."""
    rows = list(rows)
    for fn, descending, nulls_first in reversed(keys):
        present = [r for r in rows if fn(r) is not None]
        absent = [r for r in rows if fn(r) is None]
        present.sort(key=lambda r: hashable(fn(r)), reverse=descending)
        rows = absent + present if nulls_first else present + absent
    return rows


def _sort_keys(table, keys, context):
    compiled = []
    for expression, descending, nulls_first in keys:
        _, fn = expression.compile(table.columns, context)
        compiled.append((fn, descending, nulls_first))
    return compiled


def _key_name(expression, index):
    if isinstance(expression, ColumnRef):
        return expression.name
    if isinstance(expression, kql.Call) and expression.name in ("bin", "floor") and expression.args \
            and isinstance(expression.args[0], ColumnRef):
        return expression.args[0].name
    return "Column%d" % (index + 1)


def _summarize(table, aggregates, keys, context):
    groups_by = [(name or _key_name(e, i), e.compile(table.columns, context)) for i, (name, e) in enumerate(keys)]
    compiled = [compile_aggregate(name, e, table.columns, context) for name, e in aggregates]
    columns = [(name, t) for name, (t, _) in groups_by] + [(name, t) for name, t, _ in compiled]

    def rows():
        groups = {}
        if not groups_by:
            groups[()] = ((), [new() for _, _, new in compiled])
        for row in table.rows:
            key = tuple(fn(row) for _, (_, fn) in groups_by)
            entry = groups.get(tuple(hashable(k) for k in key))
            if entry is None:
                entry = groups[tuple(hashable(k) for k in key)] = (key, [new() for _, _, new in compiled])
            for accumulator in entry[1]:
                accumulator.add(row)
        for key, accumulators in groups.values():
            yield key + tuple(a.result() for a in accumulators)
    return Table(columns, rows())


def _distinct(table, items, context):
    if items is not None:
        table = _assign(table, items, context, keep_existing=False)

    def rows():
        seen = set()
        for row in table.rows:
            key = tuple(hashable(v) for v in row)
            if key not in seen:
                seen.add(key)
                yield row
    return Table(table.columns, rows())


def _project_away(table, names):
    for name in names:
        if name not in [n for n, _ in table.columns]:
            raise semantic_error("SEM0100", "'project-away' operator: Failed to resolve column named '%s'" % name)
    keep = [i for i, (n, _) in enumerate(table.columns) if n not in names]
    return Table([table.columns[i] for i in keep], (tuple(row[i] for i in keep) for row in table.rows))


def _count_of(expression, context, kind):
    kusto_type, limit = _constant(expression, context)
    if kusto_type not in ("int", "long") or limit is None:
        raise semantic_error("SEM0064", "'%s' operator: expected a long value for the count" % kind)
    return max(0, limit)


def _apply(table, operator, context):
    context.operator = operator[0]
    kind = operator[0]
    if kind in ("take", "limit"):
        return Table(table.columns, itertools.islice(table.rows, _count_of(operator[1], context, kind)))
    if kind == "count":
        return Table([("Count", "long")], _count_rows(table.rows))
    if kind == "where":
        kusto_type, predicate = operator[1].compile(table.columns, context)
        if kusto_type != "bool":
            raise semantic_error("SEM0025", "'where' operator: the predicate must be of type bool, not %s"
                                 % kusto_type)
        return Table(table.columns, (row for row in table.rows if predicate(row) is True))
    if kind == "summarize":
        return _summarize(table, operator[1], operator[2], context)
    if kind == "sort":
        keys = _sort_keys(table, operator[1], context)
        return Table(table.columns, iter(sorted_rows(table.rows, keys)))
    if kind == "top":
        count, keys = _count_of(operator[1], context, kind), _sort_keys(table, operator[2], context)
        return Table(table.columns, iter(sorted_rows(table.rows, keys)[:count]))
    if kind == "distinct":
        return _distinct(table, operator[1], context)
    if kind == "project-away":
        return _project_away(table, operator[1])
    return _assign(table, operator[1], context, keep_existing=(kind == "extend"))


# --- query parameters -------------------------------------------------------------------------------------

def _given_value(kusto_type, text, name):
    """A value of the request's Parameters (text) as the declared type: a KQL literal, or for strings,
    datetimes, timespans and guids also the bare text."""
    tokens = tokenize(text) if text.strip() else []
    if kusto_type == "string":
        return tokens[0].value if len(tokens) == 2 and tokens[0].kind == "string" else text
    try:
        parser = Parser(text)
        given_type, value = _constant(parser.expression(), Context())
        if parser.token.kind == "eof":
            return _coerce(kusto_type, given_type, value, "query parameter '%s'" % name)
    except (KqlError, ValueError):
        pass
    try:
        func = {"real": "real", "long": "long", "int": "int"}.get(kusto_type, kusto_type)
        literal = kql.Token("literal", text, (func, text), 0, text)
        return kql.typed_literal(literal)[1]
    except (KqlError, KeyError):
        raise semantic_error("SEM0030", "query parameter '%s': '%s' is not a value of type %s"
                             % (name, text, kusto_type)) from None


def _parameters(declared, given, context):
    resolved = {}
    for name, kusto_type, default in declared:
        if name in given:
            resolved[name] = (kusto_type, _given_value(kusto_type, str(given[name]), name))
        elif default is not None:
            default_type, value = _constant(default, context)
            resolved[name] = (kusto_type, _coerce(kusto_type, default_type, value, "query parameter '%s'" % name))
        else:
            raise semantic_error("SEM0100", "'declare query_parameters' statement: no value was given for the query "
                                            "parameter '%s' and it has no default" % name)
    return resolved


def compile_query(text, tables=None, parameters=None):
    """A Table for a query (rows still to be produced), or KqlError / known.NotSupported. tables: name -> a
    function giving that table; parameters: the request's Parameters (name -> literal text)."""
    declared, source, operators = Parser(text).query()
    context = Context()
    context.parameters = _parameters(declared, parameters or {}, context)
    if source[0] == "table":
        if source[1] not in (tables or {}):
            where = "'%s' operator: " % operators[0][0] if operators else ""
            raise semantic_error("SEM0100", "%sFailed to resolve table or column expression named '%s'"
                                 % (where, source[1]))
        table = tables[source[1]]()
    elif source[0] == "print":
        table = _print(source[1], context)
    elif source[0] == "datatable":
        table = _datatable(source[1], source[2], context)
    else:
        table = _range(*source[1:], context)
    for operator in operators:
        table = _apply(table, operator, context)
    return table
