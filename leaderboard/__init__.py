"""Score store, metrics and reports: the leaderboard is a pure function of the stored scores.

Modules: `store` (the score store), `metrics` (per-case metrics), `tables` (the leaderboard and its text
renderings), `plots`, `html`, `reports` (every output file), `compare` (two stores), `bench`. Import
them directly; this package imports nothing heavy so that `fakebench` starts fast."""
