"""`mlcc run`: a module on the developer's machine, started from its rendered manifests."""
