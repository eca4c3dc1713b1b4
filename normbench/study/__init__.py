"""Orchestration: a run's setup, plan, lifecycle and cells, the bench, and their output directories.

Everything here calls the layers below (training, the building blocks, the runtime) and is called by the report,
the Python API and the command line.
"""
