/**
 * Writes datasets/code-verify/problems.jsonl: 30 small programming problems (24 Python, 6 JavaScript),
 * each with a task statement, a reference solution, tests, and three candidate solutions (one correct,
 * two with a typical bug: an off-by-one, a missed edge case, a wrong type, an endless loop, ...).
 * Written for this project. The candidates let an offline run on the simulator show passes and
 * failures (the recipe passes one as the request's predicted output, which the simulator answers with).
 *
 * Where you are: `scripts/`, developer tooling. Run: npx tsx scripts/make-code-verify-dataset.ts
 * test/recipes/code-verify-dataset.test.ts checks in the sandbox that every reference and correct
 * candidate passes and every buggy one fails.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Problem {
  id: string;
  language: "python" | "node";
  title: string;
  prompt: string;
  entryPoint: string;
  reference: string;
  tests: string;
  candidates: Array<{ label: string; code: string }>;
}

const py = (code: string) => code.trim() + "\n";

const problems: Problem[] = [
  {
    id: "py-fizzbuzz",
    language: "python",
    title: "FizzBuzz",
    entryPoint: "fizzbuzz",
    prompt:
      "Write a Python function `fizzbuzz(n)` that returns a list of strings for the numbers 1 to n inclusive: " +
      '"Fizz" for multiples of 3, "Buzz" for multiples of 5, "FizzBuzz" for multiples of both, otherwise the number.',
    reference: py(String.raw`
def fizzbuzz(n):
    out = []
    for i in range(1, n + 1):
        if i % 15 == 0:
            out.append("FizzBuzz")
        elif i % 3 == 0:
            out.append("Fizz")
        elif i % 5 == 0:
            out.append("Buzz")
        else:
            out.append(str(i))
    return out
`),
    tests: py(String.raw`
from solution import fizzbuzz

def test_first_fifteen():
    assert fizzbuzz(15) == ["1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8", "Fizz", "Buzz", "11", "Fizz", "13", "14", "FizzBuzz"]

def test_zero():
    assert fizzbuzz(0) == []

def test_types():
    assert all(isinstance(x, str) for x in fizzbuzz(20))
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def fizzbuzz(n):
    return ["Fizz" * (i % 3 == 0) + "Buzz" * (i % 5 == 0) or str(i) for i in range(1, n + 1)]
`),
      },
      {
        label: "off-by-one: stops at n - 1",
        code: py(String.raw`
def fizzbuzz(n):
    return ["Fizz" * (i % 3 == 0) + "Buzz" * (i % 5 == 0) or str(i) for i in range(1, n)]
`),
      },
      {
        label: "checks 3 before 15",
        code: py(String.raw`
def fizzbuzz(n):
    out = []
    for i in range(1, n + 1):
        if i % 3 == 0:
            out.append("Fizz")
        elif i % 5 == 0:
            out.append("Buzz")
        elif i % 15 == 0:
            out.append("FizzBuzz")
        else:
            out.append(str(i))
    return out
`),
      },
    ],
  },
  {
    id: "py-palindrome",
    language: "python",
    title: "Palindrome check",
    entryPoint: "is_palindrome",
    prompt:
      "Write a Python function `is_palindrome(s)` that returns True when the string reads the same forwards and " +
      "backwards, ignoring case and every character that is not a letter or a digit.",
    reference: py(String.raw`
def is_palindrome(s):
    kept = [c.lower() for c in s if c.isalnum()]
    return kept == kept[::-1]
`),
    tests: py(String.raw`
from solution import is_palindrome

def test_sentence():
    assert is_palindrome("A man, a plan, a canal: Panama")

def test_not_palindrome():
    assert not is_palindrome("race a car")

def test_empty_and_symbols():
    assert is_palindrome("")
    assert is_palindrome("!!")

def test_digits():
    assert is_palindrome("12 21")
    assert not is_palindrome("123")
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
import re

def is_palindrome(s):
    t = re.sub(r"[^0-9a-z]", "", s.lower())
    return t == t[::-1]
`),
      },
      {
        label: "keeps punctuation",
        code: py(String.raw`
def is_palindrome(s):
    t = s.lower().replace(" ", "")
    return t == t[::-1]
`),
      },
      {
        label: "case-sensitive",
        code: py(String.raw`
def is_palindrome(s):
    t = [c for c in s if c.isalnum()]
    return t == t[::-1]
`),
      },
    ],
  },
  {
    id: "py-two-sum",
    language: "python",
    title: "Two sum",
    entryPoint: "two_sum",
    prompt:
      "Write a Python function `two_sum(nums, target)` that returns a list `[i, j]` with i < j of the first pair " +
      "of positions (smallest j, then smallest i) whose values add up to target, or None when there is none.",
    reference: py(String.raw`
def two_sum(nums, target):
    for j in range(len(nums)):
        for i in range(j):
            if nums[i] + nums[j] == target:
                return [i, j]
    return None
`),
    tests: py(String.raw`
from solution import two_sum

def test_basic():
    assert two_sum([2, 7, 11, 15], 9) == [0, 1]

def test_later_pair():
    assert two_sum([3, 2, 4], 6) == [1, 2]

def test_same_value_twice():
    assert two_sum([3, 3], 6) == [0, 1]

def test_none():
    assert two_sum([1, 2, 3], 100) is None
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def two_sum(nums, target):
    seen = {}
    for j, x in enumerate(nums):
        if target - x in seen:
            return [seen[target - x], j]
        seen.setdefault(x, j)
    return None
`),
      },
      {
        label: "pairs an element with itself",
        code: py(String.raw`
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i, len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]
    return None
`),
      },
      {
        label: "returns [] instead of None",
        code: py(String.raw`
def two_sum(nums, target):
    seen = {}
    for j, x in enumerate(nums):
        if target - x in seen:
            return [seen[target - x], j]
        seen.setdefault(x, j)
    return []
`),
      },
    ],
  },
  {
    id: "py-flatten",
    language: "python",
    title: "Flatten nested lists",
    entryPoint: "flatten",
    prompt:
      "Write a Python function `flatten(items)` that takes a list whose elements may themselves be lists " +
      "(nested to any depth) and returns a flat list of the non-list elements in order.",
    reference: py(String.raw`
def flatten(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out
`),
    tests: py(String.raw`
from solution import flatten

def test_deep():
    assert flatten([1, [2, [3, [4, [5]]]], 6]) == [1, 2, 3, 4, 5, 6]

def test_empty_lists():
    assert flatten([[], [[]], 1]) == [1]

def test_strings_are_atoms():
    assert flatten(["ab", ["cd"]]) == ["ab", "cd"]
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def flatten(items):
    stack, out = [iter(items)], []
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out
`),
      },
      {
        label: "one level only",
        code: py(String.raw`
def flatten(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out
`),
      },
      {
        label: "splits strings into characters",
        code: py(String.raw`
def flatten(items):
    out = []
    for item in items:
        if hasattr(item, "__iter__") and not (isinstance(item, str) and len(item) == 1):
            out.extend(flatten(list(item)))
        else:
            out.append(item)
    return out
`),
      },
    ],
  },
  {
    id: "py-word-count",
    language: "python",
    title: "Word count",
    entryPoint: "word_count",
    prompt:
      "Write a Python function `word_count(text)` that returns a dict mapping each word to how often it occurs. " +
      "Words are separated by whitespace, compared in lower case, with the punctuation .,!?;: stripped from their ends.",
    reference: py(String.raw`
def word_count(text):
    counts = {}
    for raw in text.split():
        word = raw.strip(".,!?;:").lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts
`),
    tests: py(String.raw`
from solution import word_count

def test_case_and_punctuation():
    assert word_count("The cat. the CAT! a dog?") == {"the": 2, "cat": 2, "a": 1, "dog": 1}

def test_empty():
    assert word_count("   ") == {}

def test_only_punctuation_token():
    assert word_count("hi , hi") == {"hi": 2}
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from collections import Counter

def word_count(text):
    words = (w.strip(".,!?;:").lower() for w in text.split())
    return dict(Counter(w for w in words if w))
`),
      },
      {
        label: "keeps case",
        code: py(String.raw`
def word_count(text):
    counts = {}
    for raw in text.split():
        word = raw.strip(".,!?;:")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts
`),
      },
      {
        label: "counts empty tokens",
        code: py(String.raw`
def word_count(text):
    counts = {}
    for raw in text.split():
        word = raw.strip(".,!?;:").lower()
        counts[word] = counts.get(word, 0) + 1
    return counts
`),
      },
    ],
  },
  {
    id: "py-roman-to-int",
    language: "python",
    title: "Roman numerals to integers",
    entryPoint: "roman_to_int",
    prompt: "Write a Python function `roman_to_int(s)` that converts a valid Roman numeral (I to MMMCMXCIX) to an int.",
    reference: py(String.raw`
def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        if i + 1 < len(s) and values[s[i + 1]] > v:
            total -= v
        else:
            total += v
    return total
`),
    tests: py(String.raw`
from solution import roman_to_int

def test_simple():
    assert roman_to_int("III") == 3
    assert roman_to_int("LVIII") == 58

def test_subtractive():
    assert roman_to_int("IV") == 4
    assert roman_to_int("MCMXCIV") == 1994

def test_largest():
    assert roman_to_int("MMMCMXCIX") == 3999
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total, previous = 0, 0
    for c in reversed(s):
        v = values[c]
        total += -v if v < previous else v
        previous = max(previous, v)
    return total
`),
      },
      {
        label: "ignores subtractive notation",
        code: py(String.raw`
def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    return sum(values[c] for c in s)
`),
      },
      {
        label: "compares with the previous numeral instead of the next",
        code: py(String.raw`
def roman_to_int(s):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        if i > 0 and values[s[i - 1]] < v:
            total -= v
        else:
            total += v
    return total
`),
      },
    ],
  },
  {
    id: "py-int-to-roman",
    language: "python",
    title: "Integers to Roman numerals",
    entryPoint: "int_to_roman",
    prompt: "Write a Python function `int_to_roman(n)` that converts an int from 1 to 3999 to a Roman numeral.",
    reference: py(String.raw`
def int_to_roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, numeral in table:
        while n >= value:
            out += numeral
            n -= value
    return out
`),
    tests: py(String.raw`
from solution import int_to_roman

def test_values():
    assert int_to_roman(3) == "III"
    assert int_to_roman(58) == "LVIII"
    assert int_to_roman(1994) == "MCMXCIV"

def test_fours_and_nines():
    assert int_to_roman(4) == "IV"
    assert int_to_roman(9) == "IX"
    assert int_to_roman(3999) == "MMMCMXCIX"
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def int_to_roman(n):
    parts = [("", "M", "MM", "MMM"),
             ("", "C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"),
             ("", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"),
             ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")]
    return parts[0][n // 1000] + parts[1][n // 100 % 10] + parts[2][n // 10 % 10] + parts[3][n % 10]
`),
      },
      {
        label: "no subtractive forms",
        code: py(String.raw`
def int_to_roman(n):
    out = ""
    for value, numeral in [(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"), (5, "V"), (1, "I")]:
        while n >= value:
            out += numeral
            n -= value
    return out
`),
      },
      {
        label: "uses if instead of while",
        code: py(String.raw`
def int_to_roman(n):
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, numeral in table:
        if n >= value:
            out += numeral
            n -= value
    return out
`),
      },
    ],
  },
  {
    id: "py-merge-intervals",
    language: "python",
    title: "Merge intervals",
    entryPoint: "merge_intervals",
    prompt:
      "Write a Python function `merge_intervals(intervals)` that takes a list of [start, end] pairs (in any order) " +
      "and returns the merged, sorted list of intervals; intervals that touch ([1, 2] and [2, 3]) merge.",
    reference: py(String.raw`
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
`),
    tests: py(String.raw`
from solution import merge_intervals

def test_overlapping():
    assert merge_intervals([[1, 3], [2, 6], [8, 10], [15, 18]]) == [[1, 6], [8, 10], [15, 18]]

def test_touching_and_unsorted():
    assert merge_intervals([[4, 5], [1, 4]]) == [[1, 5]]

def test_contained():
    assert merge_intervals([[1, 10], [2, 3]]) == [[1, 10]]

def test_empty():
    assert merge_intervals([]) == []
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def merge_intervals(intervals):
    out = []
    for start, end in sorted(map(list, intervals)):
        if not out or start > out[-1][1]:
            out.append([start, end])
        elif end > out[-1][1]:
            out[-1][1] = end
    return out
`),
      },
      {
        label: "forgets to sort",
        code: py(String.raw`
def merge_intervals(intervals):
    merged = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
`),
      },
      {
        label: "shrinks a containing interval",
        code: py(String.raw`
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged
`),
      },
    ],
  },
  {
    id: "py-binary-search",
    language: "python",
    title: "Binary search",
    entryPoint: "binary_search",
    prompt:
      "Write a Python function `binary_search(items, target)` that returns the index of target in the sorted " +
      "list items (any index if it occurs several times), or -1 when it is absent. It must run in O(log n).",
    reference: py(String.raw`
def binary_search(items, target):
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
`),
    tests: py(String.raw`
from solution import binary_search

def test_found():
    items = list(range(0, 100, 3))
    for i, x in enumerate(items):
        assert binary_search(items, x) == i

def test_absent():
    assert binary_search([1, 3, 5], 4) == -1
    assert binary_search([], 1) == -1

def test_ends():
    assert binary_search([1, 2], 2) == 1
    assert binary_search([1, 2], 1) == 0
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from bisect import bisect_left

def binary_search(items, target):
    i = bisect_left(items, target)
    return i if i < len(items) and items[i] == target else -1
`),
      },
      {
        label: "endless loop when the target is absent",
        code: py(String.raw`
def binary_search(items, target):
    lo, hi = 0, len(items)
    while lo != hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid
        else:
            hi = mid
    return -1
`),
      },
      {
        label: "misses the last element",
        code: py(String.raw`
def binary_search(items, target):
    lo, hi = 0, len(items) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
`),
      },
    ],
  },
  {
    id: "py-gcd",
    language: "python",
    title: "Greatest common divisor",
    entryPoint: "gcd",
    prompt:
      "Write a Python function `gcd(a, b)` returning the greatest common divisor of two integers (always " +
      "non-negative; gcd(0, 0) is 0). Do not use math.gcd.",
    reference: py(String.raw`
def gcd(a, b):
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a
`),
    tests: py(String.raw`
from solution import gcd

def test_values():
    assert gcd(12, 18) == 6
    assert gcd(17, 5) == 1

def test_zero():
    assert gcd(0, 7) == 7
    assert gcd(0, 0) == 0

def test_negative():
    assert gcd(-12, 18) == 6
    assert gcd(12, -18) == 6
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def gcd(a, b):
    return gcd(b, a % b) if b else abs(a)
`),
      },
      {
        label: "negative results",
        code: py(String.raw`
def gcd(a, b):
    while b:
        a, b = b, a % b
    return a
`),
      },
      {
        label: "division by zero for gcd(x, 0)",
        code: py(String.raw`
def gcd(a, b):
    a, b = abs(a), abs(b)
    while a % b:
        a, b = b, a % b
    return b
`),
      },
    ],
  },
  {
    id: "py-is-prime",
    language: "python",
    title: "Primality",
    entryPoint: "is_prime",
    prompt: "Write a Python function `is_prime(n)` returning True when the integer n is a prime number.",
    reference: py(String.raw`
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True
`),
    tests: py(String.raw`
from solution import is_prime

def test_small():
    assert [n for n in range(30) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]

def test_squares_of_primes():
    assert not is_prime(49)
    assert not is_prime(121)

def test_negative_and_large():
    assert not is_prime(-7)
    assert is_prime(7919)
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))
`),
      },
      {
        label: "misses squares (i * i < n)",
        code: py(String.raw`
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i < n:
        if n % i == 0:
            return False
        i += 1
    return True
`),
      },
      {
        label: "calls 1 prime",
        code: py(String.raw`
def is_prime(n):
    if n < 1:
        return False
    return all(n % d for d in range(2, int(n ** 0.5) + 1))
`),
      },
    ],
  },
  {
    id: "py-sieve",
    language: "python",
    title: "Primes up to n",
    entryPoint: "primes_up_to",
    prompt: "Write a Python function `primes_up_to(n)` returning the sorted list of all primes <= n (a sieve).",
    reference: py(String.raw`
def primes_up_to(n):
    if n < 2:
        return []
    sieve = [True] * (n + 1)
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            for j in range(i * i, n + 1, i):
                sieve[j] = False
    return [i for i, p in enumerate(sieve) if p]
`),
    tests: py(String.raw`
from solution import primes_up_to

def test_thirty():
    assert primes_up_to(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]

def test_inclusive():
    assert primes_up_to(2) == [2]
    assert primes_up_to(13)[-1] == 13

def test_small():
    assert primes_up_to(1) == []
    assert primes_up_to(0) == []
    assert len(primes_up_to(10000)) == 1229
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def primes_up_to(n):
    primes = []
    for k in range(2, n + 1):
        for p in primes:
            if p * p > k:
                primes.append(k)
                break
            if k % p == 0:
                break
        else:
            primes.append(k)
    return primes
`),
      },
      {
        label: "excludes n itself",
        code: py(String.raw`
def primes_up_to(n):
    if n < 2:
        return []
    sieve = [True] * n
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            for j in range(i * i, n, i):
                sieve[j] = False
    return [i for i, p in enumerate(sieve) if p]
`),
      },
      {
        label: "crashes for n < 2",
        code: py(String.raw`
def primes_up_to(n):
    sieve = [True] * (n + 1)
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            for j in range(i * i, n + 1, i):
                sieve[j] = False
    return [i for i, p in enumerate(sieve) if p]
`),
      },
    ],
  },
  {
    id: "py-rle-encode",
    language: "python",
    title: "Run-length encoding",
    entryPoint: "rle_encode",
    prompt:
      'Write a Python function `rle_encode(s)` that run-length encodes a string of letters: "aaabcc" becomes ' +
      '"a3b1c2" (every run gets its count, even a run of one).',
    reference: py(String.raw`
def rle_encode(s):
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(s[i] + str(j - i))
        i = j
    return "".join(out)
`),
    tests: py(String.raw`
from solution import rle_encode

def test_runs():
    assert rle_encode("aaabcc") == "a3b1c2"

def test_long_run():
    assert rle_encode("z" * 12) == "z12"

def test_empty_and_single():
    assert rle_encode("") == ""
    assert rle_encode("q") == "q1"
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from itertools import groupby

def rle_encode(s):
    return "".join(k + str(len(list(g))) for k, g in groupby(s))
`),
      },
      {
        label: "drops the last run",
        code: py(String.raw`
def rle_encode(s):
    out, count = "", 1
    for a, b in zip(s, s[1:]):
        if a == b:
            count += 1
        else:
            out += a + str(count)
            count = 1
    return out
`),
      },
      {
        label: "omits counts of one",
        code: py(String.raw`
from itertools import groupby

def rle_encode(s):
    out = ""
    for k, g in groupby(s):
        n = len(list(g))
        out += k + (str(n) if n > 1 else "")
    return out
`),
      },
    ],
  },
  {
    id: "py-rle-decode",
    language: "python",
    title: "Run-length decoding",
    entryPoint: "rle_decode",
    prompt:
      'Write a Python function `rle_decode(s)` that reverses run-length encoding: "a3b1c12" becomes "aaab" followed ' +
      "by twelve c (counts may have several digits).",
    reference: py(String.raw`
import re

def rle_decode(s):
    return "".join(ch * int(n) for ch, n in re.findall(r"(\D)(\d+)", s))
`),
    tests: py(String.raw`
from solution import rle_decode

def test_simple():
    assert rle_decode("a3b1c2") == "aaabcc"

def test_multi_digit():
    assert rle_decode("x12") == "x" * 12

def test_empty():
    assert rle_decode("") == ""
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def rle_decode(s):
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        j = i + 1
        while j < len(s) and s[j].isdigit():
            j += 1
        out.append(ch * int(s[i + 1:j]))
        i = j
    return "".join(out)
`),
      },
      {
        label: "single-digit counts only",
        code: py(String.raw`
def rle_decode(s):
    return "".join(s[i] * int(s[i + 1]) for i in range(0, len(s), 2))
`),
      },
      {
        label: "endless loop (never advances)",
        code: py(String.raw`
def rle_decode(s):
    out, i = "", 0
    while i < len(s):
        j = i + 1
        while j < len(s) and s[j].isdigit():
            j += 1
        out += s[i] * int(s[i + 1:j])
    return out
`),
      },
    ],
  },
  {
    id: "py-balanced",
    language: "python",
    title: "Balanced brackets",
    entryPoint: "balanced",
    prompt:
      "Write a Python function `balanced(s)` returning True when the brackets ()[]{} in s are balanced and properly " +
      "nested; other characters are ignored.",
    reference: py(String.raw`
def balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack
`),
    tests: py(String.raw`
from solution import balanced

def test_nested():
    assert balanced("{[()()]}")
    assert balanced("a(b)c")

def test_wrong_order():
    assert not balanced("([)]")

def test_unclosed_and_extra():
    assert not balanced("((")
    assert not balanced("())")
    assert balanced("")
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def balanced(s):
    stack = []
    for c in s:
        if c in "([{":
            stack.append(")]}"["([{".index(c)])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return False
    return len(stack) == 0
`),
      },
      {
        label: "counts instead of nesting",
        code: py(String.raw`
def balanced(s):
    return all(s.count(a) == s.count(b) for a, b in ["()", "[]", "{}"])
`),
      },
      {
        label: "ignores unclosed brackets",
        code: py(String.raw`
def balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return True
`),
      },
    ],
  },
  {
    id: "py-transpose",
    language: "python",
    title: "Matrix transpose",
    entryPoint: "transpose",
    prompt:
      "Write a Python function `transpose(matrix)` that returns the transpose of a rectangular matrix given as a " +
      "list of rows (lists); an empty matrix gives [].",
    reference: py(String.raw`
def transpose(matrix):
    if not matrix:
        return []
    return [[row[j] for row in matrix] for j in range(len(matrix[0]))]
`),
    tests: py(String.raw`
from solution import transpose

def test_rectangular():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]

def test_lists_not_tuples():
    assert transpose([[1, 2]]) == [[1], [2]]

def test_empty():
    assert transpose([]) == []
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def transpose(matrix):
    return [list(column) for column in zip(*matrix)]
`),
      },
      {
        label: "returns tuples",
        code: py(String.raw`
def transpose(matrix):
    return list(zip(*matrix))
`),
      },
      {
        label: "swaps the dimensions wrongly",
        code: py(String.raw`
def transpose(matrix):
    if not matrix:
        return []
    return [[matrix[i][j] for j in range(len(matrix))] for i in range(len(matrix[0]))]
`),
      },
    ],
  },
  {
    id: "py-chunk",
    language: "python",
    title: "Chunks",
    entryPoint: "chunk",
    prompt:
      "Write a Python function `chunk(items, size)` that splits a list into consecutive lists of `size` elements " +
      "(the last may be shorter). Raise ValueError when size < 1.",
    reference: py(String.raw`
def chunk(items, size):
    if size < 1:
        raise ValueError("size must be positive")
    return [items[i:i + size] for i in range(0, len(items), size)]
`),
    tests: py(String.raw`
from solution import chunk

def test_uneven():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]

def test_exact_and_empty():
    assert chunk([1, 2, 3, 4], 4) == [[1, 2, 3, 4]]
    assert chunk([], 3) == []

def test_bad_size():
    try:
        chunk([1], 0)
    except ValueError:
        return
    raise AssertionError("expected ValueError")
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
def chunk(items, size):
    if size < 1:
        raise ValueError(size)
    out = []
    for item in items:
        if not out or len(out[-1]) == size:
            out.append([])
        out[-1].append(item)
    return out
`),
      },
      {
        label: "drops the short last chunk",
        code: py(String.raw`
def chunk(items, size):
    if size < 1:
        raise ValueError(size)
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]
`),
      },
      {
        label: "endless loop for size 0",
        code: py(String.raw`
def chunk(items, size):
    out, i = [], 0
    while i < len(items) or (size == 0 and items):
        out.append(items[i:i + size])
        i += size
    return out
`),
      },
    ],
  },
  {
    id: "py-caesar",
    language: "python",
    title: "Caesar cipher",
    entryPoint: "caesar",
    prompt:
      "Write a Python function `caesar(text, shift)` that shifts every ASCII letter by `shift` places (wrapping " +
      "around, keeping case; shift may be negative or larger than 26) and leaves other characters unchanged.",
    reference: py(String.raw`
def caesar(text, shift):
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + shift) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)
`),
    tests: py(String.raw`
from solution import caesar

def test_shift():
    assert caesar("abc xyz", 3) == "def abc"

def test_case_and_punctuation():
    assert caesar("Hello, World!", 13) == "Uryyb, Jbeyq!"

def test_negative_and_large():
    assert caesar("def", -3) == "abc"
    assert caesar("abc", 29) == "def"
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
import string

def caesar(text, shift):
    k = shift % 26
    lower, upper = string.ascii_lowercase, string.ascii_uppercase
    table = str.maketrans(lower + upper, lower[k:] + lower[:k] + upper[k:] + upper[:k])
    return text.translate(table)
`),
      },
      {
        label: "no wrap-around",
        code: py(String.raw`
def caesar(text, shift):
    return "".join(chr(ord(c) + shift) if c.isalpha() else c for c in text)
`),
      },
      {
        label: "lower-cases everything",
        code: py(String.raw`
def caesar(text, shift):
    out = []
    for c in text.lower():
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        else:
            out.append(c)
    return "".join(out)
`),
      },
    ],
  },
  {
    id: "py-median",
    language: "python",
    title: "Median",
    entryPoint: "median",
    prompt:
      "Write a Python function `median(nums)` returning the median of a non-empty list of numbers (the mean of the " +
      "two middle values for an even count) without modifying the list.",
    reference: py(String.raw`
def median(nums):
    s = sorted(nums)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
`),
    tests: py(String.raw`
from solution import median

def test_odd():
    assert median([3, 1, 2]) == 2

def test_even():
    assert median([4, 1, 3, 2]) == 2.5

def test_does_not_modify():
    data = [5, 3, 1]
    median(data)
    assert data == [5, 3, 1]
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
import statistics

def median(nums):
    return statistics.median(nums)
`),
      },
      {
        label: "sorts the caller's list in place",
        code: py(String.raw`
def median(nums):
    nums.sort()
    n = len(nums)
    return nums[n // 2] if n % 2 else (nums[n // 2 - 1] + nums[n // 2]) / 2
`),
      },
      {
        label: "upper middle for even counts",
        code: py(String.raw`
def median(nums):
    s = sorted(nums)
    return s[len(s) // 2]
`),
      },
    ],
  },
  {
    id: "py-unique-in-order",
    language: "python",
    title: "Unique in order",
    entryPoint: "unique_in_order",
    prompt:
      "Write a Python function `unique_in_order(items)` that takes a sequence (list or string) and returns a list " +
      "with consecutive duplicates collapsed to one element, keeping order.",
    reference: py(String.raw`
def unique_in_order(items):
    out = []
    for x in items:
        if not out or out[-1] != x:
            out.append(x)
    return out
`),
    tests: py(String.raw`
from solution import unique_in_order

def test_string():
    assert unique_in_order("AAAABBBCCDAABBB") == ["A", "B", "C", "D", "A", "B"]

def test_list():
    assert unique_in_order([1, 2, 2, 3, 3, 1]) == [1, 2, 3, 1]

def test_empty():
    assert unique_in_order([]) == []
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from itertools import groupby

def unique_in_order(items):
    return [k for k, _ in groupby(items)]
`),
      },
      {
        label: "removes all duplicates, not only consecutive ones",
        code: py(String.raw`
def unique_in_order(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out
`),
      },
      {
        label: "loses order (a set)",
        code: py(String.raw`
def unique_in_order(items):
    return sorted(set(items))
`),
      },
    ],
  },
  {
    id: "py-common-prefix",
    language: "python",
    title: "Longest common prefix",
    entryPoint: "longest_common_prefix",
    prompt:
      'Write a Python function `longest_common_prefix(strs)` returning the longest common prefix of a list of strings ("" for an empty list).',
    reference: py(String.raw`
def longest_common_prefix(strs):
    if not strs:
        return ""
    prefix = strs[0]
    for s in strs[1:]:
        while not s.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
`),
    tests: py(String.raw`
from solution import longest_common_prefix

def test_common():
    assert longest_common_prefix(["flower", "flow", "flight"]) == "fl"

def test_none():
    assert longest_common_prefix(["dog", "racecar", "car"]) == ""

def test_edge():
    assert longest_common_prefix([]) == ""
    assert longest_common_prefix(["alone"]) == "alone"
    assert longest_common_prefix(["ab", "a"]) == "a"
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
import os

def longest_common_prefix(strs):
    return os.path.commonprefix(strs) if strs else ""
`),
      },
      {
        label: "crashes on an empty list",
        code: py(String.raw`
def longest_common_prefix(strs):
    prefix = strs[0]
    for s in strs[1:]:
        while not s.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
`),
      },
      {
        label: "compares only the first two strings",
        code: py(String.raw`
def longest_common_prefix(strs):
    if len(strs) < 2:
        return strs[0] if strs else ""
    a, b = strs[0], strs[1]
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]
`),
      },
    ],
  },
  {
    id: "py-anagrams",
    language: "python",
    title: "Anagrams",
    entryPoint: "anagrams",
    prompt:
      "Write a Python function `anagrams(word, candidates)` returning the candidates (in order) that are anagrams " +
      "of word, ignoring case; a candidate equal to the word (ignoring case) is not its anagram.",
    reference: py(String.raw`
def anagrams(word, candidates):
    w = word.lower()
    return [c for c in candidates if c.lower() != w and sorted(c.lower()) == sorted(w)]
`),
    tests: py(String.raw`
from solution import anagrams

def test_basic():
    assert anagrams("listen", ["enlists", "google", "inlets", "banana"]) == ["inlets"]

def test_case():
    assert anagrams("Orchestra", ["cartHorse", "radishes"]) == ["cartHorse"]

def test_same_word_excluded():
    assert anagrams("stop", ["STOP", "pots", "tops"]) == ["pots", "tops"]

def test_letter_counts():
    assert anagrams("aab", ["abb", "aba"]) == ["aba"]
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from collections import Counter

def anagrams(word, candidates):
    key = Counter(word.lower())
    return [c for c in candidates if c.lower() != word.lower() and Counter(c.lower()) == key]
`),
      },
      {
        label: "compares sets of letters",
        code: py(String.raw`
def anagrams(word, candidates):
    return [c for c in candidates if c.lower() != word.lower() and set(c.lower()) == set(word.lower())]
`),
      },
      {
        label: "keeps the word itself",
        code: py(String.raw`
def anagrams(word, candidates):
    return [c for c in candidates if sorted(c.lower()) == sorted(word.lower())]
`),
      },
    ],
  },
  {
    id: "py-fibonacci",
    language: "python",
    title: "Fibonacci numbers",
    entryPoint: "fibonacci",
    prompt:
      "Write a Python function `fibonacci(n)` returning the n-th Fibonacci number (fibonacci(0) = 0, " +
      "fibonacci(1) = 1). It must handle n = 300 quickly.",
    reference: py(String.raw`
def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
`),
    tests: py(String.raw`
from solution import fibonacci

def test_start():
    assert [fibonacci(i) for i in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]

def test_large():
    assert fibonacci(300) == 222232244629420445529739893461909967206666939096499764990979600
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
from functools import lru_cache

@lru_cache(maxsize=None)
def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)
`),
      },
      {
        label: "exponential recursion (too slow)",
        code: py(String.raw`
def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)
`),
      },
      {
        label: "shifted by one",
        code: py(String.raw`
def fibonacci(n):
    a, b = 1, 1
    for _ in range(n):
        a, b = b, a + b
    return a
`),
      },
    ],
  },
  {
    id: "py-vowels",
    language: "python",
    title: "Count vowels",
    entryPoint: "count_vowels",
    prompt: "Write a Python function `count_vowels(s)` counting the vowels a, e, i, o, u (either case) in s.",
    reference: py(String.raw`
def count_vowels(s):
    return sum(1 for c in s.lower() if c in "aeiou")
`),
    tests: py(String.raw`
from solution import count_vowels

def test_mixed_case():
    assert count_vowels("Programming IS fun") == 5

def test_none():
    assert count_vowels("rhythm") == 0

def test_empty():
    assert count_vowels("") == 0
`),
    candidates: [
      {
        label: "correct",
        code: py(String.raw`
import re

def count_vowels(s):
    return len(re.findall(r"[aeiou]", s, re.IGNORECASE))
`),
      },
      {
        label: "lower case only",
        code: py(String.raw`
def count_vowels(s):
    return sum(c in "aeiou" for c in s)
`),
      },
      {
        label: "counts y as a vowel",
        code: py(String.raw`
def count_vowels(s):
    return sum(c in "aeiouy" for c in s.lower())
`),
      },
    ],
  },
  {
    id: "js-camel-case",
    language: "node",
    title: "camelCase",
    entryPoint: "camelCase",
    prompt:
      "Write a JavaScript function `camelCase(str)` (exported with module.exports = { camelCase }) that turns words " +
      'separated by spaces, hyphens or underscores into camelCase: "hello big-wide_world" becomes "helloBigWideWorld".',
    reference: String.raw`function camelCase(str) {
  const words = str.split(/[\s_-]+/).filter(Boolean);
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
}
module.exports = { camelCase };
`,
    tests: String.raw`const assert = require("assert");
const { camelCase } = require("./solution.js");
module.exports = {
  separators() {
    assert.strictEqual(camelCase("hello big-wide_world"), "helloBigWideWorld");
  },
  caseNormalised() {
    assert.strictEqual(camelCase("HELLO World"), "helloWorld");
  },
  edges() {
    assert.strictEqual(camelCase(""), "");
    assert.strictEqual(camelCase("  many   spaces  "), "manySpaces");
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`const camelCase = (str) =>
  str
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter((w) => w.length > 0)
    .map((w, i) => (i ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join("");
module.exports = { camelCase };
`,
      },
      {
        label: "spaces only",
        code: String.raw`function camelCase(str) {
  return str
    .trim()
    .split(/\s+/)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
}
module.exports = { camelCase };
`,
      },
      {
        label: "crashes on empty words",
        code: String.raw`function camelCase(str) {
  return str
    .split(/[\s_-]/)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
}
module.exports = { camelCase };
`,
      },
    ],
  },
  {
    id: "js-deep-equal",
    language: "node",
    title: "Deep equality",
    entryPoint: "deepEqual",
    prompt:
      "Write a JavaScript function `deepEqual(a, b)` (module.exports = { deepEqual }) returning true when two JSON-like " +
      "values (null, numbers, strings, booleans, arrays, plain objects) are structurally equal.",
    reference: String.raw`function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}
module.exports = { deepEqual };
`,
    tests: String.raw`const assert = require("assert");
const { deepEqual } = require("./solution.js");
module.exports = {
  nested() {
    assert.ok(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
    assert.ok(!deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }));
  },
  keyOrderDoesNotMatter() {
    assert.ok(deepEqual({ x: 1, y: 2 }, { y: 2, x: 1 }));
  },
  arraysAreNotObjects() {
    assert.ok(!deepEqual([1, 2], { 0: 1, 1: 2 }));
  },
  extraKeys() {
    assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!deepEqual(null, {}));
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
}
module.exports = { deepEqual };
`,
      },
      {
        label: "JSON.stringify depends on key order",
        code: String.raw`function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
module.exports = { deepEqual };
`,
      },
      {
        label: "ignores keys only in b",
        code: String.raw`function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return Object.keys(a).every((k) => deepEqual(a[k], b[k]));
}
module.exports = { deepEqual };
`,
      },
    ],
  },
  {
    id: "js-range",
    language: "node",
    title: "Range",
    entryPoint: "range",
    prompt:
      "Write a JavaScript function `range(start, end, step = 1)` (module.exports = { range }) returning the numbers from " +
      "start up to but excluding end, by step; a negative step counts down; step 0 throws an Error.",
    reference: String.raw`function range(start, end, step = 1) {
  if (step === 0) throw new Error("step must not be 0");
  const out = [];
  for (let x = start; step > 0 ? x < end : x > end; x += step) out.push(x);
  return out;
}
module.exports = { range };
`,
    tests: String.raw`const assert = require("assert");
const { range } = require("./solution.js");
module.exports = {
  up() {
    assert.deepStrictEqual(range(0, 5), [0, 1, 2, 3, 4]);
    assert.deepStrictEqual(range(1, 10, 3), [1, 4, 7]);
  },
  down() {
    assert.deepStrictEqual(range(5, 0, -2), [5, 3, 1]);
  },
  empty() {
    assert.deepStrictEqual(range(3, 3), []);
    assert.deepStrictEqual(range(5, 0), []);
  },
  zeroStep() {
    assert.throws(() => range(0, 5, 0));
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`function range(start, end, step = 1) {
  if (!step) throw new Error("zero step");
  const n = Math.max(0, Math.ceil((end - start) / step));
  return Array.from({ length: n }, (_, i) => start + i * step);
}
module.exports = { range };
`,
      },
      {
        label: "cannot count down",
        code: String.raw`function range(start, end, step = 1) {
  if (step === 0) throw new Error("step must not be 0");
  const out = [];
  for (let x = start; x < end; x += step) out.push(x);
  return out;
}
module.exports = { range };
`,
      },
      {
        label: "endless loop for step 0",
        code: String.raw`function range(start, end, step = 1) {
  const out = [];
  for (let x = start; step >= 0 ? x < end : x > end; x += step) out.push(x);
  return out;
}
module.exports = { range };
`,
      },
    ],
  },
  {
    id: "js-group-by",
    language: "node",
    title: "Group by",
    entryPoint: "groupBy",
    prompt:
      "Write a JavaScript function `groupBy(items, keyFn)` (module.exports = { groupBy }) returning a plain object whose " +
      "keys are keyFn(item) (as strings) and whose values are arrays of the items with that key, in order.",
    reference: String.raw`function groupBy(items, keyFn) {
  const out = {};
  for (const item of items) {
    const key = String(keyFn(item));
    if (!Object.prototype.hasOwnProperty.call(out, key)) out[key] = [];
    out[key].push(item);
  }
  return out;
}
module.exports = { groupBy };
`,
    tests: String.raw`const assert = require("assert");
const { groupBy } = require("./solution.js");
module.exports = {
  parity() {
    assert.deepStrictEqual(groupBy([1, 2, 3, 4, 5], (n) => (n % 2 ? "odd" : "even")), { odd: [1, 3, 5], even: [2, 4] });
  },
  lengths() {
    assert.deepStrictEqual(groupBy(["a", "bb", "cc", "d"], (s) => s.length), { 1: ["a", "d"], 2: ["bb", "cc"] });
  },
  awkwardKeys() {
    const grouped = groupBy(["x", "y"], (s) => (s === "x" ? "constructor" : "toString"));
    assert.deepStrictEqual(grouped.constructor, ["x"]);
    assert.deepStrictEqual(grouped.toString, ["y"]);
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`function groupBy(items, keyFn) {
  const out = {};
  items.forEach((item) => {
    const key = String(keyFn(item));
    out[key] = Object.hasOwn(out, key) ? [...out[key], item] : [item];
  });
  return out;
}
module.exports = { groupBy };
`,
      },
      {
        label: "trips over inherited keys (constructor)",
        code: String.raw`function groupBy(items, keyFn) {
  const out = {};
  for (const item of items) {
    const key = keyFn(item);
    (out[key] || (out[key] = [])).push(item);
  }
  return out;
}
module.exports = { groupBy };
`,
      },
      {
        label: "keeps only the last item per key",
        code: String.raw`function groupBy(items, keyFn) {
  const out = {};
  for (const item of items) out[String(keyFn(item))] = [item];
  return out;
}
module.exports = { groupBy };
`,
      },
    ],
  },
  {
    id: "js-parse-query",
    language: "node",
    title: "Parse a query string",
    entryPoint: "parseQuery",
    prompt:
      'Write a JavaScript function `parseQuery(qs)` (module.exports = { parseQuery }) that parses "a=1&b=x%20y&a=2" into ' +
      '{ a: ["1", "2"], b: "x y" }: values are percent-decoded, "+" means a space, a repeated key collects an array, ' +
      'a key without "=" has the value "", and an optional leading "?" is ignored.',
    reference: String.raw`function parseQuery(qs) {
  const out = {};
  const text = qs.startsWith("?") ? qs.slice(1) : qs;
  for (const part of text.split("&")) {
    if (!part) continue;
    const at = part.indexOf("=");
    const decode = (s) => decodeURIComponent(s.replace(/\+/g, " "));
    const key = decode(at < 0 ? part : part.slice(0, at));
    const value = at < 0 ? "" : decode(part.slice(at + 1));
    if (Object.prototype.hasOwnProperty.call(out, key)) out[key] = [].concat(out[key], value);
    else out[key] = value;
  }
  return out;
}
module.exports = { parseQuery };
`,
    tests: String.raw`const assert = require("assert");
const { parseQuery } = require("./solution.js");
module.exports = {
  basic() {
    assert.deepStrictEqual(parseQuery("a=1&b=x%20y&a=2"), { a: ["1", "2"], b: "x y" });
  },
  plusAndQuestionMark() {
    assert.deepStrictEqual(parseQuery("?q=hello+world"), { q: "hello world" });
  },
  bareKeysAndEmpty() {
    assert.deepStrictEqual(parseQuery("flag&x="), { flag: "", x: "" });
    assert.deepStrictEqual(parseQuery(""), {});
  },
  threeValues() {
    assert.deepStrictEqual(parseQuery("k=1&k=2&k=3"), { k: ["1", "2", "3"] });
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`function parseQuery(qs) {
  const out = {};
  for (const [key, value] of new URLSearchParams(qs)) {
    if (Object.hasOwn(out, key)) out[key] = Array.isArray(out[key]) ? [...out[key], value] : [out[key], value];
    else out[key] = value;
  }
  return out;
}
module.exports = { parseQuery };
`,
      },
      {
        label: "last value wins",
        code: String.raw`function parseQuery(qs) {
  const out = {};
  for (const [key, value] of new URLSearchParams(qs)) out[key] = value;
  return out;
}
module.exports = { parseQuery };
`,
      },
      {
        label: "does not decode",
        code: String.raw`function parseQuery(qs) {
  const out = {};
  for (const part of qs.replace(/^\?/, "").split("&").filter(Boolean)) {
    const [key, value = ""] = part.split("=");
    if (key in out) out[key] = [].concat(out[key], value);
    else out[key] = value;
  }
  return out;
}
module.exports = { parseQuery };
`,
      },
    ],
  },
  {
    id: "js-most-frequent",
    language: "node",
    title: "Most frequent item",
    entryPoint: "mostFrequent",
    prompt:
      "Write a JavaScript function `mostFrequent(items)` (module.exports = { mostFrequent }) returning the item that " +
      "occurs most often (compared with ===); on a tie, the one that occurs first; undefined for an empty array.",
    reference: String.raw`function mostFrequent(items) {
  const counts = new Map();
  for (const item of items) counts.set(item, (counts.get(item) || 0) + 1);
  let best;
  let bestCount = 0;
  for (const [item, count] of counts) {
    if (count > bestCount) {
      best = item;
      bestCount = count;
    }
  }
  return best;
}
module.exports = { mostFrequent };
`,
    tests: String.raw`const assert = require("assert");
const { mostFrequent } = require("./solution.js");
module.exports = {
  basic() {
    assert.strictEqual(mostFrequent([1, 3, 3, 2, 3, 1]), 3);
  },
  tieGoesToTheFirst() {
    assert.strictEqual(mostFrequent(["b", "a", "a", "b"]), "b");
  },
  typesAreDistinct() {
    assert.strictEqual(mostFrequent([1, "1", "1"]), "1");
  },
  empty() {
    assert.strictEqual(mostFrequent([]), undefined);
  },
};
`,
    candidates: [
      {
        label: "correct",
        code: String.raw`function mostFrequent(items) {
  const counts = new Map();
  let best;
  let bestCount = 0;
  items.forEach((item) => counts.set(item, (counts.get(item) || 0) + 1));
  counts.forEach((count, item) => {
    if (count > bestCount) [best, bestCount] = [item, count];
  });
  return best;
}
module.exports = { mostFrequent };
`,
      },
      {
        label: "object keys merge 1 and '1'",
        code: String.raw`function mostFrequent(items) {
  const counts = {};
  let best;
  for (const item of items) {
    counts[item] = (counts[item] || 0) + 1;
    if (best === undefined || counts[item] > counts[best]) best = item;
  }
  return best;
}
module.exports = { mostFrequent };
`,
      },
      {
        label: "tie goes to the last",
        code: String.raw`function mostFrequent(items) {
  const counts = new Map();
  for (const item of items) counts.set(item, (counts.get(item) || 0) + 1);
  let best;
  let bestCount = 0;
  for (const [item, count] of counts) {
    if (count >= bestCount) {
      best = item;
      bestCount = count;
    }
  }
  return best;
}
module.exports = { mostFrequent };
`,
      },
    ],
  },
];

mkdirSync(join(process.cwd(), "datasets/code-verify"), { recursive: true });
const out = problems.map((problem) => JSON.stringify(problem)).join("\n") + "\n";
writeFileSync(join(process.cwd(), "datasets/code-verify/problems.jsonl"), out);
process.stdout.write(`wrote ${problems.length} problems\n`);
