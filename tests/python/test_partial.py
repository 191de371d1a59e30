"""Partial failures end to end: errors deferred to QueryCompletionInformation keep the rows received."""
import os
import subprocess

import pytest

import kusto
import conftest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


pytestmark = pytest.mark.usefixtures("clean_emulator")


DEFERRED = {"truncationmaxrecords": 7, "deferpartialqueryfailures": True}


def test_deferred_truncation_is_a_partial_error_with_the_rows(client):
    with pytest.raises(kusto.PartialResultError) as info:
        client.query(None, "range x from 1 to 100 step 1", DEFERRED)
    error = info.value
    assert error.code == "QueryLimitsExceeded"
    assert "exceed the set limit of 7 records" in str(error)
    assert error.request_id and error.request_id.startswith("KLC.execute;")
    [table] = error.result["primary_results"]
    assert [r[0] for r in table["rows"]] == list(range(1, 8))
    assert [e.code for e in error.result["errors"]] == ["QueryLimitsExceeded"]


def test_without_defer_the_inline_error_is_still_partial(client):
    with pytest.raises(kusto.PartialResultError) as info:
        client.query(None, "range x from 1 to 100 step 1", {"truncationmaxrecords": 7})
    assert info.value.code == "LimitsExceeded"
    assert len(info.value.result["primary_results"][0]["rows"]) == 7


def test_query_iter_yields_the_rows_then_raises_the_partial_error(client):
    seen = []
    with pytest.raises(kusto.PartialResultError):
        for row in client.query_iter(None, "range x from 1 to 100 step 1", DEFERRED):
            seen.append(row[0])
    assert seen == list(range(1, 8))


def test_cli_prints_the_rows_and_exits_with_the_partial_class(emulator):
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    out = subprocess.run([conftest.CLI, "--ca-file", emulator.config["ca_file"],
                          "-c", emulator.config["connection_string"], "-f", "csv", "-p", "truncationmaxrecords=3",
                          "-p", "deferpartialqueryfailures=true", "range x from 1 to 10 step 1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 10
    assert out.stdout == "x\n1\n2\n3\n"
    assert "KUSTO_E_PARTIAL" in out.stderr and "QueryLimitsExceeded" in out.stderr
