"""Kusto scalar types: parsing literals and writing values the way the service puts them on the wire.

datetime and timespan values are kept as int 100-ns ticks (datetime since 0001-01-01), so arithmetic is exact.
"""
import datetime
import decimal
import json
import math
import re
from json.encoder import encode_basestring  # the C accelerator: much faster than json.dumps per cell

TICKS_PER_SECOND = 10_000_000
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
NUMERIC = ("int", "long", "real", "decimal")

CLR_NAMES = {"bool": "Boolean", "int": "Int32", "long": "Int64", "real": "Double", "decimal": "Decimal",
             "string": "String", "datetime": "DateTime", "timespan": "TimeSpan", "guid": "Guid",
             "dynamic": "Object"}

TIMESPAN_UNITS = {"d": TICKS_PER_DAY, "day": TICKS_PER_DAY, "days": TICKS_PER_DAY,
                  "h": 3600 * TICKS_PER_SECOND, "hour": 3600 * TICKS_PER_SECOND, "hours": 3600 * TICKS_PER_SECOND,
                  "m": 60 * TICKS_PER_SECOND, "minute": 60 * TICKS_PER_SECOND, "minutes": 60 * TICKS_PER_SECOND,
                  "s": TICKS_PER_SECOND, "second": TICKS_PER_SECOND, "seconds": TICKS_PER_SECOND,
                  "ms": 10_000, "millisecond": 10_000, "milliseconds": 10_000,
                  "microsecond": 10, "microseconds": 10, "tick": 1, "ticks": 1}

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?Z?$")
_CLOCK_RE = re.compile(r"^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?$")
_UNIT_RE = re.compile(r"^(-)?(\d+(?:\.\d+)?)\s*([a-z]+)$")


def _fraction_ticks(digits):
    return int((digits or "0").ljust(7, "0"))


def parse_datetime(text):
    """ticks for datetime(...) contents; ValueError if malformed."""
    m = _DATETIME_RE.match(text.strip())
    if not m:
        raise ValueError("invalid datetime literal '%s'" % text)
    year, month, day, hour, minute, second = (int(g or 0) for g in m.groups()[:6])
    date = datetime.date(year, month, day)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("invalid datetime literal '%s'" % text)
    seconds = hour * 3600 + minute * 60 + second
    return (date.toordinal() - 1) * TICKS_PER_DAY + seconds * TICKS_PER_SECOND + _fraction_ticks(m.group(7))


def parse_timespan(text):
    """ticks for timespan(...) contents: '1.02:03:04.5', '02:03', '-1d', '1.5h', '100ms'."""
    text = text.strip()
    m = _CLOCK_RE.match(text)
    if m:
        sign, days, hours, minutes, seconds, fraction = m.groups()
        ticks = ((int(days or 0) * 24 + int(hours)) * 3600 + int(minutes) * 60 + int(seconds or 0)) \
            * TICKS_PER_SECOND + _fraction_ticks(fraction)
        return -ticks if sign else ticks
    m = _UNIT_RE.match(text)
    if m and m.group(3) in TIMESPAN_UNITS:
        ticks = int(decimal.Decimal(m.group(2)) * TIMESPAN_UNITS[m.group(3)])
        return -ticks if m.group(1) else ticks
    raise ValueError("invalid timespan literal '%s'" % text)


def format_datetime(ticks):
    """2020-01-02T03:04:05.1234567Z, as Kusto writes datetimes in results."""
    days, rest = divmod(ticks, TICKS_PER_DAY)
    date = datetime.date.fromordinal(days + 1)
    seconds, fraction = divmod(rest, TICKS_PER_SECOND)
    return "%sT%02d:%02d:%02d.%07dZ" % (date.isoformat(), seconds // 3600, seconds // 60 % 60, seconds % 60,
                                        fraction)


def format_timespan(ticks):
    """[-][d.]hh:mm:ss[.fffffff], as Kusto writes timespans in results."""
    sign = "-" if ticks < 0 else ""
    days, rest = divmod(abs(ticks), TICKS_PER_DAY)
    seconds, fraction = divmod(rest, TICKS_PER_SECOND)
    text = "%s%s%02d:%02d:%02d" % (sign, "%d." % days if days else "", seconds // 3600, seconds // 60 % 60,
                                   seconds % 60)
    return text + (".%07d" % fraction if fraction else "")


def format_real(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def to_text(kusto_type, value):
    """tostring(): the text Kusto shows for a value ('' for null)."""
    if value is None:
        return ""
    return {"bool": lambda v: "true" if v else "false",
            "real": format_real,
            "decimal": lambda v: format(v, "f"),
            "datetime": format_datetime,
            "timespan": format_timespan,
            "dynamic": lambda v: v if isinstance(v, str) else _dumps(v)}.get(kusto_type, str)(value)


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _quoted(fn):
    return lambda v: "null" if v is None else '"' + fn(v) + '"'


def _real_json(value):
    if value is None:
        return "null"
    text = format_real(value)
    return '"%s"' % text if text[-1].isalpha() else text


def json_encoder(kusto_type, v1=False):
    """fn(value) -> JSON text of one cell. v1 writes dynamic values as JSON-encoded strings."""
    if kusto_type in ("int", "long"):
        return lambda v: "null" if v is None else str(v)
    if kusto_type == "bool":
        return lambda v: "null" if v is None else ("true" if v else "false")
    if kusto_type == "real":
        return _real_json
    if kusto_type == "decimal":
        return _quoted(lambda v: format(v, "f"))
    if kusto_type == "datetime":
        return _quoted(format_datetime)
    if kusto_type == "timespan":
        return _quoted(format_timespan)
    if kusto_type in ("string", "guid"):
        return lambda v: "null" if v is None else encode_basestring(v)
    if kusto_type == "dynamic" and v1:
        return lambda v: "null" if v is None else encode_basestring(_dumps(v))
    return lambda v: "null" if v is None else _dumps(v)


def row_encoder(column_types, v1=False):
    encoders = [json_encoder(t, v1) for t in column_types]
    if len(encoders) == 1:
        only = encoders[0]
        return lambda row: "[" + only(row[0]) + "]"
    return lambda row: "[" + ",".join([enc(v) for enc, v in zip(encoders, row)]) + "]"


def now_ticks():
    now = datetime.datetime.now(datetime.timezone.utc)
    midnight = (now.date().toordinal() - 1) * TICKS_PER_DAY
    return midnight + ((now.hour * 3600 + now.minute * 60 + now.second) * 1_000_000 + now.microsecond) * 10
