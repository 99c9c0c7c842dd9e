"""Benchmarks (not tests): each script prints ratios against a ceiling measured in the same run."""
