"""The build: records to a published pack, with the cache of finished documents and the lock."""
