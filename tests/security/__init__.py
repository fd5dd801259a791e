"""Regression tests of the hub link attacks (issue 13): they must stay closed."""
