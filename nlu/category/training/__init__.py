"""Building training data and training the category models (reads ../shared only at build time)."""
