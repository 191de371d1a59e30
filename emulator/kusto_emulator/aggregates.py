"""summarize's aggregation functions: count(), countif(), sum(), min(), max(), avg(), dcount().

Each is an accumulator class: add(row) per row of its group, result() at the end; nulls are skipped."""
import decimal
import json

from . import known
from .kql import Call, ColumnRef, NUMERIC, semantic_error


def hashable(value):
    """A dict key for any cell (dynamic values are lists and dicts)."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


class Count:
    def __init__(self, fn=None):
        self.fn, self.n = fn, 0

    def add(self, row):
        if self.fn is None or self.fn(row) is True:
            self.n += 1

    def result(self):
        return self.n


class Sum:
    def __init__(self, fn):
        self.fn, self.total = fn, 0

    def add(self, row):
        value = self.fn(row)
        if value is not None:
            self.total += value

    def result(self):
        return self.total


class Extreme:
    def __init__(self, fn, pick):
        self.fn, self.pick, self.best = fn, pick, None

    def add(self, row):
        value = self.fn(row)
        if value is not None:
            self.best = value if self.best is None else self.pick(self.best, value)

    def result(self):
        return self.best


class Average:
    def __init__(self, fn):
        self.fn, self.total, self.n = fn, 0, 0

    def add(self, row):
        value = self.fn(row)
        if value is not None:
            self.total += value
            self.n += 1

    def result(self):
        if not self.n:
            return None
        return self.total / self.n if isinstance(self.total, decimal.Decimal) else float(self.total) / self.n


class Distinct:
    def __init__(self, fn):
        self.fn, self.seen = fn, set()

    def add(self, row):
        value = self.fn(row)
        if value is not None:
            self.seen.add(hashable(value))

    def result(self):
        return len(self.seen)


def _sum_type(kusto_type):
    return {"int": "long", "long": "long", "real": "real", "decimal": "decimal", "timespan": "timespan"}.get(kusto_type)


def compile_aggregate(name, expression, schema, context):
    """(column name, kusto type, new accumulator function) for one `[name =] aggregate(...)` of summarize."""
    if not isinstance(expression, Call):
        raise semantic_error("SEM0161", "'summarize' operator: expected an aggregation function, not a scalar "
                                        "expression")
    func, args = expression.name, expression.args
    compiled = [a.compile(schema, context) for a in args]
    types = [t for t, _ in compiled]
    column = args[0].name if args and isinstance(args[0], ColumnRef) else ""
    fn = compiled[0][1] if compiled else None
    if func == "count" and not args:
        return name or "count_", "long", Count
    if func == "countif" and types == ["bool"]:
        return name or "countif_", "long", lambda: Count(fn)
    if func == "sum" and len(types) == 1 and _sum_type(types[0]):
        return name or "sum_" + column, _sum_type(types[0]), lambda: Sum(fn)
    if func in ("min", "max") and len(types) == 1 and types[0] != "dynamic":
        pick = min if func == "min" else max
        return name or "%s_%s" % (func, column), types[0], lambda: Extreme(fn, pick)
    if func == "avg" and len(types) == 1 and types[0] in NUMERIC:
        return name or "avg_" + column, "decimal" if types[0] == "decimal" else "real", lambda: Average(fn)
    if func == "dcount" and len(types) in (1, 2):
        return name or "dcount_" + column, "long", lambda: Distinct(fn)
    if known.is_known_word(func):
        raise known.NotSupported(known.describe(func))
    raise semantic_error("SEM0219", "'summarize' operator: Unknown aggregation function or wrong arguments: "
                                    "'%s(%s)'" % (func, ", ".join(types)))
