"""What mlcc does besides building: semantic diff, cluster dry-run, local run, explain, graph,
scaffolding and schema generation. Each tool uses the pipeline; none is used by it."""
