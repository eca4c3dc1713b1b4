"""A run's lifecycle: its options resolved (``options``, ``setup``), planned as one value (``plan``), what its cells
share made once per process (``preparation``), each cell computed (``prepared``) by an executor, here or on Ray
workers (``executors``), and recorded as it finishes (``runner``: manifest, tables, grids, trackers).

Everything here calls the layers below (the store, training, the building blocks, the runtime) and is called by
:mod:`normbench.reuse`, the report, the Python API and the command line.
"""
