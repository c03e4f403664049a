"""The one error every bounded reader raises."""


class InputLimitExceeded(ValueError):
    """The input breaks a bound; the message says which bound, its value and where (a line)."""


def lines_label(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"
