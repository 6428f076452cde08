"""Performance benchmarks behind `fakebench bench` (speed and memory, not detection): the pipelines
against their bare models, the round trip, the audit, `--data hf:` memory and report building. The library
never imports this package."""
