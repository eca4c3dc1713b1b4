"""Built-in normalization plugins; each module registers one norm through the public hook."""
