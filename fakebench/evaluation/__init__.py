"""Judging (evaluation layer, below `fakebench.leaderboard` and `fakebench.benchmark`): perturbations and
their id grammar, scoring, the score store, metrics, calibration, and the claims registry with its
statistics. A claim declares the roles and cases it needs; building them is the benchmark's job, and
rendering is the leaderboard's. Import the modules directly; this package imports nothing heavy."""
