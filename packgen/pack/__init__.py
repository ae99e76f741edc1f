"""The evidence pack: many PDFs assembled into one, with cover, contents, bookmarks and footers."""
