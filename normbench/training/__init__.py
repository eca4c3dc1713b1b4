"""Training a generator: a norm placed in an architecture (``harness``), its losses and criteria, the training loop
and the saved weights."""
