"""The package's version, in a module of its own so that any layer can stamp results with it without importing the
package face (``servsim/__init__``) and everything behind it. The one place it is written: ``pyproject.toml`` reads
it from here (reading the installed package's metadata instead would cost every command ~40 ms of start-up)."""

__version__ = "0.1.0"
