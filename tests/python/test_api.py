"""The package surface that needs no emulator: version, connection strings, import cost."""
import os
import subprocess
import sys

import kusto


def test_version_comes_from_the_library():
    assert kusto.__version__ == "0.1.0"


def test_parse_connection_string_masks_secrets():
    parsed = kusto.parse_connection_string(
        "Data Source=https://help.kusto.windows.net;Fed=True;AppClientId=app-id;AppKey=s3cr3t-value;"
        "Initial Catalog=Samples;Authority Id=contoso.com")
    assert parsed["Data Source"] == "https://help.kusto.windows.net"
    assert parsed["AAD Federated Security"] == "True"
    assert parsed["Application Client Id"] == "app-id"
    assert parsed["Application Key"] == "****"
    assert parsed["Initial Catalog"] == "Samples"
    assert parsed["Authority Id"] == "contoso.com"
    assert "s3cr3t-value" not in repr(parsed)


def test_parse_connection_string_quoting_and_first_segment():
    parsed = kusto.parse_connection_string('https://c.kusto.windows.net;User ID="a;b"')
    assert parsed["Data Source"] == "https://c.kusto.windows.net"
    assert parsed["User ID"] == "a;b"


def test_parse_connection_string_errors():
    try:
        kusto.parse_connection_string("Data Source=https://x;Bogus Keyword=1")
    except kusto.ConnectionStringError as e:
        assert "Bogus Keyword" in str(e)
    else:
        raise AssertionError("no error")


def test_import_is_light():
    """`import kusto` must not load the emulator, cryptography or the result value types."""
    code = "import sys, kusto; print(sorted(m for m in ('kusto.emulator', 'cryptography', 'decimal', 'uuid', 'json')" \
           " if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(__file__))
    assert out.stdout.strip() == "[]"
