"""The installed package's version, in a module of its own so that any layer can stamp results with it without
importing the package face (``servsim/__init__``) and everything behind it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("servsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
