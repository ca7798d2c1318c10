"""The maintainer's scripts, run from the repository root as modules
(``python -m tools.conda.check_all``); tools/offline/ holds the stand-ins these
offline machines need (see its README.md)."""
