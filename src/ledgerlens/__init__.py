"""ledgerlens: customer intelligence from accounting data."""

__version__ = "0.1.0"
