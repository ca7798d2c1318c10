"""The damaged-file fuzz campaign's pieces (Hypothesis drives them from test_fuzz_files.py)."""
