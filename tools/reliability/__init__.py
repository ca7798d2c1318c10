"""The reliability runs (``python -m tools.reliability.NAME``)."""
