"""beian-tracker: track CAC algorithm filings from first draft to filing number.

Nothing is imported eagerly here, so `import tracker` stays cheap for the CLI.
"""

__version__ = "0.1.0"
