"""SLM Workbench: small language models over spreadsheets, locally on the CPU."""

__version__ = "0.1.0"
