"""Error-catalogue entries (tests/test_errors.py) for issue 18's reduce ops."""
CASES: list = []
