"""op_table rows for tensor_movement (issue 18)."""


def rows(Row):
    """The rows, built with op_table's Row class."""
    return []


REQUIRED_MOVEMENT: list[str] = []
