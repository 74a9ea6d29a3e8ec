"""The pipeline's owner (`pipeline`) and `mlcc build`: one module at a time (`module`), every module
with a cache (`tree`, `cache`), written all-or-nothing (`writer`)."""
