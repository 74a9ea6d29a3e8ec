"""Autoscaling providers: one file each, one contract (`AutoscalingProvider` in `contract`)."""
