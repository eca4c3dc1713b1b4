"""What a run or a bench leaves on disk, and the only code that opens those files.

A run directory holds ``manifest.json`` (:mod:`~normbench.store.manifest`: a typed, versioned value, read once,
checked and migrated), ``cells/`` (:mod:`~normbench.store.cells`: one folder per trained model or baseline, each
staged and renamed into place whole, a lock while a process computes them), and the tables rendered from the cells
(:mod:`~normbench.store.directory`), which :mod:`~normbench.store.results` reads back for reports. study/ writes
through this package; report/, the API and the CLI read through it.
"""
