"""The training-set audit (`fakebench audit`): per class, format, JPEG quality, size, mode and metadata read
from file headers, and the shortcut AUC of a classifier on that metadata alone (0.5 = aligned). Sources:
`folder:`, `hf:`, `recon:`; the benchmark's own training sets are resolved by
`fakebench.benchmark.training_audit`. See docs/explanation/architecture.md."""
