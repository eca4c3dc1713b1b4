"""Generator networks and the frozen VGG feature networks."""
