"""No secret or token ever shows in an error's message, args, attributes, repr or str, whatever fails."""
import pytest

import kusto

SECRET = "canary-SECRET-7f3a9e"
TOKEN = "canary-TOKEN-b41d2c"


pytestmark = pytest.mark.usefixtures("clean_emulator")


def shown(e):
    parts = [str(e), repr(e), repr(e.args)] + [repr(v) for v in vars(e).values()]
    return "\n".join(parts)


def failures(emulator):
    config = emulator.config
    cluster, db, opts = config["cluster"], config["database"], dict(ca_file=config["ca_file"])
    app = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Application Client Id=%s;" \
          "Application Key=%s" % (cluster, db, config["client_id"], SECRET)
    user = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User Token=%s" % (cluster, db, TOKEN)
    yield lambda: kusto.acquire_token(app, authority=config["authority"], **opts)            # wrong secret
    yield lambda: kusto.query(user, None, "print 1", **opts)                                 # 401
    yield lambda: kusto.query(user.replace(cluster, "https://evil.example"), None, "print 1", **opts)
    yield lambda: kusto.query(app.replace(cluster, "https://evil.example"), None, "print 1", **opts)
    yield lambda: kusto.Client(app + ";Flux Capacitor=1")                                     # bad keyword
    yield lambda: kusto.Client(app, timeout="soon")                                          # bad option
    yield lambda: kusto.acquire_token(app, ca_file="/etc/ssl/certs/ca-certificates.crt", authority=config["authority"])
    for status, body in ((503, "down"), (500, '{"error":'), (302, "")):
        def faulted(status=status, body=body):
            emulator.fault(path="/" + config["tenant"], status=status, body=body, count=None)
            try:
                kusto.acquire_token(app, authority=config["authority"], max_retries=0, **opts)
            finally:
                emulator.clear_faults()
        yield faulted
    def truncated():
        emulator.fault(path="/v2/rest/query", status=200, body='[{"FrameType":', count=1)
        kusto.query(user, None, "print 1", **opts)
    yield truncated


def test_no_error_path_shows_a_secret_or_token(emulator):
    seen = 0
    for fail in failures(emulator):
        with pytest.raises(kusto.Error) as info:
            fail()
        text = shown(info.value)
        assert SECRET not in text and TOKEN not in text, text
        seen += 1
    assert seen == 11


def test_client_repr_and_str_show_no_secret(emulator):
    config = emulator.config
    cs = "Data Source=%s;AAD Federated Security=True;Application Client Id=x;Application Key=%s" % (
        config["cluster"], SECRET)
    with kusto.Client(cs, ca_file=config["ca_file"]) as c:
        assert SECRET not in repr(c) and SECRET not in str(c)
