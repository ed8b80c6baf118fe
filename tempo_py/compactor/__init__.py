"""Compactor: plan merges by time window, k-way merge blocks, mark inputs, enforce retention."""
