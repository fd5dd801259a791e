"""Data integrity end to end: the real hub firmware killed at random moments."""
