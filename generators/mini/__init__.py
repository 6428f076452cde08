"""The embedded mini world: three latent diffusion generators with committed weights.

Its specs and metadata (`architectures`) import no torch; the generators are built by `generator`,
imported on first build (`fakebench.generators.catalog` declares them)."""
