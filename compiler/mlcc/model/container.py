"""Container paths mlcc itself owns in every pod it renders: rules keep boxes out of them, emitters
mount them."""

SCRATCH = "/tmp"
# Where the injected runtime lands in the developer's container.
RUNTIME_MOUNT = "/mlcc-runtime"

RESERVED_PATHS = ((SCRATCH, "the pod's scratch folder"), (RUNTIME_MOUNT, "the injected runtime"))
APP_ROOT_PURPOSE = "the developer's code"
