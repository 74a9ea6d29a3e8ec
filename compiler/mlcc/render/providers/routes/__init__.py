"""Route providers: one file each, one contract (`RouteProvider` in `contract`)."""
