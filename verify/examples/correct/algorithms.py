"""Contract-annotated functions written from real algorithms (correct versions)."""

import icontract


def clamp(value: int, low: int, high: int) -> int:
    """
    pre: low <= high
    post: low <= __return__ <= high
    post: implies(low <= value <= high, __return__ == value)
    """
    if value < low:
        return low
    if value > high:
        return high
    return value


def ceil_div(a: int, b: int) -> int:
    """Ceiling division without floats, as in pagination code.

    pre: b > 0
    post: __return__ * b >= a
    post: (__return__ - 1) * b < a
    """
    return -(-a // b)


def midpoint(lo: int, hi: int) -> int:
    """The probe of a binary search.

    pre: lo <= hi
    post: lo <= __return__ <= hi
    """
    return lo + (hi - lo) // 2


def is_leap_year(year: int) -> bool:
    """
    pre: year > 0
    post: __return__ == ((year % 4 == 0 and year % 100 != 0) or year % 400 == 0)
    """
    if year % 400 == 0:
        return True
    if year % 100 == 0:
        return False
    return year % 4 == 0


def days_in_month(year: int, month: int) -> int:
    """
    pre: year > 0 and 1 <= month <= 12
    post: 28 <= __return__ <= 31
    post: implies(month == 2, __return__ <= 29)
    """
    if month == 2:
        return 29 if is_leap_year(year) else 28
    if month in (4, 6, 9, 11):
        return 30
    return 31


def wrap_index(index: int, size: int) -> int:
    """Circular buffer index.

    pre: size > 0
    post: 0 <= __return__ < size
    """
    return index % size


def sign(x: int) -> int:
    """
    post: __return__ in (-1, 0, 1)
    post: __return__ * x >= 0
    """
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def median_of_three(a: int, b: int, c: int) -> int:
    """Quicksort's pivot choice.

    post: min(a, b, c) <= __return__ <= max(a, b, c)
    post: __return__ in (a, b, c)
    """
    if a <= b <= c or c <= b <= a:
        return b
    if b <= a <= c or c <= a <= b:
        return a
    return c


def overlap(first: tuple[int, int], second: tuple[int, int]) -> int:
    """Length of the overlap of two closed intervals.

    pre: first[0] <= first[1] and second[0] <= second[1]
    post: __return__ >= 0
    post: __return__ <= first[1] - first[0] + 1
    """
    start = max(first[0], second[0])
    end = min(first[1], second[1])
    if end < start:
        return 0
    return end - start + 1


@icontract.require(lambda total, parts: parts > 0 and total >= 0)
@icontract.ensure(lambda total, parts, result: sum(result) == total)
@icontract.ensure(lambda parts, result: len(result) == parts)
def split_evenly(total: int, parts: int) -> list[int]:
    base = total // parts
    extra = total % parts
    return [base + 1 if i < extra else base for i in range(parts)]


def percent(part: int, whole: int) -> float:
    """
    pre: whole > 0 and 0 <= part <= whole
    post: 0 <= __return__ <= 100
    """
    return 100 * part / whole


def triangle_kind(a: int, b: int, c: int) -> int:
    """0: not a triangle, 1: scalene, 2: isosceles, 3: equilateral.

    pre: a > 0 and b > 0 and c > 0
    post: implies(__return__ == 3, a == b == c)
    post: implies(a + b <= c, __return__ == 0)
    """
    if a + b <= c or a + c <= b or b + c <= a:
        return 0
    if a == b == c:
        return 3
    if a == b or b == c or a == c:
        return 2
    return 1


def bounded_add(x: int, y: int, limit: int) -> int:
    """Saturating addition.

    pre: limit >= 0 and -limit <= x <= limit and -limit <= y <= limit
    post: -limit <= __return__ <= limit
    """
    total = x + y
    if total > limit:
        return limit
    if total < -limit:
        return -limit
    return total


def swap_pair(pair: tuple[int, str]) -> tuple[str, int]:
    """
    post: __return__[0] == pair[1] and __return__[1] == pair[0]
    """
    return (pair[1], pair[0])


def last_item(items: list[int]) -> int:
    """
    pre: len(items) > 0
    post: __return__ == items[len(items) - 1]
    """
    return items[-1]
