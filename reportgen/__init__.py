"""reportgen: data files in, client-ready research reports (HTML and PDF) out."""

__version__ = "0.1.0"
