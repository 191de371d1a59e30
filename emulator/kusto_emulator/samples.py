"""The Samples database's one table: a small StormEvents with some of the real table's columns and a dozen invented
rows, so that the README's `StormEvents | take 10` and a first summarize or sort answer something."""
from . import values
from .kql import Table

STORM_COLUMNS = [("StartTime", "datetime"), ("EndTime", "datetime"), ("EpisodeId", "int"), ("EventId", "int"),
                 ("State", "string"), ("EventType", "string"), ("InjuriesDirect", "int"), ("DeathsDirect", "int"),
                 ("DamageProperty", "int"), ("Source", "string")]
_STORMS = [
    ("2007-01-01 00:00", "2007-01-01 05:00", 2403, 11032, "ATLANTIC SOUTH", "Waterspout", 0, 0, 0, "Trained Spotter"),
    ("2007-01-13 08:45", "2007-01-13 10:30", 1902, 9488, "TEXAS", "Flood", 0, 0, 20000, "Law Enforcement"),
    ("2007-02-02 03:10", "2007-02-02 03:25", 2542, 12876, "FLORIDA", "Tornado", 3, 1, 1500000, "NWS Storm Survey"),
    ("2007-02-24 14:30", "2007-02-24 15:00", 3011, 16012, "KANSAS", "Hail", 0, 0, 0, "Public"),
    ("2007-03-01 17:00", "2007-03-01 17:40", 2701, 14180, "ALABAMA", "Tornado", 12, 9, 25000000, "NWS Storm Survey"),
    ("2007-04-15 11:20", "2007-04-15 12:00", 4210, 22551, "TEXAS", "Thunderstorm Wind", 1, 0, 50000, "Emergency Manager"),
    ("2007-05-04 21:00", "2007-05-04 22:15", 5120, 28034, "KANSAS", "Tornado", 63, 11, 250000000, "NWS Storm Survey"),
    ("2007-06-08 13:05", "2007-06-08 13:20", 6015, 31107, "IOWA", "Hail", 0, 0, 5000, "Trained Spotter"),
    ("2007-07-19 16:40", "2007-07-19 18:00", 7330, 36498, "TEXAS", "Flash Flood", 0, 2, 750000, "Broadcast Media"),
    ("2007-08-23 09:00", "2007-08-24 06:00", 8114, 40220, "MINNESOTA", "Flood", 0, 0, 3000000, "River Gauge"),
    ("2007-10-18 19:30", "2007-10-18 19:45", 9807, 47762, "MISSOURI", "Tornado", 2, 0, 400000, "NWS Storm Survey"),
    ("2007-12-10 00:00", "2007-12-11 12:00", 11210, 53014, "OKLAHOMA", "Ice Storm", 0, 4, 10000000, "Utility Company"),
]


def storm_events():
    rows = [(values.parse_datetime(r[0]), values.parse_datetime(r[1])) + r[2:] for r in _STORMS]
    return Table(list(STORM_COLUMNS), iter(rows))


TABLES = {"Samples": {"StormEvents": storm_events}}
