"""A small, honest subset of the Kusto Query Language: tokens, literals, scalar expressions and the parser.

  [set option[=value];]... [declare query_parameters(name:type [= default], ...);] source [| operator]...
  source:   print [name=]expr, ...  |  range x from A to B step S  |  datatable(name:type, ...) [values]  |  table
  operator: take N | limit N | count | where/filter expr | extend/project [name=]expr, ... | project-away names
            | summarize [name=]agg(...), ... [by [name=]expr, ...] | sort/order by expr [asc|desc] [nulls first|last]
            | top N by ... | distinct exprs|*
  exprs:    literals (long, real, "str", 'str', true/false, datetime(...), timespan(...) and 1d/2h/30m/10s/5ms,
            guid(...), dynamic(...), int(...), long(...), real(...) incl. nan/+inf/-inf, decimal(...), bool(...),
            each also with null), columns, query parameters, + - * / %, == != =~ < <= > >=, contains/has/
            startswith/endswith (also _cs and !), in/!in, and, or, not(), now(), ago(), tostring(), tolong(),
            toint(), toreal(), todouble(), strcat(), strlen(), new_guid(), isnull() and kin, toupper(), tolower(),
            iff(), bin()/floor().

The tabular side (sources and operators at work) is tabular.py. Anything outside the subset raises KqlError carrying
Kusto's own error code (SYN0002, SEM0100, ...), or known.NotSupported for valid KQL the emulator lacks.
"""
import copy
import decimal
import json
import math
import re
import uuid

from . import known, values
from .values import NUMERIC


class KqlError(Exception):
    def __init__(self, kind, code, message):
        super().__init__("%s error: %s: %s" % (kind, code, message))
        self.kind = kind
        self.code = code


def syntax_error(token):
    """Kusto's syntax error, or NotSupported when the token is valid KQL the emulator does not know."""
    if token.kind == "ident" and known.is_known_word(token.text):
        return known.NotSupported(known.describe(token.text))
    text, line, column = token.text or "<end of query>", token.line, token.column
    return KqlError("Syntax", "SYN0002", "Query could not be parsed at '%s' on line [%d,%d]" % (text, line, column))


def semantic_error(code, message):
    return KqlError("Semantic", code, message)


class Table:
    def __init__(self, columns, rows):
        self.columns = columns      # [(name, kusto_type)]
        self.rows = rows            # iterable of tuples, consumed once


# --- tokens ---------------------------------------------------------------------------------------------

LITERAL_TYPES = {"datetime": "datetime", "date": "datetime", "timespan": "timespan", "time": "timespan",
                 "guid": "guid", "uuid": "guid", "uniqueid": "guid", "dynamic": "dynamic", "int": "int",
                 "long": "long", "real": "real", "double": "real", "decimal": "decimal", "bool": "bool",
                 "boolean": "bool"}
COLUMN_TYPES = dict(LITERAL_TYPES, string="string")
_UNITS = "|".join(sorted(values.TIMESPAN_UNITS, key=len, reverse=True))
_TOKEN_RE = re.compile(r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<timespan>\d+(?:\.\d+)?(?:%s)\b)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<long>\d+)
  | (?P<verbatim>@"(?:[^"]|"")*"|@'(?:[^']|'')*')
  | (?P<string>h?"(?:[^"\\\n]|\\.)*"|h?'(?:[^'\\\n]|\\.)*')
  | (?P<ident>!?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|=~|!~|[|,=()+\-*/%%<>;.\[\]{}:])
""" % _UNITS, re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


class Token:
    def __init__(self, kind, text, value, position, source):
        self.kind, self.text, self.value = kind, text, value
        self.start, self.end = position, position + len(text)
        self.line = source.count("\n", 0, position) + 1
        self.column = position - (source.rfind("\n", 0, position) + 1) + 1

    def is_op(self, text):
        return self.kind == "op" and self.text == text

    def is_word(self, word):
        return self.kind == "ident" and self.text == word


def _unescape(body):
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)",
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5 else _ESCAPES.get(m.group(1),
                                                                                                  m.group(1)),
                  body)


def _balanced_end(text, start):
    """Index of the ')' closing the '(' at text[start], skipping nested parentheses and strings."""
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def tokenize(source):
    tokens, pos = [], 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if not m:
            raise syntax_error(Token("op", source[pos], None, pos, source))
        kind, text = m.lastgroup, m.group()
        if kind == "ident" and text in LITERAL_TYPES:
            paren = m.end() + len(source[m.end():]) - len(source[m.end():].lstrip())
            if source.startswith("(", paren):
                end = _balanced_end(source, paren)
                if end < 0:
                    raise syntax_error(Token("op", source[paren:], None, paren, source))
                tokens.append(Token("literal", source[pos:end + 1], (text, source[paren + 1:end]), pos, source))
                pos = end + 1
                continue
        if kind == "verbatim":
            kind, text = "string", text
            value = text[2:-1].replace(text[1] * 2, text[1])
        elif kind == "string":
            body = text[1:] if text[0] == "h" else text
            value = _unescape(body[1:-1])
        else:
            value = text
        if kind != "space":
            tokens.append(Token(kind, text, value, pos, source))
        pos = m.end()
    tokens.append(Token("eof", "", None, len(source), source))
    return tokens


# --- literals -------------------------------------------------------------------------------------------

def _number_literal(kusto_type, raw):
    text = raw.strip().lower()
    if kusto_type == "real":
        special = {"nan": math.nan, "+inf": math.inf, "inf": math.inf, "-inf": -math.inf}
        return special[text] if text in special else float(text)
    if kusto_type == "decimal":
        return decimal.Decimal(text)
    return int(text)


def typed_literal(token):
    """(kusto_type, value) of a datetime(...)-style literal token."""
    func, raw = token.value
    kusto_type = LITERAL_TYPES[func]
    if raw.strip().lower() == "null":
        return kusto_type, None
    try:
        if kusto_type == "datetime":
            return kusto_type, values.parse_datetime(raw)
        if kusto_type == "timespan":
            return kusto_type, values.parse_timespan(raw)
        if kusto_type == "guid":
            return kusto_type, str(uuid.UUID(raw.strip()))
        if kusto_type == "dynamic":
            return kusto_type, json.loads(raw)
        if kusto_type == "bool":
            return kusto_type, {"true": True, "false": False}[raw.strip().lower()]
        return kusto_type, _number_literal(kusto_type, raw)
    except (ValueError, KeyError, ArithmeticError):
        raise syntax_error(token) from None


# --- expressions ----------------------------------------------------------------------------------------
# An expression compiles against a schema into (kusto_type, fn(row) -> value).

class Literal:
    def __init__(self, kusto_type, value):
        self.kusto_type, self.value = kusto_type, value

    def compile(self, schema, context):
        value = self.value
        return self.kusto_type, lambda row: value


class ColumnRef:
    def __init__(self, name):
        self.name = name

    def compile(self, schema, context):
        for index, (name, kusto_type) in enumerate(schema):
            if name == self.name:
                return kusto_type, lambda row: row[index]
        if self.name in context.parameters:
            kusto_type, value = context.parameters[self.name]
            return kusto_type, lambda row: value
        raise semantic_error("SEM0100", "'%s' operator: Failed to resolve scalar expression named '%s'"
                             % (context.operator, self.name))


class Unary:
    def __init__(self, op, operand):
        self.op, self.operand = op, operand

    def compile(self, schema, context):
        kusto_type, fn = self.operand.compile(schema, context)
        if self.op == "+" and kusto_type in NUMERIC + ("timespan",):
            return kusto_type, fn
        if self.op == "-" and kusto_type in NUMERIC + ("timespan",):
            return kusto_type, lambda row: _null_or(fn(row), lambda v: -v)
        raise _operand_error(self.op, kusto_type)


def _null_or(value, op):
    return None if value is None else op(value)


def _operand_error(op, *types):
    return semantic_error("SEM0114", "The operator '%s' cannot be applied to operands of type %s"
                          % (op, " and ".join("'%s'" % t for t in types)))


def _promote(a, b):
    for kusto_type in ("real", "decimal", "long"):
        if kusto_type in (a, b):
            return kusto_type
    return "int"


def _truncating_div(a, b):
    if b == 0:
        return None
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _real_div(a, b):
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _arithmetic(op, lt, rt):
    """(result_type, fn(a, b)) for an arithmetic operator, or None if the types do not combine."""
    if lt in NUMERIC and rt in NUMERIC:
        result = _promote(lt, rt)
        cast = {"real": float, "decimal": decimal.Decimal}.get(result, int)
        if op == "/":
            div = _real_div if result == "real" else (_truncating_div if result in ("int", "long")
                                                      else lambda a, b: None if b == 0 else a / b)
            return result, lambda a, b: div(cast(a), cast(b))
        if op == "%":
            if result == "real":
                return result, lambda a, b: math.nan if b == 0 else math.fmod(a, b)
            return result, lambda a, b: None if b == 0 else cast(a) - cast(b) * _truncating_div(cast(a), cast(b))
        return result, {"+": lambda a, b: cast(a) + cast(b), "-": lambda a, b: cast(a) - cast(b),
                        "*": lambda a, b: cast(a) * cast(b)}[op]
    table = {("datetime", "+", "timespan"): ("datetime", lambda a, b: a + b),
             ("timespan", "+", "datetime"): ("datetime", lambda a, b: a + b),
             ("datetime", "-", "timespan"): ("datetime", lambda a, b: a - b),
             ("datetime", "-", "datetime"): ("timespan", lambda a, b: a - b),
             ("timespan", "+", "timespan"): ("timespan", lambda a, b: a + b),
             ("timespan", "-", "timespan"): ("timespan", lambda a, b: a - b),
             ("timespan", "/", "timespan"): ("real", lambda a, b: _real_div(float(a), float(b)))}
    if (lt, op, rt) in table:
        return table[(lt, op, rt)]
    if op == "*" and {lt, rt} & {"timespan"} and ({lt, rt} - {"timespan"}) <= set(NUMERIC):
        return "timespan", lambda a, b: int(a * b)
    if op == "/" and lt == "timespan" and rt in NUMERIC:
        return "timespan", lambda a, b: None if b == 0 else int(a / b)
    return None


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
            "=~": lambda a, b: a.lower() == b.lower(), "!~": lambda a, b: a.lower() != b.lower()}


def _has_term(text, term):
    """Kusto's `has`: the term is a whole run of letters and digits in the text."""
    return re.search(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % re.escape(term), text) is not None


_STRING_TESTS = {"contains": lambda a, b: b in a, "has": _has_term, "startswith": str.startswith,
                 "endswith": str.endswith}
STRING_OPERATORS = tuple(neg + base + cs for base in _STRING_TESTS for cs in ("", "_cs") for neg in ("", "!"))


def _string_test(op):
    """fn(a, b) for contains, has, startswith, endswith, their _cs (case-sensitive) and ! (negated) forms."""
    base = op.lstrip("!")
    case_sensitive = base.endswith("_cs")
    test = _STRING_TESTS[base[:-3] if case_sensitive else base]
    fold = (lambda v: v) if case_sensitive else str.lower
    negated = op.startswith("!")
    return lambda a, b: test(fold(a), fold(b)) != negated


def _comparable(lt, rt):
    return lt == rt or (lt in NUMERIC and rt in NUMERIC)


class Binary:
    def __init__(self, op, left, right):
        self.op, self.left, self.right = op, left, right

    def compile(self, schema, context):
        lt, lf = self.left.compile(schema, context)
        rt, rf = self.right.compile(schema, context)
        op = self.op
        if op in ("and", "or"):
            if lt != "bool" or rt != "bool":
                raise _operand_error(op, lt, rt)
            return "bool", (lambda row: _and(lf(row), rf(row))) if op == "and" else (lambda row: _or(lf(row),
                                                                                                        rf(row)))
        if op in STRING_OPERATORS:
            test = _string_test(op)
            return "bool", lambda row: test(values.to_text(lt, lf(row)), values.to_text(rt, rf(row)))
        if op in _COMPARE:
            if not _comparable(lt, rt) or (op in ("=~", "!~") and lt != "string"):
                raise _operand_error(op, lt, rt)
            compare = _COMPARE[op]
            return "bool", lambda row: _binary_value(compare, lf(row), rf(row))
        combined = _arithmetic(op, lt, rt)
        if combined is None:
            raise _operand_error(op, lt, rt)
        result, fn = combined
        return result, lambda row: _binary_value(fn, lf(row), rf(row))


class InList:
    """x in (a, b, ...) and x !in (...): equality with any of the list (case-sensitive for strings)."""

    def __init__(self, negated, left, items):
        self.negated, self.left, self.items = negated, left, items

    def compile(self, schema, context):
        lt, lf = self.left.compile(schema, context)
        compiled = [item.compile(schema, context) for item in self.items]
        for it, _ in compiled:
            if not _comparable(lt, it):
                raise _operand_error("!in" if self.negated else "in", lt, it)
        fns, negated = [f for _, f in compiled], self.negated
        return "bool", lambda row: _null_or(lf(row), lambda v: any(f(row) == v for f in fns) != negated)


def _binary_value(fn, a, b):
    return None if a is None or b is None else fn(a, b)


def _and(a, b):
    return False if a is False or b is False else (None if a is None or b is None else True)


def _or(a, b):
    return True if a is True or b is True else (None if a is None or b is None else False)


def _to_number(cast):
    def convert(value):
        if value is None or isinstance(value, (dict, list)):
            return None
        try:
            return cast(value)
        except (ValueError, TypeError, ArithmeticError):
            return None
    return convert


def _to_long(value):
    return int(float(value)) if isinstance(value, str) else int(value)


class Call:
    """Scalar functions: name -> (result type or fn(arg types), arity range, implementation factory)."""

    def __init__(self, name, args):
        self.name, self.args = name, args

    def compile(self, schema, context):
        compiled = [a.compile(schema, context) for a in self.args]
        types = [t for t, _ in compiled]
        fns = [f for _, f in compiled]
        name = self.name
        if name == "now" and not fns:
            now = context.now
            return "datetime", lambda row: now
        if name == "ago" and types == ["timespan"]:
            now, f = context.now, fns[0]
            return "datetime", lambda row: _null_or(f(row), lambda v: now - v)
        if name == "new_guid" and not fns:
            return "guid", lambda row: str(uuid.uuid4())
        if name == "tostring" and len(fns) == 1:
            t, f = types[0], fns[0]
            return "string", lambda row: values.to_text(t, f(row))
        if name == "strcat" and fns:
            pairs = list(zip(types, fns))
            return "string", lambda row: "".join(values.to_text(t, f(row)) for t, f in pairs)
        if name == "strlen" and types == ["string"]:
            f = fns[0]
            return "long", lambda row: _null_or(f(row), len)
        special = _special_call(name, types, fns)
        if special is not None:
            return special
        casts = {"tolong": ("long", _to_long), "toint": ("int", _to_long), "toreal": ("real", float),
                 "todouble": ("real", float)}
        if name in casts and len(fns) == 1:
            result, cast = casts[name]
            convert, f = _to_number(cast), fns[0]
            return result, lambda row: convert(f(row))
        if known.is_known_word(name):
            raise known.NotSupported(known.describe(name))
        raise semantic_error("SEM0219", "'%s' operator: Unknown function or wrong arguments: '%s(%s)'"
                             % (context.operator, name, ", ".join(types)))


def _bin(types, fns):
    """bin(value, size) / floor(): numbers, datetimes and timespans rounded down to a multiple of size."""
    (vt, vf), (st, sf) = zip(types, fns)
    if vt in NUMERIC and st in NUMERIC:
        result = "real" if "real" in (vt, st) else ("decimal" if "decimal" in (vt, st) else "long")
        step = (lambda v, s: math.floor(v / s) * s) if result == "real" else (lambda v, s: (v // s) * s)
    elif vt in ("datetime", "timespan") and st == "timespan":
        result, step = vt, lambda v, s: (v // s) * s
    else:
        return None
    return result, lambda row: _binary_value(lambda v, s: None if s == 0 else step(v, s), vf(row), sf(row))


def _special_call(name, types, fns):
    """The null tests, case changes, iff() and bin(); None when name and arguments are none of these."""
    if name in ("isnull", "isnotnull", "isempty", "isnotempty") and len(fns) == 1:
        f, empty = fns[0], (None,) if name in ("isnull", "isnotnull") else (None, "")
        want = name in ("isnull", "isempty")
        return "bool", lambda row: (f(row) in empty) == want
    if name in ("toupper", "tolower") and types == ["string"]:
        f, case = fns[0], str.upper if name == "toupper" else str.lower
        return "string", lambda row: _null_or(f(row), case)
    if name in ("iff", "iif") and len(fns) == 3 and types[0] == "bool" and _comparable(types[1], types[2]):
        test, then, otherwise = fns
        result = types[1] if types[1] == types[2] else _promote(types[1], types[2])
        return result, lambda row: then(row) if test(row) is True else otherwise(row)
    if name in ("bin", "floor") and len(fns) == 2:
        return _bin(types, fns)
    return None


# --- parser ---------------------------------------------------------------------------------------------

class Parser:
    def __init__(self, source):
        self.tokens = tokenize(source)
        self.i = 0

    @property
    def token(self):
        return self.tokens[self.i]

    def advance(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect_op(self, text):
        if not self.token.is_op(text):
            raise syntax_error(self.token)
        return self.advance()

    def expect_word(self, word=None):
        if self.token.kind != "ident" or (word and self.token.text != word):
            raise syntax_error(self.token)
        return self.advance().text

    def query(self):
        """(declared query parameters [(name, type, default expression or None)], source, operators)."""
        declared = []
        while self.token.is_word("set") or self.token.is_word("declare"):
            if self.advance().text == "declare":
                declared += self.declaration()
                continue
            self.expect_word()
            if self.token.is_op("="):
                self.advance()
                self.advance()
            self.expect_op(";")
        source = self.source()
        operators = []
        while self.token.is_op("|"):
            self.advance()
            operators.append(self.operator())
        if self.token.is_op(";"):
            self.advance()
        if self.token.kind != "eof":
            raise syntax_error(self.token)
        return declared, source, operators

    def declaration(self):
        """declare query_parameters(name:type [= default], ...);"""
        self.expect_word("query_parameters")
        self.expect_op("(")
        declared = self.up_to(")", self.parameter)
        self.expect_op(";")
        return declared

    def parameter(self):
        name, kusto_type = self.typed_name()
        default = None
        if self.token.is_op("="):
            self.advance()
            default = self.expression()
        return name, kusto_type, default

    def typed_name(self):
        name = self.expect_word()
        self.expect_op(":")
        token = self.token
        type_name = self.expect_word()
        if type_name not in COLUMN_TYPES:
            raise syntax_error(token)
        return name, COLUMN_TYPES[type_name]

    def datatable(self):
        """datatable(name:type, ...) [value, ...]: the values row after row."""
        self.expect_op("(")
        columns = self.comma_separated(self.typed_name)
        self.expect_op(")")
        self.expect_op("[")
        return ("datatable", columns, self.up_to("]", self.expression))

    def up_to(self, close, parse):
        """Comma-separated items up to the closing op, which is consumed; none, and a trailing comma, allowed."""
        items = []
        while not self.token.is_op(close):
            if items:
                self.expect_op(",")
                if self.token.is_op(close):
                    break
            items.append(parse())
        self.advance()
        return items

    def source(self):
        if self.token.is_word("print"):
            self.advance()
            return ("print", self.assignments())
        if self.token.is_word("range"):
            self.advance()
            name = self.expect_word()
            self.expect_word("from")
            start = self.expression()
            self.expect_word("to")
            stop = self.expression()
            self.expect_word("step")
            return ("range", name, start, stop, self.expression())
        if self.token.is_word("datatable"):
            self.advance()
            return self.datatable()
        if self.token.kind == "ident" and not known.is_known_word(self.token.text):
            return ("table", self.advance().text)
        raise syntax_error(self.token)

    def operator_name(self):
        """An operator's name, with its hyphenated parts (mv-expand, project-away)."""
        word = self.advance()
        if word.kind != "ident":
            raise syntax_error(word)
        name, end = word.text, word.end
        while self.token.is_op("-") and self.token.start == end and self.tokens[self.i + 1].kind == "ident" \
                and self.tokens[self.i + 1].start == self.token.end:
            self.advance()
            part = self.advance()
            name, end = name + "-" + part.text, part.end
        joined = copy.copy(word)
        joined.text = name
        return joined, name

    def operator(self):
        word, name = self.operator_name()
        if name in ("take", "limit"):
            return (name, self.expression())
        if name == "count":
            return ("count",)
        if name in ("where", "filter"):
            return ("where", self.expression())
        if name in ("extend", "project"):
            return (name, self.assignments())
        if name == "project-away":
            return (name, self.comma_separated(self.expect_word))
        if name == "summarize":
            aggregates = [] if self.token.is_word("by") else self.assignments()
            keys = []
            if self.token.is_word("by"):
                self.advance()
                keys = self.assignments()
            return (name, aggregates, keys)
        if name in ("sort", "order"):
            self.expect_word("by")
            return ("sort", self.sort_keys())
        if name == "top":
            count = self.expression()
            self.expect_word("by")
            return ("top", count, self.sort_keys())
        if name == "distinct":
            if self.token.is_op("*"):
                self.advance()
                return ("distinct", None)
            return ("distinct", self.assignments())
        raise syntax_error(word)

    def comma_separated(self, parse):
        items = [parse()]
        while self.token.is_op(","):
            self.advance()
            items.append(parse())
        return items

    def sort_keys(self):
        """[(expression, descending, nulls_first)]: descending by default, nulls last when descending."""
        return self.comma_separated(self.sort_key)

    def sort_key(self):
        expression = self.expression()
        descending = True
        if self.token.is_word("asc") or self.token.is_word("desc"):
            descending = self.advance().text == "desc"
        nulls_first = not descending
        if self.token.is_word("nulls"):
            self.advance()
            nulls_first = self.expect_word() == "first"
        return expression, descending, nulls_first

    def assignments(self):
        return self.comma_separated(self.assignment)

    def assignment(self):
        if self.token.kind == "ident" and self.tokens[self.i + 1].is_op("="):
            name = self.advance().text
            self.advance()
            return name, self.expression()
        return None, self.expression()

    def expression(self):
        return self.binary_level(0)

    LEVELS = [("or",), ("and",), ("==", "!=", "=~", "!~", "<", "<=", ">", ">=", "in", "!in") + STRING_OPERATORS,
              ("+", "-"), ("*", "/", "%")]

    def binary_level(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary_level(level + 1)
        while (self.token.kind in ("op", "ident")) and self.token.text in self.LEVELS[level]:
            op = self.advance().text
            if op in ("in", "!in"):
                left = InList(op == "!in", left, self.arguments())
            else:
                left = Binary(op, left, self.binary_level(level + 1))
        return left

    def unary(self):
        if self.token.is_op("-") or self.token.is_op("+"):
            return Unary(self.advance().text, self.unary())
        return self.primary()

    def primary(self):
        token = self.advance()
        if token.kind == "long":
            return Literal("long", int(token.value))
        if token.kind == "real":
            return Literal("real", float(token.value))
        if token.kind == "timespan":
            return Literal("timespan", values.parse_timespan(token.value))
        if token.kind == "string":
            return Literal("string", token.value)
        if token.kind == "literal":
            return Literal(*typed_literal(token))
        if token.is_op("("):
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return Literal("bool", token.text == "true")
            if token.text == "not" and self.token.is_op("("):
                return self.not_call()
            if self.token.is_op("("):
                return Call(token.text, self.arguments())
            return ColumnRef(token.text)
        raise syntax_error(token)

    def not_call(self):
        self.advance()
        inner = self.expression()
        self.expect_op(")")
        return Binary("==", inner, Literal("bool", False))

    def arguments(self):
        self.expect_op("(")
        args = []
        if not self.token.is_op(")"):
            args.append(self.expression())
            while self.token.is_op(","):
                self.advance()
                args.append(self.expression())
        self.expect_op(")")
        return args
