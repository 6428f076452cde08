"""The pytest benchmark suite: cases = detector x generator x perturbation."""
