"""One file per `mlcc` sub-command: each has `register(subparsers)`; its parser's
`run` default is called with the parsed arguments. Add a command by adding its
module name here."""

COMMANDS = ("lint", "explain", "build", "schema", "run", "graph", "init", "diff", "apply")
