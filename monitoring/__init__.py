"""monitoring package: Prometheus metrics of the pipeline, read by the web app and the worker."""
