"""The base layer: what every other package imports and what imports none of them."""
