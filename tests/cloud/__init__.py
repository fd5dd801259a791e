"""Tests of the BALANCE cloud entry kind."""
