"""Optional packages, imported when first needed: a missing one says which pip install brings it."""
import importlib

# The extras of setup.py, by the module each brings.
EXTRAS = {"pandas": "pandas", "pyarrow": "arrow"}


def require(module, needed_for):
    """The module, or ModuleNotFoundError naming the extra to install (e.g. pip install 'kusto[pandas]')."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        raise ModuleNotFoundError("%s needs the %s package: pip install 'kusto[%s]' (or pip install %s)"
                                  % (needed_for, module, EXTRAS[module], module), name=module) from None
