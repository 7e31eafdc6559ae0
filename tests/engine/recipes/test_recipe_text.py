"""The text operations of the recipe language produce exactly Amazon ML's tokens."""

from __future__ import annotations

from openaml.engine.recipes import text

FOX = "The quick brown fox jumps over the lazy dog"


def test_text_is_split_on_whitespace_only_and_punctuation_stays() -> None:
    assert text.whitespace_tokens(" email-subject\there,  now!\n") == ["email-subject", "here,", "now!"]


def test_lowercase() -> None:
    assert text.lowercase(FOX) == "the quick brown fox jumps over the lazy dog"


def test_no_punct_strips_punctuation_at_the_edges_of_tokens_only() -> None:
    assert (
        text.no_punct('Seat-belts! "quoted" (a) $5.00 ... e.g. café…') == "Seat-belts quoted a 5.00 e.g café"
    )


def test_ngram_emits_every_gram_from_one_to_n_words() -> None:
    assert text.ngrams(["The", "quick", "brown", "fox"], 3) == [
        "The",
        "quick",
        "brown",
        "fox",
        "The quick",
        "quick brown",
        "brown fox",
        "The quick brown",
        "quick brown fox",
    ]


def test_ngram_of_a_text_shorter_than_n() -> None:
    assert text.ngrams(["only"], 4) == ["only"]
    assert text.ngrams([], 2) == []


def test_osb_encodes_the_distance_with_underscores() -> None:
    assert text.orthogonal_sparse_bigrams(FOX.split(), 4) == [
        "The_quick", "The__brown", "The___fox",
        "quick_brown", "quick__fox", "quick___jumps",
        "brown_fox", "brown__jumps", "brown___over",
        "fox_jumps", "fox__over", "fox___the",
        "jumps_over", "jumps__the", "jumps___lazy",
        "over_the", "over__lazy", "over___dog",
        "the_lazy", "the__dog",
        "lazy_dog",
    ]  # fmt: skip


def test_osb_window_of_two_gives_adjacent_pairs() -> None:
    assert text.orthogonal_sparse_bigrams(["a", "b", "c"], 2) == ["a_b", "b_c"]
