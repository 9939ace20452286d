"""Celery tasks: thin steps that orchestrate the layers below.

The worker's main process imports every task module to register the tasks, yet never runs
one (the pool processes do). So a task module imports at its top only what declaring the
tasks needs (celery, config, storage, the other task modules), and imports the domain
packages (analysis, ingest, notify) and the libraries behind them in the functions that use
them, their types under ``TYPE_CHECKING``: numpy, trafilatura, httpx and the entity lexicons
load in the pool processes alone (tests/test_worker_imports.py holds this).
"""
