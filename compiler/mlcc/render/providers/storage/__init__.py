"""Storage providers: one file each, one contract (`StorageProvider` in `base`)."""
