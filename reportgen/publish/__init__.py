"""Publishing: immutable releases, the release registry, verification and recipient copies."""
