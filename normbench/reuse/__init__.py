"""A finished run's trained models reused without training: planned again from what the run stored (``reopen``,
also how a run is resumed), measured with new metrics (``scoring``), applied to a user's images and exported to
ONNX or TorchScript (``deploy``)."""
