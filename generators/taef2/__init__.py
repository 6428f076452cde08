"""TAEF2, the MIT tiny autoencoder distilled from FLUX.2's VAE, as the built-in `taef2` generator
(reconstruction only), with its weights committed as safetensors beside their licence and manifest.

Its metadata and latent shape (`spec`) import no torch; the generator (`generator.TAEF2Generator`) is
imported on first build (`fakebench.generators.catalog` declares it)."""
