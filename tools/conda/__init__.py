"""The conda recipe's release tools (``python -m tools.conda.NAME``)."""
