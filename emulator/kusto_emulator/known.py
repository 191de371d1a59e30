"""KQL the emulator knows exists but does not implement, so that it says "not supported by the emulator" for valid
Kusto rather than a syntax or semantic error Kusto itself would never give. Not exhaustive: names missing here get
Kusto's ordinary errors (syntax error, unknown function)."""

IMPLEMENTED = ("print, range, datatable, the database's tables, declare query_parameters; take, limit, count, where, "
               "filter, extend, project, project-away, summarize (count, countif, sum, min, max, avg, dcount), "
               "sort/order by, top, distinct")

TABULAR_OPERATORS = frozenset("""
    as consume evaluate facet find fork getschema invoke join lookup make-series mv-apply mv-expand parse parse-where
    parse-kv partition project-keep project-rename project-reorder reduce render sample sample-distinct scan search
    serialize top-nested top-hitters union externaldata materialize macro-expand make-graph graph-match
    graph-shortest-paths as-of project-smart""".split())

KEYWORDS = frozenset("""
    let union search find externaldata materialize evaluate alias pattern restrict toscalar totable view between
    matches regex has_any has_all hasprefix hassuffix !hasprefix !hassuffix hasprefix_cs hassuffix_cs in~ !in~
    !between contains_any startswith_any has_cs_any""".split())

SCALAR_FUNCTIONS = frozenset("""
    case coalesce round abs sqrt pow log log10 log2 exp ceiling sign format_datetime format_timespan datetime_diff
    datetime_add datetime_part startofday startofweek startofmonth startofyear endofday endofweek endofmonth endofyear
    dayofweek dayofmonth dayofyear getyear getmonth hourofday monthofyear week_of_year todatetime totimespan toguid
    todynamic toobject parse_json todecimal tobool toboolean trim trim_start trim_end substring split replace
    replace_string replace_regex extract extract_all indexof countof reverse array_length array_concat array_slice
    bag_keys bag_merge pack pack_array bag_pack pack_all hash hash_sha256 hash_md5 rand min_of max_of strcat_delim
    url_encode url_decode base64_encode_tostring base64_decode_tostring parse_url parse_path tohex zip
    unixtime_seconds_todatetime unixtime_milliseconds_todatetime datetime_utc_to_local row_number prev next
    binary_and binary_or extract_json set_difference set_union set_intersect gettype isnan isinf isfinite
    ipv4_is_in_range parse_ipv4 make_datetime make_timespan current_database current_cluster_endpoint
    geo_distance_2points strrep translate""".split())

AGGREGATES = frozenset("""
    make_list make_set make_bag make_list_if make_set_if arg_max arg_min percentile percentiles percentilew stdev
    stdevif variance varianceif any take_any take_anyif anyif sumif avgif dcountif minif maxif hll hll_merge tdigest
    buildschema binary_all_and binary_all_or count_distinct""".split())

COMMAND_VERBS = frozenset("""
    create create-or-alter create-merge alter alter-merge drop set append set-or-append set-or-replace ingest
    execute add delete purge export clear cancel enable disable move replace rename attach detach undo""".split())


class NotSupported(Exception):
    """Valid KQL the emulator does not implement."""

    def __init__(self, what, implemented=IMPLEMENTED):
        super().__init__("%s is not supported by the emulator (it implements %s)" % (what, implemented))


def is_known_word(word):
    word = word.lower()
    return (word in TABULAR_OPERATORS or word in KEYWORDS or word in SCALAR_FUNCTIONS or word in AGGREGATES)


def describe(word):
    word = word.lower()
    if word in TABULAR_OPERATORS:
        return "the '%s' operator" % word
    if word in SCALAR_FUNCTIONS or word in AGGREGATES:
        return "the function %s()" % word
    return "'%s'" % word
