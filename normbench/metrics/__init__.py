"""Quality metrics: a small functional core (``functional``) under thin update/compute/reset classes."""
