"""acquire_token on a cache hit reuses the previous answer's values, never the same dict."""
import kusto


def test_cached_token_dicts_are_fresh_copies_with_from_cache(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"]) as c:
        first = c.acquire_token()
        second = c.acquire_token()
        assert second is not first
        assert second["from_cache"] is True
        assert {k: v for k, v in second.items() if k != "from_cache"} == \
               {k: v for k, v in first.items() if k != "from_cache"}
        second["access_token"] = "changed by the caller"
        third = c.acquire_token()
        assert third["access_token"] == first["access_token"] and third["from_cache"] is True


def test_a_new_token_is_not_mistaken_for_the_cached_one(emulator):
    config = emulator.config
    emulator.settings(token_lifetime=120)  # under the 5-minute margin: every call signs in again
    try:
        with kusto.Client(config["connection_string"], ca_file=config["ca_file"],
                          authority=config["authority"]) as c:
            first, second = c.acquire_token(), c.acquire_token()
            assert first["from_cache"] is False and second["from_cache"] is False
            assert first["access_token"] != second["access_token"]
    finally:
        emulator.reset()
