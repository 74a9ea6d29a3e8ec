"""Container paths mlcc itself owns in every pod it renders: rules keep boxes out of them, emitters
mount them."""

SCRATCH = "/tmp"
# Where the injected runtime lands in the developer's container.
RUNTIME_MOUNT = "/mlcc-runtime"
# Where files mlcc renders for the runtime (the examples) are mounted.
CONFIG_MOUNT = "/mlcc-config"

RESERVED_PATHS = (
    (SCRATCH, "the pod's scratch folder"),
    (RUNTIME_MOUNT, "the injected runtime"),
    (CONFIG_MOUNT, "the runtime's configuration files"),
)
APP_ROOT_PURPOSE = "the developer's code"
