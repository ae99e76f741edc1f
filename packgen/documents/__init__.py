"""Documents: what a school yields (one spec per document) and filling Word templates with it."""
