"""Tests of the utility link (OpenADR 3 VEN in Home Assistant)."""
