"""Built-in generator architectures; each module registers one through the public hook, as a third party would."""
