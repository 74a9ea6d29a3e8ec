"""`mlcc diff`: render two revisions (`revisions`) and compare the objects semantically (`compare`)."""
