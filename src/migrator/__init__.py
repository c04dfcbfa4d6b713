"""migrator: plan the move of an on-premises data center to Microsoft Azure.

The package is a typed core (one module per pipeline stage) under a thin typer CLI
(:mod:`migrator.cli`). The core never prints; it returns frozen dataclasses and pandas
tables that the CLI and the output writers render.
"""

__version__ = "0.1.0"
