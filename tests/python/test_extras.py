"""A missing optional package says which pip install brings it, instead of a bare ModuleNotFoundError."""
import subprocess
import sys

import pytest

# Runs code with `module` made unimportable, as in an environment without that extra.
HIDE = ("import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == %r: raise ModuleNotFoundError('No module named %%r' %% name, name=name)\n"
        "sys.meta_path.insert(0, Hide())\n")


def run_without(module, code):
    return subprocess.run([sys.executable, "-c", HIDE % module + code], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("module", ["kusto_emulator", "kusto.emulator"])
def test_the_emulator_without_cryptography_names_the_package(module):
    done = run_without("cryptography", "import runpy; runpy.run_module(%r, run_name='__main__')" % module)
    assert done.returncode != 0
    assert "ModuleNotFoundError: the emulator needs the cryptography package: pip install cryptography" in done.stderr


def test_to_dataframe_without_pandas_names_the_extra():
    done = run_without("pandas", "import kusto\nkusto.to_dataframe({'columns': [], 'rows': []})")
    assert "to_dataframe needs the pandas package: pip install 'kusto[pandas]'" in done.stderr


def test_an_installed_extra_is_the_module_itself():
    from kusto import _extras
    import pandas
    assert _extras.require("pandas", "to_dataframe") is pandas
