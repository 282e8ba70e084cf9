"""Error-catalogue entries (tests/test_errors.py) for issue 18's select ops."""
CASES: list = []
