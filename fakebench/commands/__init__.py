"""What each `fakebench` sub-command does, one module per group; `fakebench.cli` parses the command line
and calls them. Each command imports what it uses when it runs, so `fakebench --help` loads no model."""
