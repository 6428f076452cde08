"""Two small denoisers in TAEF2's latent space, `taef2-sd` and `taef2-playground`: generated fakes
that carry a real decoder's trace (TAEF2's) plus their own denoiser's, for the faithful CPU world.

Their specs and metadata (`architectures`) import no torch; the generators (`generator`) are imported on
first build (`fakebench.generators.catalog` declares them)."""
