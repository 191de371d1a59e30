"""The stubs (kusto/__init__.pyi) accept the README's Python and the calls it describes under mypy --strict."""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("mypy")
README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "README.md")

# What the README's snippets take as given, and the calls its prose describes (columnar tables, callables as
# options, typed **options, credentials both ways, query parameters).
PRELUDE = """\
from datetime import datetime
import kusto
csl = "print 1"
"""
DESCRIBED = """\
client = kusto.Client(cs, timeout=60, device_code_callback=lambda info: print(info["message"]),
                      browser_callback=lambda url: None, sign_in="default")
columns: list[list[object]] = client.query("Samples", csl, columnar=True)["primary_results"][0]["data"]
rows = client.query("Samples", "T | where t > since", parameters={"since": datetime(2020, 1, 1), "n": 5})
credential = kusto.Credential(client)
access = credential.get_token("https://storage.azure.com/.default")
info = credential.get_token_info("https://storage.azure.com/.default")
expires: int = access.expires_on if info.refresh_on is None else info.refresh_on
with kusto.Client(cs, credential=credential) as other:
    other.acquire_token("api://1234/.default")["access_token"].upper()
"""


def test_the_readme_type_checks_strictly(tmp_path):
    with open(README) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 2
    program = tmp_path / "readme.py"
    program.write_text(PRELUDE + "\n".join(blocks) + DESCRIBED)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
                           str(program)], capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
