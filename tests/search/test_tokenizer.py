from convexlite.database.search.tokenizer import term_counts, tokenize


def test_splits_on_non_alphanumerics_and_lowercases():
    assert tokenize("Hello, World! it's 2024-05_01") == [
        "hello",
        "world",
        "it",
        "s",
        "2024",
        "05",
        "01",
    ]
    assert tokenize("") == []
    assert tokenize("  ...  ") == []


def test_non_ascii_letters_digits_and_marks_stay_in_tokens():
    assert tokenize("Crème brûlée") == ["crème", "brûlée"]
    assert tokenize("ΣΊΣΥΦΟΣ") == ["σίσυφος"]  # full lowercasing, final sigma as Rust
    assert tokenize("東京タワー") == ["東京タワー"]
    assert tokenize("x²½") == ["x²½"]  # No (other numbers) are alphanumeric
    # U+093F DEVANAGARI VOWEL SIGN I is Mc and Other_Alphabetic: `str.isalnum` says no,
    # Rust's `is_alphanumeric` says yes, so "हिंदी" is one token.
    assert not "\u093f".isalnum()
    assert tokenize("हिंदी भाषा") == ["हिंदी", "भाषा"]
    assert tokenize("a\u200bb") == ["a", "b"]  # zero-width space separates


def test_tokens_of_32_bytes_or_more_are_dropped_before_lowercasing():
    assert tokenize("a" * 31) == ["a" * 31]
    assert tokenize("a" * 32 + " ok") == ["ok"]
    # 16 two-byte characters are 32 bytes: dropped although only 16 characters long.
    assert tokenize("é" * 16) == []
    assert tokenize("é" * 15) == ["é" * 15]
    # "İ" (2 bytes) lowercases to "i̇" (3 bytes): the limit applies to the original spelling.
    assert tokenize("İ" * 15) == [("İ" * 15).lower()]


def test_term_counts():
    assert term_counts("the cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
