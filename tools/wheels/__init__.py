"""What cibuildwheel's builds use (build_deps.sh, bundled_info.py)."""
