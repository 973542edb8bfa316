"""Rendering: Jinja2 templates to HTML, and HTML to PDF with WeasyPrint (sandboxed)."""
