"""The front end: from paths on disk to checked modules and environments.

discover module folders → parse YAML with positions → type every manifest → group into a module →
run the rules. Environments (`overlays/`) are loaded here too, checked like modules.
"""
