"""LibreOffice: Word documents to PDF through a pool of workers, joined by template where that is safe."""
