"""Integration tests of the BALANCE integration (real Home Assistant test harness)."""
