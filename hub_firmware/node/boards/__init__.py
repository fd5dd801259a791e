"""Boards of the radio node: `esp32` (ESP32 + CC1101) and `sim` (fakes for the host sim)."""
